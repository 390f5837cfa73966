//! Message passing between processes, as pure state: who may send to whom,
//! which message a `receive` takes, when a message is handed over at once
//! (rendezvous) and when it waits, and what becomes of the parties.
//!
//! The rules (the kernel's `ipc.rs` wires them to the process table, the
//! scheduler and the copy into user memory; ARCHITECTURE.md lists them):
//! - A process may not send to itself (EINVAL), nor to a process that does
//!   not exist or is exiting (ESRCH). An ordinary program may send only to
//!   system services; services may send to anyone (EPERM otherwise).
//! - A message goes straight into the destination's buffer when the
//!   destination is blocked receiving from its source (or from [`ANY`]).
//!   Otherwise `send`/`sendrec` queue the sender (arrival order) and block
//!   it; `asend` queues the message in the destination's mailbox, at most
//!   [`MAILBOX_LIMIT`] of them (EAGAIN beyond; the PM's messages are not
//!   counted); `reply` fails with EAGAIN (a reply only reaches someone
//!   waiting for it).
//! - `receive(src)` takes the oldest mailbox message from `src` (or
//!   anyone), else the oldest blocked sender's message, else blocks. A
//!   sender taken from `send` runs on; one taken from `sendrec` goes on to
//!   wait for the reply from the receiver, so no reply can be missed.
//! - `receive` reports how its message was sent ([`Call`]).
//! - A process that exits loses its mailbox and its queue of senders;
//!   everyone blocked sending to it or waiting for its message is woken
//!   with "peer gone" and loses its unsent message.
//!
//! The kernel's process table is reached through [`Processes`], so the
//! same rules run on the host against a model in the tests.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
pub use kernel_abi::ipc::{ANY, Call, Message, PM};
use kernel_abi::{Errno, Pid};

/// Messages a mailbox holds from `asend` (the PM's events are not counted:
/// there is at most one per process, so they are bounded anyway).
pub const MAILBOX_LIMIT: usize = 32;

/// How a process is blocked in message passing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// In `send` until `to` takes its message; with `then_receive`, a
    /// `sendrec` that then waits for the reply into that buffer.
    Send {
        /// The destination.
        to: Pid,
        /// The caller's buffer for the reply (`sendrec`).
        then_receive: Option<u64>,
    },
    /// In `receive` from `from` (or [`ANY`]) into `buffer`; `reply`: waiting
    /// for the answer to a `sendrec`.
    Receive {
        /// The source wanted.
        from: u64,
        /// Where the message goes in the caller's memory.
        buffer: u64,
        /// Part of a `sendrec`.
        reply: bool,
    },
}

/// What the rules need to know of another process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Neither exiting nor a zombie.
    pub alive: bool,
    /// A system service.
    pub privileged: bool,
}

/// A message handed straight to a blocked receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// In its buffer: wake it, its `receive` succeeded.
    Copied,
    /// The copy into its buffer failed (no memory left): nothing was
    /// delivered; wake it with "peer gone".
    CopyFailed,
}

/// What `receive` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A message, sent by `call`, is in the buffer; `wake` is a plain
    /// `send`er that runs on now.
    Taken {
        /// How it was sent.
        call: Call,
        /// A sender to wake.
        wake: Option<Pid>,
    },
    /// Nothing yet: block as [`Wait::Receive`].
    Nothing,
}

/// One process's message state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// Messages queued for it (`asend`, and the PM's events).
    mailbox: VecDeque<Message>,
    /// Processes blocked sending to it, in arrival order.
    senders: VecDeque<Pid>,
    /// The message of its blocked `send`.
    outgoing: Option<Message>,
    /// How the last message delivered to it while it was blocked in
    /// `receive` was sent (what that `receive` returns).
    received_call: Option<Call>,
}

impl Endpoint {
    /// Nothing queued.
    pub const fn new() -> Self {
        Self {
            mailbox: VecDeque::new(),
            senders: VecDeque::new(),
            outgoing: None,
            received_call: None,
        }
    }

    /// Messages queued for it, oldest first.
    pub fn mailbox(&self) -> impl Iterator<Item = &Message> {
        self.mailbox.iter()
    }

    /// Processes blocked sending to it, in arrival order.
    pub fn senders(&self) -> impl Iterator<Item = Pid> + '_ {
        self.senders.iter().copied()
    }

    /// The message of its blocked `send`.
    pub fn outgoing(&self) -> Option<&Message> {
        self.outgoing.as_ref()
    }

    /// How the message its blocked `receive` got was sent (taken once).
    pub fn take_received_call(&mut self) -> Option<Call> {
        self.received_call.take()
    }

    fn queued_asends(&self) -> usize {
        self.mailbox
            .iter()
            .filter(|queued| queued.source != PM)
            .count()
    }
}

