//! The scheduler: round robin over ready processes, system services before
//! programs (`kernel_core::run_queue`), preemption by the timer or by a
//! service becoming ready, blocking and waking.
//!
//! The kernel never preempts itself: it runs with interrupts disabled and
//! switches only at well-defined points ([`schedule`]). A process in user
//! mode is preempted when its time slice ends: the timer marks that a
//! switch is due, and the return-to-user path yields.

use crate::arch::{context, gdt, paging, syscall_entry};
use crate::process::{self, Block, CONTEXTS, State, Wake};
use crate::sync::IrqLock;
use crate::time;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel_abi::Pid;
use kernel_core::run_queue::{Class, RunQueue};

/// Timer ticks in a time slice.
pub const SLICE_TICKS: u32 = 10;

static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
static LAST_SWITCH_NS: AtomicU64 = AtomicU64::new(0);
static RUN_QUEUE: IrqLock<RunQueue> = IrqLock::new("run queue", RunQueue::new());

fn class_of(privileged: bool) -> Class {
    if privileged {
        Class::Service
    } else {
        Class::Program
    }
}

/// Queues `pid`. A service made ready while a program runs preempts it at
/// its next return to user mode.
fn enqueue(pid: Pid, class: Class) {
    RUN_QUEUE.with(|queue| queue.push(pid, class));
    if class == Class::Service {
        let running = current();
        let running_program = running != 0
            && process::with_table(|table| table.get(running).is_some_and(|p| !p.privileged));
        if running_program {
            NEED_RESCHED.store(true, Ordering::Relaxed);
        }
    }
}
/// Sleepers by (deadline, pid).
static SLEEPERS: IrqLock<BTreeSet<(u64, Pid)>> = IrqLock::new("sleepers", BTreeSet::new());

/// The running process (0: none, the idle loop); the process table keeps
/// it, so that the table needs nothing from the scheduler.
pub use crate::process::current;

/// Makes `pid` ready and queues it (a frozen process is queued when it
/// thaws).
pub fn make_ready(pid: Pid) {
    let queued = process::with_table(|table| match table.get_mut(pid) {
        Some(process) if process.state != State::Zombie => {
            process.state = State::Ready;
            (!process.frozen).then_some(class_of(process.privileged))
        }
        _ => None,
    });
    if let Some(class) = queued {
        enqueue(pid, class);
    }
}

/// Wakes `pid` if it is blocked; returns whether it was.
pub fn wake(pid: Pid, why: Wake) -> bool {
    let woken = process::with_table(|table| match table.get_mut(pid) {
        Some(process) if matches!(process.state, State::Blocked(_)) => {
            if let State::Blocked(Block::Sleep(deadline)) = process.state {
                SLEEPERS.with(|sleepers| sleepers.remove(&(deadline, pid)));
            }
            process.state = State::Ready;
            process.wake = Some(why);
            Some((!process.frozen).then_some(class_of(process.privileged)))
        }
        _ => None,
    });
    if let Some(Some(class)) = woken {
        enqueue(pid, class);
    }
    woken.is_some()
}

/// Stops `pid` from being scheduled until [`thaw`] (an event about it is
/// in flight).
pub fn freeze(pid: Pid) {
    process::with_table(|table| {
        if let Some(process) = table.get_mut(pid) {
            process.frozen = true;
        }
    });
}

/// Lets a frozen `pid` be scheduled again.
pub fn thaw(pid: Pid) {
    let queue = process::with_table(|table| match table.get_mut(pid) {
        Some(process) if process.frozen => {
            process.frozen = false;
            (process.state == State::Ready).then_some(class_of(process.privileged))
        }
        _ => None,
    });
    if let Some(class) = queue {
        enqueue(pid, class);
    }
}

/// If the running process is frozen, switches away until it thaws.
pub fn wait_while_frozen() {
    while process::with_current(|process| {
        if process.frozen {
            process.state = State::Ready;
        }
        process.frozen
    }) {
        schedule();
    }
}

/// Blocks the running process until [`wake`]; returns why it woke.
pub fn block_current(block: Block) -> Wake {
    let pid = current();
    process::with_current(|process| {
        process.state = State::Blocked(block);
        process.wake = None;
    });
    if let Block::Sleep(deadline) = block {
        SLEEPERS.with(|sleepers| sleepers.insert((deadline, pid)));
    }
    schedule();
    process::with_current(|process| process.wake.take()).unwrap_or(Wake::Done)
}

/// Puts the running process at the back of the queue and runs the next.
pub fn yield_current() {
    let pid = current();
    if pid != 0 {
        make_ready(pid);
    }
    schedule();
}

/// Whether the return-to-user path should yield.
pub fn switch_due() -> bool {
    NEED_RESCHED.load(Ordering::Relaxed)
}

