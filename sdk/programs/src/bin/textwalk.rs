//! Reads every page of its own program text, then reports its major faults.
//! `textwalk hold`: after walking, tells its parent (SIGUSR2) and waits for
//! SIGUSR1, then exits with its major-fault count. `textwalk once`: exits at
//! once with its major-fault count. Two instances, one holding while the
//! other walks, show the page cache: only the first reads from the disk.
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicBool, Ordering};
use kernel_abi::USER_IMAGE_BASE;
use userlib::{Signal, memory, println, process, signal, time};

userlib::entry!(run);

/// Read-only data follows the text, so its address bounds the text.
static AFTER_TEXT: [u8; 16] = *b"end of the text.";
static RELEASED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr1(_signal: u64) {
    RELEASED.store(true, Ordering::SeqCst);
}

fn run(args: userlib::Args) -> i32 {
    let _ = signal::catch(Signal::SIGUSR1, on_usr1);
    let text_end = core::hint::black_box(AFTER_TEXT.as_ptr()) as u64 & !0xfff;
    let mut sum = 0u64;
    let mut page = USER_IMAGE_BASE;
    while page < text_end {
        // SAFETY: [USER_IMAGE_BASE, text_end) is this program's own text,
        // readable; reading it only faults it in.
        sum = sum.wrapping_add(u64::from(unsafe {
            core::ptr::read_volatile(page as *const u8)
        }));
        page += 4096;
    }
    let stats = memory::vmstats();
    let pages = (text_end - USER_IMAGE_BASE) / 4096;
    println!(
        "textwalk {}: read {pages} text pages (sum {sum}); major faults {}, minor faults {}",
        process::getpid(),
        stats.major_faults,
        stats.minor_faults
    );
    if args.get(1) == Some("hold") {
        let _ = signal::kill(process::getppid(), Signal::SIGUSR2);
        while !RELEASED.load(Ordering::SeqCst) {
            let _ = time::sleep_ms(1_000);
        }
    }
    stats.major_faults.min(255) as i32
}
