//! Signal calls: kill, sigaction, sigprocmask (sigreturn is in `pm`).

use super::Args;
use crate::arch::paging::USER_END;
use crate::{process, sched, vm};
use kernel_abi::signal::{SIG_DFL, SIG_IGN, SigAction};
use kernel_abi::{Errno, Signal};

fn signal_number(number: u64) -> Result<Signal, Errno> {
    Signal::from_number(number).ok_or(Errno::EINVAL)
}

/// `kill(pid, signal)`.
///
/// A signal to init that init does not catch and that would end or stop
/// it is discarded (the call succeeds); see [`crate::signal::send_signal`].
///
/// # Return values
/// `EINVAL` for an unknown signal and for SIGKILL to init (as MINIX's
/// `check_sig`), `ESRCH` for no such process (one that is exiting or a
/// zombie is still there: OK, as MINIX), `EPERM` when an ordinary program
/// signals a system service. Signal 0 checks existence.
pub fn kill(args: Args) -> Result<u64, Errno> {
    let [pid, number, ..] = args;
    let target = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    if number == 0 {
        // POSIX and MINIX: signal 0 only checks that the process exists
        // (an exiting one or a zombie does).
        return exists(target);
    }
    let signal = signal_number(number)?;
    if target == 0 {
        return Err(Errno::ESRCH);
    }
    let sender = sched::current();
    // An ordinary program may not signal a system service (the host's
    // commands, which come from the operator, may).
    let refused = process::with_table(|table| {
        let privileged = |pid| table.get(pid).is_some_and(|process| process.privileged);
        privileged(target) && !privileged(sender)
    });
    if refused {
        return Err(Errno::EPERM);
    }
    crate::signal::send_signal(sender, target, signal).map(|()| 0)
}

/// `kill(pid, 0)`: 0 if `pid` is in the process table.
fn exists(target: u32) -> Result<u64, Errno> {
    let found = target != 0 && process::with_table(|table| table.get(target).is_some());
    if found { Ok(0) } else { Err(Errno::ESRCH) }
}

/// `sigaction(signal, new, old)`: either pointer may be null.
///
/// # Return values
/// `EINVAL` for an unknown signal, SIGKILL/SIGSTOP, or a handler outside
/// user space; `EFAULT` for bad pointers.
pub fn sigaction(args: Args) -> Result<u64, Errno> {
    let [number, new_address, old_address, ..] = args;
    let signal = signal_number(number)?;
    process::with_current(|process| {
        let new = if new_address != 0 {
            Some(vm::read_user::<SigAction>(process, new_address)?)
        } else {
            None
        };
        if let Some(action) = new {
            let is_handler = action.handler != SIG_DFL && action.handler != SIG_IGN;
            if is_handler
                && (action.handler >= USER_END
                    || action.restorer >= USER_END
                    || action.restorer == 0)
            {
                return Err(Errno::EINVAL);
            }
        }
        let old = process.signals.action(signal);
        if old_address != 0 {
            vm::write_user(process, old_address, &old)?;
        }
        if let Some(action) = new {
            process.signals.set_action(signal, action)?;
        }
        Ok(0)
    })
}

/// `sigprocmask(how, mask, old)`: changes the blocked set; `old` may be null.
///
/// # Return values
/// `EINVAL` for an unknown `how`, `EFAULT` for a bad `old` pointer.
pub fn sigprocmask(args: Args) -> Result<u64, Errno> {
    let [how, mask, old_address, ..] = args;
    process::with_current(|process| {
        if old_address != 0 && !process.vm.check_range(old_address, 8, true) {
            return Err(Errno::EFAULT);
        }
        let old = process.signals.change_blocked(how, mask)?;
        if old_address != 0 {
            vm::write_user(process, old_address, &old)?;
        }
        Ok(0)
    })
}
