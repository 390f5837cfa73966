//! The runtime of user programs.
//!
//! A program is a `no_std` binary that starts with
//! `#![cfg_attr(target_os = "none", no_std, no_main)]` and names its main
//! function with [`entry!`]:
//!
//! ```ignore
//! #![cfg_attr(target_os = "none", no_std, no_main)]
//! userlib::entry!(run);
//! fn run(args: userlib::Args) -> i32 {
//!     userlib::println!("hello from {}", userlib::process::getpid());
//!     0
//! }
//! ```
//!
//! It provides the entry point, the system calls as safe functions, `print!`,
//! a heap (`alloc` works; the heap grows with `brk`), and signal handlers.
//! A panic prints its message and exits with status 101.
//!
//! The crate builds on the host too (as a stub), so that the workspace builds
//! and lints everywhere; the programs only run inside the OS.
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

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
