//! The VM boot test (init of the `vm` image): runs each `vmcheck` mode and
//! the two-instance `textwalk` check, prints `PASS name` or `FAIL name: why`,
//! checks that free memory and swap use return to where they were, and exits
//! with the number of failures.
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::USER_IMAGE_BASE;
use userlib::process::{self, ExitStatus};
use userlib::verdict::Verdicts;
use userlib::{Signal, memory, println, signal, time};

userlib::entry!(run);

static READY: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr2(_signal: u64) {
    READY.fetch_add(1, Ordering::SeqCst);
}

fn vmcheck(args: &[&str]) -> Result<ExitStatus, userlib::Errno> {
    let pid = process::spawn("vmcheck", args)?;
    process::wait_for(pid)
}

fn run(args: userlib::Args) -> i32 {
    let hog_mib = args.get(1).unwrap_or("48");
    let _ = signal::catch(Signal::SIGUSR2, on_usr2);
    let mut verdicts = Verdicts::new();
    warm_up();
    let baseline = memory::meminfo();
    println!(
        "vmtest: baseline {} free frames of {}, swap {}/{} pages, {} cached",
        baseline.free_frames,
        baseline.total_frames,
        baseline.swap_used,
        baseline.swap_total,
        baseline.cached_pages
    );

    let cases: [(&str, &[&str]); 5] = [
        ("anon-pages-are-minor-faults", &["anon", "37"]),
        ("copy-on-write-after-fork", &["cow", "24", "10"]),
        ("segv-outside-regions-counts-nothing", &["segv-outside"]),
        ("segv-write-to-readonly-counts-nothing", &["segv-readonly"]),
        ("shared-region-is-shared-with-children", &["shared"]),
    ];
    for (name, args) in cases {
        let status = vmcheck(args);
        verdicts.check(
            name,
            status == Ok(ExitStatus::Exited(0)),
            format_args!("{status:?}"),
        );
    }

    let hog = vmcheck(&["hog", hog_mib]);
    verdicts.check(
        "swap-keeps-contents-with-major-faults",
        hog == Ok(ExitStatus::Exited(0)),
        format_args!("{hog:?}"),
    );

    text_cache_check(&mut verdicts);

    let _ = time::sleep_ms(10);
    let after = memory::meminfo();
    println!(
        "vmtest: after {} free frames, swap {} pages, {} cached",
        after.free_frames, after.swap_used, after.cached_pages
    );
    verdicts.check(
        "memory-returns-to-baseline",
        after.free_frames == baseline.free_frames
            && after.swap_used == baseline.swap_used
            && after.cached_pages == baseline.cached_pages,
        format_args!(
            "free {} -> {}, swap {} -> {}, cached {} -> {}",
            baseline.free_frames,
            after.free_frames,
            baseline.swap_used,
            after.swap_used,
            baseline.cached_pages,
            after.cached_pages
        ),
    );
    println!("vmtest: {} failures", verdicts.failures());
    verdicts.failures()
}

/// Brings in every page this program will touch, so that its own memory does
/// not change between the baseline and the final measurement: all of its
/// image (text, data, bss), a deep stack, and each system call's path once.
fn warm_up() {
    let mut page = USER_IMAGE_BASE;
    let end = userlib::memory::heap_end();
    let mut sum = 0u64;
    while page < end {
        // SAFETY: [USER_IMAGE_BASE, heap end) is this program's own image,
        // all readable; reading only faults pages in.
        sum = sum.wrapping_add(u64::from(unsafe {
            core::ptr::read_volatile(page as *const u8)
        }));
        page += 4096;
    }
    READY.store(0, Ordering::SeqCst);
    let mut stack = [0u8; 24 * 1024];
    for index in (0..stack.len()).step_by(512) {
        stack[index] = (sum as u8).wrapping_add(index as u8);
    }
    core::hint::black_box(&stack);
    let _ = memory::meminfo();
    let _ = time::sleep_ms(1);
    println!("vmtest: warmed up");
}

/// The first instance of textwalk reads its text from the disk; a second,
/// while the first still runs, finds every page cached.
fn text_cache_check(verdicts: &mut Verdicts) {
    let first = match process::spawn("textwalk", &["hold"]) {
        Ok(pid) => pid,
        Err(error) => {
            return verdicts.check(
                "page-cache-shares-text",
                false,
                format_args!("spawn: {error:?}"),
            );
        }
    };
    while READY.load(Ordering::SeqCst) == 0 {
        let _ = time::sleep_ms(1_000);
    }
    let second = process::spawn("textwalk", &["once"]).and_then(process::wait_for);
    let _ = signal::kill(first, Signal::SIGUSR1);
    let first_status = process::wait_for(first);
    let first_major = match first_status {
        Ok(ExitStatus::Exited(major)) => major,
        _ => -1,
    };
    verdicts.check(
        "page-cache-shares-text",
        first_major > 0 && second == Ok(ExitStatus::Exited(0)),
        format_args!("first instance {first_status:?} major faults, second {second:?}"),
    );
}
