//! Counts of what happened to processes as the guest's lifecycle frames
//! report it (`Spawn`, `Exit`, `Signal`, `Reaped`, faults): the process
//! *lifecycle*, not the PM's process events (those are in
//! [`super::EventFlow`]; ARCHITECTURE.md's glossary).
//!
//! Field names are those of the headless JSON `events` object: `spawn`,
//! `signal` and `exit` are the contract's; the rest are extra detail.

use protocol::message::SignalOutcome;
use serde::Serialize;

/// Lifecycle events seen in this boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LifecycleCounts {
    /// Processes created (spawn or fork).
    pub spawn: u64,
    /// Signals sent, whatever they did.
    pub signal: u64,
    /// Processes that began to exit.
    pub exit: u64,
    /// Zombies reaped.
    pub reaped: u64,
    /// Signals sent, by what they did.
    pub signal_outcomes: SignalOutcomes,
    /// Signal handlers entered.
    pub signal_handled: u64,
    /// CPU exceptions in processes.
    pub user_fault: u64,
    /// System calls that failed with EFAULT.
    pub bad_pointer: u64,
    /// Per-fault `PageFault` events (only a guest booted with
    /// `fault_events=on` over the virtio-console link sends them).
    pub page_fault: u64,
}

/// Signals sent, by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SignalOutcomes {
    /// Discarded.
    pub ignored: u64,
    /// Left pending.
    pub blocked: u64,
    /// To be handled by the target.
    pub caught: u64,
    /// Killed the target.
    pub terminate: u64,
    /// Stopped the target.
    pub stop: u64,
    /// Continued the target.
    #[serde(rename = "continue")]
    pub continued: u64,
}

impl SignalOutcomes {
    /// Counts one signal with `outcome`.
    pub(crate) fn count(&mut self, outcome: SignalOutcome) {
        let counter = match outcome {
            SignalOutcome::Ignored => &mut self.ignored,
            SignalOutcome::Blocked => &mut self.blocked,
            SignalOutcome::Caught => &mut self.caught,
            SignalOutcome::Terminate => &mut self.terminate,
            SignalOutcome::Stop => &mut self.stop,
            SignalOutcome::Continue => &mut self.continued,
        };
        *counter += 1;
    }
}
