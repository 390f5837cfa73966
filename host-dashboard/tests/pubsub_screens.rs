//! Snapshot tests of the event view: the subscriber table with its ack
//! latencies, the event flow of one event, and a stuck event, fed by a
//! scripted guest whose services `ipc` and `acct` subscribe to process
//! events.
//!
//! Every state is built the way the live dashboard builds it (see
//! [`common::Session`]): frames are encoded, decoded and applied.

mod common;

use common::{Session, WIDTH};
use protocol::PROTOCOL_VERSION;
use protocol::message::{
    Ack, AckIgnored, EventDone, EventKind, Exit, IgnoredReason, LatencySummary, LogLevel,
    MASK_EXIT, MASK_SIGNAL, MASK_SPAWN, MemorySnapshot, Message, ProcessSnapshot, ProcessState,
    Publish, Reaped, SignalHandled, SignalOutcome, SignalSent, SnapshotDone, Spawn, Subscribed,
    SubscriberSnapshot, VmCounters,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::collections::BTreeMap;
use watchtower::app::{Action, View};
use watchtower::ui::SubscribersPanel;

const IPC: u32 = 1;
const ACCT: u32 = 2;
const INIT: u32 = 3;

/// A process of the scripted system.
#[derive(Clone, Copy)]
struct Proc {
    pid: u32,
    parent: u32,
    name: &'static str,
    state: ProcessState,
}

/// What the guest's PM knows about one subscriber.
#[derive(Default)]
struct Entry {
    events: u64,
    acks: u64,
    outstanding: u32,
    /// The process waiting on it and since when (guest µs).
    waiting: Option<(u32, u64)>,
    latencies: Vec<u64>,
}

/// A scripted guest running the demo's services: it keeps the PM's books
/// so that its snapshots agree with its events.
struct Guest {
    session: Session,
    processes: Vec<Proc>,
    table: BTreeMap<u32, Entry>,
    next_event: u64,
    round: u32,
}

impl Guest {
    /// Booted: ipc (EXIT, SIGNAL) and acct (EXIT, SIGNAL, SPAWN) subscribed.
    fn booted() -> Self {
        let mut session = Session::start();
        session.hello(PROTOCOL_VERSION);
        session.log(2_000, LogLevel::Info, 0, "kernel: booting image demo");
        let mut guest = Self {
            session,
            processes: Vec::new(),
            table: BTreeMap::new(),
            next_event: 1,
            round: 0,
        };
        let service = |pid, name| Proc {
            pid,
            parent: 0,
            name,
            state: ProcessState::Receiving,
        };
        guest.spawn(10_000, service(IPC, "ipc"));
        guest.spawn(11_000, service(ACCT, "acct"));
        guest.spawn(
            12_000,
            Proc {
                pid: INIT,
                parent: 0,
                name: "init",
                state: ProcessState::WaitingForChild,
            },
        );
        for (endpoint, mask) in [
            (IPC, MASK_EXIT | MASK_SIGNAL),
            (ACCT, MASK_EXIT | MASK_SIGNAL | MASK_SPAWN),
        ] {
            guest
                .session
                .send(20_000, Message::Subscribed(Subscribed { endpoint, mask }));
            guest.table.insert(endpoint, Entry::default());
        }
        guest
    }

    fn spawn(&mut self, time_us: u64, process: Proc) {
        let spawn = Spawn {
            pid: process.pid,
            parent: process.parent,
            name: process.name,
        };
        self.session.send(time_us, Message::Spawn(spawn));
        self.processes.push(process);
    }

    /// Publishes an event of `kind` about `pid` at `time_us`: each of
    /// `subscribers` is notified in turn and acks after its latency (in
    /// µs); `None` never acks. Returns the event id.
    fn event(
        &mut self,
        time_us: u64,
        pid: u32,
        kind: EventKind,
        subscribers: &[(u32, Option<u64>)],
    ) -> u64 {
        let event_id = self.next_event;
        self.next_event += 1;
        let mut now = time_us;
        for &(subscriber, latency_us) in subscribers {
            let publish = Publish {
                event_id,
                pid,
                kind,
                subscriber,
            };
            self.session.send(now, Message::Publish(publish));
            let entry = self.table.get_mut(&subscriber).expect("subscribed");
            entry.events += 1;
            let Some(latency_us) = latency_us else {
                entry.outstanding += 1;
                entry.waiting = Some((pid, now));
                return event_id;
            };
            now += latency_us;
            entry.acks += 1;
            entry.latencies.push(latency_us * 1_000);
            let ack = Ack {
                event_id,
                subscriber,
                latency_ns: latency_us * 1_000,
            };
            self.session.send(now, Message::Ack(ack));
        }
        let done = EventDone {
            event_id,
            pid,
            kind,
            elapsed_ns: (now - time_us) * 1_000,
        };
        self.session.send(now, Message::EventDone(done));
        event_id
    }

    /// A child of init lives from `time_us` for `life_us`, then exits and
    /// is reaped; ipc and acct ack each event after the given latencies.
    fn child(
        &mut self,
        time_us: u64,
        pid: u32,
        name: &'static str,
        life_us: u64,
        ipc: u64,
        acct: u64,
    ) {
        let process = Proc {
            pid,
            parent: INIT,
            name,
            state: ProcessState::Ready,
        };
        self.spawn(time_us, process);
        self.event(time_us, pid, EventKind::Spawn, &[(ACCT, Some(acct))]);
        let end = time_us + life_us;
        let exit = Exit {
            pid,
            status: 0,
            signal: 0,
        };
        self.session.send(end, Message::Exit(exit));
        self.event(
            end,
            pid,
            EventKind::Exit,
            &[(IPC, Some(ipc)), (ACCT, Some(acct))],
        );
        self.session
            .send(end + 600, Message::Reaped(Reaped { pid }));
        self.processes.retain(|process| process.pid != pid);
    }

    /// Heartbeats every 100 ms of guest time from `from_ms` to `to_ms`,
    /// with a snapshot round every 500 ms.
    fn heartbeats(&mut self, from_ms: u64, to_ms: u64) {
        for ms in (from_ms..=to_ms).step_by(100) {
            self.session.heartbeats(ms, ms);
            if ms % 500 == 0 {
                self.snapshot_round(ms * 1_000 + 50);
            }
        }
    }

    fn snapshot_round(&mut self, time_us: u64) {
        self.round += 1;
        let round = self.round;
        for process in &self.processes {
            let snapshot = ProcessSnapshot {
                round,
                pid: process.pid,
                parent: process.parent,
                name: process.name,
                state: process.state,
                privileged: process.pid == IPC || process.pid == ACCT,
                cpu_ns: 1_000_000,
                vm: VmCounters::default(),
                regions: 0,
            };
            self.session.send(time_us, Message::Process(snapshot));
        }
        let entries: Vec<SubscriberSnapshot<&str>> = self
            .table
            .iter()
            .enumerate()
            .map(|(index, (&endpoint, entry))| {
                let mut sorted = entry.latencies.clone();
                sorted.sort_unstable();
                let at = |per_mille: usize| {
                    sorted
                        .get((sorted.len() * per_mille / 1_000).min(sorted.len().saturating_sub(1)))
                        .copied()
                        .unwrap_or(0)
                };
                let (oldest_pid, oldest_age_ns) = entry
                    .waiting
                    .map_or((0, 0), |(pid, since)| (pid, (time_us - since) * 1_000));
                SubscriberSnapshot {
                    round,
                    index: index as u8,
                    endpoint,
                    name: if endpoint == IPC { "ipc" } else { "acct" },
                    mask: if endpoint == IPC {
                        MASK_EXIT | MASK_SIGNAL
                    } else {
                        MASK_EXIT | MASK_SIGNAL | MASK_SPAWN
                    },
                    events: entry.events,
                    acks: entry.acks,
                    ignored_acks: 0,
                    outstanding: entry.outstanding,
                    oldest_pid,
                    oldest_age_ns,
                    latency: LatencySummary {
                        count: sorted.len() as u64,
                        p50_ns: at(500),
                        p99_ns: at(990),
                        max_ns: sorted.last().copied().unwrap_or(0),
                    },
                }
            })
            .collect();
        for entry in entries {
            self.session.send(time_us, Message::Subscriber(entry));
        }
        let memory = MemorySnapshot {
            round,
            free_frames: 30_000,
            total_frames: 30_302,
            cached_pages: 13,
            swap_used: 0,
            swap_total: 4_096,
            disk_reads: 100,
            disk_writes: 0,
        };
        self.session.send(time_us, Message::Memory(memory));
        let done = SnapshotDone {
            round,
            processes: self.processes.len() as u32,
        };
        self.session.send(time_us, Message::SnapshotDone(done));
    }
}

/// The demo system for 3 s: init starts a child every 100 ms that lives
/// 60 ms; at 2.5 s a worker catches SIGUSR1; at 2.8 s a worker exits and
/// acct sends a stray ack for it after the event is done.
fn running_system() -> Guest {
    let mut guest = Guest::booted();
    for step in 0..25u64 {
        let start = 100_000 + step * 100_000;
        let pid = 10 + step as u32;
        // Latencies vary: the sparklines have something to show.
        let ipc = 30 + (step * 7) % 40;
        let acct = 50 + (step * 13) % 90;
        guest.child(start, pid, "child", 60_000, ipc, acct);
        if step % 5 == 4 {
            guest.heartbeats(start / 1_000 + 10, start / 1_000 + 10);
        } else {
            guest
                .session
                .heartbeats(start / 1_000 + 10, start / 1_000 + 10);
        }
    }
    let worker = Proc {
        pid: 40,
        parent: INIT,
        name: "worker",
        state: ProcessState::Sleeping,
    };
    guest.spawn(2_600_000, worker);
    guest.event(2_600_000, 40, EventKind::Spawn, &[(ACCT, Some(45))]);
    let caught = SignalSent {
        pid: 40,
        sender: INIT,
        signal: 10,
        outcome: SignalOutcome::Caught,
    };
    guest.session.send(2_700_000, Message::Signal(caught));
    guest.event(
        2_700_000,
        40,
        EventKind::Signal,
        &[(IPC, Some(41)), (ACCT, Some(66))],
    );
    let handled = SignalHandled {
        pid: 40,
        signal: 10,
    };
    guest
        .session
        .send(2_700_300, Message::SignalHandled(handled));
    let exit = Exit {
        pid: 40,
        status: 0,
        signal: 0,
    };
    guest.session.send(2_800_000, Message::Exit(exit));
    guest.event(
        2_800_000,
        40,
        EventKind::Exit,
        &[(IPC, Some(48)), (ACCT, Some(47))],
    );
    let stray = AckIgnored {
        sender: ACCT,
        pid: 40,
        kind: MASK_EXIT,
        reason: IgnoredReason::NoSuchEvent,
    };
    guest.session.send(2_800_200, Message::AckIgnored(stray));
    guest
        .session
        .send(2_801_200, Message::Reaped(Reaped { pid: 40 }));
    guest.processes.retain(|process| process.pid != 40);
    guest.heartbeats(2_900, 3_000);
    guest.session.tick(3_050);
    guest
}

#[test]
fn the_subscribers_with_their_ack_latencies() {
    let guest = running_system();
    let state = guest.session.app.state();
    // Every event acked: acks + outstanding == events for both.
    let entries = state.system().subscribers().entries();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert_eq!(entry.acks + entry.outstanding, entry.events, "{entry:?}");
    }
    let panel = SubscribersPanel::new(state.system(), state.guest().uptime_ns, state.stuck_after());
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, panel.height())).unwrap();
    terminal
        .draw(|frame| frame.render_widget(panel, frame.area()))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("48 µs"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_flow_of_an_exit_through_two_subscribers() {
    let mut guest = running_system();
    guest.session.app.perform(Action::ShowView(View::Events));
    // The newest event is the worker's EXIT: through ipc, then acct, then
    // the teardown and the reap; acct's stray ack names it.
    let selected = guest
        .session
        .app
        .events()
        .selected(guest.session.app.state())
        .unwrap();
    assert_eq!((selected.pid, selected.kind), (40, EventKind::Exit));
    let screen = guest.session.screen();
    assert!(screen.contains("→ ipc"), "{screen}");
    assert!(screen.contains("✓ reaped"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_stuck_event_is_called_out() {
    let mut guest = running_system();
    // A hog exits at 3.1 s; ipc acks, acct never does.
    let hog = Proc {
        pid: 41,
        parent: INIT,
        name: "hog",
        state: ProcessState::Exiting,
    };
    guest.spawn(3_050_000, hog);
    guest.event(3_050_000, 41, EventKind::Spawn, &[(ACCT, Some(52))]);
    let exit = Exit {
        pid: 41,
        status: 1,
        signal: 0,
    };
    guest.session.send(3_100_000, Message::Exit(exit));
    guest.event(
        3_100_000,
        41,
        EventKind::Exit,
        &[(IPC, Some(39)), (ACCT, None)],
    );
    guest.heartbeats(3_100, 5_400);
    guest.session.tick(5_450);
    let app = &guest.session.app;
    let stuck = app.state().system().stuck().current();
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        (stuck[0].pid, stuck[0].subscriber_name.as_str()),
        (41, "acct")
    );
    // The banner shows in the process view too.
    let processes = guest.session.screen();
    assert!(
        processes.contains("pid 41 (hog): exit event #"),
        "{processes}"
    );
    guest.session.app.perform(Action::ShowView(View::Events));
    assert_eq!(
        guest
            .session
            .app
            .events()
            .selected(guest.session.app.state())
            .unwrap()
            .pid,
        41
    );
    let screen = guest.session.screen();
    assert!(screen.contains("STUCK on acct"), "{screen}");
    // The stuck row stands out, selected (light red) or not (red).
    let row_background = |buffer: &Buffer| {
        let (x, y) = find(buffer, "STUCK on acct").expect("the stuck row");
        buffer[(x, y)].bg
    };
    assert_eq!(row_background(&guest.session.buffer()), Color::LightRed);
    guest.session.app.perform(Action::Down(1));
    assert_eq!(row_background(&guest.session.buffer()), Color::Red);
    insta::assert_snapshot!(screen);

    // acct acks at last: the banner goes, the event completes, and its
    // timeline keeps the episode.
    guest.session.app.perform(Action::First);
    let event_id = guest
        .session
        .app
        .events()
        .selected(guest.session.app.state())
        .unwrap()
        .event_id;
    let latency_ns = 2_400_000_000;
    let acked_at = 3_100_039 + latency_ns / 1_000;
    let ack = Ack {
        event_id,
        subscriber: ACCT,
        latency_ns,
    };
    guest.session.send(acked_at, Message::Ack(ack));
    let done = EventDone {
        event_id,
        pid: 41,
        kind: EventKind::Exit,
        elapsed_ns: latency_ns + 39_000,
    };
    guest.session.send(acked_at, Message::EventDone(done));
    guest.session.app.perform(Action::First);
    assert!(
        guest
            .session
            .app
            .state()
            .system()
            .stuck()
            .current()
            .is_empty()
    );
    let screen = guest.session.screen();
    assert!(!screen.contains("STUCK EVENT"), "{screen}");
    assert!(
        screen.contains("⚠ was stuck acct kept it waiting 2.40 s until it acked"),
        "{screen}"
    );
}

/// Where `text` starts on the screen in `buffer`.
fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    (area.top()..area.bottom()).find_map(|y| {
        let line: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        let column = line.find(text)?;
        let x = line[..column].chars().count();
        Some((u16::try_from(x).ok()?, y))
    })
}
