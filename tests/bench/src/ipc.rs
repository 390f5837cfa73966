//! Message round trips and process events (`bench-ipc`): the null `sendrec`
//! against publish-to-ack of one event, and how both scale.

use crate::figures::{Curve, Figure, Report, Sampling, Target};
use crate::guest::{self, GuestRun, p99, summarize};
use protocol::message::{EventKind, Message, OwnedFrame};
use std::time::Duration;

fn ack_latencies(frames: &[OwnedFrame]) -> Vec<f64> {
    frames
        .iter()
        .filter_map(|frame| match &frame.message {
            Message::Ack(ack) => Some(ack.latency_ns as f64),
            _ => None,
        })
        .collect()
}

fn completion_times(frames: &[OwnedFrame], kind: EventKind) -> Vec<f64> {
    frames
        .iter()
        .filter_map(|frame| match &frame.message {
            Message::EventDone(done) if done.kind == kind => Some(done.elapsed_ns as f64),
            _ => None,
        })
        .collect()
}

fn micros(ns: f64) -> String {
    format!("{:.1} µs", ns / 1000.0)
}

pub fn measure(report: &mut Report) -> GuestRun {
    let run = guest::boot("bench-ipc", "", Duration::from_secs(900));
    let rtt = run.get("ipc_rtt_cycles");
    let rtt_ns = run.ns(rtt.median);

    let mut curve_rows = Vec::new();
    for subscribers in [1usize, 2, 4, 8] {
        let frames = run.phase(&format!("signal subscribers={subscribers}"));
        let mut acks = ack_latencies(frames);
        let ack = summarize(&mut acks);
        let ack_p99 = p99(&acks);
        let mut done = completion_times(frames, EventKind::Signal);
        let completion = summarize(&mut done);
        let client = run.get(&format!("signal_to_handler_cycles_subs_{subscribers}"));
        if subscribers <= 4 {
            let (id, name, target) = match subscribers {
                1 => (
                    "ack_p50_over_ipc_rtt",
                    "ack latency p50 / bare IPC round trip (1 subscriber)",
                    Target::AtMost(1.5),
                ),
                2 => (
                    "ack_p50_over_ipc_rtt_2_subscribers",
                    "ack latency p50 / bare IPC round trip (2 subscribers)",
                    Target::None,
                ),
                _ => (
                    "ack_p50_over_ipc_rtt_4_subscribers",
                    "ack latency p50 / bare IPC round trip (4 subscribers)",
                    Target::None,
                ),
            };
            report.figures.push(
                Figure::new(
                    id,
                    name,
                    ack.median / rtt_ns,
                    (ack.p10 / rtt_ns, ack.p90 / rtt_ns),
                    target,
                )
                .samples(ack.n, Sampling::Distribution)
                .detail(format!(
                    "ack p50 {} over {} acks; null sendrec {} ({:.0} cycles) over {} round trips",
                    micros(ack.median),
                    ack.n,
                    micros(rtt_ns),
                    rtt.median,
                    rtt.n
                ))
                .method(
                    "The same two processes (a client and the echo-1 service): the median of 2000 null sendrec \
                     round trips timed with rdtsc in the client, against the PM's own notify-to-ack latency \
                     (TSC) of the SIGNAL events the client causes by signalling itself, one subscriber acking.",
                ),
            );
        }
        curve_rows.push(vec![
            if subscribers == 8 {
                "8 (table full)".to_string()
            } else {
                subscribers.to_string()
            },
            micros(ack.median),
            micros(ack_p99),
            micros(completion.median),
            micros(p99(&done)),
            micros(run.ns(client.median)),
        ]);
    }
    report.curves.push(Curve {
        title: "Ack latency against the number of subscribers (one SIGNAL event at a time)",
        header: vec!["subscribers", "ack p50", "ack p99", "publish to last ack p50", "p99", "kill to handler return (client)"],
        rows: curve_rows,
        note: "Each subscriber is notified only after the previous one acked, so publish-to-last-ack grows \
               linearly with the number of subscribers while each ack stays about the same.",
    });

    let mut rows = Vec::new();
    for count in [10u64, 100, 1000] {
        let frames = run.phase(&format!("exit processes={count}"));
        let mut acks = ack_latencies(frames);
        let ack = summarize(&mut acks);
        let mut done = completion_times(frames, EventKind::Exit);
        let completion = summarize(&mut done);
        let first = frames
            .iter()
            .find(|f| matches!(f.message, Message::Publish(_)))
            .map(|f| f.header.time_us);
        let last = frames
            .iter()
            .rev()
            .find(|f| matches!(f.message, Message::EventDone(_)))
            .map(|f| f.header.time_us);
        let span_ms = match (first, last) {
            (Some(first), Some(last)) => (last.saturating_sub(first)) as f64 / 1000.0,
            _ => 0.0,
        };
        let dropped: u64 = frames
            .iter()
            .map(|f| u64::from(f.header.dropped_before))
            .sum();
        rows.push(vec![
            count.to_string(),
            format!("{}", ack.n),
            micros(ack.median),
            micros(p99(&acks)),
            micros(completion.median),
            micros(p99(&done)),
            format!("{span_ms:.1} ms"),
            dropped.to_string(),
        ]);
    }
    report.curves.push(Curve {
        title: "Ack latency against the number of processes exiting together (one EXIT subscriber)",
        header: vec!["processes", "acks seen", "ack p50", "ack p99", "publish to done p50", "p99", "first publish to last done", "frames dropped"],
        rows,
        note: "The children are forked first and all wake at the same moment to exit. The subscriber is a service \
               (scheduled before programs), so each event is handled as soon as its process publishes it: the \
               latency per event stays flat and the total grows with the number of processes.",
    });
    run
}
