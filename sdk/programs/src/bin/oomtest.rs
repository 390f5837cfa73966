//! Out-of-memory attacks, as init of the `oom` image (the demo's 128 MiB,
//! the demo's services `ipc` and `acct` subscribed to process events).
//! Each attack runs in a child ("the hog") that an ordinary program could
//! be; the kernel must neither panic nor livelock, and must pick the hog,
//! never a service, when something has to die:
//!
//! - `bounce`: two 64 MiB shared regions, one byte written per page, more
//!   than the machine has (once: a kernel panic in the virtio bounce
//!   buffer, or `ipc` and `acct` killed after the hog);
//! - `livelock`: shared pages fill memory down to a few free frames, then
//!   the hog works on more private pages than fit, with instructions that
//!   need two pages at once (once: endless major faults, never killed);
//! - `bystander`: an idle process holds 100 MiB of shared pages, then
//!   another runs out of memory: the idle one, the largest, must die, and
//!   the one that faulted finish (once: the faulting one was killed);
//! - `regions`: 4,000 one-page shared regions, then fork in a loop (once:
//!   a kernel panic when the kernel heap ran out);
//!
//! - `service`: the `memhog` service (which may use the frames kept for
//!   services) drives free memory to nothing and then reads cold program
//!   pages from the disk: swap and disk I/O must not need a fresh frame
//!   (the bounce frames are reserved), and, nobody else being there to
//!   take, the hog itself dies, its memory reclaimed before `ipc` and
//!   `acct` handle its EXIT.
//!
//! After each, a short `marker` child exits with status 42: the boot test
//! checks that both services acked its EXIT event, and here a semaphore
//! round trip checks that `ipc` still serves. Prints `PASS name` /
//! `FAIL name: detail`; the exit status is the number of failures.
//! Arguments name the attacks to run (all five by default).
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use userlib::process::ExitStatus;
use userlib::sem::{self, IPC_CREAT, IPC_PRIVATE, SemOp};
use userlib::verdict::Verdicts;
use userlib::{Errno, Signal, memory, println, process, signal, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
/// The largest shared region the kernel makes.
const REGION: u64 = 64 * 1024 * 1024;
/// How long a hog may live before the attack counts as a livelock.
const HOG_DEADLINE_MS: u64 = 60_000;

fn run(args: userlib::Args) -> i32 {
    let chosen: Vec<&str> = args.iter().skip(1).collect();
    let wants = |name: &str| chosen.is_empty() || chosen.contains(&name);
    let mut verdicts = Verdicts::new();
    // Let the services start and subscribe.
    let _ = time::sleep_ms(300);
    let baseline = memory::meminfo();
    println!(
        "oomtest: {} of {} frames free, {} swap slots",
        baseline.free_frames, baseline.total_frames, baseline.swap_total
    );
    if wants("bounce") {
        hog_is_killed(&mut verdicts, "bounce", bounce_hog);
        services_still_serve(&mut verdicts, "bounce");
    }
    if wants("livelock") {
        hog_is_killed(&mut verdicts, "livelock", livelock_hog);
        services_still_serve(&mut verdicts, "livelock");
    }
    if wants("bystander") {
        largest_is_the_victim(&mut verdicts);
        services_still_serve(&mut verdicts, "bystander");
    }
    if wants("regions") {
        regions_then_forks(&mut verdicts);
        services_still_serve(&mut verdicts, "regions");
    }
    if wants("service") {
        service_hog_dies_alone(&mut verdicts);
        services_still_serve(&mut verdicts, "service");
    }
    let after = memory::meminfo();
    println!(
        "oomtest: done, {} frames free (+{} cached), {} swap slots used",
        after.free_frames, after.cached_pages, after.swap_used
    );
    // Pages of this process that went to swap free a frame and take a
    // slot: free minus swap in use stays as it was unless something leaked.
    let room = |info: &kernel_abi::MemInfo| {
        (info.free_frames + info.cached_pages) as i64 - info.swap_used as i64
    };
    verdicts.check(
        "memory-comes-back",
        room(&after) + 64 >= room(&baseline),
        format_args!("before {baseline:?} after {after:?}"),
    );
    println!("oomtest: {} failed", verdicts.failures());
    verdicts.failures()
}

fn write_byte(address: u64, value: u8) {
    // SAFETY: the callers pass addresses inside regions this process mapped
    // (shared regions or its heap) and nothing else references them.
    unsafe { core::ptr::write_volatile(address as *mut u8, value) };
}

/// Runs `hog` in a child and checks that the kernel killed it (SIGKILL)
/// within the deadline, and that the kernel did not panic meanwhile (the
/// parent would not be running).
fn hog_is_killed(verdicts: &mut Verdicts, name: &str, hog: fn() -> i32) {
    println!("inject {name}: a hog runs out of memory");
    let child = match process::fork() {
        Ok(0) => process::exit(hog()),
        Ok(child) => child,
        Err(error) => {
            verdicts.check(
                &alloc::format!("{name}-fork"),
                false,
                format_args!("{error:?}"),
            );
            return;
        }
    };
    let started = time::clock_ns();
    let status = loop {
        match process::try_wait_for(child) {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if time::clock_ns() - started > HOG_DEADLINE_MS * 1_000_000 {
            println!("oomtest: {name}: the hog still runs after {HOG_DEADLINE_MS} ms: killing it");
            let _ = signal::kill(child, Signal::SIGKILL);
            let _ = process::reap(child);
            break None;
        }
        let _ = time::sleep_ms(50);
    };
    let ms = (time::clock_ns() - started) / 1_000_000;
    println!("inject {name}: result hog {child} ended {status:?} after {ms} ms");
    verdicts.check(
        &alloc::format!("{name}-hog-killed"),
        status == Some(ExitStatus::Killed(9)),
        format_args!("{status:?} after {ms} ms"),
    );
}

/// Two 64 MiB shared regions, one byte written per page.
fn bounce_hog() -> i32 {
    let (Ok(first), Ok(second)) = (memory::map_shared(REGION), memory::map_shared(REGION)) else {
        println!("bounce hog: map_shared failed");
        return 2;
    };
    for base in [first, second] {
        let mut page = base;
        while page < base + REGION {
            write_byte(page, 1);
            page += PAGE;
        }
    }
    println!("bounce hog: touched all 128 MiB");
    0
}

/// Free frames the livelock hog leaves when it fills memory.
const FILL_DOWN_TO: u64 = 400;

/// Fills memory with shared pages (which cannot be paged out) down to a
/// few hundred free frames, then loops over private heap pages, more than fit,
/// each step copying a word from one page to the next (an instruction
/// pair that needs both pages resident).
fn livelock_hog() -> i32 {
    let (Ok(first), Ok(second)) = (memory::map_shared(REGION), memory::map_shared(REGION)) else {
        println!("livelock hog: map_shared failed");
        return 2;
    };
    const HEAP_PAGES: u64 = 1024;
    let Ok(heap) = memory::sbrk(HEAP_PAGES * PAGE) else {
        println!("livelock hog: sbrk failed");
        return 2;
    };
    let mut touched = 0u64;
    'fill: for base in [first, second] {
        let mut page = base;
        while page < base + REGION {
            if touched.is_multiple_of(16) && memory::meminfo().free_frames < FILL_DOWN_TO {
                break 'fill;
            }
            write_byte(page, 1);
            touched += 1;
            page += PAGE;
        }
    }
    println!(
        "livelock hog: {touched} shared pages, {} frames free; now working on {HEAP_PAGES} heap pages",
        memory::meminfo().free_frames
    );
    let mut round = 0u64;
    loop {
        for index in 0..HEAP_PAGES - 1 {
            let from = heap + index * PAGE + (round % 512) * 8;
            let to = from + PAGE;
            // SAFETY: both addresses lie in the heap grown above.
            unsafe {
                let value = core::ptr::read_volatile(from as *const u64);
                core::ptr::write_volatile(to as *mut u64, value.wrapping_add(1));
            }
        }
        round += 1;
    }
}

/// Pages the idle bystander holds (100 MiB, shared, so never paged out).
const BYSTANDER_PAGES: u64 = 25_600;
/// Pages the small process then writes (32 MiB: more than what is left
/// and the swap together).
const SMALL_PAGES: u64 = 8_192;

/// An idle process holds [`BYSTANDER_PAGES`]; then a smaller one writes
/// [`SMALL_PAGES`] of heap. The out-of-memory rule must take the idle one
/// (the largest), and the one that faulted must finish.
fn largest_is_the_victim(verdicts: &mut Verdicts) {
    println!("inject bystander: an idle process holds 100 MiB, another runs out of memory");
    let before = memory::meminfo().free_frames;
    let big = match process::fork() {
        Ok(0) => {
            let (Ok(first), Ok(second)) = (memory::map_shared(REGION), memory::map_shared(REGION))
            else {
                process::exit(2);
            };
            for index in 0..BYSTANDER_PAGES {
                let base = if index < REGION / PAGE { first } else { second };
                write_byte(base + (index % (REGION / PAGE)) * PAGE, 1);
            }
            println!("bystander: holding {BYSTANDER_PAGES} pages, now idle");
            loop {
                let _ = time::sleep_ms(1_000);
            }
        }
        Ok(child) => child,
        Err(error) => {
            verdicts.check("bystander-fork", false, format_args!("{error:?}"));
            return;
        }
    };
    let started = time::clock_ns();
    while memory::meminfo().free_frames + BYSTANDER_PAGES > before + 512
        && time::clock_ns() - started < 30_000_000_000
    {
        let _ = time::sleep_ms(50);
    }
    let small = match process::fork() {
        Ok(0) => {
            let Ok(heap) = memory::sbrk(SMALL_PAGES * PAGE) else {
                process::exit(2);
            };
            for index in 0..SMALL_PAGES {
                write_byte(heap + index * PAGE, 1);
            }
            println!("bystander: the small process wrote all {SMALL_PAGES} pages");
            process::exit(0);
        }
        Ok(child) => child,
        Err(error) => {
            let _ = signal::kill(big, Signal::SIGKILL);
            let _ = process::reap(big);
            verdicts.check("bystander-fork-small", false, format_args!("{error:?}"));
            return;
        }
    };
    let small_status = process::reap(small);
    let big_status = match process::try_wait_for(big) {
        Ok(Some(status)) => Some(status),
        _ => {
            let _ = signal::kill(big, Signal::SIGKILL);
            let _ = process::reap(big);
            None
        }
    };
    println!(
        "inject bystander: result idle {big} ended {big_status:?}, faulting {small} ended {small_status:?}"
    );
    verdicts.check(
        "bystander-largest-is-the-victim",
        big_status == Some(ExitStatus::Killed(9)) && small_status == Some(ExitStatus::Exited(0)),
        format_args!("idle {big_status:?} (alive: None), faulting {small_status:?}"),
    );
}

/// 4,000 one-page shared regions (or as many as the kernel allows), then
/// fork in a loop until the kernel refuses; the children are killed and
/// reaped.
fn regions_then_forks(verdicts: &mut Verdicts) {
    println!("inject regions: 4000 one-page shared regions, then fork until refused");
    let child = match process::fork() {
        Ok(0) => process::exit(region_hog()),
        Ok(child) => child,
        Err(error) => {
            verdicts.check("regions-fork", false, format_args!("{error:?}"));
            return;
        }
    };
    let status = process::reap(child);
    println!("inject regions: result hog {child} ended {status:?}");
    verdicts.check(
        "regions-fork-gets-an-errno",
        status == Some(ExitStatus::Exited(0)),
        format_args!("{status:?}"),
    );
}

fn region_hog() -> i32 {
    let mut mapped = 0u32;
    let mut refusal = None;
    for _ in 0..4_000 {
        match memory::map_shared(PAGE) {
            Ok(address) => {
                write_byte(address, 1);
                mapped += 1;
            }
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    println!("region hog: {mapped} regions mapped, then {refusal:?}");
    if refusal.is_some_and(|error| error != Errno::ENOMEM) {
        return 3;
    }
    let mut children: Vec<u32> = Vec::new();
    let refused = loop {
        match process::fork() {
            Ok(0) => {
                let _ = time::sleep_ms(600_000);
                process::exit(0);
            }
            Ok(child) => children.push(child),
            Err(error) => break error,
        }
    };
    println!("region hog: {} forks, then {refused:?}", children.len());
    for &child in &children {
        let _ = signal::kill(child, Signal::SIGKILL);
    }
    let reaped = children
        .iter()
        .filter(|&&child| process::reap(child) == Some(ExitStatus::Killed(9)))
        .count();
    println!("region hog: {reaped} children killed and reaped");
    if matches!(refused, Errno::ENOMEM | Errno::EAGAIN) && reaped == children.len() {
        0
    } else {
        1
    }
}

/// Pokes the `memhog` service and waits (up to the hog deadline) until it
/// is gone.
fn service_hog_dies_alone(verdicts: &mut Verdicts) {
    println!("inject service: a service drives free memory to nothing");
    let hog = match userlib::ipc::lookup_service("memhog") {
        Ok(pid) => pid,
        Err(error) => {
            verdicts.check("service-hog-found", false, format_args!("{error:?}"));
            return;
        }
    };
    let poke = userlib::ipc::Message::new(1, [0; 6]);
    let sent = userlib::ipc::send(u64::from(hog), &poke);
    let started = time::clock_ns();
    let gone = loop {
        if userlib::ipc::lookup_service("memhog").is_err() {
            break true;
        }
        if time::clock_ns() - started > HOG_DEADLINE_MS * 1_000_000 {
            break false;
        }
        let _ = time::sleep_ms(50);
    };
    let ms = (time::clock_ns() - started) / 1_000_000;
    println!("inject service: result memhog {hog} poked ({sent:?}), gone: {gone} after {ms} ms");
    verdicts.check(
        "service-hog-dies",
        sent.is_ok() && gone,
        format_args!("poke {sent:?}, gone {gone} after {ms} ms"),
    );
}

/// A marker child exits with 42 (the boot test checks that both services
/// acked its EXIT), and a semaphore round trip through `ipc` works.
fn services_still_serve(verdicts: &mut Verdicts, after: &str) {
    let marker = match process::fork() {
        Ok(0) => process::exit(42),
        Ok(child) => child,
        Err(error) => {
            verdicts.check(
                &alloc::format!("{after}-marker"),
                false,
                format_args!("{error:?}"),
            );
            return;
        }
    };
    let status = process::reap(marker);
    println!("oomtest: marker {marker} after {after} ended {status:?}");
    let semaphore = sem::semget(IPC_PRIVATE, 1, IPC_CREAT).and_then(|id| {
        sem::semop(
            id,
            &[SemOp {
                num: 0,
                op: 1,
                flags: 0,
            }],
        )?;
        sem::semop(
            id,
            &[SemOp {
                num: 0,
                op: -1,
                flags: 0,
            }],
        )?;
        sem::semctl(id, 0, sem::IPC_RMID, 0)
    });
    verdicts.check(
        &alloc::format!("{after}-ipc-serves"),
        status == Some(ExitStatus::Exited(42)) && semaphore.is_ok(),
        format_args!("marker {status:?}, semaphore {semaphore:?}"),
    );
}
