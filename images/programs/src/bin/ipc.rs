//! The IPC service: System V semaphores, and a subscriber to process
//! events (MINIX 3's `servers/ipc`).
//!
//! Clients call it with `sendrec` (see `userlib::sem`). A `semop` that
//! cannot proceed is queued, unanswered, until the values allow it (FIFO
//! among those that can proceed). As a subscriber to EXIT and SIGNAL it
//! keeps the queues honest: a waiter that catches a signal gets EINTR with
//! nothing applied; a waiter that exits is dropped and the next one served.
//! It acks every event, always.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use userlib::ipc::{self, ANY, EventKind, Message, ProcessEvent};
use userlib::sem::{
    GETNCNT, GETVAL, GETZCNT, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, MAX_OPS,
    SEMCTL, SEMGET, SEMOP, SETVAL, SemOp,
};
use userlib::{Errno, Pid, println};

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
    waiters: VecDeque<Waiter>,
    next_id: u64,
    events: u64,
    interrupted: u64,
    dropped: u64,
}

fn answer(client: Pid, result: Result<u64, Errno>) {
    let kind = match result {
        Ok(value) => value,
        Err(error) => error.as_return() as u64,
    };
    // The client may have died meanwhile; then there is nobody to answer.
    let _ = ipc::reply(u64::from(client), &Message::new(kind, [0; 6]));
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

    /// A semop: applied now (answered), refused, or queued (unanswered).
    fn semop(&mut self, client: Pid, payload: [u64; 6]) {
        let [id, count, ..] = payload;
        let count = count as usize;
        if count == 0 || count > MAX_OPS {
            return answer(client, Err(Errno::E2BIG));
        }
        let mut ops = [SemOp {
            num: 0,
            op: 0,
            flags: 0,
        }; MAX_OPS];
        for (op, word) in ops.iter_mut().zip(&payload[2..2 + count]) {
            *op = SemOp::decode(*word);
        }
        let applied = self
            .set(id)
            .and_then(|set| try_apply(&mut set.values, &ops[..count]));
        match applied {
            Ok(true) => {
                answer(client, Ok(0));
                self.serve_waiters();
            }
            Ok(false) if ops[..count].iter().any(|op| op.flags & IPC_NOWAIT != 0) => {
                answer(client, Err(Errno::EAGAIN))
            }
            Ok(false) => self.waiters.push_back(Waiter {
                pid: client,
                set: id,
                ops,
                count,
            }),
            Err(error) => answer(client, Err(error)),
        }
    }

    /// Serves, in FIFO order, every waiter whose operations can now apply.
    fn serve_waiters(&mut self) {
        loop {
            let mut served = None;
            for (index, waiter) in self.waiters.iter().enumerate() {
                let set = self.sets.iter_mut().find(|set| set.id == waiter.set);
                if let Some(set) = set
                    && try_apply(&mut set.values, &waiter.ops[..waiter.count]) == Ok(true)
                {
                    served = Some(index);
                    break;
                }
            }
            match served.and_then(|index| self.waiters.remove(index)) {
                Some(waiter) => answer(waiter.pid, Ok(0)),
                None => return,
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
                let (removed, kept): (Vec<Waiter>, Vec<Waiter>) =
                    self.waiters.drain(..).partition(|waiter| waiter.set == id);
                self.waiters = kept.into();
                for waiter in removed {
                    answer(waiter.pid, Err(Errno::EIDRM));
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
    println!("ipc: serving semaphores, subscribed to EXIT and SIGNAL");
    let mut service = Service {
        sets: Vec::new(),
        waiters: VecDeque::new(),
        next_id: 1,
        events: 0,
        interrupted: 0,
        dropped: 0,
    };
    loop {
        let message = match ipc::receive(ANY) {
            Ok(message) => message,
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
            _ => answer(client, Err(Errno::ENOSYS)),
        }
    }
}
