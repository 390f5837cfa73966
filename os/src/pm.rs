//! The process manager: starting, forking, ending, reaping and signalling
//! processes, with process events published to subscribed services (see
//! `events.rs`) at each step the brief names.
//!
//! Every death goes the same way, on the dying process's own kernel stack:
//! a fatal signal only marks the process and wakes it; when it next heads
//! back to user mode it finds the signal and calls [`exit_current`], which
//! records the exit, publishes EXIT and waits (stopped) for every
//! subscriber's ack, tears the process down, turns it into a zombie for its
//! parent to reap, and switches away for good.
//!
//! A caught signal publishes SIGNAL when it is sent (if the target can take
//! it now) or when it becomes deliverable; the target stays stopped until
//! the last ack, and its handler is set up only then. A new process
//! publishes SPAWN before it first runs.

use crate::arch::context::{self, FpuStart};
use crate::arch::fpu;
use crate::arch::paging::{self, USER_END};
use crate::arch::syscall_entry::SYSCALL_VECTOR;
use crate::arch::trap::TrapFrame;
use crate::events;
use crate::files;
use crate::ipc;
use crate::kstack::KernelStack;
use crate::loader;
use crate::process::{self, Block, CONTEXTS, ExitInfo, Process, State, Wake};
use crate::report;
use crate::sched;
use crate::user_abi::SignalFrameHead;
use crate::vm;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kernel_abi::signal::{
    FxsaveArea, SIG_SETMASK, SIGNAL_FRAME_FPU_OFFSET, SIGNAL_FRAME_MAGIC, SigAction, SignalFrame,
};
use kernel_abi::{Errno, Pid, Signal, USER_STACK_TOP};
use kernel_core::events::EventKind;
use kernel_core::signals::{Disposition, Posted};

/// Longest argument block of a new program.
pub const MAX_ARGS_BYTES: usize = 1024;

/// Starts the boot programs of the archive, in order. The first that is
/// not a system service becomes init.
pub fn start_boot_programs() {
    for entry in files::boot_entries() {
        let args: Vec<&str> = entry.args.iter().map(String::as_str).collect();
        let label = entry.label.as_deref();
        match spawn(0, &entry.program, &args, entry.privileged, label) {
            Ok(pid) => {
                let became_init = process::with_table(|table| {
                    if table.init == 0 && !entry.privileged {
                        table.init = pid;
                        true
                    } else {
                        false
                    }
                });
                if became_init {
                    crate::klog!(Info, "init is pid {pid} ({})", entry.program);
                } else if entry.privileged {
                    crate::klog!(
                        Info,
                        "service {} is pid {pid}",
                        label.unwrap_or(&entry.program)
                    );
                }
            }
            Err(error) => crate::klog!(
                Error,
                "boot program {} failed to start: {}",
                entry.program,
                error.name()
            ),
        }
    }
}

/// Starts program `name` with `args` as a child of `parent`, shown as
/// `label` if given. It first runs after every SPAWN subscriber acked.
///
/// # Return values
/// - `ENOENT`: no such program in the image;
/// - `ENOEXEC`: the program is not a valid executable;
/// - `E2BIG`: the arguments are too long;
/// - `EAGAIN`: the process table is full;
/// - `ENOMEM`: out of memory.
pub fn spawn(
    parent: Pid,
    name: &str,
    args: &[&str],
    privileged: bool,
    label: Option<&str>,
) -> Result<Pid, Errno> {
    let file = files::find(name).ok_or(Errno::ENOENT)?;
    let program = loader::load(file).map_err(|_| Errno::ENOEXEC)?;
    let mut packed = Vec::with_capacity(64);
    for word in core::iter::once(name).chain(args.iter().copied()) {
        packed.extend_from_slice(word.as_bytes());
        packed.push(0);
    }
    if packed.len() > MAX_ARGS_BYTES {
        return Err(Errno::E2BIG);
    }
    let (pid, slot, stack, root) = new_slot()?;
    let args_address = (USER_STACK_TOP - packed.len() as u64) & !15;
    let frame = TrapFrame::new_user(
        program.entry,
        args_address - 8,
        args_address,
        packed.len() as u64,
    );
    let mut process = Process::new(
        pid,
        parent,
        label.unwrap_or(name).to_string(),
        slot,
        root,
        program.vm,
    );
    process.privileged = privileged;
    process.stack = Some(stack);
    for file in vm::files_of(&process.vm) {
        crate::cache::add_user(file);
    }
    if let Err(error) = vm::copy_to_user(&mut process, args_address, &packed) {
        discard(process);
        return Err(error);
    }
    let prepared = process
        .stack
        .as_mut()
        .is_some_and(|stack| context::prepare_stack(&CONTEXTS, stack, &frame, FpuStart::Initial));
    if !prepared {
        discard(process);
        return Err(Errno::ENOMEM);
    }
    let shown = process.name.clone();
    process::with_table(|table| table.insert(process));
    report::spawned(pid, parent, &shown);
    events::publish(pid, EventKind::Spawn);
    sched::make_ready(pid);
    Ok(pid)
}

