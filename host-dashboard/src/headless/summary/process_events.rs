//! The summary's view of the process-event system and the host commands:
//! `subscribers`, the pub/sub part of `events`, and `commands`.
//!
//! A subscriber has the contract's `name`, `mask` (kind names), `events`,
//! `acks`, `outstanding` and `ack_latency_ns` (`p50`, `p99`, `max`, from its
//! latest snapshot), and extra detail: `index`, `endpoint`, `ignored_acks`,
//! `oldest_outstanding`. `events` keeps the lifecycle counts (`spawn`,
//! `signal`, `exit` are the telemetry events seen) and adds the PM's
//! events: `published` by kind, `completed`, `in_flight`, `ignored_acks`,
//! the events `stuck` now, and `warnings` (stuck episodes so far, with a
//! `kind` so that later kinds fit).

use crate::state::{
    Clearance, CommandReport, Commands, FlowCounts, IgnoredCounts, KindCounts, LifecycleCounts,
    StuckEvent, StuckWarning, Subscriber, System, Waiter, event_kind_name, mask_names,
    reject_reason_name,
};
use protocol::command::CommandOutcome;
use serde::Serialize;
use std::collections::BTreeMap;

/// One entry of `subscribers`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SubscriberSummary<'a> {
    /// Position in the PM's table (subscription order).
    pub index: usize,
    /// The service's pid.
    pub endpoint: u32,
    /// Its name (empty if the host never learnt it).
    pub name: &'a str,
    /// The kinds it subscribed to; empty once it unsubscribed (it stays
    /// until its last outstanding ack).
    pub mask: Vec<&'static str>,
    /// Events sent to it.
    pub events: u64,
    /// Acks accepted from it.
    pub acks: u64,
    /// Acks from it that were ignored.
    pub ignored_acks: u64,
    /// Events sent to it and not acked yet.
    pub outstanding: u64,
    /// The process waiting longest on it, or null.
    pub oldest_outstanding: Option<OldestSummary>,
    /// Ack latency from its latest snapshot.
    pub ack_latency_ns: LatencySummary,
    /// Its ack latencies by power of two since boot (the kernel's
    /// histogram, as `--metrics-addr` exports it), or null before its
    /// first ack or from a guest that does not send them.
    pub ack_latency_histogram: Option<HistogramSummary>,
}

/// A subscriber's `ack_latency_histogram`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct HistogramSummary {
    /// The snapshot round it comes from.
    pub round: u32,
    /// Acks measured.
    pub count: u64,
    /// Sum of their latencies, in nanoseconds.
    pub sum_ns: u64,
    /// The non-empty buckets, by bit length of the latency in nanoseconds
    /// (bucket `b` holds `2^(b-1) <= ns < 2^b`; 0 holds 0 ns; 40 holds
    /// everything from 2^39 ns up).
    pub buckets: Vec<BucketSummary>,
}

/// One bucket of a [`HistogramSummary`].
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
pub struct BucketSummary {
    /// Bit length of the latencies in it (see [`HistogramSummary`]).
    pub bucket: u32,
    /// How many.
    pub count: u32,
}

impl From<&protocol::message::LatencyHistogram> for HistogramSummary {
    fn from(histogram: &protocol::message::LatencyHistogram) -> Self {
        Self {
            round: histogram.round,
            count: histogram.buckets.total(),
            sum_ns: histogram.sum_ns,
            buckets: histogram
                .buckets
                .non_empty()
                .map(|(bucket, count)| BucketSummary { bucket, count })
                .collect(),
        }
    }
}

/// A subscriber's `oldest_outstanding`.
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
pub struct OldestSummary {
    /// The process.
    pub pid: u32,
    /// How long it has waited, in nanoseconds of guest time.
    pub age_ns: u64,
}

/// A subscriber's `ack_latency_ns`.
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
    /// Acks measured.
    pub count: u64,
}

impl<'a> SubscriberSummary<'a> {
    /// The summary of table entry `index`, `waiters` being every wait on a
    /// subscriber at guest time `now_ns`.
    pub fn new(index: usize, entry: &'a Subscriber, waiters: &[Waiter], now_ns: u64) -> Self {
        let oldest = waiters
            .iter()
            .filter(|waiter| waiter.subscriber == entry.endpoint)
            .min_by_key(|waiter| waiter.since_ns)
            .filter(|_| entry.outstanding > 0)
            .map(|waiter| OldestSummary {
                pid: waiter.pid,
                age_ns: now_ns.saturating_sub(waiter.since_ns),
            });
        Self {
            index,
            endpoint: entry.endpoint,
            name: &entry.name,
            mask: mask_names(entry.mask),
            events: entry.events,
            acks: entry.acks,
            ignored_acks: entry.ignored_acks,
            outstanding: entry.outstanding,
            oldest_outstanding: oldest,
            ack_latency_ns: LatencySummary {
                p50: entry.latency.p50_ns,
                p99: entry.latency.p99_ns,
                max: entry.latency.max_ns,
                count: entry.latency.count,
            },
            ack_latency_histogram: entry.histogram.as_ref().map(HistogramSummary::from),
        }
    }
}

/// The subscriber table at guest time `now_ns`.
pub fn subscribers(system: &System, now_ns: u64) -> Vec<SubscriberSummary<'_>> {
    let waiters = system.waiters();
    system
        .subscribers()
        .entries()
        .iter()
        .enumerate()
        .map(|(index, entry)| SubscriberSummary::new(index, entry, &waiters, now_ns))
        .collect()
}

