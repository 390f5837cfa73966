//! The process manager: starting, forking, ending, reaping and signalling
//! processes, with process events published to subscribed services (see
//! `events.rs`) where MINIX publishes them. The rules are MINIX 3's
//! (`servers/pm/{forkexit,signal,event}.c`); DEVIATIONS.md lists where
//! they still differ.
//!
//! Every death goes the same way, on the dying process's own kernel stack:
//! a fatal signal only marks the process and wakes it; when it next heads
//! back to user mode it finds the signal and calls [`exit_current`], which
//! records the exit, makes it a zombie its parent may collect at once
//! (MINIX's `exit_proc`), publishes EXIT and waits (stopped) for every
//! subscriber's ack, then frees its memory (MINIX's `exit_restart`) and
//! switches away for good. Its slot goes once the parent has also collected
//! the status.
//!
//! A caught signal publishes SIGNAL when it must interrupt a process that
//! is not paused in `wait` and not already unpaused (MINIX's `unpause`);
//! the target stays stopped until the last ack and then takes every
//! pending signal on its way back to user mode. A new process publishes
//! SPAWN before it first runs. Posting a signal is `signal.rs`'s.

use crate::arch::context::{self, FpuStart};
use crate::arch::fpu;
use crate::arch::frame::TrapFrame;
use crate::arch::paging::{self, USER_END};
use crate::events;
use crate::files;
use crate::ipc;
use crate::kstack::KernelStack;
use crate::loader;
use crate::process::{self, Block, CONTEXTS, ExitInfo, Process, State, Wake};
use crate::report;
use crate::sched;
use crate::signal::send_signal;
use crate::user_abi::SignalFrameHead;
use crate::vm;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kernel_abi::signal::{
    FxsaveArea, SIG_SETMASK, SIGNAL_FRAME_FPU_OFFSET, SIGNAL_FRAME_MAGIC, SigAction, SignalFrame,
};
use kernel_abi::{Errno, Pid, Signal, USER_STACK_TOP};
use kernel_core::events::EventKind;
use kernel_core::signals::Disposition;

/// Longest argument block of a new program.
pub const MAX_ARGS_BYTES: usize = 1024;

