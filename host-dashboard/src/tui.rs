//! The live terminal dashboard: build, boot, then draw until the user quits.
//!
//! The build runs first with cargo's progress on the terminal; then QEMU
//! starts (or, with `--attach`, the link to a running guest opens) and the
//! screen switches to the dashboard. Events are handled one at
//! a time; the screen is redrawn on every tick and user event. When QEMU
//! exits, the dashboard stays up (showing why) until `q`.

use crate::app::{App, Request};
use crate::cli::Cli;
use crate::config::Config;
use crate::event::{self, Event, SourceEvent};
use crate::metrics::MetricsServer;
use crate::record::{self, Tape};
use crate::replay::{Playback, Player};
use crate::source::{self, Live, StartError};
use crate::state::{Input, State};
use crate::terminal::{self, Screen};
use crate::trace;
use image_builder::BuildOutput;
use ratatui::crossterm::event::Event as TerminalEvent;
use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use std::time::Instant;

/// Interval between redraws (and rate/staleness updates).
pub const TICK: Duration = Duration::from_millis(100);

/// Why the dashboard stopped with an error.
#[derive(Debug)]
pub enum TuiError {
    /// The session could not start.
    Start(StartError),
    /// Drawing on the terminal failed.
    Terminal(std::io::Error),
}

impl std::fmt::Display for TuiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TuiError::Start(error) => error.fmt(f),
            TuiError::Terminal(error) => write!(f, "terminal error: {error}"),
        }
    }
}

impl std::error::Error for TuiError {}

impl From<StartError> for TuiError {
    fn from(error: StartError) -> Self {
        TuiError::Start(error)
    }
}

/// Runs the dashboard for the image and options in `cli`, with the
/// settings of `config`.
pub fn run(cli: &Cli, config: &Config) -> Result<(), TuiError> {
    let mut metrics = cli
        .run
        .metrics_addr
        .as_deref()
        .map(MetricsServer::bind)
        .transpose()
        .map_err(StartError::Setup)?;
    if let Some(path) = &cli.run.replay {
        return run_replay(cli, config, path, &mut metrics);
    }
    let (sender, events) = mpsc::channel();
    event::spawn_signal_listener(sender.clone()).map_err(StartError::Setup)?;
    let (image_name, mut live) =
        source::open(&cli.boot.options(), BuildOutput::Inherit, sender.clone())?;
    let mut tape = Tape::create(cli.run.record.as_deref(), image_name.as_deref())
        .map_err(StartError::Setup)?;
    terminal::install_panic_hook(live.killer());
    let mut screen = Screen::enter().map_err(StartError::Setup)?;
    event::spawn_terminal_input(sender.clone()).map_err(StartError::Setup)?;
    event::spawn_ticker(TICK, sender).map_err(StartError::Setup)?;

    let state = State::for_image(image_name)
        .with_stuck_after(cli.run.stuck_after())
        .with_thresholds(config.thresholds());
    let mut trace =
        trace::create(cli.run.trace.as_deref(), state.image()).map_err(StartError::Setup)?;
    let mut app = configured_app(state, cli, config);
    let started = live.started_input();
    tape.input(live.now(), &started);
    app.apply(live.now(), started);
    let result = event_loop(
        &mut app,
        &mut live,
        &mut Outputs {
            tape: &mut tape,
            metrics: &mut metrics,
            trace: &mut trace,
        },
        &mut screen,
        &events,
    );
    live.stop();
    drop(screen);
    result.map_err(TuiError::Terminal)?;
    if let Some(error) = trace.and_then(trace::TraceFile::finish) {
        return Err(TuiError::Terminal(std::io::Error::other(format!(
            "the trace failed: {error}"
        ))));
    }
    match tape.finish() {
        Some(error) => Err(TuiError::Terminal(std::io::Error::other(format!(
            "the recording failed: {error}"
        )))),
        None => Ok(()),
    }
}

/// The app for `state`, drawn and keyed as the flags and the config file
/// say (the config was checked when it was read, so its keys and colours
/// parse).
fn configured_app(state: State, cli: &Cli, config: &Config) -> App {
    let mut app = App::new(state);
    app.appearance_mut().display = cli.ui.display(config);
    app.appearance_mut().custom_keys = config.custom_keys().unwrap_or_default();
    app.appearance_mut().palette = config.palette().unwrap_or_default();
    app
}

/// Where a live session's inputs go besides the app.
struct Outputs<'a> {
    tape: &'a mut Tape,
    metrics: &'a mut Option<MetricsServer>,
    trace: &'a mut Option<trace::TraceFile>,
}

