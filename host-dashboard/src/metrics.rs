//! Prometheus export (`--metrics-addr`): the state model as OpenMetrics
//! text, rendered afresh from a [`State`] on every scrape.
//!
//! [`render`] is a pure function of the state (and nothing else: no
//! registry keeps values between scrapes), so every number it exposes is
//! the number the headless summary reports for the same state, and a test
//! can check it without a server. The families (all prefixed
//! `watchtower_`, every series labelled with `image` and `boot_id`):
//!
//! | family | type | labels | from |
//! | --- | --- | --- | --- |
//! | `guest_uptime_seconds` | gauge | | Heartbeat |
//! | `process_minor_faults_total`, `process_major_faults_total` | counter | pid, name | process snapshot |
//! | `process_vm_total_bytes`, `process_vm_total_max_bytes` | gauge | pid, name | process snapshot |
//! | `process_resident_bytes` | gauge | pid, name | region snapshots |
//! | `process_cpu_seconds_total` | counter | pid, name | process snapshot |
//! | `process_state` | gauge (1 for the current state, 0 for the others) | pid, name, state | snapshot or event |
//! | `subscriber_events_total`, `subscriber_acks_total`, `subscriber_ignored_acks_total` | counter | endpoint, name | subscriber snapshot and events |
//! | `subscriber_outstanding_events` | gauge | endpoint, name | |
//! | `subscriber_ack_latency_seconds` | histogram | endpoint, name | the kernel's histogram buckets |
//! | `memory_free_bytes`, `memory_total_bytes`, `memory_cached_bytes` | gauge | | memory snapshot |
//! | `swap_used_bytes`, `swap_total_bytes` | gauge | | memory snapshot |
//! | `disk_read_bytes_total`, `disk_written_bytes_total` | counter | | memory snapshot |
//! | `events_total` | counter | kind (spawn, signal, exit, reaped, user_fault, bad_pointer) | events |
//! | `link_frames_total`, `link_received_bytes_total`, `link_crc_errors_total`, `link_malformed_frames_total`, `link_oversize_frames_total`, `link_resyncs_total`, `link_seq_gaps_total`, `link_guest_dropped_frames_total` | counter | | the decoder |
//! | `link_up` | gauge | | 1 while frames arrive (the link is live) |
//! | `warnings` | gauge | kind | [`crate::state::Warnings`] |
//!
//! Processes are the live (not yet reaped) ones, as in the summary's
//! `processes`: a reaped process leaves the exposition, so the number of
//! series stays bounded by the process table, not by the run's length.

mod server;

pub use server::{MetricsServer, Published};

use crate::state::WarningCounts;
use crate::state::{LinkCondition, PAGE_SIZE, State, process_state_name};
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;
use protocol::message::ProcessState;

/// The OpenMetrics content type [`render`]'s text is served with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (in nanoseconds, as powers of two) of the ack-latency
/// histogram's buckets: 2^10 ns (about 1 µs) to 2^34 ns (about 17 s).
pub const LATENCY_BUCKET_BITS: std::ops::RangeInclusive<u32> = 10..=34;

type Labels = Vec<(&'static str, String)>;

/// The session labels every series carries: the image and the boot id
/// (empty before the guest's Hello).
fn session_labels(state: &State) -> Labels {
    let boot_id = state
        .guest()
        .identity
        .as_ref()
        .map(|identity| identity.boot_id.to_string())
        .unwrap_or_default();
    vec![("image", state.image().to_string()), ("boot_id", boot_id)]
}

fn with(base: &Labels, extra: &[(&'static str, String)]) -> Labels {
    let mut labels = base.clone();
    labels.extend_from_slice(extra);
    labels
}

/// One family being written: its descriptor, then its series.
struct Family<'e> {
    encoder: MetricEncoder<'e>,
}

impl Family<'_> {
    fn counter_u64(&mut self, labels: &Labels, value: u64) -> std::fmt::Result {
        ConstCounter::new(value).encode(self.encoder.encode_family(labels)?)
    }

    fn counter_f64(&mut self, labels: &Labels, value: f64) -> std::fmt::Result {
        ConstCounter::new(value).encode(self.encoder.encode_family(labels)?)
    }

    fn gauge_i64(&mut self, labels: &Labels, value: u64) -> std::fmt::Result {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        ConstGauge::new(value).encode(self.encoder.encode_family(labels)?)
    }

    fn gauge_f64(&mut self, labels: &Labels, value: f64) -> std::fmt::Result {
        ConstGauge::new(value).encode(self.encoder.encode_family(labels)?)
    }
}

fn family<'e>(
    encoder: &'e mut DescriptorEncoder,
    name: &'e str,
    help: &str,
    unit: Option<&'e Unit>,
    metric_type: MetricType,
) -> Result<Family<'e>, std::fmt::Error> {
    Ok(Family {
        encoder: encoder.encode_descriptor(name, help, unit, metric_type)?,
    })
}

