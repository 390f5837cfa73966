//! Services subscribed to process events, as the host will track them.
//!
//! The guest does not report subscribers yet; the types exist so the
//! headless summary has its contract's `subscribers` list (empty until
//! then). Field names follow the headless JSON contract.

use serde::Serialize;

/// A service subscribed to process events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    /// Service name.
    pub name: String,
    /// Event kinds it subscribed to.
    pub mask: Vec<EventKind>,
    /// Events delivered to it.
    pub events: u64,
    /// Acks it sent that counted.
    pub acks: u64,
    /// Events delivered but not acknowledged yet.
    pub outstanding: u64,
    /// Ack latency summary.
    pub ack_latency_ns: LatencySummary,
}

/// A process event kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A process exited.
    Exit,
    /// A process caught a signal.
    Signal,
}

/// Percentiles of a latency distribution, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}