fn event_loop(
    app: &mut App,
    live: &mut Live,
    outputs: &mut Outputs,
    screen: &mut Screen,
    events: &mpsc::Receiver<Event>,
) -> std::io::Result<()> {
    let tape = &mut *outputs.tape;
    let metrics = &mut *outputs.metrics;
    let trace = &mut *outputs.trace;
    screen.draw(app)?;
    while !app.should_quit() {
        let Ok(event) = events.recv() else {
            return Ok(());
        };
        if let Some(metrics) = metrics.as_mut() {
            metrics.update(app.state());
        }
        let redraw = match event {
            Event::Source(event) => {
                if let SourceEvent::Serial { bytes, at } = &event {
                    tape.serial(live.since_start(*at), bytes);
                }
                for (now, input) in live.handle(event) {
                    tape.input(now, &input);
                    if let Some(trace) = trace.as_mut() {
                        trace.input(&input, app.state());
                    }
                    app.apply(now, input);
                }
                // Drawn on the next tick; a closed link is shown at once.
                app.state().link().closed
            }
            Event::Terminal(TerminalEvent::Key(key)) => {
                app.perform_key(key);
                carry_out_requests(app, live);
                true
            }
            Event::Terminal(TerminalEvent::Mouse(mouse)) => {
                app.perform_mouse(mouse);
                carry_out_requests(app, live);
                true
            }
            Event::Terminal(_) => true,
            Event::Tick => {
                let now = live.now();
                tape.input(now, &Input::Tick);
                app.apply(now, Input::Tick);
                true
            }
            Event::Signal(_) => return Ok(()),
        };
        if redraw && !app.should_quit() {
            screen.draw(app)?;
        }
    }
    Ok(())
}

/// Hands the app's requests to the source: commands go to the guest (the
/// app learns the id its answer will carry, or why it was not sent); replay
/// controls mean nothing to a live guest.
fn carry_out_requests(app: &mut App, live: &mut Live) {
    for request in app.outbox_mut().take_requests() {
        match request {
            Request::Guest(command) => match live.send_command(command) {
                Ok(id) => app.outbox_mut().command_sent(id),
                Err(error) => app.outbox_mut().command_not_sent(&error.to_string()),
            },
            Request::Replay(_) => {}
        }
    }
}

/// Plays the recording at `path` on the screen: the same model and screens
/// as live, driven by a [`Player`] instead of QEMU.
fn run_replay(
    cli: &Cli,
    config: &Config,
    path: &Path,
    metrics: &mut Option<MetricsServer>,
) -> Result<(), TuiError> {
    let recording =
        record::read_file(path).map_err(|error| StartError::Setup(io::Error::other(error)))?;
    let damage = recording.damage.clone();
    let image = recording.image.clone();
    let fresh = || {
        State::for_image(image.clone())
            .with_stuck_after(cli.run.stuck_after())
            .with_thresholds(config.thresholds())
    };
    let (sender, events) = mpsc::channel();
    event::spawn_signal_listener(sender.clone()).map_err(StartError::Setup)?;
    let mut screen = Screen::enter().map_err(StartError::Setup)?;
    event::spawn_terminal_input(sender.clone()).map_err(StartError::Setup)?;
    event::spawn_ticker(TICK, sender).map_err(StartError::Setup)?;

    let mut trace = trace::create(cli.run.trace.as_deref(), image.as_deref().unwrap_or(""))
        .map_err(StartError::Setup)?;
    let mut app = configured_app(fresh(), cli, config);
    app.replay_mut().active = true;
    let mut player = Player::new(recording, cli.run.speed, cli.run.paused);
    let mut last_tick = Instant::now();
    let apply =
        |app: &mut App, trace: &mut Option<trace::TraceFile>, inputs: Vec<(Duration, Input)>| {
            for (at, input) in inputs {
                if let Some(trace) = trace.as_mut() {
                    trace.input(&input, app.state());
                }
                app.apply(at, input);
            }
        };
    apply(&mut app, &mut trace, player.advance(Duration::ZERO));
    let result = loop {
        app.replay_mut().status = Some(player.describe());
        if let Err(error) = screen.draw(&app) {
            break Err(error);
        }
        let Ok(event) = events.recv() else {
            break Ok(());
        };
        if let Some(metrics) = metrics.as_mut() {
            metrics.update(app.state());
        }
        match event {
            Event::Terminal(TerminalEvent::Key(key)) => app.perform_key(key),
            Event::Terminal(TerminalEvent::Mouse(mouse)) => app.perform_mouse(mouse),
            Event::Terminal(_) | Event::Source(_) => {}
            Event::Tick => {
                let now = Instant::now();
                let inputs = player.advance(now - last_tick);
                last_tick = now;
                apply(&mut app, &mut trace, inputs);
            }
            Event::Signal(_) => break Ok(()),
        }
        for request in app.outbox_mut().take_requests() {
            match request {
                Request::Replay(control) => match player.control(control) {
                    Playback::Continue(inputs) => apply(&mut app, &mut trace, inputs),
                    Playback::Restart(inputs) => {
                        app.restart_with(fresh());
                        if let Some(trace) = trace.as_mut() {
                            trace.restart();
                        }
                        apply(&mut app, &mut trace, inputs);
                    }
                },
                Request::Guest(_) => app
                    .outbox_mut()
                    .command_not_sent("a replay cannot send commands"),
            }
        }
        if app.should_quit() {
            break Ok(());
        }
    };
    drop(screen);
    if let Some(damage) = damage {
        eprintln!("watchtower: the recording is damaged: {damage}");
    }
    result.map_err(TuiError::Terminal)?;
    match trace.and_then(trace::TraceFile::finish) {
        Some(error) => Err(TuiError::Terminal(std::io::Error::other(format!(
            "the trace failed: {error}"
        )))),
        None => Ok(()),
    }
}