/// The `events` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct EventsSummary<'a> {
    /// Lifecycle events seen (`spawn`, `signal`, `exit`, ...).
    #[serde(flatten)]
    pub lifecycle: &'a LifecycleCounts,
    /// PM events seen, by kind.
    pub published: KindCounts,
    /// PM events whose completion (`EventDone`) came.
    pub completed: u64,
    /// PM events that ended without their completion being seen.
    pub completion_unseen: u64,
    /// PM events in flight at the end.
    pub in_flight: usize,
    /// Acks ignored by the PM.
    pub ignored_acks: u64,
    /// Ignored acks by reason.
    pub ignored_by_reason: IgnoredCounts,
    /// Events stuck at the end of the run, longest first.
    pub stuck: Vec<StuckSummary<'a>>,
    /// Problems seen during the run, oldest first.
    pub warnings: Vec<WarningSummary<'a>>,
}

/// One entry of `events.stuck`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StuckSummary<'a> {
    /// The event, or null if its record was lost.
    pub event_id: Option<u64>,
    /// The process kept stopped.
    pub pid: u32,
    /// Its name.
    pub process: &'a str,
    /// The event's kind (`exit`, `signal`, `spawn`), or null if unknown.
    pub kind: Option<&'static str>,
    /// The name of the subscriber that has not acked.
    pub subscriber: &'a str,
    /// Its pid.
    pub subscriber_endpoint: u32,
    /// How long the process has waited on it, in nanoseconds.
    pub age_ns: u64,
    /// Guest time the subscriber was notified, in microseconds.
    pub since_us: u64,
}

impl<'a> From<&'a StuckEvent> for StuckSummary<'a> {
    fn from(event: &'a StuckEvent) -> Self {
        Self {
            event_id: event.event_id,
            pid: event.pid,
            process: &event.process,
            kind: event.kind.map(event_kind_name),
            subscriber: &event.subscriber_name,
            subscriber_endpoint: event.subscriber,
            age_ns: event.age_ns,
            since_us: event.since_ns / 1_000,
        }
    }
}

/// One entry of `events.warnings`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WarningSummary<'a> {
    /// What kind of problem: `stuck_event`.
    pub kind: &'static str,
    /// One line saying what happened.
    pub message: String,
    /// Whether it still holds at the end of the run.
    pub active: bool,
    /// Guest time it was first seen, in microseconds.
    pub raised_us: u64,
    /// Guest time it ended, or null.
    pub cleared_us: Option<u64>,
    /// How it ended (`acked`, `subscriber gone`, `event ended`, `unknown`),
    /// or null.
    pub clearance: Option<&'static str>,
    /// The stuck event; once cleared, its age is the whole wait.
    pub event: StuckSummary<'a>,
}

impl<'a> From<&'a StuckWarning> for WarningSummary<'a> {
    fn from(warning: &'a StuckWarning) -> Self {
        Self {
            kind: "stuck_event",
            message: warning.describe(),
            active: warning.is_active(),
            raised_us: warning.raised_ns / 1_000,
            cleared_us: warning.cleared_ns.map(|ns| ns / 1_000),
            clearance: warning.clearance.map(clearance_name),
            event: StuckSummary::from(&warning.event),
        }
    }
}

fn clearance_name(clearance: Clearance) -> &'static str {
    match clearance {
        Clearance::Acked => "acked",
        Clearance::SubscriberGone => "subscriber gone",
        Clearance::EventEnded => "event ended",
        Clearance::Unknown => "unknown",
    }
}

/// The `events` object of `system`.
pub fn events(system: &System) -> EventsSummary<'_> {
    let flow = system.event_flow();
    let counts: &FlowCounts = flow.counts();
    let stuck = system.stuck();
    EventsSummary {
        lifecycle: system.lifecycle(),
        published: counts.published,
        completed: counts.completed,
        completion_unseen: counts.completion_unseen,
        in_flight: flow.in_flight_count(),
        ignored_acks: counts.ignored_acks,
        ignored_by_reason: counts.ignored_by_reason,
        stuck: stuck.current().iter().map(StuckSummary::from).collect(),
        warnings: stuck.warnings().map(WarningSummary::from).collect(),
    }
}

/// The `commands` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CommandsSummary {
    /// Results by command id.
    pub results: BTreeMap<u32, ResultSummary>,
    /// Command frames the guest rejected (its running total).
    pub rejected: u64,
    /// Why the latest one was rejected (`undecodable`, `too long`), or null.
    pub last_rejection: Option<&'static str>,
}

/// One command's result.
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
pub struct ResultSummary {
    /// `done` or `failed`.
    pub outcome: &'static str,
    /// The value of a done command (e.g. a pid), else null.
    pub value: Option<u64>,
    /// The errno of a failed command, else null.
    pub errno: Option<u8>,
    /// Guest time of the answer, in microseconds.
    pub time_us: u64,
}

impl From<&CommandReport> for ResultSummary {
    fn from(report: &CommandReport) -> Self {
        let (outcome, value, errno) = match report.outcome {
            CommandOutcome::Done(value) => ("done", Some(value), None),
            CommandOutcome::Failed(errno) => ("failed", None, Some(errno)),
        };
        Self {
            outcome,
            value,
            errno,
            time_us: report.time_us,
        }
    }
}

impl From<&Commands> for CommandsSummary {
    fn from(commands: &Commands) -> Self {
        Self {
            results: commands
                .results()
                .iter()
                .map(|(id, report)| (*id, ResultSummary::from(report)))
                .collect(),
            rejected: commands.rejected,
            last_rejection: commands
                .last_rejection
                .map(|rejection| reject_reason_name(rejection.reason)),
        }
    }
}
