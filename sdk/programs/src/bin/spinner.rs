//! Spins on the CPU without ever making a system call: for the number of
//! milliseconds given as its first argument, or forever without one. Shows
//! that preemption keeps the rest of the system running.
#![cfg_attr(target_os = "none", no_std, no_main)]

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let limit_ns = args.number::<u64>(1).map(|ms| ms * 1_000_000);
    let start = userlib::time::clock_ns();
    let mut spins: u64 = 0;
    loop {
        spins = core::hint::black_box(spins.wrapping_add(1));
        // Only look at the clock now and then: the point is to not enter
        // the kernel voluntarily.
        if spins.is_multiple_of(10_000_000)
            && let Some(limit) = limit_ns
            && userlib::time::clock_ns() - start >= limit
        {
            return 0;
        }
    }
}
