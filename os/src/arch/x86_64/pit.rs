//! TSC calibration against the 8254 programmable interval timer.
//!
//! PIT channel 2 counts down at a fixed 1.193182 MHz; its output is visible
//! in bit 5 of port 0x61. Counting TSC cycles over a known number of PIT
//! ticks gives the TSC frequency.
//!
//! Under an emulator on a busy host the virtual CPU can be descheduled
//! while it polls, so it sees the PIT's output late and counts too many
//! cycles (a boot once calibrated 18.5 GHz for a 2.6 GHz TSC, and its clock
//! ran seven times slow). A late look only ever adds cycles, so
//! [`calibrate_tsc_hz`] takes the smallest of several short measurements.

use super::cpu::{inb, outb, read_tsc};

const PIT_HZ: u64 = 1_193_182;
const PIT_CHANNEL2: u16 = 0x42;
const PIT_COMMAND: u16 = 0x43;
const PORT_B: u16 = 0x61;

/// Measures the TSC frequency in Hz over `window_ms` milliseconds (the PIT
/// counts 1193 ticks per millisecond, so a few milliseconds give a
/// resolution of a few parts in ten thousand).
pub fn measure_tsc_hz(window_ms: u64) -> u64 {
    let count = (PIT_HZ * window_ms / 1000).clamp(1, 0xFFFF);
    // Gate on, speaker off.
    let port_b = (inb(PORT_B) & !0x02) | 0x01;
    outb(PORT_B, port_b);
    // Channel 2, low then high byte, mode 0 (interrupt on terminal count).
    outb(PIT_COMMAND, 0b1011_0000);
    outb(PIT_CHANNEL2, (count & 0xFF) as u8);
    outb(PIT_CHANNEL2, (count >> 8) as u8);
    // Restart the count with a rising edge on the gate.
    outb(PORT_B, port_b & !0x01);
    outb(PORT_B, port_b | 0x01);
    let start = read_tsc();
    while inb(PORT_B) & 0x20 == 0 {
        core::hint::spin_loop();
    }
    let cycles = read_tsc() - start;
    cycles * PIT_HZ / count
}

/// How many measurements [`calibrate_tsc_hz`] takes.
const MEASUREMENTS: usize = 7;

/// The TSC frequency in Hz: the smallest of several measurements over
/// `window_ms` each (see the module docs for why the smallest).
pub fn calibrate_tsc_hz(window_ms: u64) -> u64 {
    (0..MEASUREMENTS)
        .map(|_| measure_tsc_hz(window_ms))
        .min()
        .unwrap_or(0)
}
