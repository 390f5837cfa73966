//! The periodic tick: heartbeats, timed power-off, and the telemetry drain
//! budget of a busy CPU.

use crate::sync::IrqLock;
use crate::{telemetry, time};
use core::sync::atomic::{AtomicU64, Ordering};
use protocol::message::{Heartbeat, Message};

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 1000;

struct TimerState {
    heartbeat_period_ns: u64,
    next_heartbeat_ns: u64,
}

static STATE: IrqLock<TimerState> = IrqLock::new(
    "timer",
    TimerState {
        heartbeat_period_ns: 100_000_000,
        next_heartbeat_ns: 0,
    },
);
static IDLE_NS: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Sets the heartbeat period.
pub fn set_heartbeat_period_ms(ms: u64) {
    STATE.with(|state| state.heartbeat_period_ns = ms * 1_000_000);
}

/// Adds time the CPU spent halted.
pub fn account_idle(ns: u64) {
    IDLE_NS.fetch_add(ns, Ordering::Relaxed);
}

/// Nanoseconds the CPU spent halted since boot.
pub fn idle_ns() -> u64 {
    IDLE_NS.load(Ordering::Relaxed)
}

/// Called on every timer interrupt.
pub fn tick() {
    let now = time::now_ns();
    let heartbeat_due = STATE.with(|state| {
        if now < state.next_heartbeat_ns {
            return false;
        }
        state.next_heartbeat_ns = now + state.heartbeat_period_ns;
        true
    });
    if heartbeat_due {
        send_heartbeat(now);
    }
    crate::sched::tick(now);
    crate::commands::poll();
    crate::snapshot::tick(now);
    let tick = TICKS.fetch_add(1, Ordering::Relaxed);
    if tick.is_multiple_of(telemetry::BURST_EVERY_TICKS) {
        telemetry::drain(telemetry::burst_budget());
    }
}

/// Sends a heartbeat now.
pub fn send_heartbeat(now_ns: u64) {
    telemetry::send(Message::Heartbeat(Heartbeat {
        uptime_ns: now_ns,
        dropped_total: telemetry::dropped_total(),
        idle_ns: IDLE_NS.load(Ordering::Relaxed),
    }));
}