/// Reserves a slot, its kernel stack and a page-table root.
fn new_slot() -> Result<(Pid, usize, KernelStack, u64), Errno> {
    let (pid, slot) = process::with_table(|table| table.reserve()).ok_or(Errno::EAGAIN)?;
    let Some(stack) = KernelStack::allocate(slot) else {
        process::with_table(|table| table.unreserve(slot));
        return Err(Errno::ENOMEM);
    };
    let Some(root) = vm::new_root() else {
        stack.release();
        process::with_table(|table| table.unreserve(slot));
        return Err(Errno::ENOMEM);
    };
    Ok((pid, slot, stack, root))
}

/// Gives back a slot, its stack and its (unused) page tables.
fn release_parts(slot: usize, stack: KernelStack, root: u64) {
    stack.release();
    vm::free_root(root);
    process::with_table(|table| table.unreserve(slot));
}

/// Frees a process that never ran.
fn discard(mut process: Process) {
    vm::teardown(&mut process);
    if let Some(stack) = process.stack.take() {
        stack.release();
    }
    process::with_table(|table| table.unreserve(process.slot));
}

/// Forks the running process; `frame` is its system-call frame. Returns the
/// child's pid (the child itself returns 0).
///
/// # Return values
/// `EAGAIN` if the table is full, `ENOMEM` if memory ran out.
pub fn fork(frame: &TrapFrame) -> Result<Pid, Errno> {
    let (pid, slot, stack, root) = new_slot()?;
    let parent_pid = sched::current();
    let child = process::with_table(|table| {
        let Some(parent) = table.get_mut(parent_pid) else {
            return Err((Errno::ESRCH, stack));
        };
        let vm = match vm::fork_into(parent, root) {
            Ok(vm) => vm,
            Err(error) => return Err((error, stack)),
        };
        let mut child = Process::new(pid, parent_pid, parent.name.clone(), slot, root, vm);
        child.privileged = parent.privileged;
        child.stack = Some(stack);
        child.signals = parent.signals.fork_copy();
        Ok(child)
    });
    let mut child = match child {
        Ok(child) => child,
        Err((error, stack)) => {
            release_parts(slot, stack, root);
            return Err(error);
        }
    };
    let name = child.name.clone();
    let mut child_frame = *frame;
    child_frame.rax = 0;
    // The child's x87/SSE state is the parent's: the registers hold it
    // (the kernel never touches them), as they were at the `fork` call.
    let prepared = child.stack.as_mut().is_some_and(|stack| {
        context::prepare_stack(&CONTEXTS, stack, &child_frame, FpuStart::CopyOfCurrent)
    });
    if !prepared {
        discard(child);
        return Err(Errno::ENOMEM);
    }
    process::with_table(|table| table.insert(child));
    report::spawned(pid, parent_pid, &name);
    events::publish(pid, EventKind::Spawn);
    sched::make_ready(pid);
    Ok(pid)
}

