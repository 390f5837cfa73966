//! Snapshot rounds: telling a complete round from one that lost frames.
//!
//! Every 500 ms the guest lists each process (a `Process` frame followed by
//! its `Region` frames), then sends `Memory` and `SnapshotDone`, which says
//! how many `Process` frames the round had. A round is complete when exactly
//! that many arrived; only then may the host conclude that processes missing
//! from it are gone. A round whose `SnapshotDone` never arrives (a later
//! round starts instead) is incomplete too.

/// Progress and history of snapshot rounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotRounds {
    collecting: Option<Collecting>,
    /// Rounds that arrived complete.
    pub complete: u64,
    /// Rounds that lost frames (so nothing was pruned after them).
    pub incomplete: u64,
    /// The latest complete round.
    pub last_complete: Option<u32>,
}

/// The round whose frames are arriving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Collecting {
    round: u32,
    /// The table's mark when its first frame arrived.
    started_at: u64,
    processes: u32,
}

/// What kind of snapshot frame arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoundFrame {
    /// A `Process` frame: counts towards the round's total.
    Process,
    /// A `Region` or `Memory` frame.
    Other,
}

impl SnapshotRounds {
    /// Notes a frame of round `round`, arriving at table mark `mark`.
    pub(crate) fn frame(&mut self, round: u32, mark: u64, kind: RoundFrame) {
        let collecting = match self.collecting {
            Some(collecting) if collecting.round == round => collecting,
            abandoned => {
                if abandoned.is_some() {
                    self.incomplete += 1;
                }
                Collecting {
                    round,
                    started_at: mark,
                    processes: 0,
                }
            }
        };
        let processes = collecting.processes + u32::from(kind == RoundFrame::Process);
        self.collecting = Some(Collecting {
            processes,
            ..collecting
        });
    }

    /// Closes round `round`, which the guest says had `processes` processes.
    /// Returns the mark its first frame arrived at if it is complete:
    /// processes with no evidence of life since then are gone.
    pub(crate) fn done(&mut self, round: u32, processes: u32) -> Option<u64> {
        let collecting = self.collecting.take();
        match collecting {
            Some(collecting) if collecting.round == round && collecting.processes == processes => {
                self.complete += 1;
                self.last_complete = Some(round);
                Some(collecting.started_at)
            }
            Some(collecting) if collecting.round != round => {
                // Both the abandoned round and this one lost frames.
                self.incomplete += 2;
                None
            }
            _ => {
                self.incomplete += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_with_every_process_is_complete() {
        let mut rounds = SnapshotRounds::default();
        rounds.frame(7, 10, RoundFrame::Process);
        rounds.frame(7, 11, RoundFrame::Other);
        rounds.frame(7, 12, RoundFrame::Process);
        rounds.frame(7, 13, RoundFrame::Other);
        assert_eq!(rounds.done(7, 2), Some(10));
        assert_eq!((rounds.complete, rounds.incomplete), (1, 0));
        assert_eq!(rounds.last_complete, Some(7));
    }

    #[test]
    fn a_round_missing_a_process_frame_is_incomplete() {
        let mut rounds = SnapshotRounds::default();
        rounds.frame(7, 10, RoundFrame::Process);
        rounds.frame(7, 11, RoundFrame::Other);
        assert_eq!(rounds.done(7, 2), None);
        assert_eq!((rounds.complete, rounds.incomplete), (0, 1));
        assert_eq!(rounds.last_complete, None);
    }

    #[test]
    fn an_empty_round_is_complete_if_its_memory_frame_arrived() {
        let mut rounds = SnapshotRounds::default();
        rounds.frame(3, 5, RoundFrame::Other);
        assert_eq!(rounds.done(3, 0), Some(5));
        // Without any frame of the round, not even an empty one counts.
        assert_eq!(rounds.done(4, 0), None);
        assert_eq!((rounds.complete, rounds.incomplete), (1, 1));
    }

    #[test]
    fn a_round_whose_end_was_lost_is_incomplete() {
        let mut rounds = SnapshotRounds::default();
        rounds.frame(1, 1, RoundFrame::Process);
        rounds.frame(2, 2, RoundFrame::Process);
        assert_eq!(rounds.incomplete, 1);
        assert_eq!(rounds.done(2, 1), Some(2));
        // The end of round 3 arrives while round 4's frames were collected
        // without an end: both lost frames.
        rounds.frame(4, 3, RoundFrame::Process);
        assert_eq!(rounds.done(3, 1), None);
        assert_eq!((rounds.complete, rounds.incomplete), (1, 3));
    }
}
