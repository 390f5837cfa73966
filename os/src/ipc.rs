//! Message passing between processes: rendezvous `send`/`receive`,
//! `sendrec` (send, then wait for the reply), non-blocking `asend` into a
//! bounded mailbox, and `reply` (only to a process already receiving from
//! us or from anyone).
//!
//! Messages are copied straight into the receiver's buffer, whose address
//! the receiver gave when it blocked. Ordinary programs may send only to
//! system services and the PM; services may send to anyone. `receive`
//! returns how the message was sent ([`Call`]), as MINIX's ipc_status
//! does, so a service can serve only callers waiting in `sendrec`.

use crate::process::{self, Block, State, Table, Wake};
use crate::{events, sched, vm};
use kernel_abi::ipc::{ANY, Call, Message, PM};
use kernel_abi::{Errno, Pid};

/// Messages a mailbox holds from `asend` (the PM's events are not counted:
/// there is at most one per process, so they are bounded anyway).
pub const MAILBOX_LIMIT: usize = 32;

fn destination(endpoint: u64) -> Result<Pid, Errno> {
    u32::try_from(endpoint).map_err(|_| Errno::ESRCH)
}

/// Checks that the running process may send to `dst`.
fn check_destination(table: &Table, me: Pid, dst: Pid) -> Result<(), Errno> {
    if dst == me {
        return Err(Errno::EINVAL);
    }
    let target = table
        .get(dst)
        .filter(|process| process.is_alive())
        .ok_or(Errno::ESRCH)?;
    let allowed = target.privileged || table.get(me).is_some_and(|process| process.privileged);
    if allowed { Ok(()) } else { Err(Errno::EPERM) }
}

/// Stamps `message` with its sender, `me`, and `me`'s effective user and
/// group ids (MINIX's `m_source`, and what its `getnuid`/`getngid` give).
fn stamp(message: &mut Message, me: Pid) {
    message.source = u64::from(me);
    (message.uid, message.gid) = process::with_table(|table| {
        table
            .get(me)
            .map(|process| (process.creds.euid, process.creds.egid))
            .unwrap_or_default()
    });
}

fn source_matches(wanted: u64, source: u64) -> bool {
    wanted == ANY || wanted == source
}

/// Brings in the buffer of `dst` if it is blocked receiving, before the
/// table is taken for delivery: the copy into it must not fail for want of
/// a frame while the out-of-memory rule could still free one (a paged-out
/// buffer of a semop waiter would lose its reply, and with it its unit).
fn prepare_receiver(dst: Pid) {
    let buffer = process::with_table(|table| match table.get(dst).map(|target| target.state) {
        Some(State::Blocked(Block::Receive { buffer, .. })) => Some(buffer),
        _ => None,
    });
    if let Some(buffer) = buffer {
        crate::oom::bring_in(dst, buffer, core::mem::size_of::<Message>() as u64, true);
    }
}

/// Delivers `message`, sent by `call`, to `dst` if it is blocked receiving
/// from its source: copies it into its buffer. Returns how to wake `dst`
/// if it did (`PeerGone` if the copy failed: nothing was delivered).
fn try_deliver(table: &mut Table, dst: Pid, message: &Message, call: Call) -> Option<Wake> {
    let target = table.get_mut(dst)?;
    let State::Blocked(Block::Receive { from, buffer, .. }) = target.state else {
        return None;
    };
    if !source_matches(from, message.source) {
        return None;
    }
    // The buffer was checked writable when `dst` blocked; only running out
    // of memory can fail the copy, which the receiver then sees as an error.
    let written = vm::write_user(target, buffer, message).is_ok();
    target.received_call = written.then_some(call);
    Some(if written { Wake::Done } else { Wake::PeerGone })
}

/// `send(dst, message)`: blocks until `dst` receives it.
///
/// # Return values
/// `ESRCH` (no such live process), `EPERM` (not allowed), `EINVAL` (to
/// itself), `EINTR` (a signal interrupted the wait), `EDEADSRCDST` (`dst`
/// died first); for the PM, see [`events::message_to_pm`].
pub fn send(dst: u64, message: Message) -> Result<u64, Errno> {
    send_then(dst, message, None)
}

/// `sendrec(dst, buffer)`: sends the message in `buffer`, then waits for
/// `dst`'s reply into it. No reply can be missed: once `dst` takes the
/// request, the caller is already waiting for the reply.
pub fn sendrec(dst: u64, buffer: u64, message: Message) -> Result<u64, Errno> {
    if dst == PM {
        return events::message_to_pm(&message);
    }
    send_then(dst, message, Some(buffer))?;
    Ok(0)
}