/// Ends the running process. Never returns.
#[allow(
    clippy::unreachable,
    reason = "invariant: a zombie is never made ready again, so the switch away never returns"
)]
pub fn exit_current(info: ExitInfo) -> ! {
    let pid = sched::current();
    process::with_current(|process| {
        process.exit = Some(info);
        process.vm.flags.exiting = true;
        process.handler_due = None;
    });
    report::exited(pid, info);
    // A dying subscriber leaves the table first: the processes waiting on
    // it move on (brief item 6).
    events::subscriber_gone(pid);
    events::publish(pid, EventKind::Exit);
    sched::wait_while_frozen();
    ipc::forget(pid);
    finish_exit(pid);
    sched::schedule();
    unreachable!("a zombie was scheduled");
}

/// Tears the exiting process down (it is the running one) and makes it a
/// zombie: frees its memory, gives its children to init, tells its parent.
#[allow(
    clippy::expect_used,
    reason = "invariant: called for the exiting process, in the table with its exit recorded"
)]
fn finish_exit(pid: Pid) {
    paging::activate(paging::kernel_root());
    let (parent, orphaned_zombie, init, info) = process::with_table(|table| {
        let init = table.init;
        let process = table.get_mut(pid).expect("the exiting process exists");
        vm::teardown(process);
        process.vm.flags.in_use = false;
        process.state = State::Zombie;
        let parent = process.parent;
        let info = process.exit.expect("exit recorded");
        let mut orphaned_zombie = false;
        for child in table.iter_mut().filter(|child| child.parent == pid) {
            child.parent = init;
            orphaned_zombie |= child.state == State::Zombie;
        }
        (parent, orphaned_zombie, init, info)
    });
    wake_waiting_parent(parent);
    if orphaned_zombie {
        wake_waiting_parent(init);
    }
    if parent != 0 {
        let _ = send_signal(pid, parent, Signal::SIGCHLD);
    }
    if pid == init {
        let code = if info.signal.is_none() && info.status == 0 {
            protocol::message::EXIT_SUCCESS
        } else {
            protocol::message::EXIT_FAILURE
        };
        crate::klog!(
            Info,
            "init exited (status {}, signal {:?}): powering off",
            info.status,
            info.signal
        );
        crate::fatal::power_off(code);
    }
}

fn wake_waiting_parent(parent: Pid) {
    let waiting = process::with_table(|table| {
        table
            .get(parent)
            .is_some_and(|p| p.state == State::Blocked(Block::Child))
    });
    if waiting {
        sched::wake(parent, Wake::Done);
    }
}

/// Waits for a child of the running process: `pid` -1 for any. Returns the
/// child and how it ended, or `None` if `no_hang` and none has ended.
///
/// # Return values
/// `ECHILD` if there is no such child, `EINTR` if a signal interrupted the
/// wait.
#[allow(
    clippy::expect_used,
    reason = "invariant: a process becomes a zombie only with its exit recorded"
)]
pub fn wait(pid: i64, no_hang: bool) -> Result<Option<(Pid, ExitInfo)>, Errno> {
    let me = sched::current();
    loop {
        let found = process::with_table(|table| {
            let matches = |process: &&Process| {
                process.parent == me && (pid == -1 || i64::from(process.pid) == pid)
            };
            let zombie = table
                .iter()
                .filter(matches)
                .find(|process| process.state == State::Zombie)
                .map(|p| p.pid);
            match zombie {
                Some(zombie) => Ok(table.remove(zombie)),
                None if table.iter().any(|process| matches(&process)) => Ok(None),
                None => Err(Errno::ECHILD),
            }
        })?;
        if let Some(mut child) = found {
            sched::forget(child.pid);
            if let Some(stack) = child.stack.take() {
                stack.release();
            }
            let info = child.exit.expect("a zombie has an exit");
            report::reaped(child.pid);
            return Ok(Some((child.pid, info)));
        }
        if no_hang {
            return Ok(None);
        }
        if sched::block_current(Block::Child) == Wake::Interrupted {
            return Err(Errno::EINTR);
        }
    }
}

