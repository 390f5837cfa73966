//! Message passing between processes, wired to the kernel: the rules of
//! `kernel_core::ipc` (who may send to whom, which message a `receive`
//! takes, rendezvous and mailboxes) run on the process table; this module
//! stamps messages with their sender, brings receive buffers in, copies
//! messages into user memory, and blocks and wakes the parties.
//!
//! The calls: rendezvous `send`/`receive`, `sendrec` (send, then wait for
//! the reply), non-blocking `asend` into a bounded mailbox, and `reply`
//! (only to a process already receiving from us or from anyone).
//! Messages are copied straight into the receiver's buffer, whose address
//! the receiver gave when it blocked. `receive` returns how the message was
//! sent ([`Call`](kernel_abi::ipc::Call)), as MINIX's ipc_status does, so a
//! service can serve only callers waiting in `sendrec`. Messages to the PM
//! are the syscall layer's (`syscall::ipc`), which hands them to `events`.

use crate::process::{self, Block, Process, State, Table, Wake};
use crate::{sched, vm};
use alloc::vec::Vec;
use kernel_abi::ipc::Message;
use kernel_abi::{Errno, Pid};
use kernel_core::ipc::{self as rules, Delivered, Endpoint, Peer, Processes, Received, Wait};

fn wait_of(process: &Process) -> Option<Wait> {
    match process.state {
        State::Blocked(Block::Send { to, then_receive }) => Some(Wait::Send { to, then_receive }),
        State::Blocked(Block::Receive {
            from,
            buffer,
            reply,
        }) => Some(Wait::Receive {
            from,
            buffer,
            reply,
        }),
        _ => None,
    }
}

impl Processes for Table {
    fn peer(&self, pid: Pid) -> Option<Peer> {
        self.get(pid).map(|process| Peer {
            alive: process.is_alive(),
            privileged: process.privileged,
        })
    }

    fn waiting(&self, pid: Pid) -> Option<Wait> {
        self.get(pid).and_then(wait_of)
    }

    fn set_waiting(&mut self, pid: Pid, wait: Wait) {
        if let Some(process) = self.get_mut(pid) {
            process.state = State::Blocked(match wait {
                Wait::Send { to, then_receive } => Block::Send { to, then_receive },
                Wait::Receive {
                    from,
                    buffer,
                    reply,
                } => Block::Receive {
                    from,
                    buffer,
                    reply,
                },
            });
        }
    }

    fn endpoint(&mut self, pid: Pid) -> Option<&mut Endpoint> {
        self.get_mut(pid).map(|process| &mut process.ipc)
    }

    fn buffer_ok(&self, pid: Pid, buffer: u64) -> bool {
        let size = core::mem::size_of::<Message>() as u64;
        self.get(pid)
            .is_some_and(|process| process.vm.check_range(buffer, size, true))
    }

    fn copy_out(&mut self, pid: Pid, buffer: u64, message: &Message) -> Result<(), Errno> {
        vm::write_user(self.get_mut(pid).ok_or(Errno::ESRCH)?, buffer, message)
    }

    fn pids(&self) -> Vec<Pid> {
        self.iter().map(|process| process.pid).collect()
    }
}