fn send_then(dst: u64, mut message: Message, then_receive: Option<u64>) -> Result<u64, Errno> {
    if dst == PM {
        return events::message_to_pm(&message);
    }
    let me = sched::current();
    let dst = destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered = process::with_table(|table| {
        check_destination(table, me, dst)?;
        if let Some(buffer) = then_receive {
            check_buffer(table, me, buffer)?;
        }
        let call = if then_receive.is_some() {
            Call::SendRec
        } else {
            Call::Send
        };
        if let Some(wake) = try_deliver(table, dst, &message, call) {
            return Ok(Some(wake));
        }
        table
            .get_mut(dst)
            .ok_or(Errno::ESRCH)?
            .senders
            .push_back(me);
        table.get_mut(me).ok_or(Errno::ESRCH)?.outgoing = Some(message);
        Ok(None)
    })?;
    let wake = if let Some(how) = delivered {
        sched::wake(dst, how);
        match then_receive {
            // The request is delivered; now wait for the reply.
            Some(buffer) => sched::block_current(Block::Receive {
                from: u64::from(dst),
                buffer,
                reply: true,
            }),
            None => return Ok(0),
        }
    } else {
        sched::block_current(Block::Send {
            to: dst,
            then_receive,
        })
    };
    match wake {
        Wake::Done => Ok(0),
        Wake::Interrupted => {
            // Withdraw a request nobody has taken yet.
            process::with_table(|table| {
                if let Some(target) = table.get_mut(dst) {
                    target.senders.retain(|&sender| sender != me);
                }
                if let Some(caller) = table.get_mut(me) {
                    caller.outgoing = None;
                }
            });
            Err(Errno::EINTR)
        }
        Wake::PeerGone => Err(Errno::EDEADSRCDST),
    }
}

