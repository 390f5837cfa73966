//! Commands from the host, on the link's receive line (COM1's, or the
//! virtio console's with `link=virtio`, see [`crate::link`]): read every timer tick,
//! reassembled into frames, decoded, carried out, answered.
//!
//! Every frame gets an answer: a `CommandResult` with the command's id, or a
//! `CommandRejected` for a frame that did not decode (too long, bad COBS or
//! CRC, not a command), which changes nothing. Bad input is counted and
//! never stalls the guest: at most [`BYTES_PER_TICK`] bytes are read per
//! tick. Reassembly and decoding are `protocol::command::CommandReceiver`
//! (pure, tested and fuzzed on the host); this file owns the receive line,
//! carrying commands out, and the answers.

use crate::sync::IrqLock;
use crate::{pageout, pm, process, telemetry};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::{Errno, Signal};
use protocol::command::{
    Command, CommandBody, CommandOutcome, CommandReceiver, MAX_COMMAND_FRAME, RejectReason,
};
use protocol::message::{CommandRejected, CommandResult, Message};

/// Most bytes taken off the receive line per timer tick.
const BYTES_PER_TICK: usize = 64;

static RECEIVER: IrqLock<CommandReceiver<MAX_COMMAND_FRAME>> =
    IrqLock::new("command receiver", CommandReceiver::new());
static REJECTED: AtomicU32 = AtomicU32::new(0);

/// Reads what the host sent, and carries out each complete command.
pub fn poll() {
    for _ in 0..BYTES_PER_TICK {
        let Some(byte) = crate::link::receive_byte() else {
            return;
        };
        // The frame body is copied out so the lock is not held while the
        // command runs.
        let Some(received) = RECEIVER.with(|receiver| receiver.feed_body(byte)) else {
            continue;
        };
        if let Err(reason) = received.and_then(|mut body| run(&mut body)) {
            reject(reason);
        }
    }
}

/// Decodes one frame body; a command is carried out and answered.
fn run(body: &mut CommandBody) -> Result<(), RejectReason> {
    let command = body.decode()?;
    let outcome = execute(&command.command);
    telemetry::send(Message::CommandResult(CommandResult {
        id: command.id,
        outcome,
    }));
    Ok(())
}

fn reject(reason: RejectReason) {
    let rejected_total = REJECTED.fetch_add(1, Ordering::Relaxed) + 1;
    telemetry::send(Message::CommandRejected(CommandRejected {
        reason,
        rejected_total,
    }));
}

fn failed(error: Errno) -> CommandOutcome {
    CommandOutcome::Failed((-error.as_return()) as u8)
}

fn execute(command: &Command<&str>) -> CommandOutcome {
    match *command {
        Command::Ping => CommandOutcome::Done(0),
        Command::Signal { pid, signal } => {
            let Some(signal) = Signal::from_number(u64::from(signal)) else {
                return failed(Errno::EINVAL);
            };
            if pid == 0 {
                return failed(Errno::ESRCH);
            }
            match crate::signal::send_signal(0, pid, signal) {
                Ok(()) => CommandOutcome::Done(0),
                Err(error) => failed(error),
            }
        }
        Command::Spawn { program, args } => {
            pageout::ensure_free_frames();
            let words: Vec<&str> = args.split_ascii_whitespace().collect();
            let init = process::with_table(|table| table.init);
            match pm::spawn(init, program, &words, false, None) {
                Ok(pid) => CommandOutcome::Done(u64::from(pid)),
                Err(error) => failed(error),
            }
        }
        Command::SetSnapshotInterval { ms } => {
            if !(10..=60_000).contains(&ms) {
                return failed(Errno::EINVAL);
            }
            crate::snapshot::set_period_ms(u64::from(ms));
            CommandOutcome::Done(0)
        }
    }
}