/// Sends `signal` from `sender` to `target`.
///
/// A caught signal starts its delivery at once if the target can take it
/// (no event in flight, no handler pending): SIGNAL is published and the
/// target stays stopped until the last ack. Otherwise it stays pending and
/// is taken up when the target next heads for user mode.
///
/// Init is protected: SIGKILL to it is refused (MINIX's `check_sig`), and
/// a signal it does not catch whose default would end or stop it is
/// discarded (as Linux does for init), so no program can take the system
/// down by signalling init. Only init's own CPU faults
/// ([`force_signal`]) can still kill it.
///
/// # Return values
/// `ESRCH` if the target does not exist or has already exited; `EINVAL`
/// for SIGKILL to init.
pub fn send_signal(sender: Pid, target: Pid, signal: Signal) -> Result<(), Errno> {
    let (posted, disposition, state, catch_now) = process::with_table(|table| {
        let is_init = table.init != 0 && target == table.init;
        if is_init && signal == Signal::SIGKILL {
            return Err(Errno::EINVAL);
        }
        let process = table
            .get_mut(target)
            .filter(|process| process.is_alive())
            .ok_or(Errno::ESRCH)?;
        let disposition = process.signals.disposition(signal);
        if is_init && matches!(disposition, Disposition::Terminate | Disposition::Stop) {
            return Ok((Posted::Discarded, disposition, process.state, false));
        }
        let posted = process.signals.post(signal);
        let catch_now = posted == Posted::Deliverable
            && matches!(disposition, Disposition::Catch(_))
            && !process.frozen
            && process.handler_due.is_none();
        if catch_now {
            process.signals.pending &= !signal.mask();
            process.handler_due = Some(signal);
        }
        Ok((posted, disposition, process.state, catch_now))
    })?;
    report::signal(sender, target, signal, posted, disposition);
    if posted != Posted::Deliverable {
        return Ok(());
    }
    if catch_now {
        events::publish(target, EventKind::Signal);
    }
    match (state, disposition) {
        (State::Stopped, _) if signal == Signal::SIGCONT || signal == Signal::SIGKILL => {
            sched::make_ready(target)
        }
        (State::Blocked(block), Disposition::Catch(_)) if interruptible_by_catch(block) => {
            sched::wake(target, Wake::Interrupted);
        }
        (State::Blocked(_), Disposition::Terminate) => {
            sched::wake(target, Wake::Interrupted);
        }
        _ => {}
    }
    Ok(())
}

/// Whether a caught signal interrupts `block`. A process waiting for a
/// system service's reply is not interrupted: the service answers it
/// (the IPC service with EINTR when it sees the SIGNAL event), as in MINIX.
fn interruptible_by_catch(block: Block) -> bool {
    match block {
        Block::Receive {
            from, reply: true, ..
        } => {
            let service = u32::try_from(from).ok();
            !process::with_table(|table| {
                service
                    .and_then(|pid| table.get(pid))
                    .is_some_and(|p| p.privileged)
            })
        }
        _ => true,
    }
}

/// A CPU fault of the running process: delivers `signal` even if the
/// program blocks or ignores it (then with its default action).
pub fn force_signal(signal: Signal) {
    process::with_current(|process| {
        let blocked = process.signals.blocked & signal.mask() != 0;
        if blocked || matches!(process.signals.disposition(signal), Disposition::Ignore) {
            let _ = process.signals.set_action(signal, SigAction::default());
            let _ = process
                .signals
                .change_blocked(kernel_abi::signal::SIG_UNBLOCK, signal.mask());
        }
        process.signals.post(signal);
    });
}

