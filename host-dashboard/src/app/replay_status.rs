//! The replay's part of the dashboard: whether the source is a replay (then
//! Space and `+ - [ ] .` control the playback) and its position and speed
//! for the status line.

use super::Request;
use crate::replay::ReplayControl;

/// Whether the source is a replay, and where it is.
#[derive(Clone, Debug, Default)]
pub struct ReplayStatus {
    /// The source is a replay.
    pub active: bool,
    /// The replay's position and speed, in words, for the status line.
    pub status: Option<String>,
}

impl ReplayStatus {
    /// The request carrying `control` to the source, when it is a replay;
    /// none otherwise (a live source has no playback to control).
    pub(crate) fn request(&self, control: ReplayControl) -> Option<Request> {
        self.active.then_some(Request::Replay(control))
    }
}
