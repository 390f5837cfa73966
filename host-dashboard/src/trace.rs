//! `--trace FILE`: the session as a Chrome trace-event JSON file, which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Built from the decoded frames in guest time (each frame's `time_us`,
//! which the guest takes from its TSC), never from host arrival times, so
//! the same recording always gives the same file. Layout:
//!
//! - one trace process per guest process life (`worker (pid 22)`, trace
//!   pid 1000 + pid, plus 100000 per earlier life of the same pid): thread
//!   1 holds a `life` slice from its spawn (or first snapshot) to its reap
//!   (or the end of the trace) with its states nested inside it, thread 2
//!   its process events (`exit event #41` from publication to completion);
//!   instants for signals sent to it, CPU exceptions, its exit; counter
//!   tracks `faults` (minor, major) and `resident pages` at every
//!   snapshot round;
//! - trace process 1, `PM subscribers`: a thread per subscriber (more
//!   when notifications to it overlap) with one `notify` slice per
//!   notification, from the notification to the ack (its measured
//!   latency), and a flow arrow from the process's event to it;
//! - trace process 2, `system`: counter tracks `memory` (free, used and
//!   cached pages) and `swap` (used slots).
//!
//! Every slice is a complete (`X`) event with a duration, so every slice
//! ends; a notification never acked ends at the end of the trace, marked
//! `unacked`.

use crate::state::{Input, State, event_kind_name, outcome_name, process_state_name, signal_label};
use protocol::message::{EventKind, Message, OwnedFrame, ProcessState};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The trace process of the subscribers.
pub const SUBSCRIBERS_PID: u64 = 1;
/// The trace process of the system counters.
pub const SYSTEM_PID: u64 = 2;
/// The thread of a process's life and states.
pub const LIFE_TID: u64 = 1;
/// The thread of a process's events.
pub const EVENTS_TID: u64 = 2;

/// One life of a guest process.
#[derive(Debug)]
struct Life {
    pid: u32,
    trace_pid: u64,
    name: String,
    start_us: u64,
    end_us: Option<u64>,
    /// State changes, in time order.
    states: Vec<(u64, ProcessState)>,
}

/// A process event, from publication to completion.
#[derive(Debug)]
struct EventSlice {
    life: usize,
    event_id: u64,
    kind: EventKind,
    start_us: u64,
    end_us: Option<u64>,
}

/// One notification of a subscriber.
#[derive(Debug)]
struct Notify {
    subscriber: u32,
    event: Option<usize>,
    event_id: u64,
    start_us: u64,
    /// Its measured latency, once acked.
    latency_ns: Option<u64>,
}

/// The session so far, turned into trace events by [`Trace::to_json`].
#[derive(Debug, Default)]
pub struct Trace {
    image: String,
    lives: Vec<Life>,
    /// The current life of each pid.
    current: HashMap<u32, usize>,
    /// Lives of each pid so far.
    generations: HashMap<u32, u64>,
    events: Vec<EventSlice>,
    open_events: HashMap<u64, usize>,
    notifies: Vec<Notify>,
    open_notifies: HashMap<(u64, u32), usize>,
    subscriber_names: BTreeMap<u32, String>,
    /// Instants: (life, ts, name, args).
    instants: Vec<(usize, u64, String, Value)>,
    /// Counters: (trace pid, ts, name, args).
    counters: Vec<(u64, u64, &'static str, Value)>,
    last_us: u64,
}

impl Trace {
    /// An empty trace of a session booting `image`.
    pub fn new(image: &str) -> Self {
        Self {
            image: image.to_string(),
            ..Self::default()
        }
    }

    /// Takes in `input`, with `state` the model *before* it applies it.
    pub fn input(&mut self, input: &Input, state: &State) {
        if let Input::Frame(frame) = input {
            self.frame(frame, state);
        }
    }

    fn life(&mut self, pid: u32, name: &str, time_us: u64) -> usize {
        if let Some(&index) = self.current.get(&pid) {
            return index;
        }
        let generation = self.generations.entry(pid).or_insert(0);
        let trace_pid = 1000 + u64::from(pid) + 100_000 * *generation;
        *generation += 1;
        self.lives.push(Life {
            pid,
            trace_pid,
            name: name.to_string(),
            start_us: time_us,
            end_us: None,
            states: vec![(time_us, ProcessState::Ready)],
        });
        let index = self.lives.len() - 1;
        self.current.insert(pid, index);
        index
    }

    fn set_state(&mut self, life: usize, time_us: u64, state: ProcessState) {
        let states = &mut self.lives[life].states;
        match states.last_mut() {
            Some((_, last)) if *last == state => {}
            // A state seen at the very time of the previous one replaces it.
            Some((at, last)) if *at == time_us => *last = state,
            _ => states.push((time_us, state)),
        }
    }

