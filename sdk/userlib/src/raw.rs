//! The `syscall` instruction. Everything else in this crate builds on
//! [`syscall`]; see `kernel_abi` for the calling convention.

use kernel_abi::{Errno, Syscall};

/// Makes system call `number` with up to six arguments; returns the raw
/// result (`-errno` on failure).
///
/// # Safety
/// The arguments must be valid for the call: any pointer must point to
/// memory the call may read or write for the given length. (The kernel
/// checks them and fails with EFAULT rather than crash, but it may write
/// through a valid pointer that Rust considers immutable.)
#[inline(always)]
pub unsafe fn syscall(number: Syscall, args: [u64; 6]) -> i64 {
    // SAFETY: the caller's contract is this function's.
    unsafe { syscall_number(number as u64, args) }
}

/// Makes system call `number` given as a raw number, which need not be a
/// call of the ABI (to test that unknown numbers fail with ENOSYS); returns
/// the raw result. [`syscall`] is this with a number of the ABI.
///
/// # Safety
/// As for [`syscall`]: if `number` names a call, the arguments must be
/// valid for it.
#[inline(always)]
pub unsafe fn syscall_number(number: u64, args: [u64; 6]) -> i64 {
    #[cfg(target_arch = "x86_64")]
    {
        let result: i64;
        // SAFETY: the kernel preserves every register but rax (the result),
        // rcx and r11 (clobbered by `syscall`), declared here; memory
        // effects are the caller's contract.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") number as i64 => result,
                in("rdi") args[0],
                in("rsi") args[1],
                in("rdx") args[2],
                in("r10") args[3],
                in("r8") args[4],
                in("r9") args[5],
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        result
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (number, args);
        Errno::ENOSYS.as_return()
    }
}

/// Makes a system call that takes no pointers.
pub fn syscall_plain(number: Syscall, args: [u64; 6]) -> i64 {
    // SAFETY: no pointer arguments (the caller passes only numbers).
    unsafe { syscall(number, args) }
}

/// Turns a raw result into a `Result`.
pub fn check(result: i64) -> Result<u64, Errno> {
    if result >= 0 {
        Ok(result as u64)
    } else {
        Err(Errno::from_return(result).unwrap_or(Errno::EINVAL))
    }
}

/// Calls `sigreturn` with the stack pointer at `stack` (the kernel reads
/// the signal frame at `stack - 8`), for tests that hand the kernel a frame
/// of their making. Never returns: the kernel replaces every register from
/// the frame, or kills the process if the frame is bad.
pub fn sigreturn_at(stack: u64) -> ! {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: none needed for memory: the call replaces every register from
    // the frame at `stack - 8` or kills the process; it never returns here.
    unsafe {
        core::arch::asm!(
            "mov rsp, {stack}",
            "syscall",
            "ud2",
            stack = in(reg) stack,
            in("rax") Syscall::SigReturn as u64,
            options(noreturn),
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = stack;
        loop {}
    }
}
