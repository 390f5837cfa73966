//! The runtime of user programs.
//!
//! A program is a `no_std` binary that starts with
//! `#![cfg_attr(target_os = "none", no_std, no_main)]` and names its main
//! function with [`entry!`]:
//!
//! ```no_run
//! #![cfg_attr(target_os = "none", no_std, no_main)]
//! userlib::entry!(run);
//! fn run(args: userlib::Args) -> i32 {
//!     userlib::println!("hello from {}", userlib::process::getpid());
//!     0
//! }
//! ```
//!
//! A program of your own lives in any Cargo package that depends on this
//! crate (by path or git) and is named by an image's `image.toml`
//! (`[[program]]` with `path = "..."`); `watchtower new DIR` makes one.
//! `docs/programs.md` in the repository is the guide; [`syscalls`] lists
//! every system call with its errors and MINIX counterpart.
//!
//! It provides the entry point, the system calls as safe functions, `print!`,
//! a heap (`alloc` works; the heap grows with `brk`), and signal handlers.
//! A panic prints its message and exits with status 101.
//!
//! | module | what |
//! | --- | --- |
//! | [`process`] | pids, `fork`, `spawn`, `wait`, `exit` |
//! | [`memory`] | `brk`/`sbrk`, shared regions, VM counters |
//! | [`signal`] | `kill`, catching, ignoring, blocking |
//! | [`time`] | the clock and sleeping |
//! | [`io`] | the log (`println!`) |
//! | [`ipc`] | messages, services, process events |
//! | [`sem`] | System V semaphores (the IPC service) |
//! | [`testsub`] | the control protocol of the test subscriber (event tests) |
//! | [`raw`] | the `syscall` instruction itself |
//!
//! The crate builds on the host too (as a stub), so that the workspace builds
//! and lints everywhere; the programs only run inside the OS.
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

extern crate alloc;

pub mod args;
pub mod bench;
pub mod io;
pub mod ipc;
pub mod memory;
pub mod process;
pub mod raw;
#[cfg(target_os = "none")]
pub mod runtime;
pub mod sem;
pub mod signal;
pub mod syscalls;
pub mod testsub;
pub mod time;
pub mod verdict;

pub use args::Args;
pub use kernel_abi::{Errno, Pid, Signal};

/// A system-call result.
pub type SysResult<T> = Result<T, Errno>;

/// Declares the program's main function, `fn(Args) -> i32`; its return
/// value is the exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[cfg(target_os = "none")]
        #[unsafe(no_mangle)]
        extern "C" fn _start(args: *const u8, args_len: usize) -> ! {
            // SAFETY: these are the registers the kernel set for `_start`:
            // the argument block it placed on the stack.
            unsafe { $crate::runtime::start(args, args_len, $main) }
        }

        #[cfg(not(target_os = "none"))]
        fn main() {
            let _ = $main;
            eprintln!("this is a program of the OS; it runs only inside an OS image");
            std::process::exit(2);
        }
    };
}