/// The process table as the rules see it.
pub trait Processes {
    /// `pid`, if it exists (zombies included).
    fn peer(&self, pid: Pid) -> Option<Peer>;
    /// How `pid` is blocked in message passing, if it is.
    fn waiting(&self, pid: Pid) -> Option<Wait>;
    /// `pid`, blocked, now waits as `wait` instead.
    fn set_waiting(&mut self, pid: Pid, wait: Wait);
    /// `pid`'s message state.
    fn endpoint(&mut self, pid: Pid) -> Option<&mut Endpoint>;
    /// Whether `buffer` is a message buffer `pid` may write.
    fn buffer_ok(&self, pid: Pid, buffer: u64) -> bool;
    /// Copies `message` into `pid`'s `buffer`.
    fn copy_out(&mut self, pid: Pid, buffer: u64, message: &Message) -> Result<(), Errno>;
    /// Every process, by pid.
    fn pids(&self) -> Vec<Pid>;
}

/// The pid an endpoint names (ESRCH if none could).
pub fn destination(endpoint: u64) -> Result<Pid, Errno> {
    u32::try_from(endpoint).map_err(|_| Errno::ESRCH)
}

/// Whether a receiver wanting `wanted` takes a message from `source`.
pub fn source_matches(wanted: u64, source: u64) -> bool {
    wanted == ANY || wanted == source
}

/// Whether `me` may send to `dst`.
///
/// # Return values
/// `EINVAL` (to itself), `ESRCH` (no such live process), `EPERM` (neither
/// party is a system service).
pub fn check_destination(table: &impl Processes, me: Pid, dst: Pid) -> Result<(), Errno> {
    if dst == me {
        return Err(Errno::EINVAL);
    }
    let target = table
        .peer(dst)
        .filter(|peer| peer.alive)
        .ok_or(Errno::ESRCH)?;
    let allowed = target.privileged || table.peer(me).is_some_and(|peer| peer.privileged);
    if allowed { Ok(()) } else { Err(Errno::EPERM) }
}

/// Delivers `message`, sent by `call`, to `dst` if it is blocked receiving
/// from its source: copies it into its buffer.
fn try_deliver(
    table: &mut impl Processes,
    dst: Pid,
    message: &Message,
    call: Call,
) -> Option<Delivered> {
    let Some(Wait::Receive { from, buffer, .. }) = table.waiting(dst) else {
        return None;
    };
    if !source_matches(from, message.source) {
        return None;
    }
    // The buffer was checked writable when `dst` blocked; only running out
    // of memory can fail the copy, which the receiver then sees as an error.
    let written = table.copy_out(dst, buffer, message).is_ok();
    let endpoint = table.endpoint(dst)?;
    endpoint.received_call = written.then_some(call);
    Some(if written {
        Delivered::Copied
    } else {
        Delivered::CopyFailed
    })
}

/// `send` (`then_receive` none) or `sendrec` (the reply buffer) from `me`
/// of `message`, stamped with its source. `Some`: delivered at once (wake
/// `dst`; a `sendrec` caller then blocks for the reply); `None`: `me` is
/// queued and blocks as [`Wait::Send`].
///
/// # Return values
/// The errors of [`check_destination`], then `EFAULT` for a bad reply
/// buffer.
pub fn send(
    table: &mut impl Processes,
    me: Pid,
    dst: Pid,
    message: Message,
    then_receive: Option<u64>,
) -> Result<Option<Delivered>, Errno> {
    check_destination(table, me, dst)?;
    if let Some(buffer) = then_receive
        && !table.buffer_ok(me, buffer)
    {
        return Err(Errno::EFAULT);
    }
    let call = if then_receive.is_some() {
        Call::SendRec
    } else {
        Call::Send
    };
    if let Some(delivered) = try_deliver(table, dst, &message, call) {
        return Ok(Some(delivered));
    }
    table
        .endpoint(dst)
        .ok_or(Errno::ESRCH)?
        .senders
        .push_back(me);
    table.endpoint(me).ok_or(Errno::ESRCH)?.outgoing = Some(message);
    Ok(None)
}

/// `me`'s blocked `send` to `dst` was interrupted: its request, not taken
/// yet, is withdrawn.
pub fn withdraw(table: &mut impl Processes, me: Pid, dst: Pid) {
    if let Some(target) = table.endpoint(dst) {
        target.senders.retain(|&sender| sender != me);
    }
    if let Some(caller) = table.endpoint(me) {
        caller.outgoing = None;
    }
}