    fn end_life(&mut self, pid: u32, time_us: u64) {
        if let Some(index) = self.current.remove(&pid) {
            self.lives[index].end_us = Some(time_us);
        }
    }

    fn name_of(state: &State, pid: u32) -> String {
        state
            .system()
            .process(pid)
            .map_or_else(|| format!("pid {pid}"), |process| process.name.clone())
    }

    fn frame(&mut self, frame: &OwnedFrame, state: &State) {
        let t = frame.header.time_us;
        self.last_us = self.last_us.max(t);
        match &frame.message {
            Message::Hello(hello) if self.image.is_empty() => self.image = hello.image.clone(),
            Message::Spawn(spawn) => {
                // A pid seen again after its reap is a new life.
                self.end_life(spawn.pid, t);
                self.life(spawn.pid, &spawn.name, t);
            }
            Message::Process(snapshot) => {
                let life = self.life(snapshot.pid, &snapshot.name, t);
                self.set_state(life, t, snapshot.state);
            }
            Message::Exit(exit) => {
                let life = self.life(exit.pid, &Self::name_of(state, exit.pid), t);
                self.set_state(life, t, ProcessState::Exiting);
                let how = if exit.signal != 0 {
                    format!("killed by {}", signal_label(exit.signal))
                } else {
                    format!("status {}", exit.status)
                };
                self.instants.push((
                    life,
                    t,
                    format!("exit ({how})"),
                    json!({"status": exit.status, "signal": exit.signal}),
                ));
            }
            Message::Reaped(reaped) => self.end_life(reaped.pid, t),
            Message::Signal(signal) => {
                let life = self.life(signal.pid, &Self::name_of(state, signal.pid), t);
                self.instants.push((
                    life,
                    t,
                    signal_label(signal.signal),
                    json!({"signal": signal.signal, "sender": signal.sender,
                           "outcome": outcome_name(signal.outcome)}),
                ));
            }
            Message::UserFault(fault) => {
                let life = self.life(fault.pid, &Self::name_of(state, fault.pid), t);
                self.instants.push((
                    life,
                    t,
                    format!(
                        "fault (vector {}) → {}",
                        fault.vector,
                        signal_label(fault.signal)
                    ),
                    json!({"vector": fault.vector, "rip": format!("{:#x}", fault.rip),
                           "signal": fault.signal}),
                ));
            }
            Message::Publish(publish) => {
                let event = match self.open_events.get(&publish.event_id) {
                    Some(&event) => event,
                    None => {
                        let life = self.life(publish.pid, &Self::name_of(state, publish.pid), t);
                        self.events.push(EventSlice {
                            life,
                            event_id: publish.event_id,
                            kind: publish.kind,
                            start_us: t,
                            end_us: None,
                        });
                        let event = self.events.len() - 1;
                        self.open_events.insert(publish.event_id, event);
                        event
                    }
                };
                self.subscriber_names
                    .entry(publish.subscriber)
                    .or_insert_with(|| Self::name_of(state, publish.subscriber));
                self.notifies.push(Notify {
                    subscriber: publish.subscriber,
                    event: Some(event),
                    event_id: publish.event_id,
                    start_us: t,
                    latency_ns: None,
                });
                self.open_notifies.insert(
                    (publish.event_id, publish.subscriber),
                    self.notifies.len() - 1,
                );
            }
            Message::Ack(ack) => {
                if let Some(notify) = self.open_notifies.remove(&(ack.event_id, ack.subscriber)) {
                    self.notifies[notify].latency_ns = Some(ack.latency_ns);
                }
            }
            Message::EventDone(done) => match self.open_events.remove(&done.event_id) {
                Some(event) => self.events[event].end_us = Some(t),
                // An event nobody was notified of (or whose notifications
                // were lost): its slice is its measured duration.
                None => {
                    let life = self.life(done.pid, &Self::name_of(state, done.pid), t);
                    let start_us = t.saturating_sub(done.elapsed_ns / 1000);
                    self.events.push(EventSlice {
                        life,
                        event_id: done.event_id,
                        kind: done.kind,
                        start_us: start_us.max(self.lives[life].start_us),
                        end_us: Some(t),
                    });
                }
            },
            Message::Subscriber(subscriber) if !subscriber.name.is_empty() => {
                self.subscriber_names
                    .insert(subscriber.endpoint, subscriber.name.clone());
            }
            Message::Memory(memory) => {
                self.counters.push((
                    SYSTEM_PID,
                    t,
                    "memory",
                    json!({"free_pages": memory.free_frames,
                           "used_pages": memory.total_frames.saturating_sub(memory.free_frames),
                           "cached_pages": memory.cached_pages}),
                ));
                self.counters.push((
                    SYSTEM_PID,
                    t,
                    "swap",
                    json!({"used_slots": memory.swap_used}),
                ));
            }
            Message::SnapshotDone(_) => {
                // The round's process and region frames are in the model.
                for process in state.system().live() {
                    let Some(&life) = self.current.get(&process.pid) else {
                        continue;
                    };
                    let trace_pid = self.lives[life].trace_pid;
                    self.counters.push((
                        trace_pid,
                        t,
                        "faults",
                        json!({"minor": process.vm.minor_faults, "major": process.vm.major_faults}),
                    ));
                    self.counters.push((
                        trace_pid,
                        t,
                        "resident pages",
                        json!({"pages": process.resident_pages()}),
                    ));
                }
            }
            _ => {}
        }
    }