/// The state's metrics as OpenMetrics text (ending in `# EOF`).
pub fn render(state: &State) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; an error here is a bug in a family
    // below (the encoder checks names), so it shows in the output.
    if let Err(error) =
        prometheus_client::encoding::text::encode_registry(&mut out, &registry_for(state))
            .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut out))
    {
        out.push_str(&format!("# error: {error}\n"));
    }
    out
}

/// A registry holding one collector that writes `state`'s families.
fn registry_for(state: &State) -> prometheus_client::registry::Registry {
    let mut registry = prometheus_client::registry::Registry::with_prefix("watchtower");
    registry.register_collector(Box::new(Snapshot::of(state)));
    registry
}

/// The numbers of one state, taken at scrape time, for the collector (which
/// must own its data).
#[derive(Debug)]
struct Snapshot {
    session: Labels,
    uptime_ns: u64,
    processes: Vec<ProcessRow>,
    subscribers: Vec<SubscriberRow>,
    memory: Option<protocol::message::MemorySnapshot>,
    events: [(&'static str, u64); 6],
    link: protocol::stream::LinkStats,
    link_up: bool,
    warnings: WarningCounts,
}

#[derive(Debug)]
struct ProcessRow {
    labels: Labels,
    state: ProcessState,
    minor_faults: u64,
    major_faults: u64,
    vm_total_pages: u64,
    vm_total_max_pages: u64,
    resident_pages: u64,
    cpu_ns: u64,
}

#[derive(Debug)]
struct SubscriberRow {
    labels: Labels,
    events: u64,
    acks: u64,
    ignored_acks: u64,
    outstanding: u64,
    latency: Option<LatencyHistogram>,
}

/// A subscriber's ack latencies in the exporter's buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyHistogram {
    /// Sum of the latencies, in seconds.
    pub sum_seconds: f64,
    /// Latencies measured.
    pub count: u64,
    /// (upper bound in seconds, latencies in this bucket and not in an
    /// earlier one), ending with +Inf.
    pub buckets: Vec<(f64, u64)>,
}

impl LatencyHistogram {
    /// The exporter's buckets of a subscriber's latest histogram frame.
    pub fn of(histogram: &protocol::message::LatencyHistogram) -> Self {
        let mut buckets: Vec<(f64, u64)> = LATENCY_BUCKET_BITS
            .map(|bits| ((1u64 << bits) as f64 / 1e9, 0))
            .collect();
        buckets.push((f64::INFINITY, 0));
        for (bits, count) in histogram.buckets.non_empty() {
            // Log2 bucket `bits` holds values below 2^bits ns.
            let slot =
                (bits.max(*LATENCY_BUCKET_BITS.start()) - LATENCY_BUCKET_BITS.start()) as usize;
            let slot = slot.min(buckets.len() - 1);
            buckets[slot].1 += u64::from(count);
        }
        Self {
            sum_seconds: histogram.sum_ns as f64 / 1e9,
            count: histogram.buckets.total(),
            buckets,
        }
    }
}

impl Snapshot {
    fn of(state: &State) -> Self {
        let session = session_labels(state);
        let system = state.system();
        let processes = system
            .live()
            .map(|process| ProcessRow {
                labels: with(
                    &session,
                    &[
                        ("pid", process.pid.to_string()),
                        ("name", process.name.clone()),
                    ],
                ),
                state: process.state,
                minor_faults: process.vm.minor_faults,
                major_faults: process.vm.major_faults,
                vm_total_pages: process.vm.vm_total_pages,
                vm_total_max_pages: process.vm.vm_total_max_pages,
                resident_pages: process.resident_pages(),
                cpu_ns: process.cpu_ns,
            })
            .collect();
        let subscribers = system
            .subscribers()
            .entries()
            .iter()
            .map(|subscriber| SubscriberRow {
                labels: with(
                    &session,
                    &[
                        ("endpoint", subscriber.endpoint.to_string()),
                        ("name", subscriber.name.clone()),
                    ],
                ),
                events: subscriber.events,
                acks: subscriber.acks,
                ignored_acks: subscriber.ignored_acks,
                outstanding: subscriber.outstanding,
                latency: subscriber.histogram.as_ref().map(LatencyHistogram::of),
            })
            .collect();
        let events = system.lifecycle();
        Self {
            session,
            uptime_ns: state.guest().uptime_ns,
            processes,
            subscribers,
            memory: system.memory().map(|memory| memory.latest),
            events: [
                ("spawn", events.spawn),
                ("signal", events.signal),
                ("exit", events.exit),
                ("reaped", events.reaped),
                ("user_fault", events.user_fault),
                ("bad_pointer", events.bad_pointer),
            ],
            link: state.link().stats,
            link_up: matches!(state.link_condition(), LinkCondition::Live),
            warnings: WarningCounts::from(&state.warnings()),
        }
    }
}

impl prometheus_client::collector::Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        use MetricType::{Counter, Gauge, Histogram};
        let s = &self.session;
        let e = &mut encoder;
        let seconds = Unit::Seconds;
        let bytes = Unit::Bytes;

