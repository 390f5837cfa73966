//! The IPC service: System V semaphores, and a subscriber to process
//! events (MINIX 3's `servers/ipc/sem.c`).
//!
//! Clients call it with `sendrec` (see `userlib::sem`), and only those are
//! served: the kernel tells the service how each request was sent
//! (`receive_call`), and a request sent any other way (`asend`, `send`:
//! the sender is not waiting for the answer) is refused, unanswered and
//! counted. The kernel also stamps each request with its sender's
//! effective uid and gid, which the sets' modes are checked against
//! (MINIX's `check_perm`).
//!
//! `semop` is MINIX's `try_semop`: the operations are applied in array
//! order, optimistically, and rolled back when one blocks or fails. One
//! that blocks is queued, unanswered, on its set's FIFO; after every change
//! of values the set's waiters are retried in FIFO order, repeatedly while
//! one was woken (`check_set`), and each is answered as its retry ends: OK,
//! or the error it now meets (ERANGE, or EAGAIN for a blocking operation
//! with IPC_NOWAIT). At most [`MAX_WAITERS`] wait, one more gets EAGAIN.
//!
//! An operation counts only once its caller has the answer: the reply is
//! the commit. If it fails (the caller no longer waits: a fatal signal
//! woke it, before it ran and before its EXIT event exists), the service
//! puts the set back as it was, drops that waiter and serves the next, so
//! a unit is never handed to a process that can no longer receive it.
//!
//! As a subscriber to EXIT and SIGNAL it keeps the queues honest: a waiter
//! that catches a signal gets EINTR with nothing applied; a waiter that
//! exits is dropped and the next one served. On EXIT it also applies the
//! process's SEM_UNDO adjustments (our extension: MINIX refuses SEM_UNDO)
//! before it acks, so by the time the exit completes, the values are
//! restored. It acks every event, always.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use userlib::ipc::{self, ANY, Call, EventKind, Message, ProcessEvent};
use userlib::sem::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT,
    IPC_PRIVATE, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, MAX_UNDO, MAX_WAITERS, SEM_ALLOC,
    SEM_INFO, SEM_STAT, SEM_UNDO, SEMCTL, SEMGET, SEMMNI, SEMMSL, SEMOP, SEMOPM, SEMSETALL, SEMVMX,
    SETVAL, SemInfo, SemOp, SemidDs, pack_values, unpack_op, unpack_value,
};
use userlib::{Errno, Pid, memory, println, time};

userlib::entry!(run);

/// The access bits of a mode.
const ACCESSPERMS: u32 = 0o777;

/// Seconds since boot (the system has no wall clock): `otime`, `ctime`.
fn now() -> u32 {
    (time::clock_ns() / 1_000_000_000) as u32
}

#[derive(Clone, Copy, Default)]
struct Semaphore {
    value: i64,
    /// The process that did the last successful operation on it.
    pid: Pid,
}

#[derive(Clone)]
struct SemSet {
    ds: SemidDs,
    sems: Vec<Semaphore>,
}

/// A table slot: its sequence number makes ids of freed slots stale (as
/// MINIX's `_seq`).
struct Slot {
    seq: u32,
    set: Option<SemSet>,
}

/// MINIX's `IXSEQ_TO_IPCID`.
fn ipc_id(index: usize, seq: u32) -> u64 {
    (u64::from(seq) << 16) | index as u64
}

/// Who asks: pid and effective ids, as the kernel stamped them.
#[derive(Clone, Copy)]
struct Caller {
    pid: Pid,
    uid: u32,
    gid: u32,
}

/// MINIX's `check_perm`: root may do anything; otherwise the owner, group
/// or other bits (whichever class the caller is in) must grant every bit
/// of `mode` (0o400 read, 0o200 write), and `mode` must ask for something.
fn check_perm(ds: &SemidDs, caller: Caller, mode: u64) -> bool {
    let mut mode = (mode & 0o700) as u32;
    if caller.uid == 0 {
        return true;
    }
    let granted = if caller.uid == ds.uid || caller.uid == ds.cuid {
        ds.mode & 0o700
    } else if caller.gid == ds.gid || caller.gid == ds.cgid {
        mode >>= 3;
        ds.mode & 0o070
    } else {
        mode >>= 6;
        ds.mode & 0o007
    };
    mode != 0 && mode & granted == mode
}

