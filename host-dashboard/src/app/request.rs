//! What the user asked for that the app cannot do by itself: commands for
//! the guest and controls of a replay.
//!
//! [`super::App::perform`] queues them; the main loop takes them with
//! [`Outbox::take_requests`] and hands them to the source, which sends
//! a command over the serial receive line (live sources) or moves the
//! playback (a replay). The guest's answer comes back as telemetry
//! (`CommandResult` / `CommandRejected`), which the state model keeps; a
//! source that cannot carry a request (a replay cannot send commands)
//! answers through [`crate::state::Input`] like any other failure, so the
//! screen can say why.

use crate::replay::ReplayControl;
use protocol::command::Command;

/// One request for the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Send this command to the guest; the source picks the frame id.
    Guest(Command<String>),
    /// Control the playback of a replay (live sources ignore it).
    Replay(ReplayControl),
}

/// What the app has for the source: requests until the main loop takes
/// them, and the commands sent to the guest in words (oldest first) for
/// the status line.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    requests: Vec<Request>,
    sent: Vec<String>,
}

impl Outbox {
    /// Queues a request for the source.
    pub fn request(&mut self, request: Request) {
        self.requests.push(request);
    }

    /// Queues `command` for the guest, described as `words`.
    pub(crate) fn send(&mut self, command: Command<String>, words: String) {
        self.sent.push(words);
        self.request(Request::Guest(command));
    }

    /// The requests queued since the last call, oldest first.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    /// The commands sent to the guest, in words, oldest first.
    pub fn sent_commands(&self) -> &[String] {
        &self.sent
    }

    /// The source sent the latest command as frame `id` (its answer will
    /// carry that id).
    pub fn command_sent(&mut self, id: u32) {
        if let Some(last) = self.sent.last_mut() {
            *last = format!("#{id} {last}");
        }
    }

    /// The source could not send the latest command.
    pub fn command_not_sent(&mut self, reason: &str) {
        if let Some(last) = self.sent.last_mut() {
            *last = format!("{last}: NOT SENT ({reason})");
        }
    }
}