/// Work due before the running process returns to user mode with `frame`:
/// staying stopped while an event about it is in flight, a pending switch,
/// a handler whose event completed, then pending signals (which may end
/// it, stop it, or start another SIGNAL event).
pub fn on_return_to_user(frame: &mut TrapFrame) {
    loop {
        sched::wait_while_frozen();
        if sched::switch_due() {
            sched::yield_current();
        }
        let due = process::with_current(|process| {
            let signal = process.handler_due.take()?;
            Some((signal, process.signals.disposition(signal)))
        });
        if let Some((signal, disposition)) = due {
            match disposition {
                Disposition::Catch(action) => {
                    if enter_handler(frame, signal, &action).is_err() {
                        exit_current(ExitInfo {
                            status: 0,
                            signal: Some(Signal::SIGSEGV),
                        });
                    }
                    report::handler_started(sched::current(), signal);
                    return;
                }
                // The program changed its mind while the event was in
                // flight: the signal now does what its action says.
                Disposition::Terminate => exit_current(ExitInfo {
                    status: 0,
                    signal: Some(signal),
                }),
                _ => continue,
            }
        }
        match process::with_current(|process| process.signals.take_deliverable()) {
            None => return,
            Some((signal, Disposition::Terminate)) => exit_current(ExitInfo {
                status: 0,
                signal: Some(signal),
            }),
            Some((_, Disposition::Stop)) => {
                process::with_current(|process| process.state = State::Stopped);
                sched::schedule();
            }
            Some((_, Disposition::Continue | Disposition::Ignore)) => {}
            Some((signal, Disposition::Catch(_))) => {
                process::with_current(|process| process.handler_due = Some(signal));
                events::publish(sched::current(), EventKind::Signal);
            }
        }
    }
}

/// Redirects `frame` into the handler for `signal`, saving the interrupted
/// state in a signal frame on the user stack: the registers, the blocked
/// mask and the x87/SSE state. The handler starts with a clean x87/SSE
/// state (as a new program), so whatever it does to those registers, and
/// whatever the interrupted code left there (an unmasked exception
/// pending, say), stays apart until `sigreturn`.
fn enter_handler(frame: &mut TrapFrame, signal: Signal, action: &SigAction) -> Result<(), Errno> {
    let frame_size = (core::mem::size_of::<SignalFrame>() as u64 + 15) & !15;
    // Skip a red zone's worth below the interrupted stack pointer; the
    // handler starts as if called (rsp + 8 aligned to 16).
    let base = (frame.rsp.wrapping_sub(128 + frame_size) & !15).wrapping_sub(8);
    let mut interrupted_fpu = FxsaveArea::default();
    fpu::save(&mut interrupted_fpu);
    process::with_current(|process| {
        let saved_mask = process.signals.enter_handler(signal, action);
        let head = SignalFrameHead {
            return_address: action.restorer,
            signal: u64::from(signal.number()),
            saved_mask,
            magic: SIGNAL_FRAME_MAGIC,
            registers: frame.saved_registers(),
        };
        vm::write_user(process, base, &head)?;
        vm::copy_to_user(
            process,
            base.wrapping_add(SIGNAL_FRAME_FPU_OFFSET as u64),
            &interrupted_fpu.0.bytes,
        )
    })?;
    fpu::load_initial();
    frame.enter_handler(action.handler, base, u64::from(signal.number()));
    Ok(())
}

/// Returns from a signal handler: restores the state saved when it was
/// entered. A forged or unreadable frame kills the process with SIGSEGV.
pub fn sigreturn(frame: &mut TrapFrame) -> u64 {
    debug_assert_eq!(frame.vector, SYSCALL_VECTOR);
    let base = frame.rsp.wrapping_sub(8);
    let mut fpu_state = FxsaveArea::default();
    let restored = process::with_current(|process| {
        let head: SignalFrameHead = vm::read_user(process, base).ok()?;
        let registers = head.registers;
        let valid = head.magic == SIGNAL_FRAME_MAGIC
            && registers.rip < USER_END
            && registers.rsp < USER_END;
        if !valid {
            return None;
        }
        vm::copy_from_user(
            process,
            base.wrapping_add(SIGNAL_FRAME_FPU_OFFSET as u64),
            &mut fpu_state.0.bytes,
        )
        .ok()?;
        let _ = process.signals.change_blocked(SIG_SETMASK, head.saved_mask);
        Some(registers)
    });
    let Some(registers) = restored else {
        exit_current(ExitInfo {
            status: 0,
            signal: Some(Signal::SIGSEGV),
        });
    };
    // Whatever the frame holds now is the program's own state; `load`
    // clears the MXCSR bits that would make the restore fault.
    fpu::load(&mut fpu_state);
    frame.restore_user_registers(&registers);
    registers.rax
}
