//! Messages between processes, and process events for system services.
//! See `kernel_abi::ipc` for the semantics of each call.

use crate::SysResult;
use crate::raw::{check, syscall, syscall_plain};
use kernel_abi::ipc::{EVENT_EXIT, EVENT_SIGNAL, EVENT_SPAWN, PM, PROC_EVENT, PROC_EVENT_REPLY};
use kernel_abi::{Errno, Pid, Syscall};

pub use kernel_abi::ipc::{ANY, Call, Message, PAYLOAD_WORDS};

fn call_with(call: Syscall, endpoint: u64, message: &Message) -> SysResult<()> {
    // SAFETY: `message` is a live Message the kernel only reads.
    check(unsafe {
        syscall(
            call,
            [endpoint, message as *const Message as u64, 0, 0, 0, 0],
        )
    })
    .map(|_| ())
}

fn call_into(call: Syscall, endpoint: u64, message: &mut Message) -> SysResult<u64> {
    // SAFETY: `message` is a live, writable Message; the kernel writes the
    // received message into it.
    check(unsafe { syscall(call, [endpoint, message as *mut Message as u64, 0, 0, 0, 0]) })
}

/// Sends `message` to `dst`, waiting until it is received.
pub fn send(dst: u64, message: &Message) -> SysResult<()> {
    call_with(Syscall::Send, dst, message)
}

/// Receives a message from `src` (or [`ANY`]), waiting for one.
pub fn receive(src: u64) -> SysResult<Message> {
    receive_call(src).map(|(message, _)| message)
}

/// [`receive`], also telling how the message was sent: a service serves
/// requests from [`Call::SendRec`] callers, the ones certain to wait for
/// its reply. (A kernel that reported no call is taken to mean `send`.)
pub fn receive_call(src: u64) -> SysResult<(Message, Call)> {
    let mut message = Message::default();
    let call = call_into(Syscall::Receive, src, &mut message)?;
    Ok((message, Call::from_return(call).unwrap_or(Call::Send)))
}

/// Sends `message` to `dst` and waits for its reply, which replaces it.
pub fn sendrec(dst: u64, message: &mut Message) -> SysResult<()> {
    call_into(Syscall::SendRec, dst, message).map(|_| ())
}

/// Queues `message` for `dst` without waiting (EAGAIN if its mailbox is
/// full).
pub fn asend(dst: u64, message: &Message) -> SysResult<()> {
    call_with(Syscall::ASend, dst, message)
}

/// Answers `dst`, which must be waiting for us (EAGAIN otherwise).
pub fn reply(dst: u64, message: &Message) -> SysResult<()> {
    call_with(Syscall::Reply, dst, message)
}

/// The pid of the system service named `name`.
pub fn lookup_service(name: &str) -> SysResult<Pid> {
    // SAFETY: the pointer and length describe `name`, which the kernel reads.
    let result = unsafe {
        syscall(
            Syscall::LookupService,
            [name.as_ptr() as u64, name.len() as u64, 0, 0, 0, 0],
        )
    };
    check(result).map(|pid| pid as Pid)
}

/// Process events a service can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A process exited.
    Exit,
    /// A process caught a signal.
    Signal,
    /// A process was created.
    Spawn,
}

impl EventKind {
    /// Its mask bit.
    pub const fn bit(self) -> u64 {
        match self {
            EventKind::Exit => EVENT_EXIT,
            EventKind::Signal => EVENT_SIGNAL,
            EventKind::Spawn => EVENT_SPAWN,
        }
    }

    fn from_bit(bit: u64) -> Option<Self> {
        [EventKind::Exit, EventKind::Signal, EventKind::Spawn]
            .into_iter()
            .find(|kind| kind.bit() == bit)
    }
}

/// Subscribes to the event kinds in `mask` (replacing the previous mask; 0
/// unsubscribes). EPERM for ordinary programs, ENOMEM when the table is full.
pub fn subscribe(mask: u64) -> SysResult<()> {
    check(syscall_plain(Syscall::ProcEventMask, [mask, 0, 0, 0, 0, 0])).map(|_| ())
}

/// A process event as a subscriber receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessEvent {
    /// The process it is about.
    pub pid: Pid,
    /// What happened.
    pub kind: EventKind,
    /// Identifies the event.
    pub event_id: u64,
}

impl ProcessEvent {
    /// The event in `message`, if it is one (from the PM).
    pub fn from_message(message: &Message) -> Option<Self> {
        if message.source != PM || message.kind != PROC_EVENT {
            return None;
        }
        let [pid, kind, event_id, ..] = message.payload;
        Some(Self {
            pid: pid as Pid,
            kind: EventKind::from_bit(kind)?,
            event_id,
        })
    }

    /// Acks the event (the PM never replies).
    pub fn ack(&self) -> SysResult<()> {
        ack_raw(self.pid, self.kind.bit(), self.event_id)
    }
}

/// Sends an ack with arbitrary contents (to test that mismatches are
/// ignored). ENOSYS for ordinary programs.
pub fn ack_raw(pid: Pid, kind: u64, event_id: u64) -> SysResult<()> {
    asend(PM, &ack_message(pid, kind, event_id))
}

/// The ack message of event `event_id` (of kind bit `kind`, about `pid`),
/// as a subscriber sends it to the PM.
pub fn ack_message(pid: Pid, kind: u64, event_id: u64) -> Message {
    Message::new(PROC_EVENT_REPLY, [u64::from(pid), kind, event_id, 0, 0, 0])
}

/// The result word of a service reply: `kind` carries a value (>= 0) or
/// `-errno`.
pub fn reply_result(message: &Message) -> SysResult<u64> {
    let value = message.kind as i64;
    if value >= 0 {
        Ok(value as u64)
    } else {
        Err(Errno::from_return(value).unwrap_or(Errno::EINVAL))
    }
}
