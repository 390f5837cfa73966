//! COM1, the telemetry link: raw bytes out, raw bytes in.
//!
//! Frames are binary, so this uses the UART directly (never the crate's TTY
//! layer, which rewrites newlines). Sending never waits: it writes what the
//! transmit FIFO takes and reports how much that was.

use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

const COM1: u16 = 0x3F8;

static PORT: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

/// Initialises COM1 (115200 8N1, FIFOs on, no interrupts).
#[allow(
    clippy::expect_used,
    reason = "boot-time, the first thing `start` does; COM1's fixed port range is valid"
)]
pub fn init() {
    // SAFETY: 0x3F8 is COM1 on every PC-compatible machine, and this module
    // is its only user.
    let mut uart = unsafe { Uart16550::new_port(COM1) }.expect("COM1's port range is valid");
    let config = Config {
        baud_rate: uart_16550::BaudRate::Baud115200,
        ..Config::default()
    };
    // A missing UART leaves the link silent; the kernel runs on regardless.
    if uart.init(config).is_ok() {
        *PORT.lock() = Some(uart);
    }
}

/// Writes as many of `bytes` as the UART accepts right now (up to its FIFO
/// size); returns how many that was.
pub fn send_some(bytes: &[u8]) -> usize {
    match PORT.try_lock().as_deref_mut() {
        Some(Some(uart)) => uart.send_bytes(bytes),
        _ => 0,
    }
}

/// Takes one received byte, if any is waiting.
pub fn receive_byte() -> Option<u8> {
    match PORT.try_lock().as_deref_mut() {
        Some(Some(uart)) => uart.try_receive_byte().ok(),
        _ => None,
    }
}

/// Releases the port lock whoever holds it, for the panic path only.
pub fn unlock_for_panic() {
    if PORT.is_locked() {
        // SAFETY: called only from the panic handler with interrupts off on
        // the only CPU; whatever held the lock will never run again.
        unsafe { PORT.force_unlock() };
    }
}