struct Waiter {
    pid: Pid,
    set: u64,
    ops: [SemOp; SEMOPM],
    count: usize,
    /// The operation it blocks on (MINIX's `ip_blkop`): what GETNCNT and
    /// GETZCNT count.
    blocked_on: usize,
}

/// A SEM_UNDO adjustment: added to the semaphore when `pid` exits.
struct Undo {
    pid: Pid,
    set: u64,
    num: u16,
    adjust: i64,
}

/// How a `try_semop` ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Applied.
    Done,
    /// Operation `usize` blocks; nothing changed.
    Blocks(usize),
    /// Failed; nothing changed.
    Failed(Errno),
}

/// MINIX's `try_semop`: applies `ops` in array order, each seeing the
/// earlier ones' changes; rolls all back if one blocks or fails.
fn try_semop(set: &mut SemSet, ops: &[SemOp], pid: Pid) -> Outcome {
    let before: Vec<i64> = set.sems.iter().map(|sem| sem.value).collect();
    let mut outcome = Outcome::Done;
    for (index, op) in ops.iter().enumerate() {
        let sem = &mut set.sems[op.num as usize];
        let delta = i64::from(op.op);
        let blocks = match delta {
            d if d > 0 => {
                if SEMVMX - sem.value < d {
                    outcome = Outcome::Failed(Errno::ERANGE);
                    break;
                }
                false
            }
            d if d < 0 => sem.value < -d,
            _ => sem.value != 0,
        };
        if blocks {
            outcome = if op.flags & IPC_NOWAIT != 0 {
                Outcome::Failed(Errno::EAGAIN)
            } else {
                Outcome::Blocks(index)
            };
            break;
        }
        sem.value += delta;
    }
    if outcome != Outcome::Done {
        for (sem, value) in set.sems.iter_mut().zip(before) {
            sem.value = value;
        }
        return outcome;
    }
    for op in ops {
        set.sems[op.num as usize].pid = pid;
    }
    set.ds.otime = now().max(1);
    Outcome::Done
}

struct Service {
    slots: Vec<Slot>,
    /// Allocated once, for [`MAX_WAITERS`]: never grows. FIFO over all
    /// sets; each set's waiters are in their arrival order.
    waiters: VecDeque<Waiter>,
    /// Allocated once, for [`MAX_UNDO`].
    undos: Vec<Undo>,
    events: u64,
    interrupted: u64,
    dropped: u64,
    /// Requests not sent with `sendrec`.
    refused: u64,
    /// Operations put back because their reply found nobody waiting.
    taken_back: u64,
    /// SEM_UNDO adjustments applied at exits.
    undone: u64,
    /// The heap's end once the service was set up.
    heap_at_start: u64,
}

/// Answers `client`; whether it got the answer (it may have died, or be
/// dying, meanwhile: then there is nobody to answer).
fn answer(client: Pid, result: Result<u64, Errno>) -> bool {
    answer_with(client, result, [0; 6])
}

fn answer_with(client: Pid, result: Result<u64, Errno>, payload: [u64; 6]) -> bool {
    let kind = match result {
        Ok(value) => value,
        Err(error) => error.as_return() as u64,
    };
    ipc::reply(u64::from(client), &Message::new(kind, payload)).is_ok()
}

impl Service {
    /// MINIX's `sem_find_id`.
    fn index_of(&self, id: u64) -> Option<usize> {
        let index = (id & 0xffff) as usize;
        let slot = self.slots.get(index)?;
        (slot.set.is_some() && id >> 16 == u64::from(slot.seq)).then_some(index)
    }

    fn set(&mut self, id: u64) -> Result<&mut SemSet, Errno> {
        let index = self.index_of(id).ok_or(Errno::EINVAL)?;
        Ok(self.slots[index].set.as_mut().expect("index_of checked"))
    }

    /// Highest slot in use plus one (MINIX's `sem_list_nr`).
    fn in_use(&self) -> usize {
        self.slots
            .iter()
            .rposition(|slot| slot.set.is_some())
            .map_or(0, |index| index + 1)
    }

