//! Answers to host commands: each command's result by id, and the command
//! frames the guest rejected.

use protocol::command::{CommandOutcome, RejectReason};
use protocol::message::{CommandRejected, CommandResult};
use std::collections::BTreeMap;

/// Command results kept (those of the lowest ids are dropped first).
pub const COMMAND_RESULTS: usize = 256;

/// The answer to one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandReport {
    /// How it ended.
    pub outcome: CommandOutcome,
    /// Guest time of the answer, in microseconds.
    pub time_us: u64,
}

/// A command frame the guest could not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub reason: RejectReason,
    /// Guest time, in microseconds.
    pub time_us: u64,
}

/// What the guest answered to the host's commands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commands {
    results: BTreeMap<u32, CommandReport>,
    /// The id of the latest result.
    pub last_id: Option<u32>,
    /// Command frames rejected: the guest's running total (it counts those
    /// whose answers were lost too).
    pub rejected: u64,
    /// The latest rejection.
    pub last_rejection: Option<Rejection>,
}

impl Commands {
    /// Takes in a command's result, sent at guest time `time_us`.
    pub(crate) fn result(&mut self, time_us: u64, result: CommandResult) {
        self.results.insert(
            result.id,
            CommandReport {
                outcome: result.outcome,
                time_us,
            },
        );
        self.last_id = Some(result.id);
        while self.results.len() > COMMAND_RESULTS {
            self.results.pop_first();
        }
    }

    /// Takes in a rejection, sent at guest time `time_us`.
    pub(crate) fn rejected(&mut self, time_us: u64, rejected: CommandRejected) {
        self.rejected = self.rejected.max(u64::from(rejected.rejected_total)).max(1);
        self.last_rejection = Some(Rejection {
            reason: rejected.reason,
            time_us,
        });
    }

    /// Results by command id.
    pub fn results(&self) -> &BTreeMap<u32, CommandReport> {
        &self.results
    }

    /// The latest result, with its id.
    pub fn last(&self) -> Option<(u32, CommandReport)> {
        let id = self.last_id?;
        Some((id, *self.results.get(&id)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_kept_by_id_and_rejections_counted() {
        let mut commands = Commands::default();
        commands.result(
            10,
            CommandResult {
                id: 2,
                outcome: CommandOutcome::Done(42),
            },
        );
        commands.result(
            20,
            CommandResult {
                id: 1,
                outcome: CommandOutcome::Failed(3),
            },
        );
        assert_eq!(
            commands.results().keys().copied().collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(
            commands.last(),
            Some((
                1,
                CommandReport {
                    outcome: CommandOutcome::Failed(3),
                    time_us: 20
                }
            ))
        );
        // The guest's total counts rejections whose frames were lost.
        commands.rejected(
            30,
            CommandRejected {
                reason: RejectReason::TooLong,
                rejected_total: 3,
            },
        );
        assert_eq!(commands.rejected, 3);
        assert_eq!(
            commands.last_rejection.unwrap().reason,
            RejectReason::TooLong
        );
    }

    #[test]
    fn results_are_bounded() {
        let mut commands = Commands::default();
        for id in 0..(COMMAND_RESULTS as u32 + 4) {
            let outcome = CommandOutcome::Done(0);
            commands.result(0, CommandResult { id, outcome });
        }
        assert_eq!(commands.results().len(), COMMAND_RESULTS);
        assert_eq!(commands.results().keys().next(), Some(&4));
    }
}
