//! System calls: decoding, dispatch, and the result.
//!
//! The entry stub hands over the caller's frame. The number in `rax` is
//! decoded once into [`Syscall`]; each call has one handler in a file of
//! this module, all with the same shape: the six argument registers (and the
//! frame, for the few calls that need it) in, `Result<u64, Errno>` out. The
//! result goes back in `rax` (`-errno` on failure), then the return-to-user
//! work runs (switches, signals).

mod io;
mod ipc;
mod memory;
mod process;
mod signal;
mod time;

use crate::arch::frame::TrapFrame;
use crate::pm;
use crate::process::Credentials;
use kernel_abi::{Errno, Syscall};

/// Arguments of a system call, as the registers held them.
pub type Args = [u64; 6];

/// Handles the system call in `frame`.
pub fn handle(frame: &mut TrapFrame) {
    crate::pageout::ensure_free_frames();
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    let result = match Syscall::try_from(frame.rax) {
        Ok(call) => dispatch(call, args, frame),
        Err(()) => Err(Errno::ENOSYS),
    };
    frame.rax = match result {
        Ok(value) => value,
        Err(error) => {
            if error == Errno::EFAULT {
                crate::report::bad_pointer(crate::sched::current(), frame.rax);
            }
            error.as_return() as u64
        }
    };
    pm::on_return_to_user(frame);
}

fn dispatch(call: Syscall, args: Args, frame: &mut TrapFrame) -> Result<u64, Errno> {
    match call {
        Syscall::Exit => process::exit(args),
        Syscall::Write => io::write(args),
        Syscall::Spawn => process::spawn(args),
        Syscall::Fork => process::fork(frame),
        Syscall::Wait => process::wait(args),
        Syscall::GetPid => process::getpid(args),
        Syscall::GetPpid => process::getppid(args),
        Syscall::Yield => process::yield_now(args),
        Syscall::Sleep => time::sleep(args),
        Syscall::Brk => memory::brk(args),
        Syscall::Kill => signal::kill(args),
        Syscall::SigAction => signal::sigaction(args),
        Syscall::SigProcMask => signal::sigprocmask(args),
        Syscall::SigReturn => Ok(pm::sigreturn(frame)),
        Syscall::Clock => time::clock(args),
        Syscall::VmStats => memory::vmstats(args),
        Syscall::MemInfo => memory::meminfo(args),
        Syscall::MapShared => memory::map_shared(args),
        Syscall::Send => ipc::send(args),
        Syscall::Receive => ipc::receive(args),
        Syscall::SendRec => ipc::sendrec(args),
        Syscall::ASend => ipc::asend(args),
        Syscall::Reply => ipc::reply(args),
        Syscall::ProcEventMask => ipc::proceventmask(args),
        Syscall::LookupService => ipc::lookup_service(args),
        Syscall::Bench => crate::bench::run(args[0], args[1], args[2]),
        Syscall::GetUid => process::ids(|creds| creds.uid),
        Syscall::GetEuid => process::ids(|creds| creds.euid),
        Syscall::GetGid => process::ids(|creds| creds.gid),
        Syscall::GetEgid => process::ids(|creds| creds.egid),
        Syscall::SetUid => process::set_id(args, Credentials::setuid),
        Syscall::SetEuid => process::set_id(args, Credentials::seteuid),
        Syscall::SetGid => process::set_id(args, Credentials::setgid),
        Syscall::SetEgid => process::set_id(args, Credentials::setegid),
    }
}