    /// The trace as a JSON object (`{"traceEvents": [...]}`).
    pub fn to_json(&self) -> Value {
        let end = self.last_us;
        let mut out = Vec::new();
        let meta = |pid: u64, tid: Option<u64>, what: &str, name: String| {
            let mut event = json!({"ph": "M", "pid": pid, "name": what, "args": {"name": name}});
            if let Some(tid) = tid {
                event["tid"] = json!(tid);
            }
            event
        };
        out.push(meta(
            SUBSCRIBERS_PID,
            None,
            "process_name",
            "PM subscribers".into(),
        ));
        out.push(meta(
            SYSTEM_PID,
            None,
            "process_name",
            format!("system ({})", self.image),
        ));
        // Processes: life and states.
        for life in &self.lives {
            let pid = life.trace_pid;
            out.push(meta(
                pid,
                None,
                "process_name",
                format!("{} (pid {})", life.name, life.pid),
            ));
            out.push(meta(pid, Some(LIFE_TID), "thread_name", "life".into()));
            out.push(meta(pid, Some(EVENTS_TID), "thread_name", "events".into()));
            let life_end = life.end_us.unwrap_or(end);
            out.push(
                json!({"ph": "X", "cat": "process", "name": "life", "pid": pid,
                            "tid": LIFE_TID, "ts": life.start_us,
                            "dur": life_end - life.start_us,
                            "args": {"pid": life.pid, "reaped": life.end_us.is_some()}}),
            );
            for (index, (from, state)) in life.states.iter().enumerate() {
                let to = life
                    .states
                    .get(index + 1)
                    .map_or(life_end, |(next, _)| *next);
                out.push(json!({"ph": "X", "cat": "state",
                                "name": process_state_name(*state), "pid": pid,
                                "tid": LIFE_TID, "ts": from, "dur": to - from}));
            }
        }
        for event in &self.events {
            let life = &self.lives[event.life];
            let to = event.end_us.unwrap_or(end);
            out.push(json!({"ph": "X", "cat": "pm",
                            "name": format!("{} event #{}", event_kind_name(event.kind), event.event_id),
                            "pid": life.trace_pid, "tid": EVENTS_TID, "ts": event.start_us,
                            "dur": to - event.start_us,
                            "args": {"event_id": event.event_id, "done": event.end_us.is_some()}}));
        }
        // Subscribers: a thread per lane of non-overlapping notifications.
        let mut lanes: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (flow_id, notify) in self.notifies.iter().enumerate() {
            let start = notify.start_us as f64;
            let dur = notify
                .latency_ns
                .map_or((end - notify.start_us) as f64, |ns| ns as f64 / 1000.0);
            let ends = lanes.entry(notify.subscriber).or_default();
            let lane = match ends.iter().position(|&lane_end| lane_end <= start) {
                Some(lane) => lane,
                None => {
                    ends.push(0.0);
                    ends.len() - 1
                }
            };
            ends[lane] = start + dur;
            let tid = u64::from(notify.subscriber) * 100 + lane as u64;
            let name = self
                .subscriber_names
                .get(&notify.subscriber)
                .cloned()
                .unwrap_or_default();
            out.push(
                json!({"ph": "X", "cat": "pm", "name": "notify", "pid": SUBSCRIBERS_PID,
                            "tid": tid, "ts": notify.start_us, "dur": dur,
                            "args": {"event_id": notify.event_id, "subscriber": notify.subscriber,
                                     "subscriber_name": name,
                                     "latency_ns": notify.latency_ns,
                                     "unacked": notify.latency_ns.is_none()}}),
            );
            if let Some(event) = notify.event {
                let life = &self.lives[self.events[event].life];
                out.push(
                    json!({"ph": "s", "cat": "pm", "name": "notify", "id": flow_id,
                                "pid": life.trace_pid, "tid": EVENTS_TID,
                                "ts": notify.start_us}),
                );
                out.push(json!({"ph": "f", "bp": "e", "cat": "pm", "name": "notify",
                                "id": flow_id, "pid": SUBSCRIBERS_PID, "tid": tid,
                                "ts": notify.start_us}));
            }
        }
        for (subscriber, ends) in &lanes {
            let name = self
                .subscriber_names
                .get(subscriber)
                .cloned()
                .unwrap_or_else(|| format!("pid {subscriber}"));
            for lane in 0..ends.len() {
                let label = if lane == 0 {
                    format!("{name} (pid {subscriber})")
                } else {
                    format!("{name} (pid {subscriber}) #{}", lane + 1)
                };
                out.push(meta(
                    SUBSCRIBERS_PID,
                    Some(u64::from(*subscriber) * 100 + lane as u64),
                    "thread_name",
                    label,
                ));
            }
        }
        for (life, ts, name, args) in &self.instants {
            out.push(json!({"ph": "i", "s": "t", "cat": "process", "name": name,
                            "pid": self.lives[*life].trace_pid, "tid": LIFE_TID, "ts": ts,
                            "args": args}));
        }
        for (pid, ts, name, args) in &self.counters {
            out.push(json!({"ph": "C", "name": name, "pid": pid, "ts": ts, "args": args}));
        }
        json!({"traceEvents": out, "displayTimeUnit": "ms",
               "otherData": {"image": self.image, "clock": "guest time (TSC), microseconds"}})
    }
}

/// Writes the trace of a session to a file at its end.
pub struct TraceFile {
    path: PathBuf,
    trace: Trace,
}

impl TraceFile {
    /// A trace to be written to `path` (created now, so a bad path fails
    /// before the session starts).
    pub fn create(path: &Path, image: &str) -> io::Result<Self> {
        File::create(path).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot create {}: {error}", path.display()),
            )
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            trace: Trace::new(image),
        })
    }

    /// Takes in `input`, with `state` the model before it applies it.
    pub fn input(&mut self, input: &Input, state: &State) {
        self.trace.input(input, state);
    }

    /// Starts over (a replay seeking back plays from the start again).
    pub fn restart(&mut self) {
        self.trace = Trace::new(&self.trace.image);
    }

    /// Writes the file; the error, if any.
    pub fn finish(self) -> Option<io::Error> {
        let write = || -> io::Result<()> {
            let mut out = BufWriter::new(File::create(&self.path)?);
            serde_json::to_writer(&mut out, &self.trace.to_json())?;
            out.write_all(b"\n")?;
            out.flush()
        };
        write().err()
    }
}

