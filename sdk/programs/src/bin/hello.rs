//! Says hello with its pid and arguments, then exits with status 0.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::{println, process};

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let mut count = 0;
    for _ in args.iter() {
        count += 1;
    }
    println!(
        "hello from pid {} (parent {}), {} args",
        process::getpid(),
        process::getppid(),
        count
    );
    0
}
