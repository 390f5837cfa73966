//! Garbage on the guest's serial receive line: random bytes, bit-flipped
//! and truncated frames, runs too long for any frame, interleaved with
//! valid pings. The guest must answer every ping, reject every bad frame
//! with a counted error frame, never crash or stall, and do exactly what
//! the same parser compiled for the host (`protocol::command::
//! CommandReceiver`) predicts for the same bytes.

use boot_tests::{BootRun, boot_with_input};
use protocol::command::{Command, CommandReceiver, HostFrame, RejectReason};
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::Message;
use std::time::Duration;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn ping(id: u32) -> Vec<u8> {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(
        &HostFrame {
            id,
            command: Command::<&str>::Ping,
        },
        &mut out,
    )
    .unwrap();
    out.truncate(len);
    out
}

/// One piece of garbage of a random kind.
fn garbage(noise: &mut Noise, id: u32) -> Vec<u8> {
    match noise.below(5) {
        // Random bytes, delimiters included, then a delimiter.
        0 => {
            let len = 1 + noise.below(120) as usize;
            let mut bytes = noise.bytes(len);
            bytes.push(0);
            bytes
        }
        // A valid frame with one bit flipped (bad CRC or bad COBS).
        1 => {
            let mut bytes = ping(id);
            let at = noise.below(bytes.len() as u64 - 1) as usize;
            bytes[at] ^= 1 << noise.below(8);
            if bytes[at] == 0 {
                bytes[at] = 0x55;
            }
            bytes
        }
        // A frame cut short, then a delimiter.
        2 => {
            let mut bytes = ping(id);
            bytes.truncate(1 + noise.below(bytes.len() as u64 - 2) as usize);
            bytes.push(0);
            bytes
        }
        // A run longer than any command frame, without a delimiter, then one.
        3 => {
            let len = 300 + noise.below(200) as usize;
            let mut bytes: Vec<u8> = noise
                .bytes(len)
                .into_iter()
                .map(|byte| byte.max(1))
                .collect();
            bytes.push(0);
            bytes
        }
        // Empty frames: delimiters alone (ignored, not errors).
        _ => vec![0; 1 + noise.below(4) as usize],
    }
}

/// What the guest should say for `bytes`: `Ok(id)` for a command it
/// carries out, `Err(reason)` for a frame it rejects, in order.
fn predicted(bytes: &[u8]) -> Vec<Result<u32, RejectReason>> {
    let mut receiver: CommandReceiver = CommandReceiver::default();
    bytes
        .iter()
        .filter_map(|&byte| {
            receiver
                .feed(byte)
                .map(|outcome| outcome.map(|frame| frame.id))
        })
        .collect()
}

/// What the guest said, in order.
fn answered(run: &BootRun) -> Vec<Result<u32, RejectReason>> {
    run.messages()
        .filter_map(|message| match message {
            Message::CommandResult(result) => Some(Ok(result.id)),
            Message::CommandRejected(rejected) => Some(Err(rejected.reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn random_and_malformed_input_is_rejected_counted_and_never_stalls_the_guest() {
    let mut noise = Noise(0x005e_ed0f_ca05);
    let mut input = Vec::new();
    let mut all = Vec::new();
    let mut pings = 0;
    for step in 0..60u32 {
        let bytes = if step % 3 == 2 {
            pings += 1;
            ping(1000 + step)
        } else {
            garbage(&mut noise, 2000 + step)
        };
        all.extend_from_slice(&bytes);
        input.push((Duration::from_millis(500 + 40 * u64::from(step)), bytes));
    }
    let expected = predicted(&all);
    let good = expected.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(
        good, pings,
        "the garbage holds no valid command: {expected:?}"
    );
    let bad = expected.len() - good;
    assert!(bad >= 30, "enough bad frames: {expected:?}");

    let run = boot_with_input(
        "commands",
        Duration::from_secs(60),
        &Default::default(),
        input,
    );
    run.assert_no_kernel_panic();
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
    assert_eq!(answered(&run), expected, "{}", run.describe());
    // Every rejection is counted: the guest's running total ends at the
    // number of bad frames.
    let last_total = run
        .messages()
        .filter_map(|message| match message {
            Message::CommandRejected(rejected) => Some(rejected.rejected_total),
            _ => None,
        })
        .last();
    assert_eq!(last_total, Some(bad as u32));
    // The guest kept its heartbeat going throughout.
    assert!(run.errors.is_empty() && run.stats.seq_gaps == 0);
}
