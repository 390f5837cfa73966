//! Playback of a recording in the TUI: a clock over recorded time that
//! runs at a speed, pauses, seeks and steps, and hands out the model inputs
//! due by its position.
//!
//! [`Player`] is pure: the caller says how much wall time passed
//! ([`Player::advance`]) or what the user asked ([`Player::control`]), and
//! applies the inputs it returns. Seeking back cannot undo inputs, so it
//! answers [`Playback::Restart`]: start from a fresh model and apply the
//! inputs from the beginning up to the new position (the model is a pure
//! function of its inputs, so this gives exactly the screen a live session
//! showed at that moment).

use crate::ingest::Ingest;
use crate::record::{Record, Recording};
use crate::state::Input;
use std::time::Duration;

/// A playback control for a replay: what the user asked of the playback
/// (the dashboard's replay keys become these; see `app::ReplayStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayControl {
    /// Pause, or resume at the speed it had.
    TogglePause,
    /// Double the playback speed (at most 64x).
    Faster,
    /// Halve the playback speed (at least 1/8x).
    Slower,
    /// Jump forward (positive) or back (negative) by this much recorded time.
    SeekBy {
        /// Recorded time to move by.
        by: Duration,
        /// Backwards when true.
        back: bool,
    },
    /// Jump to this recorded time since the recording started.
    SeekTo(Duration),
    /// While paused: deliver exactly one more frame.
    StepFrame,
}

/// Fastest playback.
pub const MAX_SPEED: f64 = 64.0;
/// Slowest playback.
pub const MIN_SPEED: f64 = 0.125;

/// What the caller must do with the model.
#[derive(Debug, PartialEq)]
pub enum Playback {
    /// Apply these inputs to the current model.
    Continue(Vec<(Duration, Input)>),
    /// Start from a fresh model, then apply these inputs.
    Restart(Vec<(Duration, Input)>),
}

/// A recording being played.
#[derive(Debug)]
pub struct Player {
    records: Vec<Record>,
    next: usize,
    ingest: Ingest,
    position: Duration,
    speed: f64,
    paused: bool,
}

impl Player {
    /// A player at the start of `recording`, at `speed` (clamped to
    /// [`MIN_SPEED`]..=[`MAX_SPEED`]), paused or not.
    pub fn new(recording: Recording, speed: f64, paused: bool) -> Self {
        Self {
            records: recording.records,
            next: 0,
            ingest: Ingest::new(),
            position: Duration::ZERO,
            speed: speed.clamp(MIN_SPEED, MAX_SPEED),
            paused,
        }
    }

    /// Recorded time played so far.
    pub fn position(&self) -> Duration {
        self.position
    }

    /// Recorded time of the last record.
    pub fn length(&self) -> Duration {
        self.records
            .last()
            .map_or(Duration::ZERO, |record| record.at)
    }

    /// The playback speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Whether playback is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether every record has been played.
    pub fn is_finished(&self) -> bool {
        self.next >= self.records.len()
    }

    /// One line for the screen: `REPLAY 2x 0:12.3 / 0:30.0` (and `paused`).
    pub fn describe(&self) -> String {
        let clock = |time: Duration| {
            let tenths = time.as_millis() / 100;
            format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
        };
        let speed = if self.speed >= 1.0 {
            format!("{}x", self.speed)
        } else {
            format!("1/{}x", (1.0 / self.speed).round())
        };
        let state = if self.paused {
            " paused"
        } else if self.is_finished() {
            " ended"
        } else {
            ""
        };
        format!(
            "REPLAY {speed} {} / {}{state}",
            clock(self.position),
            clock(self.length())
        )
    }

    /// `wall` time passed: moves the position by `wall` x speed unless
    /// paused, and returns the inputs now due.
    pub fn advance(&mut self, wall: Duration) -> Vec<(Duration, Input)> {
        if self.paused {
            return Vec::new();
        }
        let target = self.position + wall.mul_f64(self.speed);
        self.play_until(target)
    }

    /// Carries out a user's control.
    pub fn control(&mut self, control: ReplayControl) -> Playback {
        match control {
            ReplayControl::TogglePause => {
                self.paused = !self.paused;
                Playback::Continue(Vec::new())
            }
            ReplayControl::Faster => {
                self.speed = (self.speed * 2.0).min(MAX_SPEED);
                Playback::Continue(Vec::new())
            }
            ReplayControl::Slower => {
                self.speed = (self.speed / 2.0).max(MIN_SPEED);
                Playback::Continue(Vec::new())
            }
            ReplayControl::SeekBy { by, back: false } => self.seek_to(self.position + by),
            ReplayControl::SeekBy { by, back: true } => {
                self.seek_to(self.position.saturating_sub(by))
            }
            ReplayControl::SeekTo(target) => self.seek_to(target),
            ReplayControl::StepFrame => {
                self.paused = true;
                Playback::Continue(self.step())
            }
        }
    }

