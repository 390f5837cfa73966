//! The IPC service: System V semaphores, and a subscriber to process
//! events (MINIX 3's `servers/ipc`).
//!
//! Clients call it with `sendrec` (see `userlib::sem`), and only those are
//! served: the kernel tells the service how each request was sent
//! (`receive_call`), and a request sent any other way (`asend`, `send`:
//! the sender is not waiting for the answer) is refused, unanswered and
//! counted. A `semop` that cannot proceed is queued, unanswered, until the
//! values allow it (FIFO among those that can proceed); at most
//! [`MAX_WAITERS`] wait, one more gets EAGAIN.
//!
//! An operation counts only once its caller has the answer: the reply is
//! the commit. If it fails (the caller no longer waits: a fatal signal
//! woke it, before it ran and before its EXIT event exists), the service
//! puts the values back, drops that waiter and serves the next, so a unit
//! is never handed to a process that can no longer receive it.
//!
//! As a subscriber to EXIT and SIGNAL it keeps the queues honest: a waiter
//! that catches a signal gets EINTR with nothing applied; a waiter that
//! exits is dropped and the next one served. It acks every event, always.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use userlib::ipc::{self, ANY, Call, EventKind, Message, ProcessEvent};
use userlib::sem::{
    GETNCNT, GETVAL, GETZCNT, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, MAX_OPS,
    MAX_WAITERS, SEMCTL, SEMGET, SEMOP, SETVAL, SemOp,
};
use userlib::{Errno, Pid, memory, println};

userlib::entry!(run);

/// Most semaphores in a set.
const MAX_NSEMS: u64 = 64;
/// Most sets.
const MAX_SETS: usize = 64;
/// Largest semaphore value.
const MAX_VALUE: i64 = 32767;

struct SemSet {
    id: u64,
    key: i64,
    values: Vec<i64>,
}

struct Waiter {
    pid: Pid,
    set: u64,
    ops: [SemOp; MAX_OPS],
    count: usize,
}

struct Service {
    sets: Vec<SemSet>,
    /// Allocated once, for [`MAX_WAITERS`]: never grows.
    waiters: VecDeque<Waiter>,
    next_id: u64,
    events: u64,
    interrupted: u64,
    dropped: u64,
    /// Requests not sent with `sendrec`.
    refused: u64,
    /// Operations put back because their reply found nobody waiting.
    taken_back: u64,
    /// The heap's end once the service was set up.
    heap_at_start: u64,
}

/// Answers `client`; whether it got the answer (it may have died, or be
/// dying, meanwhile: then there is nobody to answer).
fn answer(client: Pid, result: Result<u64, Errno>) -> bool {
    let kind = match result {
        Ok(value) => value,
        Err(error) => error.as_return() as u64,
    };
    ipc::reply(u64::from(client), &Message::new(kind, [0; 6])).is_ok()
}

/// What became of a `semop` offered to the values.
#[derive(Debug, PartialEq, Eq)]
enum Offer {
    /// Applied, and the caller has its OK.
    Done,
    /// It cannot proceed yet; nothing changed.
    Blocks,
    /// Applied, but the caller no longer waits: put back.
    TakenBack,
    /// Refused (bad set or operation); the caller has the error.
    Failed,
}

/// Applies `ops` to `values` if all of them can be applied now.
fn try_apply(values: &mut [i64], ops: &[SemOp]) -> Result<bool, Errno> {
    let mut trial = values.to_vec();
    for op in ops {
        let value = trial.get_mut(op.num as usize).ok_or(Errno::EINVAL)?;
        match op.op {
            0 if *value != 0 => return Ok(false),
            delta if delta < 0 && *value + i64::from(delta) < 0 => return Ok(false),
            delta => {
                let next = *value + i64::from(delta);
                if next > MAX_VALUE {
                    return Err(Errno::EINVAL);
                }
                *value = next;
            }
        }
    }
    values.copy_from_slice(&trial);
    Ok(true)
}

impl Service {
    fn set(&mut self, id: u64) -> Result<&mut SemSet, Errno> {
        self.sets
            .iter_mut()
            .find(|set| set.id == id)
            .ok_or(Errno::EINVAL)
    }

