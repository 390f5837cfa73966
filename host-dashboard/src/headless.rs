//! Headless mode: boot, run for N seconds or until the guest powers off,
//! print one JSON summary, exit with the verdict.
//!
//! Exit status: 0 when the run was fine; 1 with a one-line reason on stderr
//! when the build, QEMU, the link or the guest failed; 130 when interrupted
//! by a signal. Once QEMU has started, the JSON summary is printed on stdout
//! whatever the outcome, so tests can inspect failures too.

mod summary;

pub use summary::{
    AttachSummary, BucketSummary, CommandsSummary, EventsSummary, ExitedSummary, FaultSummary,
    GuestSummary, HistogramSummary, LOG_TAIL_LINES, LatencySummary, MemorySummary, OldestSummary,
    PanicSummary, ProcessSummary, QemuSummary, RegionSummary, ReliabilitySummary, ResultSummary,
    SnapshotsSummary, StuckSummary, SubscriberSummary, Summary, UserFaultSummary, WarningCounts,
    WarningSummary, summarize,
};

use crate::cli::Cli;
use crate::config::Config;
use crate::event::{self, Event, SourceEvent};
use crate::export::JsonLines;
use crate::metrics::MetricsServer;
use crate::record::{self, Tape};
use crate::source::{self, StartError};
use crate::state::{Failure, Input, State, one_line};
use crate::trace;
use image_builder::BuildOutput;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Exit status after a termination signal.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The run's failure, if any: the model's own verdict, or no frame at all
/// by the end of the run.
pub fn verdict(state: &State) -> Option<Failure> {
    state.failure().or_else(|| state.no_telemetry())
}

/// How a headless session ended.
#[derive(Debug)]
struct Ended {
    state: State,
    signal: Option<i32>,
    /// Why the recording (`--record`) or the export (`--json-lines`)
    /// failed, if one did: such a run fails, since it lost data.
    output_error: Option<String>,
}