        family(e, "guest_uptime", "Guest uptime", Some(&seconds), Gauge)?
            .gauge_f64(s, self.uptime_ns as f64 / 1e9)?;

        // Processes.
        type ProcessValue = fn(&ProcessRow) -> u64;
        let counters: [(&str, &str, ProcessValue); 2] = [
            (
                "process_minor_faults",
                "Minor page faults of a live process",
                |p| p.minor_faults,
            ),
            (
                "process_major_faults",
                "Major page faults (disk I/O) of a live process",
                |p| p.major_faults,
            ),
        ];
        for (name, help, value) in counters {
            let mut f = family(e, name, help, None, Counter)?;
            for process in &self.processes {
                f.counter_u64(&process.labels, value(process))?;
            }
        }
        let gauges: [(&str, &str, ProcessValue); 3] = [
            (
                "process_vm_total",
                "Memory attached to the regions of a live process (vm_total)",
                |p| p.vm_total_pages * PAGE_SIZE,
            ),
            ("process_vm_total_max", "High-water mark of vm_total", |p| {
                p.vm_total_max_pages * PAGE_SIZE
            }),
            (
                "process_resident",
                "Pages of a live process in memory",
                |p| p.resident_pages * PAGE_SIZE,
            ),
        ];
        for (name, help, value) in gauges {
            let mut f = family(e, name, help, Some(&bytes), Gauge)?;
            for process in &self.processes {
                f.gauge_i64(&process.labels, value(process))?;
            }
        }
        let mut f = family(
            e,
            "process_cpu",
            "CPU time of a live process",
            Some(&seconds),
            Counter,
        )?;
        for process in &self.processes {
            f.counter_f64(&process.labels, process.cpu_ns as f64 / 1e9)?;
        }
        let mut f = family(
            e,
            "process_state",
            "1 for the state a live process is in, 0 for the others",
            None,
            Gauge,
        )?;
        for process in &self.processes {
            for state in ProcessState::ALL {
                let labels = with(
                    &process.labels,
                    &[("state", process_state_name(state).into())],
                );
                f.gauge_i64(&labels, u64::from(process.state == state))?;
            }
        }

