//! The benchmark system call (only with `bench=on`): measurements that need
//! the kernel's hands, as floors for the figures in BENCHMARKS.md.

use crate::arch::cpu::read_tsc;
use crate::arch::{paging, serial};
use crate::memory::Claim;
use crate::{disk, memory, process, telemetry, time};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel_abi::Errno;
use kernel_abi::syscall::{BenchKind, CostCounter};
use protocol::message::{Log, LogLevel, Message};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// A user address no region uses, for the page-floor measurement.
const SCRATCH_PAGE: u64 = 0x0000_6000_0000_0000;
/// Most iterations per call.
const MAX_ITERATIONS: u64 = 100_000;

/// Allows the benchmark system call.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
    telemetry::count_cycles();
}

fn median(mut samples: Vec<u64>) -> u64 {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or(0)
}

/// `bench(kind, a, b)`.
///
/// # Return values
/// `ENOSYS` unless booted with `bench=on`; `EINVAL` for an unknown kind or
/// too many iterations; `ENOMEM`/`EIO`-like failures as `ENOMEM`.
pub fn run(kind: u64, a: u64, b: u64) -> Result<u64, Errno> {
    if !ENABLED.load(Ordering::Relaxed) {
        return Err(Errno::ENOSYS);
    }
    match kind {
        k if k == BenchKind::PageFloor as u64 => page_floor(a),
        k if k == BenchKind::DiskRead as u64 => disk_read(a, b),
        k if k == BenchKind::UartRaw as u64 => Ok(uart_raw(a)),
        k if k == BenchKind::TelemetryFlood as u64 => Ok(telemetry_flood(a)),
        k if k == BenchKind::EncodeFrame as u64 => encode_frame(a),
        k if k == BenchKind::TelemetryCost as u64 => cost_counter(a),
        k if k == BenchKind::AddressSpaceSwitch as u64 => address_space_switch(a, b),
        k if k == BenchKind::PageFloorFresh as u64 => page_floor_fresh(a),
        k if k == BenchKind::LinkDrain as u64 => Ok(link_drain(a)),
        _ => Err(Errno::EINVAL),
    }
}

/// One of the cumulative counters of `BenchKind::TelemetryCost`.
fn cost_counter(which: u64) -> Result<u64, Errno> {
    let cost = telemetry::cost();
    Ok(match which {
        w if w == CostCounter::SendCycles as u64 => cost.send_cycles,
        w if w == CostCounter::DrainCycles as u64 => cost.drain_cycles,
        w if w == CostCounter::UartCycles as u64 => cost.uart_cycles,
        w if w == CostCounter::DrainedBytes as u64 => cost.drained_bytes,
        w if w == CostCounter::BusyCycles as u64 => busy_cycles(),
        w if w == CostCounter::FramesQueued as u64 => cost.frames_queued,
        _ => return Err(Errno::EINVAL),
    })
}

/// Cycles since boot minus those spent halted in the idle loop.
fn busy_cycles() -> u64 {
    let elapsed = read_tsc().wrapping_sub(time::boot_tsc());
    let idle =
        (u128::from(crate::timer::idle_ns()) * u128::from(time::tsc_hz()) / 1_000_000_000) as u64;
    elapsed.saturating_sub(idle)
}

fn page_floor(iterations: u64) -> Result<u64, Errno> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Errno::EINVAL);
    }
    let root = process::with_current(|process| process.root);
    let flags = paging::user_flags(true, false);
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations {
        let start = read_tsc();
        let mut frame = memory::allocate(Claim::Service).ok_or(Errno::ENOMEM)?;
        frame.zero();
        let mapped = paging::map_user_frame(root, SCRATCH_PAGE, frame, flags, &mut || {
            memory::allocate_table(Claim::Service)
        })
        .map_err(|(frame, _)| {
            memory::release(frame);
            Errno::ENOMEM
        })?;
        samples.push(read_tsc() - start);
        unmap_scratch(root, mapped);
    }
    Ok(median(samples))
}

/// Two address-space switches, to `pid`'s page tables and back to the
/// caller's, as the scheduler makes them (`paging::activate`), timed
/// together. Interrupts are off (a system call), so nothing runs in
/// `pid`'s address space meanwhile; the kernel half is the same in both.
fn address_space_switch(pid: u64, iterations: u64) -> Result<u64, Errno> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Errno::EINVAL);
    }
    let own = process::with_current(|process| process.root);
    let other = process::with_table(|table| {
        u32::try_from(pid)
            .ok()
            .and_then(|pid| table.get(pid))
            .map(|process| process.root)
    })
    .filter(|&root| root != 0 && root != own)
    .ok_or(Errno::ESRCH)?;
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations {
        let start = read_tsc();
        let there = paging::activate(other);
        let back = paging::activate(own);
        samples.push(read_tsc() - start);
        if !(there && back) {
            return Err(Errno::ESRCH);
        }
    }
    Ok(median(samples))
}

