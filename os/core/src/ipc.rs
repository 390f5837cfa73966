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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Where every receive writes, and the buffer that is never writable.
    const BUF: u64 = 0x1000;
    const BAD: u64 = 0xdead;

    #[derive(Default)]
    struct Proc {
        alive: bool,
        privileged: bool,
        wait: Option<Wait>,
        endpoint: Endpoint,
        fail_copy: bool,
    }

    /// A process table on the host: what the kernel's `process::Table` is
    /// to the rules, with every copy into a buffer logged.
    #[derive(Default)]
    struct World {
        procs: BTreeMap<Pid, Proc>,
        copied: Vec<(Pid, Message)>,
    }

    impl World {
        fn with(procs: &[(Pid, bool)]) -> Self {
            let mut world = World::default();
            for &(pid, privileged) in procs {
                world.procs.insert(
                    pid,
                    Proc {
                        alive: true,
                        privileged,
                        ..Proc::default()
                    },
                );
            }
            world
        }

        fn set_wait(&mut self, pid: Pid, wait: Option<Wait>) {
            if let Some(proc) = self.procs.get_mut(&pid) {
                proc.wait = wait;
            }
        }

        fn receiving(&mut self, pid: Pid, from: u64) {
            self.set_wait(
                pid,
                Some(Wait::Receive {
                    from,
                    buffer: BUF,
                    reply: false,
                }),
            );
        }

        fn ep(&self, pid: Pid) -> &Endpoint {
            &self.procs[&pid].endpoint
        }
    }

    impl Processes for World {
        fn peer(&self, pid: Pid) -> Option<Peer> {
            self.procs.get(&pid).map(|proc| Peer {
                alive: proc.alive,
                privileged: proc.privileged,
            })
        }
        fn waiting(&self, pid: Pid) -> Option<Wait> {
            self.procs.get(&pid).and_then(|proc| proc.wait)
        }
        fn set_waiting(&mut self, pid: Pid, wait: Wait) {
            self.set_wait(pid, Some(wait));
        }
        fn endpoint(&mut self, pid: Pid) -> Option<&mut Endpoint> {
            self.procs.get_mut(&pid).map(|proc| &mut proc.endpoint)
        }
        fn buffer_ok(&self, pid: Pid, buffer: u64) -> bool {
            self.procs.contains_key(&pid) && buffer != BAD
        }
        fn copy_out(&mut self, pid: Pid, _buffer: u64, message: &Message) -> Result<(), Errno> {
            if self.procs.get(&pid).is_none_or(|proc| proc.fail_copy) {
                return Err(Errno::EFAULT);
            }
            self.copied.push((pid, *message));
            Ok(())
        }
        fn pids(&self) -> Vec<Pid> {
            self.procs.keys().copied().collect()
        }
    }

    fn message(from: Pid, id: u64) -> Message {
        let mut message = Message::new(7, [id, 0, 0, 0, 0, 0]);
        message.source = u64::from(from);
        message
    }

    #[test]
    fn programs_send_only_to_services() {
        // 1, 2: programs; 3: a service; 4: a dead service.
        let mut world = World::with(&[(1, false), (2, false), (3, true), (4, true)]);
        world.procs.get_mut(&4).unwrap().alive = false;
        assert_eq!(check_destination(&world, 1, 2), Err(Errno::EPERM));
        assert_eq!(check_destination(&world, 1, 3), Ok(()));
        assert_eq!(check_destination(&world, 3, 1), Ok(()));
        assert_eq!(check_destination(&world, 1, 1), Err(Errno::EINVAL));
        assert_eq!(check_destination(&world, 1, 4), Err(Errno::ESRCH));
        assert_eq!(check_destination(&world, 1, 9), Err(Errno::ESRCH));
        assert_eq!(destination(u64::MAX), Err(Errno::ESRCH));
        assert_eq!(
            asend(&mut world, 1, 2, message(1, 0)),
            Err(Errno::EPERM),
            "refused before anything is queued"
        );
        assert_eq!(world.ep(2).mailbox().count(), 0);
    }

    #[test]
    fn a_waiting_receiver_gets_the_message_at_once() {
        let mut world = World::with(&[(1, false), (2, true)]);
        world.receiving(2, ANY);
        assert_eq!(
            send(&mut world, 1, 2, message(1, 5), None),
            Ok(Some(Delivered::Copied))
        );
        assert_eq!(world.copied, [(2, message(1, 5))]);
        assert_eq!(
            world
                .procs
                .get_mut(&2)
                .unwrap()
                .endpoint
                .take_received_call(),
            Some(Call::Send)
        );
        assert!(world.ep(2).senders().next().is_none());
    }

    #[test]
    fn a_receiver_waiting_for_someone_else_is_not_interrupted() {
        let mut world = World::with(&[(1, false), (2, true), (3, true)]);
        world.receiving(2, 3);
        assert_eq!(send(&mut world, 1, 2, message(1, 5), None), Ok(None));
        assert_eq!(world.ep(2).senders().collect::<Vec<_>>(), [1]);
        assert_eq!(world.ep(1).outgoing(), Some(&message(1, 5)));
        assert!(world.copied.is_empty());
        // Nor does a reply reach it.
        assert_eq!(reply(&mut world, 1, 2, message(1, 6)), Err(Errno::EAGAIN));
    }

    #[test]
    fn receive_takes_the_mailbox_first_then_senders_in_order() {
        let mut world = World::with(&[(1, false), (2, true), (3, false)]);
        assert_eq!(send(&mut world, 1, 2, message(1, 1), None), Ok(None));
        world.set_wait(
            1,
            Some(Wait::Send {
                to: 2,
                then_receive: None,
            }),
        );
        assert_eq!(send(&mut world, 3, 2, message(3, 2), Some(BUF)), Ok(None));
        world.set_wait(
            3,
            Some(Wait::Send {
                to: 2,
                then_receive: Some(BUF),
            }),
        );
        assert_eq!(asend(&mut world, 1, 2, message(1, 3)), Ok(None));
        let taken = |call, wake| Ok(Received::Taken { call, wake });
        assert_eq!(receive(&mut world, 2, ANY, BUF), taken(Call::ASend, None));
        // From 3 only: the sendrec caller, which then waits for the reply.
        assert_eq!(receive(&mut world, 2, 3, BUF), taken(Call::SendRec, None));
        assert_eq!(
            world.waiting(3),
            Some(Wait::Receive {
                from: 2,
                buffer: BUF,
                reply: true
            })
        );
        assert_eq!(receive(&mut world, 2, ANY, BUF), taken(Call::Send, Some(1)));
        assert_eq!(receive(&mut world, 2, ANY, BUF), Ok(Received::Nothing));
        let ids: Vec<u64> = world.copied.iter().map(|(_, m)| m.payload[0]).collect();
        assert_eq!(ids, [3, 2, 1]);
        assert_eq!(world.ep(1).outgoing(), None);
        // The reply reaches 3, reported as a reply.
        assert_eq!(
            reply(&mut world, 2, 3, message(2, 4)),
            Ok(Delivered::Copied)
        );
        assert_eq!(
            world
                .procs
                .get_mut(&3)
                .unwrap()
                .endpoint
                .take_received_call(),
            Some(Call::Reply)
        );
    }

    #[test]
    fn receive_checks_its_buffer_and_source() {
        let mut world = World::with(&[(1, true), (2, true)]);
        world.procs.get_mut(&2).unwrap().alive = false;
        assert_eq!(receive(&mut world, 1, ANY, BAD), Err(Errno::EFAULT));
        assert_eq!(receive(&mut world, 1, 2, BUF), Err(Errno::ESRCH));
        assert_eq!(receive(&mut world, 1, 9, BUF), Err(Errno::ESRCH));
        assert_eq!(receive(&mut world, 1, PM, BUF), Ok(Received::Nothing));
        assert_eq!(
            send(&mut world, 1, 2, message(1, 0), None),
            Err(Errno::ESRCH)
        );
        world.procs.get_mut(&2).unwrap().alive = true;
        assert_eq!(
            send(&mut world, 1, 2, message(1, 0), Some(BAD)),
            Err(Errno::EFAULT)
        );
    }

    #[test]
    fn the_mailbox_is_bounded_but_not_for_the_pm() {
        let mut world = World::with(&[(1, true), (2, false)]);
        for id in 0..MAILBOX_LIMIT as u64 {
            assert_eq!(asend(&mut world, 1, 2, message(1, id)), Ok(None));
        }
        assert_eq!(asend(&mut world, 1, 2, message(1, 99)), Err(Errno::EAGAIN));
        assert_eq!(from_pm(&mut world, 2, message(1, 100)), None);
        let last = world.ep(2).mailbox().last().copied().unwrap();
        assert_eq!((last.source, last.uid, last.payload[0]), (PM, 0, 100));
        world.receiving(2, PM);
        assert_eq!(
            from_pm(&mut world, 2, message(1, 101)),
            Some(Delivered::Copied)
        );
        let taken = receive(&mut world, 2, PM, BUF);
        assert_eq!(
            taken,
            Ok(Received::Taken {
                call: Call::Pm,
                wake: None
            })
        );
        assert_eq!(world.copied.last().unwrap().1.payload[0], 100);
    }

    #[test]
    fn a_failed_copy_delivers_nothing() {
        let mut world = World::with(&[(1, true), (2, true)]);
        world.receiving(2, ANY);
        world.procs.get_mut(&2).unwrap().fail_copy = true;
        assert_eq!(
            reply(&mut world, 1, 2, message(1, 0)),
            Ok(Delivered::CopyFailed)
        );
        assert_eq!(
            world
                .procs
                .get_mut(&2)
                .unwrap()
                .endpoint
                .take_received_call(),
            None
        );
    }

    #[test]
    fn an_exit_wakes_those_waiting_on_it() {
        let mut world = World::with(&[(1, false), (2, true), (3, false), (4, false)]);
        assert_eq!(send(&mut world, 1, 2, message(1, 0), None), Ok(None));
        world.set_wait(
            1,
            Some(Wait::Send {
                to: 2,
                then_receive: None,
            }),
        );
        world.set_wait(
            3,
            Some(Wait::Receive {
                from: 2,
                buffer: BUF,
                reply: true,
            }),
        );
        world.receiving(4, ANY);
        assert_eq!(asend(&mut world, 1, 2, message(1, 1)), Ok(None));
        world.procs.get_mut(&2).unwrap().alive = false;
        assert_eq!(forget(&mut world, 2), [1, 3]);
        assert_eq!(world.ep(1).outgoing(), None);
        assert_eq!(world.ep(2).mailbox().count(), 0);
        assert_eq!(world.ep(2).senders().count(), 0);
    }

    /// One step of the random runs.
    #[derive(Clone, Debug)]
    enum Op {
        Send {
            me: Pid,
            dst: Pid,
            rec: bool,
        },
        /// `count` asends in a row (a burst fills a mailbox).
        ASend {
            me: Pid,
            dst: Pid,
            count: u64,
        },
        Reply {
            me: Pid,
            dst: Pid,
        },
        Receive {
            me: Pid,
            src: Option<Pid>,
        },
        Pm {
            to: Pid,
        },
        Interrupt {
            pid: Pid,
        },
        Exit {
            pid: Pid,
        },
    }

    const N: Pid = 5;

    fn op() -> impl Strategy<Value = Op> {
        let pid = 1..=N;
        prop_oneof![
            16 => (pid.clone(), 2..=N, any::<bool>()).prop_map(|(me, dst, rec)| Op::Send { me, dst, rec }),
            24 => (pid.clone(), 1..=2u32, 1..=12u64).prop_map(|(me, dst, count)| Op::ASend { me, dst, count }),
            8 => (pid.clone(), pid.clone()).prop_map(|(me, dst)| Op::Reply { me, dst }),
            // Process 1 never receives (nor is sent to with `send`, which
            // would leave its senders blocked), so its mailbox fills up.
            20 => (2..=N, proptest::option::of(0..=N)).prop_map(|(me, src)| Op::Receive { me, src }),
            4 => pid.clone().prop_map(|to| Op::Pm { to }),
            6 => pid.clone().prop_map(|pid| Op::Interrupt { pid }),
            // Exits are rare: a run should not end with everyone dead.
            1 => pid.prop_map(|pid| Op::Exit { pid }),
        ]
    }

    /// The model: each process's pending messages as plain lists of
    /// (source, id), and what it waits for; the rules written out the
    /// simplest way.
    #[derive(Clone, Debug, Default)]
    struct ModelProc {
        alive: bool,
        privileged: bool,
        /// Queued messages: (source, id).
        mailbox: Vec<(u64, u64)>,
        /// Blocked senders: (pid, id).
        senders: Vec<(Pid, u64)>,
        /// Receiving from this source.
        receiving: Option<u64>,
        /// Blocked sending to this pid (sendrec: true).
        sending: Option<(Pid, bool)>,
    }

    struct Model {
        procs: BTreeMap<Pid, ModelProc>,
    }

    impl Model {
        fn check(&self, me: Pid, dst: Pid) -> Result<(), Errno> {
            let target = self.procs.get(&dst);
            if me == dst {
                Err(Errno::EINVAL)
            } else if !target.is_some_and(|t| t.alive) {
                Err(Errno::ESRCH)
            } else if !(target.is_some_and(|t| t.privileged) || self.procs[&me].privileged) {
                Err(Errno::EPERM)
            } else {
                Ok(())
            }
        }

        /// Whether `dst` waits for a message from `source`; if so it gets
        /// it (it is no longer receiving).
        fn hand_over(&mut self, dst: Pid, source: u64) -> bool {
            let target = self.procs.get_mut(&dst).unwrap();
            match target.receiving {
                Some(from) if from == ANY || from == source => {
                    target.receiving = None;
                    true
                }
                _ => false,
            }
        }
    }

    fn ids(copied: &[(Pid, Message)]) -> Vec<(Pid, u64)> {
        copied.iter().map(|(pid, m)| (*pid, m.payload[0])).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Random runs of calls by five processes (some services), with
        /// signals and exits, against the model: every call's result,
        /// every message handed over (to whom, which one), and every
        /// mailbox and sender queue agree.
        #[test]
        fn the_rules_match_the_model(
            services in proptest::collection::vec(any::<bool>(), N as usize),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let procs: Vec<(Pid, bool)> = (1..=N).zip(services.iter().copied()).collect();
            let mut world = World::with(&procs);
            let mut model = Model { procs: BTreeMap::new() };
            for &(pid, privileged) in &procs {
                model.procs.insert(pid, ModelProc { alive: true, privileged, ..ModelProc::default() });
            }
            for (index, op) in ops.into_iter().enumerate() {
                let id = (index as u64 + 1) * 16;
                world.copied.clear();
                let mut expected_copies: Vec<(Pid, u64)> = Vec::new();
                // Only a live process that is not blocked makes calls.
                let idle = |model: &Model, pid: Pid| {
                    let p = &model.procs[&pid];
                    p.alive && p.receiving.is_none() && p.sending.is_none()
                };
                match op {
                    Op::Send { me, dst, rec } => {
                        if !idle(&model, me) { continue; }
                        let then_receive = rec.then_some(BUF);
                        let got = send(&mut world, me, dst, message(me, id), then_receive);
                        let want = match model.check(me, dst) {
                            Err(error) => Err(error),
                            Ok(()) if model.hand_over(dst, u64::from(me)) => {
                                expected_copies.push((dst, id));
                                if rec {
                                    model.procs.get_mut(&me).unwrap().receiving = Some(u64::from(dst));
                                }
                                Ok(Some(Delivered::Copied))
                            }
                            Ok(()) => {
                                model.procs.get_mut(&dst).unwrap().senders.push((me, id));
                                model.procs.get_mut(&me).unwrap().sending = Some((dst, rec));
                                Ok(None)
                            }
                        };
                        prop_assert_eq!(got, want);
                        // The kernel's side: wake, block.
                        match got {
                            Ok(Some(_)) => {
                                world.set_wait(dst, None);
                                if rec {
                                    world.set_wait(me, Some(Wait::Receive { from: u64::from(dst), buffer: BUF, reply: true }));
                                }
                            }
                            Ok(None) => world.set_wait(me, Some(Wait::Send { to: dst, then_receive })),
                            Err(_) => {}
                        }
                    }
                    Op::ASend { me, dst, count } => {
                        if !idle(&model, me) { continue; }
                        for burst in 0..count {
                        // Ids stay unique: 16 per step.
                        let id = id * 16 + burst;
                        let got = asend(&mut world, me, dst, message(me, id));
                        let want = match model.check(me, dst) {
                            Err(error) => Err(error),
                            Ok(()) if model.hand_over(dst, u64::from(me)) => {
                                expected_copies.push((dst, id));
                                Ok(Some(Delivered::Copied))
                            }
                            Ok(()) => {
                                let mailbox = &mut model.procs.get_mut(&dst).unwrap().mailbox;
                                if mailbox.iter().filter(|(source, _)| *source != PM).count() >= MAILBOX_LIMIT {
                                    Err(Errno::EAGAIN)
                                } else {
                                    mailbox.push((u64::from(me), id));
                                    Ok(None)
                                }
                            }
                        };
                        prop_assert_eq!(got, want);
                        if let Ok(Some(_)) = got { world.set_wait(dst, None); }
                        }
                    }
                    Op::Reply { me, dst } => {
                        if !idle(&model, me) { continue; }
                        let got = reply(&mut world, me, dst, message(me, id));
                        let want = match model.check(me, dst) {
                            Err(error) => Err(error),
                            Ok(()) if model.hand_over(dst, u64::from(me)) => {
                                expected_copies.push((dst, id));
                                Ok(Delivered::Copied)
                            }
                            Ok(()) => Err(Errno::EAGAIN),
                        };
                        prop_assert_eq!(got, want);
                        if got.is_ok() { world.set_wait(dst, None); }
                    }
                    Op::Pm { to } => {
                        let got = from_pm(&mut world, to, message(0, id));
                        let want = if model.hand_over(to, PM) {
                            expected_copies.push((to, id));
                            Some(Delivered::Copied)
                        } else {
                            model.procs.get_mut(&to).unwrap().mailbox.push((PM, id));
                            None
                        };
                        prop_assert_eq!(got, want);
                        if got.is_some() { world.set_wait(to, None); }
                    }
                    Op::Receive { me, src } => {
                        if !idle(&model, me) { continue; }
                        let src = src.map_or(ANY, u64::from);
                        let got = receive(&mut world, me, src, BUF);
                        let matches = |source: u64| src == ANY || src == source;
                        let source_gone = src != ANY && src != PM
                            && model.procs.get(&(src as Pid)).is_none_or(|p| !p.alive);
                        let want = if source_gone {
                            Err(Errno::ESRCH)
                        } else if let Some(at) = model.procs[&me].mailbox.iter().position(|&(s, _)| matches(s)) {
                            let (source, taken) = model.procs.get_mut(&me).unwrap().mailbox.remove(at);
                            expected_copies.push((me, taken));
                            let call = if source == PM { Call::Pm } else { Call::ASend };
                            Ok(Received::Taken { call, wake: None })
                        } else if let Some(at) = model.procs[&me].senders.iter().position(|&(s, _)| matches(u64::from(s))) {
                            let (sender, taken) = model.procs.get_mut(&me).unwrap().senders.remove(at);
                            expected_copies.push((me, taken));
                            let s = model.procs.get_mut(&sender).unwrap();
                            let (_, rec) = s.sending.take().unwrap();
                            if rec {
                                s.receiving = Some(u64::from(me));
                                Ok(Received::Taken { call: Call::SendRec, wake: None })
                            } else {
                                Ok(Received::Taken { call: Call::Send, wake: Some(sender) })
                            }
                        } else {
                            model.procs.get_mut(&me).unwrap().receiving = Some(src);
                            Ok(Received::Nothing)
                        };
                        prop_assert_eq!(got, want);
                        match got {
                            Ok(Received::Taken { wake: Some(sender), .. }) => world.set_wait(sender, None),
                            Ok(Received::Nothing) => world.receiving(me, src),
                            _ => {}
                        }
                    }
                    Op::Interrupt { pid } | Op::Exit { pid } => {
                        if !model.procs[&pid].alive { continue; }
                        // A signal wakes it: a request nobody took is withdrawn.
                        if let Some(Wait::Send { to, .. }) = world.waiting(pid) {
                            withdraw(&mut world, pid, to);
                        }
                        world.set_wait(pid, None);
                        let p = model.procs.get_mut(&pid).unwrap();
                        p.receiving = None;
                        if let Some((to, _)) = p.sending.take() {
                            model.procs.get_mut(&to).unwrap().senders.retain(|&(s, _)| s != pid);
                        }
                        if matches!(op, Op::Exit { .. }) {
                            world.procs.get_mut(&pid).unwrap().alive = false;
                            let woken = forget(&mut world, pid);
                            for &waiter in &woken { world.set_wait(waiter, None); }
                            let p = model.procs.get_mut(&pid).unwrap();
                            p.alive = false;
                            p.mailbox.clear();
                            p.senders.clear();
                            let mut want = Vec::new();
                            for (&other, p) in model.procs.iter_mut() {
                                let on_it = p.sending.is_some_and(|(to, _)| to == pid)
                                    || p.receiving == Some(u64::from(pid));
                                if on_it {
                                    want.push(other);
                                    p.sending = None;
                                    p.receiving = None;
                                }
                            }
                            prop_assert_eq!(woken, want);
                        }
                    }
                }
                prop_assert_eq!(ids(&world.copied), expected_copies);
                // The queues agree, and a process has an unsent message
                // exactly while it is blocked sending.
                for (pid, m) in &model.procs {
                    let ep = world.ep(*pid);
                    let mailbox: Vec<(u64, u64)> = ep.mailbox().map(|m| (m.source, m.payload[0])).collect();
                    prop_assert_eq!(&mailbox, &m.mailbox);
                    let senders: Vec<Pid> = ep.senders().collect();
                    let want: Vec<Pid> = m.senders.iter().map(|&(s, _)| s).collect();
                    prop_assert_eq!(senders, want);
                    prop_assert_eq!(ep.outgoing().is_some(), m.sending.is_some());
                    prop_assert!(mailbox.iter().filter(|(s, _)| *s != PM).count() <= MAILBOX_LIMIT);
                }
            }
        }
    }
}
