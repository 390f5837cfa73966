//! A system service that hogs memory on request (the `oom` image's worst
//! case): services may use the frames kept for them, so this one drives
//! free memory to nothing. Once poked (any message), it fills memory with
//! shared pages down to two free frames, then reads pages of a table in its
//! program file that it never touched before: each is a page-cache miss, a
//! disk read that needs bounce frames while no frame is free. Nobody else
//! may be taken, so the out-of-memory rule ends with the service itself.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::ipc::{self, ANY};
use userlib::{memory, println};

userlib::entry!(run);

const PAGE: u64 = 4096;
const REGION: u64 = 64 * 1024 * 1024;
/// Pages of read-only data in the program file, read only at the end.
const TABLE_PAGES: usize = 32;

/// In the file (not zero, so not bss), untouched until the end.
static TABLE: [u8; TABLE_PAGES * 4096] = [7; TABLE_PAGES * 4096];

fn run(_args: userlib::Args) -> i32 {
    println!("memhog: waiting to be poked");
    if ipc::receive(ANY).is_err() {
        return 1;
    }
    let (Some(first), Some(second)) = (
        memory::map_shared(REGION).ok(),
        memory::map_shared(REGION).ok(),
    ) else {
        println!("memhog: map_shared failed");
        return 2;
    };
    let mut touched = 0u64;
    'fill: for base in [first, second] {
        let mut page = base;
        while page < base + REGION {
            if memory::meminfo().free_frames <= 2 {
                break 'fill;
            }
            // SAFETY: inside the shared region just mapped.
            unsafe { core::ptr::write_volatile(page as *mut u8, 1) };
            touched += 1;
            page += PAGE;
        }
    }
    println!(
        "memhog: {touched} shared pages, {} frames free; reading cold pages of the program",
        memory::meminfo().free_frames
    );
    let mut sum = 0u64;
    for page in 0..TABLE_PAGES {
        let index = core::hint::black_box(page * 4096);
        sum += u64::from(TABLE[index]);
    }
    println!("memhog: read {TABLE_PAGES} cold pages (sum {sum}), still alive");
    0
}