    fn semget(&mut self, key: i64, nsems: u64, flags: u64) -> Result<u64, Errno> {
        if key != IPC_PRIVATE {
            if let Some(set) = self.sets.iter().find(|set| set.key == key) {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                return Ok(set.id);
            }
            if flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        if nsems == 0 || nsems > MAX_NSEMS {
            return Err(Errno::EINVAL);
        }
        if self.sets.len() >= MAX_SETS {
            return Err(Errno::ENOMEM);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.sets.push(SemSet {
            id,
            key,
            values: alloc::vec![0; nsems as usize],
        });
        Ok(id)
    }

    /// Applies `ops` to set `id` if they can proceed and tells `client`;
    /// puts the values back if the reply finds it no longer waiting.
    fn offer(&mut self, client: Pid, id: u64, ops: &[SemOp]) -> Offer {
        let set = match self.set(id) {
            Ok(set) => set,
            Err(error) => {
                answer(client, Err(error));
                return Offer::Failed;
            }
        };
        let before = set.values.clone();
        match try_apply(&mut set.values, ops) {
            Ok(true) if answer(client, Ok(0)) => Offer::Done,
            Ok(true) => {
                set.values = before;
                self.taken_back += 1;
                println!(
                    "ipc: pid {client} no longer waits for its semop: taken back ({} so far)",
                    self.taken_back
                );
                Offer::TakenBack
            }
            Ok(false) => Offer::Blocks,
            Err(error) => {
                answer(client, Err(error));
                Offer::Failed
            }
        }
    }

    /// A semop: applied now (answered), refused, or queued (unanswered).
    fn semop(&mut self, client: Pid, payload: [u64; 6]) {
        let [id, count, ..] = payload;
        let count = count as usize;
        if count == 0 || count > MAX_OPS {
            answer(client, Err(Errno::E2BIG));
            return;
        }
        let mut ops = [SemOp {
            num: 0,
            op: 0,
            flags: 0,
        }; MAX_OPS];
        for (op, word) in ops.iter_mut().zip(&payload[2..2 + count]) {
            *op = SemOp::decode(*word);
        }
        match self.offer(client, id, &ops[..count]) {
            Offer::Done => self.serve_waiters(),
            Offer::TakenBack | Offer::Failed => {}
            Offer::Blocks if ops[..count].iter().any(|op| op.flags & IPC_NOWAIT != 0) => {
                answer(client, Err(Errno::EAGAIN));
            }
            Offer::Blocks if self.waiters.len() >= MAX_WAITERS => {
                answer(client, Err(Errno::EAGAIN));
            }
            Offer::Blocks => self.waiters.push_back(Waiter {
                pid: client,
                set: id,
                ops,
                count,
            }),
        }
    }

    /// Serves, in FIFO order, every waiter whose operations can now apply.
    /// One whose reply fails is dropped (it no longer waits, and never will
    /// again: pids are not reused) and the values it took are put back for
    /// the next.
    fn serve_waiters(&mut self) {
        let mut index = 0;
        while let Some(waiter) = self.waiters.get(index) {
            let (pid, set, ops, count) = (waiter.pid, waiter.set, waiter.ops, waiter.count);
            match self.offer(pid, set, &ops[..count]) {
                Offer::Blocks => index += 1,
                Offer::TakenBack | Offer::Failed => {
                    self.waiters.remove(index);
                }
                Offer::Done => {
                    self.waiters.remove(index);
                    // The values changed: earlier waiters may proceed now.
                    index = 0;
                }
            }
        }
    }

    /// Waiters blocked on semaphore `num` of `set`: (for an increase, for
    /// zero), by the operation that blocks each.
    fn wait_counts(&self, set_id: u64, num: u16) -> (u64, u64) {
        let Some(set) = self.sets.iter().find(|set| set.id == set_id) else {
            return (0, 0);
        };
        let mut counts = (0, 0);
        for waiter in self.waiters.iter().filter(|waiter| waiter.set == set_id) {
            let mut trial = set.values.clone();
            for op in &waiter.ops[..waiter.count] {
                let Some(value) = trial.get_mut(op.num as usize) else {
                    break;
                };
                let blocks =
                    (op.op == 0 && *value != 0) || (op.op < 0 && *value + i64::from(op.op) < 0);
                if blocks {
                    if op.num == num {
                        if op.op == 0 {
                            counts.1 += 1
                        } else {
                            counts.0 += 1
                        }
                    }
                    break;
                }
                *value += i64::from(op.op);
            }
        }
        counts
    }

    fn semctl(&mut self, payload: [u64; 6]) -> Result<u64, Errno> {
        let [id, num, cmd, arg, ..] = payload;
        match cmd {
            IPC_RMID => {
                let index = self
                    .sets
                    .iter()
                    .position(|set| set.id == id)
                    .ok_or(Errno::EINVAL)?;
                self.sets.remove(index);
                let removed: Vec<Pid> = self
                    .waiters
                    .iter()
                    .filter(|waiter| waiter.set == id)
                    .map(|waiter| waiter.pid)
                    .collect();
                self.waiters.retain(|waiter| waiter.set != id);
                for pid in removed {
                    answer(pid, Err(Errno::EIDRM));
                }
                Ok(0)
            }
            GETVAL => self
                .set(id)?
                .values
                .get(num as usize)
                .map(|&value| value as u64)
                .ok_or(Errno::EINVAL),
            SETVAL => {
                let value = arg as i64;
                if !(0..=MAX_VALUE).contains(&value) {
                    return Err(Errno::EINVAL);
                }
                *self
                    .set(id)?
                    .values
                    .get_mut(num as usize)
                    .ok_or(Errno::EINVAL)? = value;
                self.serve_waiters();
                Ok(0)
            }
            GETNCNT | GETZCNT => {
                let set = self.set(id)?;
                if num as usize >= set.values.len() {
                    return Err(Errno::EINVAL);
                }
                let (increase, zero) = self.wait_counts(id, num as u16);
                Ok(if cmd == GETNCNT { increase } else { zero })
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// A process event: a waiter that caught a signal gets EINTR (nothing
    /// applied); one that exited is dropped; the rest may now proceed.
    fn event(&mut self, event: ProcessEvent) {
        self.events += 1;
        let before = self.waiters.len();
        self.waiters.retain(|waiter| waiter.pid != event.pid);
        if self.waiters.len() != before {
            match event.kind {
                EventKind::Signal => {
                    self.interrupted += 1;
                    answer(event.pid, Err(Errno::EINTR));
                }
                _ => self.dropped += 1,
            }
            self.serve_waiters();
        }
        if let Err(error) = event.ack() {
            println!("ipc: ack of event {} failed: {error:?}", event.event_id);
        }
    }
}

fn run(_args: userlib::Args) -> i32 {
    if let Err(error) = ipc::subscribe(EventKind::Exit.bit() | EventKind::Signal.bit()) {
        println!("ipc: cannot subscribe to process events: {error:?}");
        return 1;
    }
    println!(
        "ipc: serving semaphores to sendrec callers (at most {MAX_WAITERS} waiting), subscribed to EXIT and SIGNAL"
    );
    let mut service = Service {
        sets: Vec::new(),
        waiters: VecDeque::with_capacity(MAX_WAITERS),
        next_id: 1,
        events: 0,
        interrupted: 0,
        dropped: 0,
        refused: 0,
        taken_back: 0,
        heap_at_start: memory::heap_end(),
    };
    loop {
        let (message, call) = match ipc::receive_call(ANY) {
            Ok(received) => received,
            Err(error) => {
                println!("ipc: receive failed: {error:?}");
                continue;
            }
        };
        if let Some(event) = ProcessEvent::from_message(&message) {
            service.event(event);
            continue;
        }
        let client = message.source as Pid;
        if call != Call::SendRec {
            // Nobody waits for an answer: serving it would hand a unit to
            // no one, and queueing it would let anyone grow the queue.
            service.refused += 1;
            if service.refused.is_power_of_two() {
                println!(
                    "ipc: refused request {:#x} from pid {client}, sent with {call:?}, not sendrec ({} refused so far; heap +{} bytes since start)",
                    message.kind,
                    service.refused,
                    memory::heap_end().saturating_sub(service.heap_at_start)
                );
            }
            continue;
        }
        match message.kind {
            SEMGET => {
                let [key, nsems, flags, ..] = message.payload;
                let result = service.semget(key as i64, nsems, flags);
                answer(client, result);
            }
            SEMOP => service.semop(client, message.payload),
            SEMCTL => {
                let result = service.semctl(message.payload);
                answer(client, result);
            }
            _ => {
                answer(client, Err(Errno::ENOSYS));
            }
        }
    }
}
