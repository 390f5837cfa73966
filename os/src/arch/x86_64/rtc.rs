//! TSC calibration against the MC146818 real-time clock's periodic flag:
//! the last fallback of [`super::tsc`], for machines without a PIT (QEMU's
//! `microvm,pit=off`; microvm under TCG keeps its RTC).
//!
//! The RTC raises its periodic flag (register C, bit 6) 1024 times a second
//! once periodic interrupts are enabled in register B; reading register C
//! clears it. The interrupt itself goes nowhere (the 8259s and the I/O
//! APIC pins are masked, and interrupts are off at boot). Counting TSC
//! cycles across several periods gives the frequency; the first edge seen
//! may end a partial period and only starts the count.

use super::cpu::{inb, outb, read_tsc};

const INDEX: u16 = 0x70;
const DATA: u16 = 0x71;
const REGISTER_A: u8 = 0x0A;
const REGISTER_B: u8 = 0x0B;
const REGISTER_C: u8 = 0x0C;
/// Register A: the 32.768 kHz time base, periodic rate 6 (1024 Hz).
const RATE_1024_HZ: u8 = 0b010_0000 | 6;
const PERIODIC_HZ: u64 = 1024;
/// Register B: periodic interrupt enable. Register C: periodic flag.
const PERIODIC: u8 = 1 << 6;
/// Periods per measurement (about 7.8 ms).
const PERIODS: u64 = 8;
/// Register-C reads without an edge before giving up (an edge is due every
/// millisecond; this is far more than that).
const POLLS: u32 = 10_000_000;
/// How many measurements [`calibrate_tsc_hz`] takes.
const MEASUREMENTS: usize = 7;

fn read(register: u8) -> u8 {
    outb(INDEX, register);
    inb(DATA)
}

fn write(register: u8, value: u8) {
    outb(INDEX, register);
    outb(DATA, value);
}

/// The TSC at the next periodic edge.
fn next_edge() -> Option<u64> {
    (0..POLLS).find_map(|_| (read(REGISTER_C) & PERIODIC != 0).then(read_tsc))
}

/// One measurement: the frequency, and whether it is clean (no period
/// near twice the median: the CPU stalled across an edge and two periods
/// looked like one). `None` if the flag stopped rising.
fn measure() -> Option<(u64, bool)> {
    next_edge()?;
    let start = next_edge()?;
    let mut end = start;
    let mut gaps = [0u64; PERIODS as usize];
    for gap in &mut gaps {
        let edge = next_edge()?;
        *gap = edge - end;
        end = edge;
    }
    gaps.sort_unstable();
    let median = gaps.get(gaps.len() / 2).copied()?;
    let longest = gaps.last().copied()?;
    let clean = longest < median + median * 3 / 4;
    Some(((end - start) * PERIODIC_HZ / PERIODS, clean))
}

/// The TSC frequency in Hz (the median of the clean measurements, or of
/// all when none is clean), or `None` without an RTC (its registers then
/// read 0xFF).
pub fn calibrate_tsc_hz() -> Option<u64> {
    let (a, b) = (read(REGISTER_A), read(REGISTER_B));
    if a == 0xFF || b == 0xFF {
        return None;
    }
    write(REGISTER_A, RATE_1024_HZ);
    write(REGISTER_B, b | PERIODIC);
    read(REGISTER_C);
    let mut measured = [(0u64, false); MEASUREMENTS];
    let mut taken = 0;
    for slot in &mut measured {
        match measure() {
            Some(measurement) => *slot = measurement,
            None => break,
        }
        taken += 1;
    }
    write(REGISTER_B, b);
    write(REGISTER_A, a);
    read(REGISTER_C);
    let measured = measured.get_mut(..taken)?;
    let mut clean: alloc::vec::Vec<u64> = measured
        .iter()
        .filter(|(_, clean)| *clean)
        .map(|(hz, _)| *hz)
        .collect();
    if clean.is_empty() {
        clean = measured.iter().map(|(hz, _)| *hz).collect();
    }
    clean.sort_unstable();
    // A few MHz at least: anything less is no clock at all.
    let median = clean.get(clean.len() / 2).copied()?;
    (median > 1_000_000).then_some(median)
}
