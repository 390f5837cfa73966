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

use crate::arch::context;
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
use crate::vm;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kernel_abi::signal::{SIG_SETMASK, SIGNAL_FRAME_MAGIC, SavedRegisters, SigAction, SignalFrame};
use kernel_abi::{Errno, Pid, Signal, USER_STACK_TOP};
use kernel_core::events::EventKind;
use kernel_core::signals::{Disposition, Posted};

/// User code and data selectors (see `gdt`).
const USER_CODE: u64 = 0x23;
const USER_DATA: u64 = 0x1b;
/// RFLAGS of a fresh user context: interrupts on.
const USER_RFLAGS: u64 = 0x202;
/// RFLAGS bits a program may set through `sigreturn`.
const USER_SETTABLE_RFLAGS: u64 = 0xCD5;
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
    let frame = TrapFrame {
        rip: program.entry,
        cs: USER_CODE,
        rflags: USER_RFLAGS,
        rsp: args_address - 8,
        ss: USER_DATA,
        rdi: args_address,
        rsi: packed.len() as u64,
        ..TrapFrame::default()
    };
    let stack_top = stack.top();
    let mut process = Process::new(
        pid,
        parent,
        label.unwrap_or(name).to_string(),
        slot,
        root,
        program.vm,
    );
    process.privileged = privileged;
    // A spawned program runs as its parent; the boot image's processes
    // (parent 0) as root.
    process.creds =
        process::with_table(|table| table.get(parent).map(|p| p.creds)).unwrap_or_default();
    process.stack = Some(stack);
    for file in vm::files_of(&process.vm) {
        crate::cache::add_user(file);
    }
    if let Err(error) = vm::copy_to_user(&mut process, args_address, &packed) {
        discard(process);
        return Err(error);
    }
    context::prepare_stack(&CONTEXTS[slot], stack_top, &frame);
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
    crate::memory::with_frames(|frames| {
        paging::free_user_tables(root, &mut |frame| {
            let _ = frames.free(frame);
        })
    });
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
    let stack_top = stack.top();
    let parent_pid = sched::current();
    let child = process::with_table(|table| {
        let parent = table.get_mut(parent_pid).expect("the caller exists");
        let vm = match vm::fork_into(parent, root) {
            Ok(vm) => vm,
            Err(error) => return Err((error, stack)),
        };
        let mut child = Process::new(pid, parent_pid, parent.name.clone(), slot, root, vm);
        child.privileged = parent.privileged;
        child.creds = parent.creds;
        child.stack = Some(stack);
        child.signals = parent.signals.fork_copy();
        Ok(child)
    });
    let child = match child {
        Ok(child) => child,
        Err((error, stack)) => {
            release_parts(slot, stack, root);
            return Err(error);
        }
    };
    let name = child.name.clone();
    let mut child_frame = *frame;
    child_frame.rax = 0;
    context::prepare_stack(&CONTEXTS[slot], stack_top, &child_frame);
    process::with_table(|table| table.insert(child));
    report::spawned(pid, parent_pid, &name);
    events::publish(pid, EventKind::Spawn);
    sched::make_ready(pid);
    Ok(pid)
}

/// Ends the running process. Never returns.
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
/// # Return values
/// `ESRCH` if the target does not exist or has already exited.
pub fn send_signal(sender: Pid, target: Pid, signal: Signal) -> Result<(), Errno> {
    let (posted, disposition, state, catch_now) = process::with_table(|table| {
        let process = table
            .get_mut(target)
            .filter(|process| process.is_alive())
            .ok_or(Errno::ESRCH)?;
        let posted = process.signals.post(signal);
        let disposition = process.signals.disposition(signal);
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
/// state in a signal frame on the user stack.
fn enter_handler(frame: &mut TrapFrame, signal: Signal, action: &SigAction) -> Result<(), Errno> {
    let frame_size = (core::mem::size_of::<SignalFrame>() as u64 + 15) & !15;
    // Skip a red zone's worth below the interrupted stack pointer; the
    // handler starts as if called (rsp + 8 aligned to 16).
    let base = (frame.rsp.wrapping_sub(128 + frame_size) & !15).wrapping_sub(8);
    process::with_current(|process| {
        let saved_mask = process.signals.enter_handler(signal, action);
        let signal_frame = SignalFrame {
            return_address: action.restorer,
            signal: u64::from(signal.number()),
            saved_mask,
            magic: SIGNAL_FRAME_MAGIC,
            registers: saved_registers(frame),
        };
        vm::write_user(process, base, &signal_frame)
    })?;
    frame.rip = action.handler;
    frame.rsp = base;
    frame.rdi = u64::from(signal.number());
    frame.rflags &= !(0x400 | 0x100);
    Ok(())
}

fn saved_registers(frame: &TrapFrame) -> SavedRegisters {
    SavedRegisters {
        rax: frame.rax,
        rbx: frame.rbx,
        rcx: frame.rcx,
        rdx: frame.rdx,
        rsi: frame.rsi,
        rdi: frame.rdi,
        rbp: frame.rbp,
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rip: frame.rip,
        rsp: frame.rsp,
        rflags: frame.rflags,
    }
}

/// Returns from a signal handler: restores the state saved when it was
/// entered. A forged or unreadable frame kills the process with SIGSEGV.
pub fn sigreturn(frame: &mut TrapFrame) -> u64 {
    debug_assert_eq!(frame.vector, SYSCALL_VECTOR);
    let base = frame.rsp.wrapping_sub(8);
    let restored = process::with_current(|process| {
        let signal_frame: SignalFrame = vm::read_user(process, base).ok()?;
        let registers = signal_frame.registers;
        let valid = signal_frame.magic == SIGNAL_FRAME_MAGIC
            && registers.rip < USER_END
            && registers.rsp < USER_END;
        if !valid {
            return None;
        }
        let _ = process
            .signals
            .change_blocked(SIG_SETMASK, signal_frame.saved_mask);
        Some(registers)
    });
    let Some(registers) = restored else {
        exit_current(ExitInfo {
            status: 0,
            signal: Some(Signal::SIGSEGV),
        });
    };
    frame.rax = registers.rax;
    frame.rbx = registers.rbx;
    frame.rcx = registers.rcx;
    frame.rdx = registers.rdx;
    frame.rsi = registers.rsi;
    frame.rdi = registers.rdi;
    frame.rbp = registers.rbp;
    frame.r8 = registers.r8;
    frame.r9 = registers.r9;
    frame.r10 = registers.r10;
    frame.r11 = registers.r11;
    frame.r12 = registers.r12;
    frame.r13 = registers.r13;
    frame.r14 = registers.r14;
    frame.r15 = registers.r15;
    frame.rip = registers.rip;
    frame.rsp = registers.rsp;
    frame.rflags = (registers.rflags & USER_SETTABLE_RFLAGS) | 0x202;
    frame.cs = USER_CODE;
    frame.ss = USER_DATA;
    registers.rax
}