/// Most iterations of the fresh-frame page floor (16 MiB held at once).
const MAX_FRESH_PAGES: u64 = 4096;

fn page_floor_fresh(iterations: u64) -> Result<u64, Errno> {
    if iterations == 0 || iterations > MAX_FRESH_PAGES {
        return Err(Errno::EINVAL);
    }
    let root = process::with_current(|process| process.root);
    let flags = paging::user_flags(true, false);
    let mut samples = Vec::with_capacity(iterations as usize);
    let mut mapped = Vec::with_capacity(iterations as usize);
    let mut result = Ok(());
    for index in 0..iterations {
        let page = SCRATCH_PAGE + index * 4096;
        let start = read_tsc();
        let Some(mut frame) = memory::allocate(Claim::Service) else {
            result = Err(Errno::ENOMEM);
            break;
        };
        frame.zero();
        match paging::map_user_frame(root, page, frame, flags, &mut || {
            memory::allocate_table(Claim::Service)
        }) {
            Ok(address) => mapped.push((page, address)),
            Err((frame, _)) => {
                memory::release(frame);
                result = Err(Errno::ENOMEM);
                break;
            }
        }
        samples.push(read_tsc() - start);
    }
    for (page, address) in mapped {
        unmap_scratch_page(root, page, address);
    }
    result.map(|()| median(samples))
}

fn disk_read(iterations: u64, page: u64) -> Result<u64, Errno> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Errno::EINVAL);
    }
    let mut frame = memory::allocate(Claim::Service).ok_or(Errno::ENOMEM)?;
    let mut samples = Vec::with_capacity(iterations as usize);
    let mut result = Ok(());
    for _ in 0..iterations {
        let start = read_tsc();
        result = disk::read_page(page * disk::SECTORS_PER_PAGE, &mut frame);
        samples.push(read_tsc() - start);
        if result.is_err() {
            break;
        }
    }
    memory::release(frame);
    result.map(|()| median(samples)).map_err(|_| Errno::EINVAL)
}

/// Unmaps the scratch page and frees the frame `map_user_frame` recorded
/// as `mapped` (the scratch page has no page record: its mapping holds the
/// reference).
fn unmap_scratch(root: u64, mapped: u64) {
    unmap_scratch_page(root, SCRATCH_PAGE, mapped);
}

/// [`unmap_scratch`] for scratch page `page`.
#[allow(unsafe_code)]
fn unmap_scratch_page(root: u64, page: u64, mapped: u64) {
    if paging::clear_user_page(root, page) == Some(mapped) {
        // SAFETY: the reference was the scratch mapping's, which is gone.
        unsafe { memory::release_raw(mapped) };
    }
}

fn uart_raw(ms: u64) -> u64 {
    let deadline = time::now_ns() + ms.min(10_000) * 1_000_000;
    let zeros = [0u8; 16];
    let mut written = 0;
    while time::now_ns() < deadline {
        written += serial::send_some(&zeros) as u64;
    }
    written
}

fn encode_frame(iterations: u64) -> Result<u64, Errno> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Errno::EINVAL);
    }
    let mut samples = Vec::with_capacity(iterations as usize);
    for round in 0..iterations {
        let start = read_tsc();
        telemetry::send(Message::Exit(protocol::message::Exit {
            pid: 7,
            status: round as i32 & 3,
            signal: 0,
        }));
        samples.push(read_tsc() - start);
        if round % 64 == 63 {
            telemetry::drain(usize::MAX);
        }
    }
    Ok(median(samples))
}

fn telemetry_flood(ms: u64) -> u64 {
    let deadline = time::now_ns() + ms.min(10_000) * 1_000_000;
    let text = "telemetry flood: a log line of a typical length, sixty-four bytes";
    let mut written = 0;
    while time::now_ns() < deadline {
        telemetry::send(Message::Log(Log {
            level: LogLevel::Debug,
            pid: 0,
            text,
        }));
        written += telemetry::drain(usize::MAX) as u64;
    }
    written
}

/// Fills the ring with log frames until it takes no more, then drains it
/// whole to the link, timing only the drain; repeats for `ms`. Returns
/// bytes per second of drain time.
fn link_drain(ms: u64) -> u64 {
    let deadline = time::now_ns() + ms.min(10_000) * 1_000_000;
    let text = "link drain: a log line of a typical length, fifty-nine bytes";
    let (mut written, mut cycles) = (0u64, 0u64);
    while time::now_ns() < deadline {
        let message = || {
            Message::Log(Log {
                level: LogLevel::Debug,
                pid: 0,
                text,
            })
        };
        while matches!(
            telemetry::send(message()),
            kernel_core::telemetry::SendOutcome::Queued(_)
        ) {}
        let start = read_tsc();
        loop {
            let sent = telemetry::drain(usize::MAX);
            if sent == 0 {
                break;
            }
            written += sent as u64;
        }
        cycles += read_tsc() - start;
    }
    (u128::from(written) * u128::from(time::tsc_hz()) / u128::from(cycles.max(1))) as u64
}
