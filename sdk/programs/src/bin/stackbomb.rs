//! Recurses without bound until the stack runs out. The kernel must end it
//! with SIGSEGV (the unmapped guard gap below the user stack), never fault
//! itself. The first argument picks the variant:
//!
//! | mode | before recursing | expected end |
//! | --- | --- | --- |
//! | `plain` | nothing | SIGSEGV |
//! | `handler` | catches SIGSEGV (the handler cannot run: no stack left for its frame) | SIGSEGV |
//! | `heap` | grows the heap up to the guard gap below the stack (and checks one page more is refused) | SIGSEGV |
//!
//! If the recursion ever stopped, or the handler ran, it exits non-zero.
#![cfg_attr(target_os = "none", no_std, no_main)]

use kernel_abi::{PAGE_SIZE, Syscall, USER_STACK_GUARD, USER_STACK_SIZE, USER_STACK_TOP};
use userlib::{Signal, memory, println, signal};

userlib::entry!(run);

extern "C" fn on_segv(_signal: u64) {
    println!("stackbomb: SIGSEGV handler ran with no stack left");
    userlib::process::exit(3)
}

fn run(args: userlib::Args) -> i32 {
    let mode = args.get(1).unwrap_or("plain");
    match mode {
        "plain" => {}
        "handler" => {
            if signal::catch(Signal::SIGSEGV, on_segv).is_err() {
                return 4;
            }
        }
        "heap" => {
            let guard_start = USER_STACK_TOP - USER_STACK_SIZE - USER_STACK_GUARD;
            let into_guard =
                userlib::raw::syscall_plain(Syscall::Brk, [guard_start + PAGE_SIZE, 0, 0, 0, 0, 0]);
            if into_guard as u64 == guard_start + PAGE_SIZE {
                println!("stackbomb: the heap was allowed into the stack guard");
                return 5;
            }
            if memory::brk(guard_start).is_err() {
                println!("stackbomb: the heap could not grow up to the guard");
                return 6;
            }
            println!("stackbomb: heap ends at {guard_start:#x}, below the guard");
        }
        _ => {
            println!("stackbomb: unknown mode '{mode}'");
            return 2;
        }
    }
    println!("stackbomb: {mode}: recursing");
    let depth = recurse(0);
    println!("stackbomb: the recursion stopped at depth {depth}");
    1
}

/// Uses a kilobyte of stack per level, forever.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let mut buffer = [0u8; 1024];
    buffer[(depth % 1024) as usize] = depth as u8;
    let buffer = core::hint::black_box(buffer);
    if core::hint::black_box(true) {
        recurse(depth + 1) + u64::from(buffer[0])
    } else {
        depth
    }
}