fn check_buffer(table: &Table, me: Pid, buffer: u64) -> Result<(), Errno> {
    let process = table.get(me).ok_or(Errno::ESRCH)?;
    let size = core::mem::size_of::<Message>() as u64;
    if process.vm.check_range(buffer, size, true) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// `receive(src, buffer)`: takes the oldest queued message from `src` (or
/// anyone), else the oldest blocked sender's, else blocks until one comes.
/// Returns how the message was sent ([`Call`]).
///
/// # Return values
/// `EFAULT` (bad buffer), `ESRCH` (no such `src`), `EINTR`, `EDEADSRCDST`
/// (`src` died while we waited).
pub fn receive(src: u64, buffer: u64) -> Result<u64, Errno> {
    let me = sched::current();
    // Some((how it was sent, a sender to wake)), or None: nothing yet, block.
    let taken = process::with_table(|table| {
        check_buffer(table, me, buffer)?;
        if src != ANY && src != PM && table.get(destination(src)?).is_none_or(|p| !p.is_alive()) {
            return Err(Errno::ESRCH);
        }
        let caller = table.get_mut(me).ok_or(Errno::ESRCH)?;
        if let Some(position) = caller
            .mailbox
            .iter()
            .position(|message| source_matches(src, message.source))
            && let Some(message) = caller.mailbox.remove(position)
        {
            vm::write_user(caller, buffer, &message)?;
            let call = if message.source == PM {
                Call::Pm
            } else {
                Call::ASend
            };
            return Ok(Some((call, None)));
        }
        let Some(position) = caller
            .senders
            .iter()
            .position(|&sender| source_matches(src, u64::from(sender)))
        else {
            return Ok(None);
        };
        let Some(sender) = caller.senders.remove(position) else {
            return Ok(None);
        };
        let message = table
            .get_mut(sender)
            .and_then(|process| process.outgoing.take())
            .ok_or(Errno::ESRCH)?;
        vm::write_user(table.get_mut(me).ok_or(Errno::ESRCH)?, buffer, &message)?;
        // A `sendrec` caller goes straight on to wait for our reply.
        let sending = table.get_mut(sender).ok_or(Errno::ESRCH)?;
        if let State::Blocked(Block::Send {
            then_receive: Some(reply_buffer),
            ..
        }) = sending.state
        {
            sending.state = State::Blocked(Block::Receive {
                from: u64::from(me),
                buffer: reply_buffer,
                reply: true,
            });
            return Ok(Some((Call::SendRec, None)));
        }
        // A plain `send` is done now: its sender runs on.
        Ok(Some((Call::Send, Some(sender))))
    })?;
    match taken {
        Some((call, Some(sender))) => {
            sched::wake(sender, Wake::Done);
            Ok(call as u64)
        }
        Some((call, None)) => Ok(call as u64),
        None => match sched::block_current(Block::Receive {
            from: src,
            buffer,
            reply: false,
        }) {
            Wake::Done => process::with_current(|process| process.received_call.take())
                .map(|call| call as u64)
                .ok_or(Errno::EDEADSRCDST),
            Wake::Interrupted => Err(Errno::EINTR),
            Wake::PeerGone => Err(Errno::EDEADSRCDST),
        },
    }
}

/// `asend(dst, message)`: never blocks.
///
/// # Return values
/// `EAGAIN` when `dst`'s mailbox is full, plus the errors of [`send`]
/// before blocking.
pub fn asend(dst: u64, mut message: Message) -> Result<u64, Errno> {
    if dst == PM {
        return events::message_to_pm(&message);
    }
    let me = sched::current();
    let dst = destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered = process::with_table(|table| {
        check_destination(table, me, dst)?;
        if let Some(wake) = try_deliver(table, dst, &message, Call::ASend) {
            return Ok(Some(wake));
        }
        let target = table.get_mut(dst).ok_or(Errno::ESRCH)?;
        let queued = target
            .mailbox
            .iter()
            .filter(|queued| queued.source != PM)
            .count();
        if queued >= MAILBOX_LIMIT {
            return Err(Errno::EAGAIN);
        }
        target.mailbox.push_back(message);
        Ok(None)
    })?;
    if let Some(how) = delivered {
        sched::wake(dst, how);
    }
    Ok(0)
}

/// `reply(dst, message)`: never blocks; delivers only if `dst` is blocked
/// receiving from us or from anyone, as MINIX's non-blocking send does. A
/// `sendrec` caller is such a receiver from the moment its request was
/// taken until it gets the answer or a signal ends it (a fatal signal
/// wakes it at once, before it has run), so a service's answer lands
/// exactly when someone is there to take it, and a client that is not
/// listening can never stall the service. Success means the message is in
/// `dst`'s buffer: a service that hands something over in a reply (a
/// semaphore unit) can take it back when the reply fails.
///
/// # Return values
/// `EAGAIN` if `dst` is not waiting for a message from us (it never was,
/// or it is dying), `EFAULT` if its buffer could not be written (it is
/// woken with EDEADSRCDST), plus the errors of [`send`] before blocking.
pub fn reply(dst: u64, mut message: Message) -> Result<u64, Errno> {
    let me = sched::current();
    let dst = destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered = process::with_table(|table| {
        check_destination(table, me, dst)?;
        Ok(try_deliver(table, dst, &message, Call::Reply))
    })?;
    let how = delivered.ok_or(Errno::EAGAIN)?;
    sched::wake(dst, how);
    match how {
        Wake::Done => Ok(0),
        _ => Err(Errno::EFAULT),
    }
}

/// The PM's message (an event) to `subscriber`: delivered at once if it is
/// receiving, else queued.
pub fn deliver_from_pm(subscriber: Pid, mut message: Message) {
    message.source = PM;
    prepare_receiver(subscriber);
    (message.uid, message.gid) = (0, 0);
    let delivered = process::with_table(|table| {
        if let Some(wake) = try_deliver(table, subscriber, &message, Call::Pm) {
            return Some(wake);
        }
        if let Some(target) = table.get_mut(subscriber) {
            target.mailbox.push_back(message);
        }
        None
    });
    if let Some(how) = delivered {
        sched::wake(subscriber, how);
    }
}

/// `pid` is exiting: everyone blocked sending to it or waiting for a
/// message from it (a reply, say) is woken with EDEADSRCDST; its mailbox
/// goes.
pub fn forget(pid: Pid) {
    let waiting: alloc::vec::Vec<Pid> = process::with_table(|table| {
        if let Some(process) = table.get_mut(pid) {
            process.mailbox.clear();
            process.senders.clear();
        }
        table
            .iter()
            .filter(|process| match process.state {
                State::Blocked(Block::Send { to, .. }) => to == pid,
                State::Blocked(Block::Receive { from, .. }) => from == u64::from(pid),
                _ => false,
            })
            .map(|process| process.pid)
            .collect()
    });
    for waiter in waiting {
        process::with_table(|table| {
            if let Some(process) = table.get_mut(waiter) {
                process.outgoing = None;
            }
        });
        sched::wake(waiter, Wake::PeerGone);
    }
}
