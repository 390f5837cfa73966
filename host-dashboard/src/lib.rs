//! Terminal dashboard and headless boot runner for the OS.
//!
//! Builds an image, boots it in QEMU, decodes the telemetry the guest streams
//! over its serial port, and shows it live ([`tui`]) or summarises it as one
//! JSON object ([`headless`]).
//!
//! ```text
//! QEMU stdout ─▶ serial reader ─┐
//! terminal keys ─▶ input reader ┼─▶ one channel of Event ─▶ main loop
//! ticker, signals ──────────────┘        │
//!      source::Live + ingest (StreamDecoder) ─▶ state::Input
//!      state::State::apply ─▶ ui (impl Widget for &App) or headless summary
//! ```
//!
//! Design principles:
//! 1. The state model ([`state`]) is pure: inputs in, state out, host time
//!    passed in explicitly. Everything shown or reported is derived from it.
//! 2. The UI only reads: one small widget per panel, styles in one theme.
//! 3. QEMU is never left running: it is killed and reaped on quit, on
//!    signals, on errors, on drop and from the panic hook.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod cli;
pub mod config;
pub mod event;
pub mod export;
pub mod headless;
pub mod ingest;
pub mod metrics;
pub mod record;
pub mod replay;
pub mod schema;
pub mod source;
pub mod state;
pub mod terminal;
pub mod trace;
pub mod tui;
pub mod ui;
