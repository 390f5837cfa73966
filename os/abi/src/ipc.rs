//! Messages between processes, and the process manager's event protocol.
//!
//! A message is 72 bytes: the sender and its effective user and group ids
//! (filled in by the kernel), a kind, and six words of payload. Endpoints are pids; [`PM`] is the process manager
//! (in the kernel). Ordinary programs may send only to system services (and
//! the PM); services may send to anyone.
//!
//! | call | blocks | delivers |
//! | --- | --- | --- |
//! | `send(dst, msg)` | until `dst` receives it | rendezvous |
//! | `receive(src, msg)` | until a message from `src` (or [`ANY`]) arrives | queued, then blocked senders |
//! | `sendrec(dst, msg)` | until `dst` replies | send, then receive from `dst` into `msg` |
//! | `asend(dst, msg)` | never | queued (bounded per destination; EAGAIN when full) |
//! | `reply(dst, msg)` | never | only if `dst` is waiting for us (EAGAIN otherwise) |
//!
//! `receive` returns how the message it took was sent ([`Call`]), as
//! MINIX's `IPC_STATUS_CALL` does: a service can tell a caller blocked in
//! `sendrec`, who is certain to be waiting for the reply, from one that
//! sent with `asend` and may never listen.

/// Size of a message payload in words.
pub const PAYLOAD_WORDS: usize = 6;

/// A message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The sender's pid (set by the kernel; ignored when sending).
    pub source: u64,
    /// What the message is (meaning agreed between the parties).
    pub kind: u64,
    /// The content.
    pub payload: [u64; PAYLOAD_WORDS],
    /// The sender's effective user id (set by the kernel, as `source` is;
    /// ignored when sending): what a service checks permissions against,
    /// as MINIX's `getnuid(m_source)`.
    pub uid: u32,
    /// The sender's effective group id (set by the kernel).
    pub gid: u32,
}

impl Message {
    /// A message of `kind` with `payload`.
    pub const fn new(kind: u64, payload: [u64; PAYLOAD_WORDS]) -> Self {
        Self {
            source: 0,
            kind,
            payload,
            uid: 0,
            gid: 0,
        }
    }
}

/// How the message `receive` took was sent: `receive`'s return value.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `send`: the sender was blocked until we took it, and runs on now.
    Send = 1,
    /// `sendrec`: the sender is blocked waiting for our reply, and stays
    /// so until we reply, it dies, or (if we are not a system service) a
    /// signal interrupts it.
    SendRec = 2,
    /// `asend`: queued; the sender never waited.
    ASend = 3,
    /// `reply`: an answer to us.
    Reply = 4,
    /// From the PM (a process event).
    Pm = 5,
}

impl Call {
    /// The call `receive` reported in `value`, if it is one.
    pub const fn from_return(value: u64) -> Option<Self> {
        Some(match value {
            1 => Call::Send,
            2 => Call::SendRec,
            3 => Call::ASend,
            4 => Call::Reply,
            5 => Call::Pm,
            _ => return None,
        })
    }
}

/// `receive` source: any sender.
pub const ANY: u64 = u64::MAX;

/// The process manager's endpoint.
pub const PM: u64 = 0;

/// Event kind (and mask bit): a process exited.
pub const EVENT_EXIT: u64 = 0x01;
/// Event kind (and mask bit): a process caught a signal.
pub const EVENT_SIGNAL: u64 = 0x02;
/// Event kind (and mask bit): a process was created.
pub const EVENT_SPAWN: u64 = 0x04;

/// PM to subscriber: an event. Payload: `[pid, kind, event_id]`.
pub const PROC_EVENT: u64 = 0xE03;
/// Subscriber to PM: the ack. Payload: `[pid, kind, event_id]` (the id is
/// informational; sender, pid and kind must match).
pub const PROC_EVENT_REPLY: u64 = 0xE80;
/// PM to a system service: a signal that does not end services (MINIX's
/// `SIGS_SIGNAL_RECEIVED`; services get no SIGNAL event). Payload:
/// `[signal]`.
pub const SIGS_SIGNAL_RECEIVED: u64 = 0xE00;
