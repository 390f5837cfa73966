//! Sleeps for the number of milliseconds given as its first argument
//! (default 1000), then exits with status 0.
#![cfg_attr(target_os = "none", no_std, no_main)]

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let _ = userlib::time::sleep_ms(args.number(1).unwrap_or(1000));
    0
}
