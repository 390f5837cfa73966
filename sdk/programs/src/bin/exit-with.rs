//! Exits at once with the status given as its first argument (default 0).
#![cfg_attr(target_os = "none", no_std, no_main)]

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    args.number(1).unwrap_or(0)
}
