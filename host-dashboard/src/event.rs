//! The one event channel: every producer thread sends an [`Event`] into it.
//!
//! The serial reader (in [`crate::source`]), the terminal-input reader, the
//! ticker and the signal listener each run on their own thread; the UI loop
//! (or the headless loop) receives and handles one event at a time.

use ratatui::crossterm;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

/// Something the main loop must handle.
#[derive(Debug)]
pub enum Event {
    /// Something from the guest link.
    Source(SourceEvent),
    /// A key press, resize or other terminal event.
    Terminal(crossterm::event::Event),
    /// Time to refresh time-dependent state and redraw.
    Tick,
    /// The process received a termination signal (SIGINT, SIGTERM, SIGHUP).
    Signal(i32),
}

/// What the guest link delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum SourceEvent {
    /// Bytes read from the serial stream.
    Serial {
        /// The bytes, as read.
        bytes: Vec<u8>,
        /// When they were read.
        at: Instant,
    },
    /// The serial stream ended: QEMU closed it (normally by exiting), or
    /// reading it failed.
    Closed {
        /// When it ended.
        at: Instant,
    },
    /// An attached link connected (the first time, or again).
    Connected {
        /// When it connected.
        at: Instant,
    },
    /// An attached link went down; the reader retries.
    Disconnected {
        /// When it went down.
        at: Instant,
        /// Why, in one line.
        reason: String,
    },
    /// Connecting an attached link failed (sent once per run of failed
    /// attempts, and again when the reason changes).
    Unreachable {
        /// When the attempt failed.
        at: Instant,
        /// Why, in one line.
        reason: String,
    },
}

/// Sends [`Event::Tick`] every `interval` until the receiver goes away.
pub fn spawn_ticker(interval: Duration, events: Sender<Event>) -> std::io::Result<()> {
    thread::Builder::new()
        .name("ticker".into())
        .spawn(move || {
            loop {
                thread::sleep(interval);
                if events.send(Event::Tick).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Forwards terminal events (keys, resizes) until reading fails or the
/// receiver goes away.
pub fn spawn_terminal_input(events: Sender<Event>) -> std::io::Result<()> {
    thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                if events.send(Event::Terminal(event)).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Turns SIGINT, SIGTERM and SIGHUP into [`Event::Signal`], so that every
/// way of stopping the dashboard goes through the same clean shutdown (and
/// QEMU is never left running).
pub fn spawn_signal_listener(events: Sender<Event>) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if events.send(Event::Signal(signal)).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}
