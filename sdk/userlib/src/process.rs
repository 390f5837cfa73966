//! Processes: identity, spawning, forking, waiting, exiting.
//!
//! As in MINIX, a process is created by the process manager (here in the
//! kernel) with `fork` (a copy of the caller; pages are shared
//! copy-on-write) or `spawn` (a program of the image, like `fork` +
//! `execve`); its parent reaps it with `wait`. The first boot program of
//! an image is init: it adopts orphans, and its exit powers off.
//!
//! ```no_run
//! use userlib::process::{self, ExitStatus};
//! match process::fork() {
//!     Ok(0) => process::exit(7), // the child
//!     Ok(child) => {
//!         assert_eq!(process::reap(child), Some(ExitStatus::Exited(7)));
//!     }
//!     Err(error) => userlib::println!("fork failed: {error:?}"), // EAGAIN, ENOMEM
//! }
//! ```

use crate::SysResult;
use crate::raw::{check, syscall, syscall_plain};
use kernel_abi::{Pid, Syscall, WAIT_NO_HANG, WaitResult};

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called exit (or returned from main) with this status.
    Exited(i64),
    /// A signal killed it.
    Killed(u64),
}

/// This process's pid.
pub fn getpid() -> Pid {
    syscall_plain(Syscall::GetPid, [0; 6]) as Pid
}

/// The parent's pid.
pub fn getppid() -> Pid {
    syscall_plain(Syscall::GetPpid, [0; 6]) as Pid
}

/// The real user id.
pub fn getuid() -> u32 {
    syscall_plain(Syscall::GetUid, [0; 6]) as u32
}

/// The effective user id (what permissions are checked against).
pub fn geteuid() -> u32 {
    syscall_plain(Syscall::GetEuid, [0; 6]) as u32
}

/// The real group id.
pub fn getgid() -> u32 {
    syscall_plain(Syscall::GetGid, [0; 6]) as u32
}

/// The effective group id.
pub fn getegid() -> u32 {
    syscall_plain(Syscall::GetEgid, [0; 6]) as u32
}

/// Sets the real, effective and saved user id: EPERM unless root or `uid`
/// is the real uid (MINIX's rule).
pub fn setuid(uid: u32) -> SysResult<()> {
    check(syscall_plain(
        Syscall::SetUid,
        [u64::from(uid), 0, 0, 0, 0, 0],
    ))
    .map(|_| ())
}

/// Sets the effective user id: EPERM unless root or `uid` is the real or
/// saved uid.
pub fn seteuid(uid: u32) -> SysResult<()> {
    check(syscall_plain(
        Syscall::SetEuid,
        [u64::from(uid), 0, 0, 0, 0, 0],
    ))
    .map(|_| ())
}

/// Sets the real, effective and saved group id: EPERM unless root or `gid`
/// is the real gid.
pub fn setgid(gid: u32) -> SysResult<()> {
    check(syscall_plain(
        Syscall::SetGid,
        [u64::from(gid), 0, 0, 0, 0, 0],
    ))
    .map(|_| ())
}

/// Sets the effective group id: EPERM unless root or `gid` is the real or
/// saved gid.
pub fn setegid(gid: u32) -> SysResult<()> {
    check(syscall_plain(
        Syscall::SetEgid,
        [u64::from(gid), 0, 0, 0, 0, 0],
    ))
    .map(|_| ())
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    syscall_plain(Syscall::Yield, [0; 6]);
}

/// Ends the process with `status`.
pub fn exit(status: i32) -> ! {
    syscall_plain(Syscall::Exit, [status as i64 as u64, 0, 0, 0, 0, 0]);
    unreachable!("exit returned")
}

/// Starts program `name` from the image with `args` (not counting the
/// name); returns the child's pid.
///
/// # Errors
/// ENOENT: no program `name` in the image; ENOEXEC: not a valid program;
/// E2BIG: arguments over 512 bytes; EAGAIN: process table full; ENOMEM.
/// MINIX: `fork` followed by `execve` (PM_FORK, PM_EXEC).
pub fn spawn(name: &str, args: &[&str]) -> SysResult<Pid> {
    let mut packed = [0u8; 512];
    let mut len = 0;
    for arg in args {
        let end = len + arg.len() + 1;
        if end > packed.len() {
            return Err(kernel_abi::Errno::E2BIG);
        }
        packed[len..len + arg.len()].copy_from_slice(arg.as_bytes());
        len = end;
    }
    // SAFETY: both pointers and lengths describe live buffers the kernel
    // only reads.
    let result = unsafe {
        syscall(
            Syscall::Spawn,
            [
                name.as_ptr() as u64,
                name.len() as u64,
                packed.as_ptr() as u64,
                len as u64,
                0,
                0,
            ],
        )
    };
    check(result).map(|pid| pid as Pid)
}