/// Starts the boot programs of the archive. The first that is not a
/// system service becomes init and, as MINIX's `INIT_PID`, pid 1: it is
/// started first; the others follow in image order with pids from 2.
/// Nothing runs before all are started.
pub fn start_boot_programs() {
    let entries = files::boot_entries();
    let init = entries.iter().position(|entry| !entry.privileged);
    let order = init
        .into_iter()
        .chain((0..entries.len()).filter(|&index| Some(index) != init));
    for index in order {
        let Some(entry) = entries.get(index) else {
            continue;
        };
        let args: Vec<&str> = entry.args.iter().map(String::as_str).collect();
        let label = entry.label.as_deref();
        match spawn(0, &entry.program, &args, entry.privileged, label) {
            Ok(pid) => {
                if Some(index) == init {
                    process::with_table(|table| table.init = pid);
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
        // MINIX's fork: PRIV_PROC is not inherited.
        child.privileged = false;
        child.creds = parent.creds;
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
///
/// As MINIX's `exit_proc` and `exit_restart`: a normal exit makes the
/// process a zombie at once (its parent's `wait` may return now) and gives
/// its children to init; then EXIT is published and the process waits,
/// stopped, for every subscriber's ack; only then are its memory and slot
/// released (the slot when its parent has also collected the status). A
/// death by a core-dumping signal tells the parent only after the event,
/// as MINIX does for core dumps.
#[allow(
    clippy::unreachable,
    reason = "invariant: a zombie is never made ready again, so the switch away never returns"
)]
pub fn exit_current(info: ExitInfo) -> ! {
    let pid = sched::current();
    let dump_core = process::with_current(|process| {
        process.exit = Some(info);
        process.vm.flags.exiting = true;
        process.unpaused = false;
        info.signal.is_some_and(dumps_core) && !process.privileged
    });
    report::exited(pid, info.status, info.signal);
    // A dying subscriber leaves the table first: the processes waiting on
    // it move on (a rule of ARCHITECTURE.md's process events).
    events::subscriber_gone(pid);
    if !dump_core {
        zombify(pid);
    }
    disinherit(pid);
    events::publish(pid, EventKind::Exit);
    sched::wait_while_frozen();
    ipc::forget(pid);
    exit_restart(pid);
    sched::schedule();
    unreachable!("a zombie was scheduled");
}

/// MINIX's `core_sigs`: the signals whose default action dumps core.
fn dumps_core(signal: Signal) -> bool {
    matches!(
        signal,
        Signal::SIGQUIT
            | Signal::SIGILL
            | Signal::SIGTRAP
            | Signal::SIGABRT
            | Signal::SIGFPE
            | Signal::SIGBUS
            | Signal::SIGSEGV
    )
}

/// Lets the parent collect `pid`'s exit status (MINIX's `zombify` and
/// `check_parent`): a parent waiting for it is woken, any other gets
/// SIGCHLD.
fn zombify(pid: Pid) {
    process::with_table(|table| {
        if let Some(process) = table.get_mut(pid) {
            process.zombified = true;
        }
    });
    tell_parent(pid);
}

/// Tells `child`'s parent that the child has ended (MINIX's
/// `check_parent`).
fn tell_parent(child: Pid) {
    let (parent, waiting, alive) = process::with_table(|table| {
        let parent = table.get(child).map_or(0, |process| process.parent);
        match table.get(parent) {
            Some(process) => {
                let waiting = process.state == State::Blocked(Block::Child)
                    && process
                        .waiting_for
                        .is_some_and(|wanted| wanted == -1 || wanted == i64::from(child));
                (parent, waiting, process.is_alive())
            }
            None => (parent, false, false),
        }
    });
    if waiting {
        sched::wake(parent, Wake::Done);
    } else if alive {
        let _ = send_signal(child, parent, Signal::SIGCHLD);
    }
}

/// Gives the children of the exiting `pid` to init; init learns at once of
/// those that have already ended.
fn disinherit(pid: Pid) {
    let ended: Vec<Pid> = process::with_table(|table| {
        let init = table.init;
        table
            .iter_mut()
            .filter(|child| child.parent == pid)
            .filter_map(|child| {
                child.parent = init;
                (child.zombified && !child.told_parent).then_some(child.pid)
            })
            .collect()
    });
    for child in ended {
        tell_parent(child);
    }
}

/// The second half of an exit, after the EXIT event (MINIX's
/// `exit_restart`), on the exiting process's own stack: frees its memory,
/// tells the parent if that was put off (a core-dumping signal), and hands
/// the slot back if the parent has already collected the status.
#[allow(
    clippy::expect_used,
    reason = "invariant: called for the exiting process, in the table with its exit recorded"
)]
fn exit_restart(pid: Pid) {
    paging::activate(paging::kernel_root());
    let (zombified, init, info) = process::with_table(|table| {
        let init = table.init;
        let process = table.get_mut(pid).expect("the exiting process exists");
        vm::teardown(process);
        process.vm.flags.in_use = false;
        process.state = State::Zombie;
        let info = process.exit.expect("exit recorded");
        (process.zombified, init, info)
    });
    if !zombified {
        zombify(pid);
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
    let collected = process::with_table(|table| table.get(pid).is_some_and(|p| p.told_parent));
    if collected {
        // Its kernel stack is the one running: the slot goes once the
        // scheduler has switched away (`sched::release_after_switch`).
        sched::release_after_switch(pid);
    }
}

/// Waits for a child of the running process: `pid` -1 for any. Returns the
/// child and how it ended, or `None` if `no_hang` and none has ended.
///
/// As MINIX's `wait4`: a child is collected as soon as it is a zombie,
/// even while its EXIT event is still in flight; its slot goes once both
/// are done.
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
                process.parent == me
                    && !process.told_parent
                    && (pid == -1 || i64::from(process.pid) == pid)
            };
            let zombie = table
                .iter()
                .filter(matches)
                .find(|process| process.zombified)
                .map(|p| p.pid);
            match zombie {
                Some(zombie) => {
                    let child = table.get_mut(zombie).expect("just found");
                    child.told_parent = true;
                    let info = child.exit.expect("a zombie has an exit");
                    Ok(Some((zombie, info, child.state == State::Zombie)))
                }
                None if table.iter().any(|process| matches(&process)) => Ok(None),
                None => Err(Errno::ECHILD),
            }
        })?;
        if let Some((child, info, torn_down)) = found {
            if torn_down {
                sched::release(child);
            }
            return Ok(Some((child, info)));
        }
        if no_hang {
            return Ok(None);
        }
        process::with_current(|process| process.waiting_for = Some(pid));
        let woke = sched::block_current(Block::Child);
        process::with_current(|process| process.waiting_for = None);
        if woke == Wake::Interrupted {
            return Err(Errno::EINTR);
        }
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
        process.forced_signals |= signal.mask();
    });
}

