//! TSC calibration against the 8254 programmable interval timer (the
//! fallback of [`super::tsc`] when the CPU does not state its TSC frequency).
//!
//! It uses PIT channel 0, read with the latch command: channel 0 exists
//! wherever a PIT does (q35, and microvm under TCG). The gate of channel 2
//! hangs off port 0x61 (the PC speaker's port B), which microvm does not
//! have: there port 0x61 reads 0xFF, "terminal count reached" at once, and
//! the old channel-2 method measured a 52 kHz TSC, so guest time ran about
//! 40,000 times too fast (boots of "10 s" and heartbeats flooding the link).
//!
//! Each reading of the counter is bracketed by two TSC reads, so the moment
//! the count was taken is known to within those two, and a pause between
//! readings counts in both clocks alike. Under an emulator on a busy host
//! the virtual CPU can still be descheduled inside a bracket, or for longer
//! than a turn of the counter (55 ms); [`calibrate_tsc_hz`] drops
//! measurements with such a stall and takes the median of the rest.

use super::cpu::{inb, outb, read_tsc};

const PIT_HZ: u64 = 1_193_182;
const PIT_CHANNEL0: u16 = 0x40;
const PIT_COMMAND: u16 = 0x43;
/// Channel 0, low then high byte, mode 0 (interrupt on terminal count:
/// one edge on IRQ0, which is masked anyway), binary.
const CHANNEL0_MODE0: u8 = 0b0011_0000;
/// Channel 0, counter latch.
const CHANNEL0_LATCH: u8 = 0b0000_0000;
/// Readings without the counter moving before we call the PIT absent.
const STUCK_READINGS: u32 = 100_000;

/// The counter of channel 0, with the TSC read just before and just after.
fn bracketed_count() -> (u64, u16, u64) {
    let before = read_tsc();
    outb(PIT_COMMAND, CHANNEL0_LATCH);
    let low = inb(PIT_CHANNEL0);
    let high = inb(PIT_CHANNEL0);
    let after = read_tsc();
    (before, u16::from_le_bytes([low, high]), after)
}

/// What one measurement gave.
enum Measurement {
    /// The TSC frequency in Hz.
    Hz(u64),
    /// The virtual CPU stalled for most of the window (long enough, perhaps,
    /// for the 16-bit counter to wrap unseen): try again.
    Disturbed,
    /// The counter does not move: there is no PIT.
    NoPit,
}

/// Measures the TSC frequency over about `window_ms` milliseconds (at most
/// 50: the counter wraps after 55 ms).
fn measure(window_ms: u64) -> Measurement {
    let window = (PIT_HZ * window_ms.min(50) / 1000).max(1) as u16;
    // A free-running 16-bit down-counter: count 0 means 65536.
    outb(PIT_COMMAND, CHANNEL0_MODE0);
    outb(PIT_CHANNEL0, 0);
    outb(PIT_CHANNEL0, 0);
    let (start_before, start_count, start_after) = bracketed_count();
    let mut previous = start_after;
    let mut longest_step = 0;
    let mut stuck = 0;
    loop {
        let (before, count, after) = bracketed_count();
        longest_step = longest_step.max(after - previous);
        previous = after;
        let ticks = start_count.wrapping_sub(count);
        if ticks >= window {
            // From the midpoint of the first bracket to that of the last.
            let cycles =
                (before / 2 + after / 2).saturating_sub(start_before / 2 + start_after / 2);
            // Steps take microseconds; one that took half the window means
            // the CPU was away, maybe for a whole turn of the counter.
            if longest_step > cycles / 2 {
                return Measurement::Disturbed;
            }
            return Measurement::Hz(cycles * PIT_HZ / u64::from(ticks));
        }
        if ticks == 0 {
            stuck += 1;
            if stuck > STUCK_READINGS {
                return Measurement::NoPit;
            }
        }
        core::hint::spin_loop();
    }
}

/// How many measurements [`calibrate_tsc_hz`] takes. Under TCG undisturbed
/// 1 ms windows agree within about 0.1%, so three (the median rejects one
/// outlier) give the rate as well as five did, 2 ms sooner in every boot.
const MEASUREMENTS: usize = 3;
/// How many attempts it makes to get them.
const ATTEMPTS: usize = 4 * MEASUREMENTS;

/// The TSC frequency in Hz: the median of several undisturbed measurements
/// over `window_ms` each, or `None` without a working PIT.
pub fn calibrate_tsc_hz(window_ms: u64) -> Option<u64> {
    let mut measured = [0u64; MEASUREMENTS];
    let mut taken = 0;
    for _ in 0..ATTEMPTS {
        if taken == MEASUREMENTS {
            break;
        }
        match measure(window_ms) {
            Measurement::Hz(hz) => {
                if let Some(slot) = measured.get_mut(taken) {
                    *slot = hz;
                }
                taken += 1;
            }
            Measurement::Disturbed => {}
            Measurement::NoPit => return None,
        }
    }
    let measured = measured.get_mut(..taken)?;
    measured.sort_unstable();
    measured.get(taken / 2).copied()
}
