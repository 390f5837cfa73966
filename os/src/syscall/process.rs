//! Process calls: exit, spawn, fork, wait, getpid, getppid, yield, and the
//! user and group ids (get/set uid, euid, gid, egid).

use super::Args;
use crate::arch::frame::TrapFrame;
use crate::process::{Credentials, ExitInfo};
use crate::{pm, process, sched, vm};
use alloc::vec::Vec;
use kernel_abi::{Errno, WAIT_NO_HANG, WaitResult};

/// Longest program name.
const MAX_NAME: usize = 64;

/// `exit(status)`: never returns.
pub fn exit(args: Args) -> Result<u64, Errno> {
    pm::exit_current(ExitInfo {
        status: args[0] as i32,
        signal: None,
    })
}

/// `spawn(name, name_len, args, args_len)`: starts a program from the image;
/// `args` holds NUL-separated arguments. Returns the child's pid.
///
/// # Return values
/// `EFAULT` for bad pointers, `EINVAL` for a name or arguments that are not
/// UTF-8 or too long, plus the errors of [`pm::spawn`].
pub fn spawn(args: Args) -> Result<u64, Errno> {
    let [name_address, name_len, args_address, args_len, ..] = args;
    if name_len as usize > MAX_NAME || args_len as usize > pm::MAX_ARGS_BYTES {
        return Err(Errno::EINVAL);
    }
    let mut name_buffer = [0u8; MAX_NAME];
    let mut args_buffer = [0u8; pm::MAX_ARGS_BYTES];
    let name = name_buffer
        .get_mut(..name_len as usize)
        .ok_or(Errno::EINVAL)?;
    let packed = args_buffer
        .get_mut(..args_len as usize)
        .ok_or(Errno::EINVAL)?;
    process::with_current(|process| {
        vm::copy_from_user(process, name_address, name)?;
        vm::copy_from_user(process, args_address, packed)
    })?;
    let name = core::str::from_utf8(name).map_err(|_| Errno::EINVAL)?;
    let packed = core::str::from_utf8(packed).map_err(|_| Errno::EINVAL)?;
    let words: Vec<&str> = packed.split('\0').filter(|word| !word.is_empty()).collect();
    let privileged = false;
    pm::spawn(sched::current(), name, &words, privileged, None).map(u64::from)
}

/// `fork()`: returns the child's pid (0 in the child).
pub fn fork(frame: &mut TrapFrame) -> Result<u64, Errno> {
    pm::fork(frame).map(u64::from)
}

/// `wait(pid, result, options)`: waits for a child (`pid` -1: any) and
/// stores how it ended. Returns its pid, or 0 with `WAIT_NO_HANG` if none
/// has ended.
///
/// # Return values
/// `ECHILD`, `EINTR` (see [`pm::wait`]), `EFAULT` for a bad result pointer
/// (checked before waiting, so no child is lost to it), `EINVAL` for an
/// option bit other than `WAIT_NO_HANG`.
pub fn wait(args: Args) -> Result<u64, Errno> {
    let [pid, result_address, options, ..] = args;
    if options & !WAIT_NO_HANG != 0 {
        return Err(Errno::EINVAL);
    }
    let writable = result_address == 0
        || process::with_current(|process| {
            process.vm.check_range(
                result_address,
                core::mem::size_of::<WaitResult>() as u64,
                true,
            )
        });
    if !writable {
        return Err(Errno::EFAULT);
    }
    let Some((child, info)) = pm::wait(pid as i64, options & WAIT_NO_HANG != 0)? else {
        return Ok(0);
    };
    if result_address != 0 {
        let result = WaitResult {
            pid: u64::from(child),
            exit_status: i64::from(info.status),
            signal: info
                .signal
                .map(|signal| u64::from(signal.number()))
                .unwrap_or(0),
        };
        process::with_current(|process| vm::write_user(process, result_address, &result))?;
    }
    Ok(u64::from(child))
}

/// `getpid()`.
pub fn getpid(_args: Args) -> Result<u64, Errno> {
    Ok(u64::from(sched::current()))
}

/// `getppid()`.
pub fn getppid(_args: Args) -> Result<u64, Errno> {
    Ok(u64::from(process::with_current(|process| process.parent)))
}

/// `yield()`: lets others run.
pub fn yield_now(_args: Args) -> Result<u64, Errno> {
    sched::yield_current();
    Ok(0)
}

/// `getuid()`, `geteuid()`, `getgid()`, `getegid()`: the id `which` picks.
pub fn ids(which: fn(&Credentials) -> u32) -> Result<u64, Errno> {
    Ok(u64::from(process::with_current(|process| {
        which(&process.creds)
    })))
}

/// `setuid(id)`, `seteuid`, `setgid`, `setegid`: `change` applies MINIX's
/// rule (`servers/pm/getset.c`).
///
/// # Return values
/// `EPERM` when the rule refuses, `EINVAL` for an id that is not 32 bits.
pub fn set_id(
    args: Args,
    change: fn(&mut Credentials, u32) -> Result<(), Errno>,
) -> Result<u64, Errno> {
    let id = u32::try_from(args[0]).map_err(|_| Errno::EINVAL)?;
    process::with_current(|process| change(&mut process.creds, id)).map(|()| 0)
}