/// Timer tick: wakes sleepers whose time came and accounts the running
/// process's time slice.
pub fn tick(now_ns: u64) {
    loop {
        let due = SLEEPERS.with(|sleepers| match sleepers.first() {
            Some(&(deadline, pid)) if deadline <= now_ns => {
                sleepers.pop_first();
                Some(pid)
            }
            _ => None,
        });
        match due {
            Some(pid) => {
                wake(pid, Wake::Done);
            }
            None => break,
        }
    }
    let pid = current();
    if pid == 0 {
        return;
    }
    let slice_over = process::with_current(|process| {
        process.slice_ticks += 1;
        process.slice_ticks >= SLICE_TICKS
    });
    let class = process::with_current(|process| class_of(process.privileged));
    if slice_over && RUN_QUEUE.with(|queue| queue.has_at_least(class)) {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
}

/// Switches to the next ready process, or to the idle loop if none is
/// ready. The caller has already set the running process's state (Ready and
/// queued, Blocked, Stopped or Zombie). Returns when the caller is
/// switched back to.
pub fn schedule() {
    NEED_RESCHED.store(false, Ordering::Relaxed);
    let next = loop {
        let Some(pid) = RUN_QUEUE.with(|queue| queue.pop()) else {
            break 0;
        };
        let ready = process::with_table(|table| {
            table
                .get(pid)
                .is_some_and(|process| process.state == State::Ready && !process.frozen)
        });
        if ready {
            break pid;
        }
    };
    let previous = current();
    if next == previous {
        if next != 0 {
            // Only reachable when the caller queued itself (yield): it runs on.
            process::with_current(|process| {
                process.state = State::Running;
                process.slice_ticks = 0;
            });
        }
        return;
    }
    switch_to(previous, next);
}

fn switch_to(previous: Pid, next: Pid) {
    let now = time::now_ns();
    let ran_for = now.saturating_sub(LAST_SWITCH_NS.swap(now, Ordering::Relaxed));
    let (previous_slot, next_slot, next_root, next_stack_top) = process::with_table(|table| {
        let previous_slot = match table.get_mut(previous) {
            Some(process) => {
                process.cpu_ns += ran_for;
                process.slot
            }
            None => 0,
        };
        match table.get_mut(next) {
            Some(process) => {
                process.state = State::Running;
                process.slice_ticks = 0;
                let top = process.stack.as_ref().map(|stack| stack.top()).unwrap_or(0);
                // Root 0: a process killed for memory whose page tables are
                // gone (`vm::reclaim`); it runs only the kernel's exit path.
                let root = match process.root {
                    0 => paging::kernel_root(),
                    root => root,
                };
                (previous_slot, process.slot, root, top)
            }
            None => (previous_slot, 0, paging::kernel_root(), 0),
        }
    });
    let (Some(from), Some(to)) = (CONTEXTS.get(previous_slot), CONTEXTS.get(next_slot)) else {
        // Slots are 0..=MAX_PROCESSES by construction (`Table::reserve`,
        // and `CONTEXTS` has one more entry than processes): a slot out of
        // range is a kernel bug, logged; the running context goes on.
        crate::klog!(
            Error,
            "context slot {previous_slot} or {next_slot} is out of range"
        );
        return;
    };
    process::set_current(next);
    if next != 0 {
        gdt::set_kernel_stack(x86_64::VirtAddr::new(next_stack_top));
        syscall_entry::set_kernel_stack(next_stack_top);
    }
    if !paging::activate(next_root) {
        // Cannot happen: a process keeps its root until it is reaped. Were
        // it to, the process gets no user mappings at all (it faults)
        // rather than the previous process's.
        paging::activate(paging::kernel_root());
        crate::klog!(
            Error,
            "pid {next} has no live address space (root {next_root:#x})"
        );
    }
    context::switch_context(from, to);
    // Back on this context's stack: slots of processes that ended on their
    // own stacks can go now.
    release_dead();
}

/// Processes that ended and were collected, whose slots go at the next
/// switch (their own kernel stacks were running when they ended).
static DEAD: IrqLock<Vec<Pid>> = IrqLock::new("dead", Vec::new());

/// Frees the slot of `pid`, which ended and was collected, once the
/// scheduler has switched away from it (its kernel stack is the one
/// running now).
pub fn release_after_switch(pid: Pid) {
    DEAD.with(|dead| dead.push(pid));
}

/// Frees the slots of processes that ended while running (after a switch,
/// on another stack).
fn release_dead() {
    while let Some(pid) = DEAD.with(|dead| dead.pop()) {
        release(pid);
    }
}

/// Frees the slot of an ended process whose status was collected (MINIX's
/// `cleanup`): it leaves the table and the queues, its kernel stack goes.
pub fn release(pid: Pid) {
    let Some(mut process) = process::with_table(|table| table.remove(pid)) else {
        return;
    };
    forget(pid);
    if let Some(stack) = process.stack.take() {
        stack.release();
    }
    crate::report::reaped(pid);
}

/// Whether any process is waiting for the CPU.
pub fn anything_ready() -> bool {
    RUN_QUEUE.with(|queue| !queue.is_empty())
}

/// Forgets a process that is gone (reaped): it may still sit in the queues.
pub fn forget(pid: Pid) {
    RUN_QUEUE.with(|queue| queue.remove(pid));
    SLEEPERS.with(|sleepers| sleepers.retain(|&(_, sleeper)| sleeper != pid));
}