/// Forks: returns the child's pid in the parent and 0 in the child.
///
/// # Errors
/// EAGAIN: process table full; ENOMEM. MINIX: `fork` (PM_FORK).
pub fn fork() -> SysResult<Pid> {
    check(syscall_plain(Syscall::Fork, [0; 6])).map(|pid| pid as Pid)
}

fn wait_raw(pid: i64, options: u64) -> SysResult<Option<(Pid, ExitStatus)>> {
    let mut result = WaitResult::default();
    // SAFETY: the pointer is to a live, writable `WaitResult`.
    let raw = unsafe {
        syscall(
            Syscall::Wait,
            [
                pid as u64,
                &mut result as *mut WaitResult as u64,
                options,
                0,
                0,
                0,
            ],
        )
    };
    let pid = check(raw)?;
    if pid == 0 {
        return Ok(None);
    }
    let status = if result.signal != 0 {
        ExitStatus::Killed(result.signal)
    } else {
        ExitStatus::Exited(result.exit_status)
    };
    Ok(Some((pid as Pid, status)))
}

/// Waits for child `pid` to end.
///
/// # Errors
/// ECHILD: not a child of ours (or already reaped); EINTR: a caught
/// signal interrupted the wait. MINIX: `waitpid` (PM_WAITPID).
pub fn wait_for(pid: Pid) -> SysResult<ExitStatus> {
    wait_raw(i64::from(pid), 0).map(|ended| ended.expect("a blocking wait returns a child").1)
}

/// Reaps child `pid` if it has ended, without blocking.
pub fn try_wait_for(pid: Pid) -> SysResult<Option<ExitStatus>> {
    wait_raw(i64::from(pid), WAIT_NO_HANG).map(|ended| ended.map(|(_, status)| status))
}

/// Waits for child `pid` to end, waiting again when a signal handler
/// interrupts the wait (EINTR); `None` if it is not a child.
pub fn reap(pid: Pid) -> Option<ExitStatus> {
    loop {
        match wait_for(pid) {
            Ok(status) => return Some(status),
            Err(crate::Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

/// Waits up to `timeout_ms` for child `pid` to end and reaps it. `None`
/// if it has not ended by then (or is no child): it is then killed with
/// SIGKILL and reaped, so that a test's next check starts clean.
pub fn wait_within(pid: Pid, timeout_ms: u64) -> Option<ExitStatus> {
    let deadline = crate::time::clock_ns() + timeout_ms * 1_000_000;
    loop {
        match try_wait_for(pid) {
            Ok(Some(status)) => return Some(status),
            Ok(None) if crate::time::clock_ns() < deadline => {
                let _ = crate::time::sleep_ms(10);
            }
            _ => {
                let _ = crate::signal::kill(pid, crate::Signal::SIGKILL);
                let _ = reap(pid);
                return None;
            }
        }
    }
}

/// Waits up to `timeout_ms` until `pid`'s slot is released (`kill(pid, 0)`
/// fails): as in MINIX, a child's exit status can be collected while its
/// EXIT event is still in flight, and its memory and slot go only after the
/// last subscriber's ack. Returns whether it was released in time.
pub fn wait_released(pid: Pid, timeout_ms: u64) -> bool {
    let start = crate::time::clock_ns();
    while crate::signal::kill_raw(u64::from(pid), 0).is_ok() {
        if crate::time::clock_ns() - start > timeout_ms * 1_000_000 {
            return false;
        }
        let _ = crate::time::sleep_ms(5);
    }
    true
}

/// Waits for any child to end.
pub fn wait_any() -> SysResult<(Pid, ExitStatus)> {
    wait_raw(-1, 0).map(|ended| ended.expect("a blocking wait returns a child"))
}

/// Reaps any child that has ended, without blocking.
pub fn try_wait_any() -> SysResult<Option<(Pid, ExitStatus)>> {
    wait_raw(-1, WAIT_NO_HANG)
}