/// `receive(src, buffer)` by `me`: the oldest queued message from `src`
/// (or anyone), else the oldest blocked sender's, copied into `buffer`.
///
/// # Return values
/// `EFAULT` (bad buffer), `ESRCH` (no such live `src`), or the copy's
/// error.
pub fn receive(
    table: &mut impl Processes,
    me: Pid,
    src: u64,
    buffer: u64,
) -> Result<Received, Errno> {
    if table.peer(me).is_none() {
        return Err(Errno::ESRCH);
    }
    if !table.buffer_ok(me, buffer) {
        return Err(Errno::EFAULT);
    }
    if src != ANY && src != PM && table.peer(destination(src)?).is_none_or(|peer| !peer.alive) {
        return Err(Errno::ESRCH);
    }
    let caller = table.endpoint(me).ok_or(Errno::ESRCH)?;
    if let Some(position) = caller
        .mailbox
        .iter()
        .position(|message| source_matches(src, message.source))
        && let Some(message) = caller.mailbox.remove(position)
    {
        table.copy_out(me, buffer, &message)?;
        let call = if message.source == PM {
            Call::Pm
        } else {
            Call::ASend
        };
        return Ok(Received::Taken { call, wake: None });
    }
    let Some(position) = caller
        .senders
        .iter()
        .position(|&sender| source_matches(src, u64::from(sender)))
    else {
        return Ok(Received::Nothing);
    };
    let Some(sender) = caller.senders.remove(position) else {
        return Ok(Received::Nothing);
    };
    let message = table
        .endpoint(sender)
        .and_then(|endpoint| endpoint.outgoing.take())
        .ok_or(Errno::ESRCH)?;
    table.copy_out(me, buffer, &message)?;
    // A `sendrec` caller goes straight on to wait for our reply.
    if let Some(Wait::Send {
        then_receive: Some(reply_buffer),
        ..
    }) = table.waiting(sender)
    {
        table.set_waiting(
            sender,
            Wait::Receive {
                from: u64::from(me),
                buffer: reply_buffer,
                reply: true,
            },
        );
        return Ok(Received::Taken {
            call: Call::SendRec,
            wake: None,
        });
    }
    // A plain `send` is done now: its sender runs on.
    Ok(Received::Taken {
        call: Call::Send,
        wake: Some(sender),
    })
}

/// `asend(dst, message)` from `me`: never blocks. `Some`: delivered at once
/// (wake `dst`); `None`: queued in its mailbox.
///
/// # Return values
/// The errors of [`check_destination`], `EAGAIN` when the mailbox is full.
pub fn asend(
    table: &mut impl Processes,
    me: Pid,
    dst: Pid,
    message: Message,
) -> Result<Option<Delivered>, Errno> {
    check_destination(table, me, dst)?;
    if let Some(delivered) = try_deliver(table, dst, &message, Call::ASend) {
        return Ok(Some(delivered));
    }
    let target = table.endpoint(dst).ok_or(Errno::ESRCH)?;
    if target.queued_asends() >= MAILBOX_LIMIT {
        return Err(Errno::EAGAIN);
    }
    target.mailbox.push_back(message);
    Ok(None)
}

/// `reply(dst, message)` from `me`: delivered only if `dst` is blocked
/// receiving from `me` or from anyone (wake it).
///
/// # Return values
/// The errors of [`check_destination`], `EAGAIN` if `dst` is not waiting
/// for a message from `me`.
pub fn reply(
    table: &mut impl Processes,
    me: Pid,
    dst: Pid,
    message: Message,
) -> Result<Delivered, Errno> {
    check_destination(table, me, dst)?;
    try_deliver(table, dst, &message, Call::Reply).ok_or(Errno::EAGAIN)
}

/// The PM's `message` to `subscriber`: delivered at once if it is
/// receiving (`Some`: wake it), else queued (uncounted).
pub fn from_pm(
    table: &mut impl Processes,
    subscriber: Pid,
    mut message: Message,
) -> Option<Delivered> {
    message.source = PM;
    (message.uid, message.gid) = (0, 0);
    if let Some(delivered) = try_deliver(table, subscriber, &message, Call::Pm) {
        return Some(delivered);
    }
    if let Some(target) = table.endpoint(subscriber) {
        target.mailbox.push_back(message);
    }
    None
}

/// `pid` is exiting: its mailbox and its queue of senders go. Returns the
/// processes blocked sending to it or waiting for a message from it, whose
/// unsent messages are dropped: wake them with "peer gone".
pub fn forget(table: &mut impl Processes, pid: Pid) -> Vec<Pid> {
    if let Some(endpoint) = table.endpoint(pid) {
        endpoint.mailbox.clear();
        endpoint.senders.clear();
    }
    let waiting: Vec<Pid> = table
        .pids()
        .into_iter()
        .filter(|&other| match table.waiting(other) {
            Some(Wait::Send { to, .. }) => to == pid,
            Some(Wait::Receive { from, .. }) => from == u64::from(pid),
            None => false,
        })
        .collect();
    for &waiter in &waiting {
        if let Some(endpoint) = table.endpoint(waiter) {
            endpoint.outgoing = None;
        }
    }
    waiting
}
