//! What the host knows about a link it attached to (a socket, a pty or a
//! serial device) instead of starting QEMU: where it points, whether it is
//! up, and how often it went down and came back.
//!
//! The dashboard keeps retrying a link that is down; each reconnection is
//! counted here, and the decoder counts the resync it causes.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Something that happened to an attached link, for [`super::Input::Attach`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachInput {
    /// The session began by attaching to `address` (not yet connected).
    Started {
        /// The address as the user gave it, e.g. `unix:/tmp/guest.sock`.
        address: String,
    },
    /// The link connected (first time or again).
    Up,
    /// A connected link went down; the host retries.
    Down {
        /// Why, in one line.
        reason: String,
    },
    /// A connection attempt failed (reported once per run of failures).
    Unreachable {
        /// Why, in one line.
        reason: String,
    },
}

/// An attached link's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The address as the user gave it.
    pub address: String,
    /// Host time the link last came up, while it is up.
    pub up_since: Option<Duration>,
    /// Host time the link last went down (or failed to connect), while it
    /// is down.
    pub down_since: Option<Duration>,
    /// How many times it connected.
    pub connects: u32,
    /// How many times a connected link went down.
    pub disconnects: u32,
    /// The latest reason it was down or unreachable.
    pub last_problem: Option<String>,
}

impl Attachment {
    /// A session attaching to `address` at host time `now`.
    pub fn new(address: String, now: Duration) -> Self {
        Self {
            address,
            up_since: None,
            down_since: Some(now),
            connects: 0,
            disconnects: 0,
            last_problem: None,
        }
    }

    /// Applies `input` at host time `now`.
    pub fn apply(&mut self, now: Duration, input: AttachInput) {
        match input {
            AttachInput::Started { address } => *self = Self::new(address, now),
            AttachInput::Up => {
                self.connects += 1;
                self.up_since = Some(now);
                self.down_since = None;
            }
            AttachInput::Down { reason } => {
                if self.up_since.take().is_some() {
                    self.disconnects += 1;
                }
                self.down_since = Some(now);
                self.last_problem = Some(reason);
            }
            AttachInput::Unreachable { reason } => {
                self.down_since.get_or_insert(now);
                self.last_problem = Some(reason);
            }
        }
    }

    /// Whether the link is connected now.
    pub fn is_up(&self) -> bool {
        self.up_since.is_some()
    }

    /// One line for the title bar: the address and the link's condition.
    pub fn describe(&self) -> String {
        let state = if self.is_up() {
            "up"
        } else if self.connects == 0 {
            "connecting"
        } else {
            "down"
        };
        match self.disconnects {
            0 => format!("{} {state}", self.address),
            1 => format!("{} {state}, 1 drop", self.address),
            n => format!("{} {state}, {n} drops", self.address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn connects_and_disconnects_are_counted() {
        let mut link = Attachment::new("unix:/tmp/s".into(), ms(0));
        assert!(!link.is_up());
        assert_eq!(link.describe(), "unix:/tmp/s connecting");
        link.apply(
            ms(10),
            AttachInput::Unreachable {
                reason: "no such file".into(),
            },
        );
        assert_eq!(link.down_since, Some(ms(0)), "down since the start");
        link.apply(ms(500), AttachInput::Up);
        assert!(link.is_up());
        assert_eq!((link.connects, link.disconnects), (1, 0));
        link.apply(
            ms(900),
            AttachInput::Down {
                reason: "closed by the other end".into(),
            },
        );
        assert_eq!(link.down_since, Some(ms(900)));
        assert_eq!(link.describe(), "unix:/tmp/s down, 1 drop");
        link.apply(ms(1400), AttachInput::Up);
        assert_eq!((link.connects, link.disconnects), (2, 1));
        assert_eq!(link.up_since, Some(ms(1400)));
        assert_eq!(
            link.last_problem.as_deref(),
            Some("closed by the other end")
        );
    }

    #[test]
    fn a_down_without_an_up_is_not_a_disconnect() {
        let mut link = Attachment::new("tcp:localhost:4444".into(), ms(0));
        link.apply(
            ms(5),
            AttachInput::Down {
                reason: "reset".into(),
            },
        );
        assert_eq!(link.disconnects, 0);
    }
}