    /// MINIX's `do_semget`.
    fn semget(&mut self, caller: Caller, key: i64, nsems: i64, flags: u64) -> Result<u64, Errno> {
        if key != IPC_PRIVATE {
            let found = self.slots.iter().enumerate().find_map(|(index, slot)| {
                let set = slot.set.as_ref()?;
                (set.ds.key == key).then_some((index, slot.seq, set.ds))
            });
            if let Some((index, seq, ds)) = found {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                if !check_perm(&ds, caller, flags) {
                    return Err(Errno::EACCES);
                }
                if nsems > i64::from(ds.nsems) {
                    return Err(Errno::EINVAL);
                }
                return Ok(ipc_id(index, seq));
            }
            if flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        if nsems <= 0 || nsems > SEMMSL as i64 {
            return Err(Errno::EINVAL);
        }
        let index = self
            .slots
            .iter()
            .position(|slot| slot.set.is_none())
            .ok_or(Errno::ENOSPC)?;
        let slot = &mut self.slots[index];
        slot.seq = (slot.seq + 1) & 0x7fff;
        slot.set = Some(SemSet {
            ds: SemidDs {
                uid: caller.uid,
                gid: caller.gid,
                cuid: caller.uid,
                cgid: caller.gid,
                mode: SEM_ALLOC as u32 | (flags as u32 & ACCESSPERMS),
                key,
                nsems: nsems as u32,
                otime: 0,
                ctime: now(),
            },
            sems: alloc::vec![Semaphore::default(); nsems as usize],
        });
        Ok(ipc_id(index, slot.seq))
    }

    /// Records `pid`'s SEM_UNDO adjustments for `ops`, just applied.
    fn record_undo(&mut self, pid: Pid, set: u64, ops: &[SemOp]) {
        for op in ops.iter().filter(|op| op.flags & SEM_UNDO != 0) {
            let existing = self
                .undos
                .iter_mut()
                .find(|undo| undo.pid == pid && undo.set == set && undo.num == op.num);
            match existing {
                Some(undo) => undo.adjust -= i64::from(op.op),
                None => self.undos.push(Undo {
                    pid,
                    set,
                    num: op.num,
                    adjust: -i64::from(op.op),
                }),
            }
        }
        self.undos.retain(|undo| undo.adjust != 0);
    }

    /// Whether `pid` may record SEM_UNDO adjustments for `ops` (the table
    /// holds [`MAX_UNDO`]).
    fn undo_room(&self, pid: Pid, set: u64, ops: &[SemOp]) -> bool {
        let new = ops
            .iter()
            .filter(|op| op.flags & SEM_UNDO != 0)
            .filter(|op| {
                !self
                    .undos
                    .iter()
                    .any(|undo| undo.pid == pid && undo.set == set && undo.num == op.num)
            })
            .count();
        self.undos.len() + new <= MAX_UNDO
    }

    /// Tries `ops` for `pid` on set `id` and, if they apply or fail,
    /// answers it. Applied but unanswerable: the set is put back.
    fn attempt(&mut self, pid: Pid, id: u64, ops: &[SemOp]) -> Outcome {
        if !self.undo_room(pid, id, ops) {
            // Checked when the call came; a waiter retried later may find
            // the table filled meanwhile. Nothing is applied.
            answer(pid, Err(Errno::ENOSPC));
            return Outcome::Failed(Errno::ENOSPC);
        }
        let Ok(set) = self.set(id) else {
            answer(pid, Err(Errno::EIDRM));
            return Outcome::Failed(Errno::EIDRM);
        };
        let before = set.clone();
        let outcome = try_semop(set, ops, pid);
        match outcome {
            Outcome::Done if answer(pid, Ok(0)) => {
                self.record_undo(pid, id, ops);
                Outcome::Done
            }
            Outcome::Done => {
                *self.set(id).expect("just used") = before;
                self.taken_back += 1;
                println!(
                    "ipc: pid {pid} no longer waits for its semop: taken back ({} so far)",
                    self.taken_back
                );
                Outcome::Failed(Errno::EDEADSRCDST)
            }
            Outcome::Failed(error) => {
                answer(pid, Err(error));
                outcome
            }
            Outcome::Blocks(_) => outcome,
        }
    }

    /// MINIX's `do_semop`.
    fn semop(&mut self, caller: Caller, payload: [u64; 6]) {
        let id = payload[0] & 0xffff_ffff;
        let count = (payload[0] >> 32) as usize;
        let Some(index) = self.index_of(id) else {
            answer(caller.pid, Err(Errno::EINVAL));
            return;
        };
        if count == 0 {
            answer(caller.pid, Ok(0));
            return;
        }
        if count > SEMOPM {
            answer(caller.pid, Err(Errno::E2BIG));
            return;
        }
        let mut ops = [SemOp::default(); SEMOPM];
        for (slot, op) in ops.iter_mut().enumerate().take(count) {
            *op = unpack_op(&payload[1..], slot);
        }
        let ops_given = &ops[..count];
        let set = self.slots[index].set.as_ref().expect("index_of checked");
        // Permission first: knowing the set's size needs read permission.
        let mask = ops_given
            .iter()
            .fold(0, |mask, op| mask | if op.op != 0 { IPC_W } else { IPC_R });
        let refusal = if !check_perm(&set.ds, caller, mask) {
            Some(Errno::EACCES)
        } else if ops_given.iter().any(|op| u32::from(op.num) >= set.ds.nsems) {
            Some(Errno::EFBIG)
        } else if ops_given
            .iter()
            .any(|op| op.flags & !(IPC_NOWAIT | SEM_UNDO) != 0)
        {
            // MINIX refuses SEM_UNDO and with it any unknown bit; we
            // serve SEM_UNDO and refuse the rest.
            Some(Errno::EINVAL)
        } else if !self.undo_room(caller.pid, id, ops_given) {
            Some(Errno::ENOSPC)
        } else {
            None
        };
        if let Some(error) = refusal {
            answer(caller.pid, Err(error));
            return;
        }
        match self.attempt(caller.pid, id, ops_given) {
            Outcome::Done => self.check_set(id),
            Outcome::Failed(_) => {}
            Outcome::Blocks(_) if self.waiters.len() >= MAX_WAITERS => {
                answer(caller.pid, Err(Errno::EAGAIN));
            }
            Outcome::Blocks(blocked_on) => self.waiters.push_back(Waiter {
                pid: caller.pid,
                set: id,
                ops,
                count,
                blocked_on,
            }),
        }
    }

    /// MINIX's `check_set`: retries set `id`'s waiters in FIFO order,
    /// answering each whose operations now apply (OK) or fail (the error),
    /// again while a pass woke one. One whose reply fails is dropped (it
    /// no longer waits, and never will again: pids are not reused) and the
    /// set put back for the next.
    fn check_set(&mut self, id: u64) {
        loop {
            let mut woken = false;
            let mut index = 0;
            while let Some(waiter) = self.waiters.get(index) {
                if waiter.set != id {
                    index += 1;
                    continue;
                }
                let (pid, ops, count) = (waiter.pid, waiter.ops, waiter.count);
                match self.attempt(pid, id, &ops[..count]) {
                    Outcome::Blocks(blocked_on) => {
                        self.waiters[index].blocked_on = blocked_on;
                        index += 1;
                    }
                    Outcome::Done => {
                        self.waiters.remove(index);
                        woken = true;
                    }
                    Outcome::Failed(_) => {
                        self.waiters.remove(index);
                    }
                }
            }
            if !woken {
                break;
            }
        }
    }

    /// Waiters blocked on semaphore `num` of `set`: (for an increase, for
    /// zero), by the operation each blocks on.
    fn wait_counts(&self, set: u64, num: u16) -> (u64, u64) {
        let mut counts = (0, 0);
        for waiter in self.waiters.iter().filter(|waiter| waiter.set == set) {
            let op = waiter.ops[waiter.blocked_on];
            if op.num == num {
                if op.op == 0 {
                    counts.1 += 1;
                } else {
                    counts.0 += 1;
                }
            }
        }
        counts
    }

    fn info(&self, cmd: u64) -> SemInfo {
        let in_use = self.in_use();
        SemInfo {
            semmap: SEMMNI as u32,
            semmni: SEMMNI as u32,
            semmns: (SEMMNI * SEMMSL) as u32,
            semmnu: MAX_UNDO as u32,
            semmsl: SEMMSL as u32,
            semopm: SEMOPM as u32,
            semume: SEMOPM as u32,
            semusz: if cmd == SEM_INFO { in_use as u32 } else { 0 },
            semvmx: SEMVMX as u32,
            semaem: if cmd == SEM_INFO {
                self.slots[..in_use]
                    .iter()
                    .filter_map(|slot| slot.set.as_ref())
                    .map(|set| set.ds.nsems)
                    .sum()
            } else {
                0
            },
        }
    }

    /// Removes set `id`: its waiters get EIDRM, its undo entries go.
    fn remove_set(&mut self, id: u64) {
        if let Some(index) = self.index_of(id) {
            self.slots[index].set = None;
        }
        let removed: Vec<Pid> = self
            .waiters
            .iter()
            .filter(|waiter| waiter.set == id)
            .map(|waiter| waiter.pid)
            .collect();
        self.waiters.retain(|waiter| waiter.set != id);
        self.undos.retain(|undo| undo.set != id);
        for pid in removed {
            answer(pid, Err(Errno::EIDRM));
        }
    }

    /// MINIX's `do_semctl`; the result and the reply's payload.
    fn semctl(&mut self, caller: Caller, payload: [u64; 6]) -> (Result<u64, Errno>, [u64; 6]) {
        let [id, num, cmd, arg, arg2, _] = payload;
        let mut out = [0u64; 6];
        let result = self.semctl_into(caller, id, num as i64, cmd, arg, arg2, &mut out);
        (result, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn semctl_into(
        &mut self,
        caller: Caller,
        id: u64,
        num: i64,
        cmd: u64,
        arg: u64,
        arg2: u64,
        out: &mut [u64; 6],
    ) -> Result<u64, Errno> {
        // The set: none for the INFO commands, a slot for SEM_STAT.
        let (set_id, ds) = match cmd {
            IPC_INFO | SEM_INFO => {
                *out = self.info(cmd).to_payload();
                return Ok(self.in_use().saturating_sub(1) as u64);
            }
            SEM_STAT => {
                let index = usize::try_from(id)
                    .ok()
                    .filter(|&index| index < self.in_use())
                    .ok_or(Errno::EINVAL)?;
                let slot = &self.slots[index];
                let set = slot.set.as_ref().ok_or(Errno::EINVAL)?;
                (ipc_id(index, slot.seq), set.ds)
            }
            _ => (id, self.set(id)?.ds),
        };
        match cmd {
            SETVAL | SEMSETALL_CMD => {
                if !check_perm(&ds, caller, IPC_W) {
                    return Err(Errno::EACCES);
                }
            }
            IPC_SET | IPC_RMID => {
                if caller.uid != ds.cuid && caller.uid != ds.uid && caller.uid != 0 {
                    return Err(Errno::EPERM);
                }
            }
            _ => {
                if !check_perm(&ds, caller, IPC_R) {
                    return Err(Errno::EACCES);
                }
            }
        }
        let nsems = i64::from(ds.nsems);
        let semaphore = |num: i64| {
            if (0..nsems).contains(&num) {
                Ok(num as usize)
            } else {
                Err(Errno::EINVAL)
            }
        };
        match cmd {
            IPC_STAT => {
                *out = ds.to_payload();
                Ok(0)
            }
            SEM_STAT => {
                *out = ds.to_payload();
                Ok(set_id)
            }
            IPC_SET => {
                let set = self.set(set_id)?;
                set.ds.uid = arg as u32;
                set.ds.gid = (arg >> 32) as u32;
                set.ds.mode = (set.ds.mode & !ACCESSPERMS) | (arg2 as u32 & ACCESSPERMS);
                set.ds.ctime = now();
                Ok(0)
            }
            IPC_RMID => {
                self.remove_set(set_id);
                Ok(0)
            }
            GETALL => {
                let set = self.set(set_id)?;
                let values: Vec<u16> = set.sems.iter().map(|sem| sem.value as u16).collect();
                pack_values(&values, out);
                Ok(0)
            }
            GETNCNT | GETZCNT => {
                let num = semaphore(num)? as u16;
                let (increase, zero) = self.wait_counts(set_id, num);
                Ok(if cmd == GETNCNT { increase } else { zero })
            }
            GETPID => {
                let num = semaphore(num)?;
                Ok(u64::from(self.set(set_id)?.sems[num].pid))
            }
            GETVAL => {
                let num = semaphore(num)?;
                Ok(self.set(set_id)?.sems[num].value as u64)
            }
            SETVAL => {
                let num = semaphore(num)?;
                let value = arg as i32;
                if !(0..=SEMVMX as i32).contains(&value) {
                    return Err(Errno::ERANGE);
                }
                let set = self.set(set_id)?;
                set.sems[num].value = i64::from(value);
                set.ds.ctime = now();
                // POSIX: SETVAL clears the semaphore's undo adjustments.
                self.undos
                    .retain(|undo| !(undo.set == set_id && undo.num == num as u16));
                self.check_set(set_id);
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// SETALL (its own request kind: the values fill the payload).
    fn setall(&mut self, caller: Caller, payload: [u64; 6]) -> Result<u64, Errno> {
        let id = payload[0];
        let ds = self.set(id)?.ds;
        if !check_perm(&ds, caller, IPC_W) {
            return Err(Errno::EACCES);
        }
        let values: Vec<u16> = (0..ds.nsems as usize)
            .map(|index| unpack_value(&payload[1..], index))
            .collect();
        if values.iter().any(|&value| i64::from(value) > SEMVMX) {
            return Err(Errno::ERANGE);
        }
        let set = self.set(id)?;
        for (sem, value) in set.sems.iter_mut().zip(values) {
            sem.value = i64::from(value);
        }
        set.ds.ctime = now();
        // POSIX: SETALL clears the set's undo adjustments.
        self.undos.retain(|undo| undo.set != id);
        self.check_set(id);
        Ok(0)
    }

    /// Applies `pid`'s SEM_UNDO adjustments (it exited), each clamped to
    /// 0..=SEMVMX, and serves the waiters they let through.
    fn undo_exit(&mut self, pid: Pid) {
        let mut touched: Vec<u64> = Vec::new();
        let mut index = 0;
        while index < self.undos.len() {
            if self.undos[index].pid != pid {
                index += 1;
                continue;
            }
            let undo = self.undos.swap_remove(index);
            if let Ok(set) = self.set(undo.set) {
                let sem = &mut set.sems[undo.num as usize];
                sem.value = (sem.value + undo.adjust).clamp(0, SEMVMX);
                sem.pid = pid;
                self.undone += 1;
                if !touched.contains(&undo.set) {
                    touched.push(undo.set);
                }
            }
        }
        for set in touched {
            self.check_set(set);
        }
    }

    /// A process event: a waiter that caught a signal gets EINTR (nothing
    /// applied); one that exited is dropped, and an exiting process's
    /// SEM_UNDO adjustments are applied (and the waiters they let through
    /// served). Then the ack.
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
        }
        if event.kind == EventKind::Exit {
            self.undo_exit(event.pid);
        }
        // A waiter leaving changes no value, so no one else can proceed
        // for it (MINIX's `complete_semop` retries nothing either).
        if let Err(error) = event.ack() {
            println!("ipc: ack of event {} failed: {error:?}", event.event_id);
        }
    }
}

/// SETALL as a `semctl` command number, for the permission switch.
const SEMSETALL_CMD: u64 = userlib::sem::SETALL;

fn run(_args: userlib::Args) -> i32 {
    if let Err(error) = ipc::subscribe(EventKind::Exit.bit() | EventKind::Signal.bit()) {
        println!("ipc: cannot subscribe to process events: {error:?}");
        return 1;
    }
    println!(
        "ipc: serving semaphores to sendrec callers (at most {MAX_WAITERS} waiting, {SEMMNI} sets of up to {SEMMSL}, {SEMOPM} operations per semop, SEM_UNDO kept for {MAX_UNDO}), subscribed to EXIT and SIGNAL"
    );
    let mut service = Service {
        slots: (0..SEMMNI).map(|_| Slot { seq: 0, set: None }).collect(),
        waiters: VecDeque::with_capacity(MAX_WAITERS),
        undos: Vec::with_capacity(MAX_UNDO),
        events: 0,
        interrupted: 0,
        dropped: 0,
        refused: 0,
        taken_back: 0,
        undone: 0,
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
        let caller = Caller {
            pid: message.source as Pid,
            uid: message.uid,
            gid: message.gid,
        };
        if call != Call::SendRec {
            // Nobody waits for an answer: serving it would hand a unit to
            // no one, and queueing it would let anyone grow the queue.
            service.refused += 1;
            if service.refused.is_power_of_two() {
                println!(
                    "ipc: refused request {:#x} from pid {}, sent with {call:?}, not sendrec ({} refused so far; heap +{} bytes since start)",
                    message.kind,
                    caller.pid,
                    service.refused,
                    memory::heap_end().saturating_sub(service.heap_at_start)
                );
            }
            continue;
        }
        match message.kind {
            SEMGET => {
                let [key, nsems, flags, ..] = message.payload;
                let result = service.semget(caller, key as i64, nsems as i64, flags);
                answer(caller.pid, result);
            }
            SEMOP => service.semop(caller, message.payload),
            SEMCTL => {
                let (result, payload) = service.semctl(caller, message.payload);
                answer_with(caller.pid, result, payload);
            }
            SEMSETALL => {
                let result = service.setall(caller, message.payload);
                answer(caller.pid, result);
            }
            _ => {
                answer(caller.pid, Err(Errno::ENOSYS));
            }
        }
    }
}