fn wake_of(delivered: Delivered) -> Wake {
    match delivered {
        Delivered::Copied => Wake::Done,
        Delivered::CopyFailed => Wake::PeerGone,
    }
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

/// Brings in the buffer of `dst` if it is blocked receiving, before the
/// table is taken for delivery: the copy into it must not fail for want of
/// a frame while the out-of-memory rule could still free one (a paged-out
/// buffer of a semop waiter would lose its reply, and with it its unit).
fn prepare_receiver(dst: Pid) {
    let size = core::mem::size_of::<Message>() as u64;
    let buffer = process::with_table(|table| match table.waiting(dst) {
        // Already mapped writable: the copy cannot fault (the common case).
        Some(Wait::Receive { buffer, .. })
            if table
                .get(dst)
                .is_some_and(|process| vm::mapped_for_copy(process, buffer, size, true)) =>
        {
            None
        }
        Some(Wait::Receive { buffer, .. }) => Some(buffer),
        _ => None,
    });
    if let Some(buffer) = buffer {
        crate::oom::bring_in(dst, buffer, size, true);
    }
}

/// `send(dst, message)`: blocks until `dst` receives it.
///
/// # Return values
/// `ESRCH` (no such live process), `EPERM` (not allowed), `EINVAL` (to
/// itself), `EINTR` (a signal interrupted the wait), `EDEADSRCDST` (`dst`
/// died first).
pub fn send(dst: u64, message: Message) -> Result<u64, Errno> {
    send_then(dst, message, None)
}

/// `sendrec(dst, buffer)`: sends the message in `buffer`, then waits for
/// `dst`'s reply into it. No reply can be missed: once `dst` takes the
/// request, the caller is already waiting for the reply.
pub fn sendrec(dst: u64, buffer: u64, message: Message) -> Result<u64, Errno> {
    send_then(dst, message, Some(buffer))?;
    Ok(0)
}

fn send_then(dst: u64, mut message: Message, then_receive: Option<u64>) -> Result<u64, Errno> {
    let me = sched::current();
    let dst = rules::destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered =
        process::with_table(|table| rules::send(table, me, dst, message, then_receive))?;
    let wake = if let Some(delivered) = delivered {
        sched::wake(dst, wake_of(delivered));
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
            process::with_table(|table| rules::withdraw(table, me, dst));
            Err(Errno::EINTR)
        }
        Wake::PeerGone => Err(Errno::EDEADSRCDST),
    }
}

/// `receive(src, buffer)`: takes the oldest queued message from `src` (or
/// anyone), else the oldest blocked sender's, else blocks until one comes.
/// Returns how the message was sent ([`Call`](kernel_abi::ipc::Call)).
///
/// # Return values
/// `EFAULT` (bad buffer), `ESRCH` (no such `src`), `EINTR`, `EDEADSRCDST`
/// (`src` died while we waited).
pub fn receive(src: u64, buffer: u64) -> Result<u64, Errno> {
    let me = sched::current();
    match process::with_table(|table| rules::receive(table, me, src, buffer))? {
        Received::Taken { call, wake } => {
            if let Some(sender) = wake {
                sched::wake(sender, Wake::Done);
            }
            Ok(call as u64)
        }
        Received::Nothing => match sched::block_current(Block::Receive {
            from: src,
            buffer,
            reply: false,
        }) {
            Wake::Done => process::with_current(|process| process.ipc.take_received_call())
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
    let me = sched::current();
    let dst = rules::destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered = process::with_table(|table| rules::asend(table, me, dst, message))?;
    if let Some(delivered) = delivered {
        sched::wake(dst, wake_of(delivered));
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
    let dst = rules::destination(dst)?;
    stamp(&mut message, me);
    prepare_receiver(dst);
    let delivered = process::with_table(|table| rules::reply(table, me, dst, message))?;
    sched::wake(dst, wake_of(delivered));
    match delivered {
        Delivered::Copied => Ok(0),
        Delivered::CopyFailed => Err(Errno::EFAULT),
    }
}

/// The PM's message (an event) to `subscriber`: delivered at once if it is
/// receiving, else queued.
pub fn deliver_from_pm(subscriber: Pid, message: Message) {
    prepare_receiver(subscriber);
    let delivered = process::with_table(|table| rules::from_pm(table, subscriber, message));
    if let Some(delivered) = delivered {
        sched::wake(subscriber, wake_of(delivered));
    }
}

/// `pid` is exiting: everyone blocked sending to it or waiting for a
/// message from it (a reply, say) is woken with EDEADSRCDST; its mailbox
/// goes.
pub fn forget(pid: Pid) {
    for waiter in process::with_table(|table| rules::forget(table, pid)) {
        sched::wake(waiter, Wake::PeerGone);
    }
}
