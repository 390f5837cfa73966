//! Signals: sending, catching, ignoring, blocking.
//!
//! The kernel's process manager delivers signals as MINIX's PM does: a
//! caught signal runs its handler on the next return to user mode (and
//! interrupts a blocking call with EINTR); SIGKILL and SIGSTOP cannot be
//! caught; a signal to a process is also an event for services that
//! subscribed (see [`crate::ipc`]).
//!
//! ```no_run
//! use userlib::{Signal, signal, time};
//! extern "C" fn on_usr1(signal: u64) {
//!     userlib::println!("caught signal {signal}");
//! }
//! signal::catch(Signal::SIGUSR1, on_usr1).unwrap();
//! signal::kill(userlib::process::getpid(), Signal::SIGUSR1).unwrap();
//! // A caught signal interrupts a sleep with EINTR.
//! let _ = time::sleep_ms(1000);
//! ```

use crate::SysResult;
use crate::raw::{check, syscall, syscall_plain};
use kernel_abi::signal::{SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SigAction};
use kernel_abi::{Pid, Signal, Syscall};

/// A signal handler: called with the signal number.
pub type Handler = extern "C" fn(u64);

/// Sends `signal` to process `pid`.
///
/// # Errors
/// ESRCH: no such process; EPERM: a system service (which ordinary
/// programs may not signal). MINIX: `kill` (PM_KILL).
pub fn kill(pid: Pid, signal: Signal) -> SysResult<()> {
    check(syscall_plain(
        Syscall::Kill,
        [u64::from(pid), u64::from(signal.number()), 0, 0, 0, 0],
    ))
    .map(|_| ())
}

/// Sends a raw signal number (for testing invalid ones).
pub fn kill_raw(pid: u64, signal: u64) -> SysResult<()> {
    check(syscall_plain(Syscall::Kill, [pid, signal, 0, 0, 0, 0])).map(|_| ())
}

fn set_action(signal: Signal, action: SigAction) -> SysResult<()> {
    // SAFETY: the pointer is to a live `SigAction` the kernel only reads.
    let result = unsafe {
        syscall(
            Syscall::SigAction,
            [
                u64::from(signal.number()),
                &action as *const SigAction as u64,
                0,
                0,
                0,
                0,
            ],
        )
    };
    check(result).map(|_| ())
}

/// Runs `handler` when `signal` arrives.
///
/// # Errors
/// EINVAL: SIGKILL or SIGSTOP. MINIX: `sigaction` (PM_SIGACTION) with a
/// handler; the restorer that calls `sigreturn` is this crate's.
pub fn catch(signal: Signal, handler: Handler) -> SysResult<()> {
    set_action(
        signal,
        SigAction {
            handler: handler as *const () as u64,
            restorer: restorer_address(),
            mask: 0,
        },
    )
}

/// Ignores `signal`.
pub fn ignore(signal: Signal) -> SysResult<()> {
    set_action(
        signal,
        SigAction {
            handler: SIG_IGN,
            restorer: 0,
            mask: 0,
        },
    )
}

/// Restores the default action of `signal`.
pub fn default(signal: Signal) -> SysResult<()> {
    set_action(
        signal,
        SigAction {
            handler: SIG_DFL,
            restorer: 0,
            mask: 0,
        },
    )
}

fn procmask(how: u64, mask: u64) -> SysResult<u64> {
    let mut old = 0u64;
    // SAFETY: the pointer is to a live, writable u64.
    let result = unsafe {
        syscall(
            Syscall::SigProcMask,
            [how, mask, &mut old as *mut u64 as u64, 0, 0, 0],
        )
    };
    check(result).map(|_| old)
}

/// Blocks `signal`; returns the previous blocked mask.
pub fn block(signal: Signal) -> SysResult<u64> {
    procmask(SIG_BLOCK, signal.mask())
}

/// Unblocks `signal`; returns the previous blocked mask.
pub fn unblock(signal: Signal) -> SysResult<u64> {
    procmask(SIG_UNBLOCK, signal.mask())
}

/// Replaces the blocked mask; returns the previous one.
pub fn set_blocked(mask: u64) -> SysResult<u64> {
    procmask(SIG_SETMASK, mask)
}

/// Address of the code a handler returns to: it calls `sigreturn`.
fn restorer_address() -> u64 {
    #[cfg(target_os = "none")]
    {
        signal_restorer as *const () as u64
    }
    #[cfg(not(target_os = "none"))]
    {
        0
    }
}

/// Where signal handlers return: asks the kernel to restore the interrupted
/// state. Never returns.
#[cfg(target_os = "none")]
#[unsafe(naked)]
extern "C" fn signal_restorer() -> ! {
    core::arch::naked_asm!(
        "mov eax, {sigreturn}",
        "syscall",
        "ud2",
        sigreturn = const Syscall::SigReturn as u64,
    )
}
