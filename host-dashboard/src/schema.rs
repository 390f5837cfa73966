//! JSON Schemas of the machine-readable outputs, generated from the Rust
//! types with `schemars`: the headless summary ([`crate::headless::Summary`])
//! and the `--json-lines` frames ([`crate::export::Line`]).
//!
//! The committed copies live in `host-dashboard/schema/`; the `schema`
//! test checks they equal what the types generate (regenerate them with
//! `WATCHTOWER_UPDATE_SCHEMA=1 cargo test -p watchtower --test schema`)
//! and validates real outputs against them.

use serde_json::Value;

pub use crate::export::SCHEMA_VERSION;

/// The schema of the headless summary.
pub fn summary() -> Value {
    let mut schema = schemars::schema_for!(crate::headless::Summary<'static>);
    schema.insert("$id".into(), "watchtower/summary.schema.json".into());
    schema.to_value()
}

/// The schema of one `--json-lines` line.
pub fn frame() -> Value {
    let mut schema = schemars::schema_for!(crate::export::Line<'static>);
    schema.insert("$id".into(), "watchtower/frame.schema.json".into());
    schema.to_value()
}