    fn seek_to(&mut self, target: Duration) -> Playback {
        let target = target.min(self.length());
        if target >= self.position {
            return Playback::Continue(self.play_until(target));
        }
        self.next = 0;
        self.ingest = Ingest::new();
        self.position = Duration::ZERO;
        Playback::Restart(self.play_until(target))
    }

    /// Plays records up to and including the next one that carries a
    /// decoded frame (or the end).
    fn step(&mut self) -> Vec<(Duration, Input)> {
        let mut inputs = Vec::new();
        while self.next < self.records.len() {
            let before = inputs.len();
            let at = self.records[self.next].at;
            inputs.extend(self.play_next());
            self.position = self.position.max(at);
            let framed = inputs[before..]
                .iter()
                .any(|(_, input)| matches!(input, Input::Frame(_)));
            if framed {
                break;
            }
        }
        inputs
    }

    fn play_until(&mut self, target: Duration) -> Vec<(Duration, Input)> {
        let mut inputs = Vec::new();
        while self
            .records
            .get(self.next)
            .is_some_and(|record| record.at <= target)
        {
            inputs.extend(self.play_next());
        }
        self.position = target;
        inputs
    }

    fn play_next(&mut self) -> Vec<(Duration, Input)> {
        let record = &self.records[self.next];
        self.next += 1;
        let at = record.at;
        record
            .entry
            .inputs(&mut self.ingest)
            .into_iter()
            .map(|input| (at, input))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Entry;
    use protocol::frame::{MAX_FRAME_LEN, encode};
    use protocol::message::{GuestFrame, Header, Heartbeat, Message};

    fn heartbeat(seq: u32) -> Vec<u8> {
        let frame = GuestFrame {
            header: Header {
                seq,
                time_us: u64::from(seq) * 1000,
                dropped_before: 0,
            },
            message: Message::<&str>::Heartbeat(Heartbeat {
                uptime_ns: u64::from(seq) * 1_000_000,
                dropped_total: 0,
                idle_ns: 0,
            }),
        };
        let mut bytes = vec![0; MAX_FRAME_LEN];
        let len = encode(&frame, &mut bytes).unwrap();
        bytes.truncate(len);
        bytes
    }

    /// A heartbeat every second for ten seconds.
    fn player(speed: f64, paused: bool) -> Player {
        let mut records = vec![Record {
            at: Duration::ZERO,
            entry: Entry::Started(1),
        }];
        for second in 1..=10 {
            records.push(Record {
                at: Duration::from_secs(second),
                entry: Entry::Serial(heartbeat(second as u32)),
            });
        }
        Player::new(
            Recording {
                image: Some("demo".into()),
                records,
                damage: None,
            },
            speed,
            paused,
        )
    }

    fn frames(inputs: &[(Duration, Input)]) -> usize {
        inputs
            .iter()
            .filter(|(_, input)| matches!(input, Input::Frame(_)))
            .count()
    }

    #[test]
    fn playback_follows_wall_time_times_the_speed() {
        let mut player = player(1.0, false);
        assert_eq!(frames(&player.advance(Duration::from_millis(2500))), 2);
        assert_eq!(player.position(), Duration::from_millis(2500));
        player.control(ReplayControl::Faster);
        assert_eq!(player.speed(), 2.0);
        assert_eq!(frames(&player.advance(Duration::from_secs(1))), 2);
        assert_eq!(player.describe(), "REPLAY 2x 0:04.5 / 0:10.0");
    }

    #[test]
    fn paused_playback_stands_still_and_steps_one_frame_at_a_time() {
        let mut player = player(1.0, true);
        assert!(player.advance(Duration::from_secs(5)).is_empty());
        let Playback::Continue(inputs) = player.control(ReplayControl::StepFrame) else {
            panic!("a step continues");
        };
        assert_eq!(frames(&inputs), 1);
        assert_eq!(player.position(), Duration::from_secs(1));
        assert!(player.describe().ends_with("paused"));
    }

    #[test]
    fn seeking_back_restarts_from_the_beginning_up_to_the_target() {
        let mut player = player(1.0, false);
        player.advance(Duration::from_secs(8));
        let Playback::Restart(inputs) = player.control(ReplayControl::SeekBy {
            by: Duration::from_secs(5),
            back: true,
        }) else {
            panic!("seeking back restarts");
        };
        assert_eq!(frames(&inputs), 3);
        assert_eq!(player.position(), Duration::from_secs(3));
        let Playback::Continue(inputs) =
            player.control(ReplayControl::SeekTo(Duration::from_secs(60)))
        else {
            panic!("seeking forward continues");
        };
        assert_eq!(frames(&inputs), 7);
        assert!(player.is_finished());
        assert_eq!(player.position(), player.length());
    }

    #[test]
    fn speed_stays_within_its_bounds() {
        let mut player = player(1000.0, false);
        assert_eq!(player.speed(), MAX_SPEED);
        for _ in 0..20 {
            player.control(ReplayControl::Slower);
        }
        assert_eq!(player.speed(), MIN_SPEED);
        assert!(player.describe().starts_with("REPLAY 1/8x"));
    }
}