/// Runs headless mode for `cli` with the settings of `config`; prints the summary and the reason.
pub fn run(cli: &Cli, config: &Config) -> ExitCode {
    // The exporter listens before anything is built or booted, so a busy
    // address fails at once and a scraper finds it from the start.
    let mut metrics = match cli.run.metrics_addr.as_deref().map(MetricsServer::bind) {
        None => None,
        Some(Ok(server)) => Some(server),
        Some(Err(error)) => {
            eprintln!("watchtower: {}", one_line(&error.to_string()));
            return ExitCode::FAILURE;
        }
    };
    let (sender, events) = mpsc::channel();
    if let Err(error) = event::spawn_signal_listener(sender.clone()) {
        eprintln!("watchtower: {}", one_line(&error.to_string()));
        return ExitCode::FAILURE;
    }
    let ended = match session(cli, config, &mut metrics, sender, &events) {
        Ok(ended) => ended,
        Err(error) => {
            eprintln!("watchtower: {}", one_line(&error.to_string()));
            return ExitCode::FAILURE;
        }
    };
    match serde_json::to_string(&summarize(&ended.state)) {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("watchtower: cannot encode the summary: {error}");
            return ExitCode::FAILURE;
        }
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    if metrics.is_some() && ended.signal.is_none() {
        linger(Duration::from_secs(cli.run.metrics_linger), &events);
    }
    if let Some(error) = &ended.output_error {
        eprintln!("watchtower: {}", one_line(error));
        return ExitCode::FAILURE;
    }
    if let Some(signal) = ended.signal {
        eprintln!("watchtower: interrupted by signal {signal}");
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    match verdict(&ended.state) {
        Some(failure) => {
            eprintln!("watchtower: {}", one_line(&failure.to_string()));
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}

/// Writes the trace, if there is one; why that failed, if it did.
fn finish_trace(trace: Option<trace::TraceFile>) -> Option<String> {
    trace?
        .finish()
        .map(|error| format!("the trace failed: {error}"))
}

/// Keeps the process (and so the metrics server, which shows the final
/// state) alive for `time`, or until a termination signal.
fn linger(time: Duration, events: &mpsc::Receiver<Event>) {
    let deadline = Instant::now() + time;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining == Duration::ZERO {
            return;
        }
        match events.recv_timeout(remaining) {
            Ok(Event::Signal(_)) | Err(RecvTimeoutError::Timeout) => return,
            // Nothing else sends once the session is over, but the
            // channel stays open while the signal listener runs.
            Ok(_) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(remaining),
        }
    }
}

/// Builds and boots the image (or attaches to a running guest), and feeds
/// the model until the time is up, the guest's stream ends, or a signal
/// arrives.
fn session(
    cli: &Cli,
    config: &Config,
    metrics: &mut Option<MetricsServer>,
    sender: mpsc::Sender<Event>,
    events: &mpsc::Receiver<Event>,
) -> Result<Ended, StartError> {
    if let Some(path) = &cli.run.replay {
        let recording = record::read_file(path)
            .map_err(|error| StartError::Setup(std::io::Error::other(error)))?;
        if let Some(damage) = &recording.damage {
            eprintln!("watchtower: the recording is damaged: {damage}");
        }
        let mut state = State::for_image(recording.image.clone())
            .with_stuck_after(cli.run.stuck_after())
            .with_thresholds(config.thresholds());
        let mut export =
            JsonLines::create(cli.run.json_lines.as_deref()).map_err(StartError::Setup)?;
        let mut trace = trace::create(
            cli.run.trace.as_deref(),
            recording.image.as_deref().unwrap_or(""),
        )
        .map_err(StartError::Setup)?;
        recording.play(|at, input| {
            export.input(at, &input);
            if let Some(trace) = trace.as_mut() {
                trace.input(&input, &state);
            }
            state.apply(at, input);
            if let Some(metrics) = metrics.as_mut() {
                metrics.update(&state);
            }
        });
        if let Some(metrics) = metrics.as_mut() {
            metrics.finish(&state);
        }
        return Ok(Ended {
            state,
            signal: None,
            output_error: export
                .finish()
                .map(|error| format!("the JSON-lines export failed: {error}"))
                .or_else(|| finish_trace(trace)),
        });
    }
    let (image_name, mut live) = source::open(&cli.boot.options(), BuildOutput::Capture, sender)?;
    let mut tape = Tape::create(cli.run.record.as_deref(), image_name.as_deref())
        .map_err(StartError::Setup)?;
    let mut state = State::for_image(image_name)
        .with_stuck_after(cli.run.stuck_after())
        .with_thresholds(config.thresholds());
    // Every input the model takes is recorded (frames as the raw bytes
    // that carried them).
    let mut export = JsonLines::create(cli.run.json_lines.as_deref()).map_err(StartError::Setup)?;
    let mut trace =
        trace::create(cli.run.trace.as_deref(), state.image()).map_err(StartError::Setup)?;
    let mut apply = |state: &mut State, tape: &mut Tape, now: Duration, input: Input| {
        tape.input(now, &input);
        export.input(now, &input);
        if let Some(trace) = trace.as_mut() {
            trace.input(&input, state);
        }
        state.apply(now, input);
        if let Some(metrics) = metrics.as_mut() {
            metrics.update(state);
        }
    };
    apply(&mut state, &mut tape, live.now(), live.started_input());
    let deadline = Instant::now() + cli.run.duration();
    let mut signal = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining == Duration::ZERO {
            break;
        }
        match events.recv_timeout(remaining) {
            Ok(Event::Source(event)) => {
                let closed = matches!(event, SourceEvent::Closed { .. });
                let dropped = matches!(event, SourceEvent::Disconnected { .. });
                if let SourceEvent::Serial { bytes, at } = &event {
                    tape.serial(live.since_start(*at), bytes);
                }
                for (now, input) in live.handle(event) {
                    apply(&mut state, &mut tape, now, input);
                }
                if closed {
                    break;
                }
                // An attached guest that powered off and then dropped the
                // link (QEMU exited) is done: nothing more will come.
                if dropped && state.guest().power_off.is_some() {
                    apply(&mut state, &mut tape, live.now(), Input::LinkClosed);
                    break;
                }
            }
            Ok(Event::Signal(number)) => {
                signal = Some(number);
                break;
            }
            Ok(Event::Tick | Event::Terminal(_)) => {}
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    apply(&mut state, &mut tape, live.now(), Input::Tick);
    live.stop();
    if let Some(metrics) = metrics.as_mut() {
        metrics.finish(&state);
    }
    let output_error = tape
        .finish()
        .map(|error| format!("the recording failed: {error}"))
        .or_else(|| {
            export
                .finish()
                .map(|error| format!("the JSON-lines export failed: {error}"))
        })
        .or_else(|| finish_trace(trace));
    Ok(Ended {
        state,
        signal,
        output_error,
    })
}
