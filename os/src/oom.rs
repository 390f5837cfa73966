//! The out-of-memory rule: what the kernel does when a page fault finds no
//! frame (or kernel heap) left, or a process thrashes.
//!
//! 1. A process that is already exiting but still holds memory (its EXIT
//!    event waits for subscribers' acks) gives it up first: its memory is
//!    reclaimed at once, nobody new dies.
//! 2. Otherwise the victim is the ordinary process with the largest
//!    resident set (`vm_total`), whichever process faulted. System services
//!    (privileged) and init are never chosen. (The choice is
//!    `kernel_core::vm::oom::choose`, host-tested.)
//! 3. The victim's memory (frames, swap slots, its hold on cached program
//!    pages and shared objects) is reclaimed at kill time, not after its
//!    EXIT event completes: the subscribers that handle that event may
//!    themselves need memory, and waiting on them would deadlock. Only its
//!    slot, page tables and counters stay until it exits; it gets SIGKILL
//!    and dies the usual way (EXIT event, acks, zombie, reaped), never
//!    running in user mode again.
//! 4. The faulting process retries; if it was the victim, or nobody else
//!    may be taken (a service faulting when no ordinary process holds
//!    memory, or 8 victims did not help), it is killed with SIGKILL
//!    itself, its memory reclaimed at once all the same.
//!
//! Each kill is reported as a page-fault `UserFault` with SIGKILL at the
//! victim (the host's `oom_kills`) and a warning log line naming the
//! victim, its resident pages and the reason.

use crate::vm::{self, FaultError};
use crate::{pageout, process, report, sched, signal};
use kernel_abi::{Pid, Signal};
use kernel_core::vm::Access;
use kernel_core::vm::oom::{Candidate, Choice, choose};
use kernel_core::vm::pressure::THRASH_REFAULTS;

/// Victims one fault may claim before the faulting process itself dies.
const MAX_VICTIMS: usize = 8;

/// The page-fault vector (the host counts page-fault SIGKILLs as OOM kills).
const PAGE_FAULT: u8 = 14;

/// Why the rule was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// A fault found no frame or heap left.
    NoMemory,
    /// A process's refault run reached the thrashing mark.
    Thrashing,
}

impl Reason {
    fn text(self) -> &'static str {
        match self {
            Reason::NoMemory => "no memory left for a page fault",
            Reason::Thrashing => "thrashing",
        }
    }
}

/// Whom the rule took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taken {
    /// An exiting process's memory, reclaimed.
    Exiting(Pid),
    /// A live process, reclaimed and killed.
    Killed(Pid),
}

/// Handles a page fault of the running process at `address`: pages out if
/// frames are low, resolves it, and applies the out-of-memory rule when it
/// must. `Err` is the signal the process gets.
pub fn user_fault(address: u64, access: Access) -> Result<(), Signal> {
    let me = sched::current();
    for _ in 0..MAX_VICTIMS {
        pageout::ensure_free_frames();
        let result = process::with_current(|process| vm::resolve(process, address, access, true));
        match result {
            Ok(resolved) => {
                if resolved.thrashing {
                    crate::klog!(
                        Warn,
                        "thrashing: pid {me} reached a thrash score of {THRASH_REFAULTS} (pages evicted moments before came back, with little other progress)"
                    );
                    if apply(Reason::Thrashing, me) == Some(Taken::Killed(me)) {
                        return Err(Signal::SIGKILL);
                    }
                }
                return Ok(());
            }
            Err(FaultError::Segv(_)) => return Err(Signal::SIGSEGV),
            Err(FaultError::Io) => return Err(Signal::SIGBUS),
            Err(FaultError::OutOfMemory) => match apply(Reason::NoMemory, me) {
                Some(Taken::Killed(victim)) if victim == me => return Err(Signal::SIGKILL),
                Some(_) => continue,
                None => break,
            },
        }
    }
    // Nobody else may be taken (or taking them did not help): the faulting
    // process dies, and its memory too goes now, not after its EXIT event.
    let (pages, name) =
        process::with_current(|process| (vm::reclaim(process), process.name.clone()));
    crate::klog!(
        Warn,
        "oom: no memory left for a page fault (pid {me}): killed pid {me} ({name}) itself, {pages} resident pages reclaimed"
    );
    Err(Signal::SIGKILL)
}

/// Brings in the pages of `pid`'s memory in `[address, address + len)`
/// for a copy the kernel is about to make into or out of it (a signal
/// frame on a stack paged out, a reply into a buffer paged out), applying
/// the out-of-memory rule as a page fault of `pid` would when no frame is
/// left for it. Without this, such a copy would fail with EFAULT (a caught
/// signal killing its receiver with SIGSEGV, a reply lost) while an idle
/// process held the memory. Whatever still fails is left for the copy
/// itself to report.
pub fn bring_in(pid: Pid, address: u64, len: u64, write: bool) {
    const PAGE: u64 = 4096;
    let first = address & !(PAGE - 1);
    let last = address.saturating_add(len.max(1) - 1) & !(PAGE - 1);
    let mut page = first;
    loop {
        for _ in 0..MAX_VICTIMS {
            pageout::ensure_free_frames();
            let result = process::with_table(|table| {
                table.get_mut(pid).map(|p| vm::bring_in(p, page, write))
            });
            match result {
                Some(Err(FaultError::OutOfMemory)) => match apply(Reason::NoMemory, pid) {
                    Some(Taken::Killed(victim)) if victim == pid => return,
                    Some(_) => continue,
                    None => return,
                },
                _ => break,
            }
        }
        if page >= last {
            return;
        }
        page += PAGE;
    }
}

/// Applies the rule once, for the running process `me`; returns whom it
/// took (`None`: nobody it may take holds memory).
fn apply(reason: Reason, me: Pid) -> Option<Taken> {
    let taken = process::with_table(|table| {
        let init = table.init;
        let candidates = table.iter().map(|p| Candidate {
            pid: p.pid,
            privileged: p.privileged,
            init: p.pid == init,
            exiting: !p.is_alive(),
            resident: vm::freeable_frames(p),
            records: p.vm.page_records() as u64,
        });
        let (taken, pid) = match choose(candidates)? {
            Choice::Exiting(pid) => (Taken::Exiting(pid), pid),
            Choice::Kill(pid) => (Taken::Killed(pid), pid),
        };
        // A killed victim never runs a handler again: the SIGKILL sent below
        // is taken before any other pending signal (`pm::on_return_to_user`).
        let process = table.get_mut(pid)?;
        let pages = vm::reclaim(process);
        Some((taken, pages, process.name.clone()))
    });
    let Some((taken, pages, name)) = taken else {
        crate::klog!(
            Warn,
            "oom: {} (pid {me}), and no other process may be taken",
            reason.text()
        );
        return None;
    };
    match taken {
        Taken::Exiting(pid) => crate::klog!(
            Warn,
            "oom: {} (pid {me}): reclaimed {pages} resident pages of exiting pid {pid} ({name})",
            reason.text()
        ),
        Taken::Killed(victim) => {
            crate::klog!(
                Warn,
                "oom: {} (pid {me}): killed pid {victim} ({name}), {pages} resident pages reclaimed",
                reason.text()
            );
            if victim != me {
                // The faulting process's own kill is reported by the trap
                // path with its faulting instruction.
                report::cpu_fault(victim, PAGE_FAULT, 0, Signal::SIGKILL);
                let _ = signal::send_signal(0, victim, Signal::SIGKILL);
            }
        }
    }
    Some(taken)
}