/// Whether the running process is init. A signal about to take a default
/// action that would end or stop init, sent rather than caused by init's
/// own fault, is discarded at delivery as well as when it is sent
/// ([`send_signal`]): init may restore a default action while such a
/// signal is pending (a one-shot handler, or a handler unset while the
/// signal is blocked).
fn current_is_init() -> bool {
    let pid = sched::current();
    process::with_table(|table| table.init != 0 && table.init == pid)
}

/// Work due before the running process returns to user mode with `frame`:
/// staying stopped while an event about it is in flight, a pending switch,
/// then pending signals, SIGKILL first, then by number (which may end it,
/// stop it, or set up handlers).
///
/// A caught signal needs the process unpaused first (MINIX's `unpause`):
/// if it is not, SIGNAL is published and the signal waits for the event.
/// Once unpaused, every pending signal it can take is delivered without
/// another event (MINIX's `check_pending` after `restart_sigs`); handlers
/// set up one after another nest, so the last one set up runs first. The
/// process is unpaused until it resumes user mode.
pub fn on_return_to_user(frame: &mut TrapFrame) {
    // The common case in one look at the process: not frozen, no switch
    // due, no signal deliverable; exactly what one turn of the loop below
    // would find before returning.
    if !sched::switch_due()
        && process::with_current(|process| {
            let quiet = !process.frozen && process.signals.pending & !process.signals.blocked == 0;
            if quiet {
                process.unpaused = false;
            }
            quiet
        })
    {
        return;
    }
    loop {
        sched::wait_while_frozen();
        if sched::switch_due() {
            sched::yield_current();
        }
        let (next, unpaused, forced) = process::with_current(|process| {
            let next = process.signals.take_deliverable();
            let mut forced = false;
            if let Some((signal, _)) = next {
                forced = process.forced_signals & signal.mask() != 0;
                process.forced_signals &= !signal.mask();
            }
            (next, process.unpaused, forced)
        });
        match next {
            None => {
                process::with_current(|process| process.unpaused = false);
                return;
            }
            Some((signal, Disposition::Terminate | Disposition::Stop))
                if !forced && current_is_init() =>
            {
                crate::klog!(
                    Info,
                    "init: pending {} discarded (its default action would end or stop init)",
                    signal.name()
                );
            }
            Some((signal, Disposition::Terminate)) => exit_current(ExitInfo {
                status: 0,
                signal: Some(signal),
            }),
            Some((_, Disposition::Stop)) => {
                process::with_current(|process| process.state = State::Stopped);
                sched::schedule();
            }
            Some((_, Disposition::Continue | Disposition::Ignore)) => {}
            Some((signal, Disposition::Catch(action))) if unpaused => {
                if enter_handler(frame, signal, &action).is_err() {
                    exit_current(ExitInfo {
                        status: 0,
                        signal: Some(Signal::SIGSEGV),
                    });
                }
                report::handler_started(sched::current(), signal);
            }
            Some((signal, Disposition::Catch(_))) => {
                process::with_current(|process| {
                    process.signals.pending |= signal.mask();
                    process.unpaused = true;
                });
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
    // The frame's stack pages may be out (swapped, or never touched):
    // bring them in now, where the out-of-memory rule may still free a
    // frame, rather than fail the copy below.
    crate::oom::bring_in(sched::current(), base, frame_size, true);
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
    // No assertion on `frame.vector`: a system call run from a page fault
    // at LSTAR (`trap::syscall_from_lstar_fault`, which any program can
    // reach) has the page-fault vector, and a debug kernel must not panic
    // on it.
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