        // Subscribers.
        type SubscriberValue = fn(&SubscriberRow) -> u64;
        let counters: [(&str, &str, SubscriberValue); 3] = [
            (
                "subscriber_events",
                "Process events sent to a subscriber",
                |r| r.events,
            ),
            ("subscriber_acks", "Acks accepted from a subscriber", |r| {
                r.acks
            }),
            (
                "subscriber_ignored_acks",
                "Acks from a subscriber that were ignored",
                |r| r.ignored_acks,
            ),
        ];
        for (name, help, value) in counters {
            let mut f = family(e, name, help, None, Counter)?;
            for row in &self.subscribers {
                f.counter_u64(&row.labels, value(row))?;
            }
        }
        let mut f = family(
            e,
            "subscriber_outstanding_events",
            "Events sent to a subscriber and not acked yet",
            None,
            Gauge,
        )?;
        for row in &self.subscribers {
            f.gauge_i64(&row.labels, row.outstanding)?;
        }
        let mut f = family(
            e,
            "subscriber_ack_latency",
            "Time from notifying a subscriber of an event to its ack (the kernel's histogram)",
            Some(&seconds),
            Histogram,
        )?;
        for row in &self.subscribers {
            if let Some(latency) = &row.latency {
                f.encoder
                    .encode_family(&row.labels)?
                    .encode_histogram::<Labels>(
                        latency.sum_seconds,
                        latency.count,
                        &latency.buckets,
                        None,
                    )?;
            }
        }

        // System memory, swap, disk.
        if let Some(memory) = &self.memory {
            let page_gauges = [
                ("memory_free", "Physical memory free", memory.free_frames),
                (
                    "memory_total",
                    "Physical memory managed",
                    memory.total_frames,
                ),
                (
                    "memory_cached",
                    "File pages in the page cache",
                    memory.cached_pages,
                ),
                ("swap_used", "Swap in use", memory.swap_used),
                ("swap_total", "Swap in all", memory.swap_total),
            ];
            for (name, help, pages) in page_gauges {
                family(e, name, help, Some(&bytes), Gauge)?.gauge_i64(s, pages * PAGE_SIZE)?;
            }
            family(
                e,
                "disk_read",
                "Read from the disk since boot",
                Some(&bytes),
                Counter,
            )?
            .counter_u64(s, memory.disk_reads * PAGE_SIZE)?;
            family(
                e,
                "disk_written",
                "Written to the disk since boot",
                Some(&bytes),
                Counter,
            )?
            .counter_u64(s, memory.disk_writes * PAGE_SIZE)?;
        }

        // Lifecycle events.
        let mut f = family(
            e,
            "events",
            "Lifecycle telemetry events seen, by kind",
            None,
            Counter,
        )?;
        for (kind, count) in self.events {
            f.counter_u64(&with(s, &[("kind", kind.to_string())]), count)?;
        }

        // The link.
        let link = &self.link;
        let link_counters = [
            ("link_frames", "Telemetry frames decoded", link.frames),
            (
                "link_crc_errors",
                "Frames whose CRC did not match",
                link.crc_errors,
            ),
            (
                "link_malformed_frames",
                "Frames that did not decode",
                link.malformed,
            ),
            (
                "link_oversize_frames",
                "Frames longer than the protocol allows",
                link.oversize,
            ),
            (
                "link_resyncs",
                "Times the decoder restarted at the next delimiter",
                link.resyncs,
            ),
            (
                "link_seq_gaps",
                "Frames missing from the sequence",
                link.seq_gaps,
            ),
            (
                "link_guest_dropped_frames",
                "Frames the guest dropped from its ring, as reported",
                link.guest_dropped,
            ),
        ];
        for (name, help, value) in link_counters {
            family(e, name, help, None, Counter)?.counter_u64(s, value)?;
        }
        family(
            e,
            "link_received",
            "Bytes received from the guest",
            Some(&bytes),
            Counter,
        )?
        .counter_u64(s, link.bytes)?;
        family(
            e,
            "link_up",
            "1 while frames arrive from the guest, else 0",
            None,
            Gauge,
        )?
        .gauge_i64(s, u64::from(self.link_up))?;

        // Warnings.
        let w = &self.warnings;
        let mut f = family(
            e,
            "warnings",
            "Warnings that hold now, by kind",
            None,
            Gauge,
        )?;
        for (kind, value) in [
            ("stuck_events", w.stuck_events),
            ("slow_acks", w.slow_acks),
            ("fault_storms", w.fault_storms),
            ("crc_errors", w.crc_errors),
            ("seq_gaps", w.seq_gaps),
            ("stale_link", w.stale_link),
            ("link_down", w.link_down),
        ] {
            f.gauge_i64(&with(s, &[("kind", kind.to_string())]), value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