/// [`TraceFile`] or nothing, for a session without `--trace`.
pub fn create(path: Option<&Path>, image: &str) -> io::Result<Option<TraceFile>> {
    path.map(|path| TraceFile::create(path, image)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{Ack, GuestFrame, Header, Publish, Spawn};

    fn frame(seq: u32, time_us: u64, message: Message<String>) -> Input {
        Input::Frame(GuestFrame {
            header: Header {
                seq,
                time_us,
                dropped_before: 0,
            },
            message,
        })
    }

    fn publish(event_id: u64, pid: u32) -> Message<String> {
        Message::Publish(Publish {
            event_id,
            pid,
            kind: EventKind::Exit,
            subscriber: 5,
        })
    }

    #[test]
    fn overlapping_notifications_take_separate_threads_and_an_unacked_one_ends_with_the_trace() {
        let state = State::new("demo");
        let mut trace = Trace::new("demo");
        let inputs = [
            frame(
                0,
                10,
                Message::Spawn(Spawn {
                    pid: 7,
                    parent: 1,
                    name: "a".into(),
                }),
            ),
            frame(
                1,
                11,
                Message::Spawn(Spawn {
                    pid: 8,
                    parent: 1,
                    name: "b".into(),
                }),
            ),
            frame(2, 100, publish(1, 7)),
            frame(3, 150, publish(2, 8)),
            frame(
                4,
                300,
                Message::Ack(Ack {
                    event_id: 1,
                    subscriber: 5,
                    latency_ns: 200_000,
                }),
            ),
            frame(
                5,
                400,
                Message::Spawn(Spawn {
                    pid: 9,
                    parent: 1,
                    name: "c".into(),
                }),
            ),
        ];
        for input in &inputs {
            trace.input(input, &state);
        }
        let json = trace.to_json();
        let notifies: Vec<&Value> = json["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["name"] == "notify" && event["ph"] == "X")
            .collect();
        assert_eq!(notifies.len(), 2);
        assert_eq!(
            (notifies[0]["tid"].as_u64(), notifies[0]["dur"].as_f64()),
            (Some(500), Some(200.0))
        );
        assert_eq!(notifies[1]["tid"].as_u64(), Some(501), "overlaps the first");
        assert_eq!(
            notifies[1]["dur"].as_f64(),
            Some(250.0),
            "ends with the trace"
        );
        assert_eq!(notifies[1]["args"]["unacked"], true);
    }
}
