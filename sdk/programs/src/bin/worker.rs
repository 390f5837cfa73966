//! Allocates memory, touches it in steps while sleeping in between, and
//! exits with a status derived from its pid. Arguments: KiB to allocate
//! (default 64), milliseconds to live (default 500).
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use userlib::{println, process, time};

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let kib: usize = args.number(1).unwrap_or(64);
    let life_ms: u64 = args.number(2).unwrap_or(500);
    let steps = 4;
    let mut memory: Vec<Vec<u8>> = Vec::new();
    for step in 0..steps {
        let mut chunk = Vec::with_capacity(kib * 1024 / steps);
        chunk.resize(kib * 1024 / steps, step as u8 + 1);
        memory.push(chunk);
        let _ = time::sleep_ms(life_ms / steps as u64);
    }
    let checksum: u64 = memory
        .iter()
        .map(|chunk| chunk.iter().map(|&byte| u64::from(byte)).sum::<u64>())
        .sum();
    let pid = process::getpid();
    println!("worker {pid}: touched {kib} KiB (checksum {checksum})");
    (pid % 4) as i32
}
