//! System V semaphores, served by the IPC service (`ipc`), as in MINIX
//! (`servers/ipc/sem.c`): each call is a `sendrec` to the service, and the
//! service serves no other kind of request (one sent with `asend` or `send`
//! is refused, unanswered). A `semop` that must wait blocks in that
//! `sendrec` until the service replies: OK when it could apply the
//! operations, an error if, retried, they fail (ERANGE), EINTR (nothing
//! applied) if a caught signal arrived, EIDRM if the set was removed, or at
//! once EAGAIN if [`MAX_WAITERS`] callers already wait. An operation takes
//! effect only if its caller receives the OK: one killed while waiting
//! never takes a unit.
//!
//! Errors as MINIX's: EINVAL (no such set, bad command, unknown `sem_flg`
//! bits), EFBIG (a semaphore number past the set), E2BIG (more than
//! [`SEMOPM`] operations), ERANGE (a value past [`SEMVMX`]), EACCES (the
//! set's mode refuses the caller's effective uid/gid, which the kernel
//! stamps on each message), EPERM (IPC_SET/IPC_RMID by neither owner,
//! creator nor root), ENOSPC (no free set), EEXIST, ENOENT.
//!
//! Beyond MINIX: [`SEM_UNDO`] works (MINIX refuses it with EINVAL). The
//! service keeps each process's adjustments and applies them when the
//! process's EXIT event arrives, before it acks (see ARCHITECTURE.md).
//!
//! Everything travels in the message payload (there is no copy between
//! address spaces), which sets the limits: [`SEMOPM`] operations per
//! `semop`, [`SEMMSL`] semaphores per set.

use crate::SysResult;
use crate::ipc::{self, Message};
use core::sync::atomic::{AtomicU32, Ordering};

/// Request: `[key, nsems, flags]`; reply: the set id.
pub const SEMGET: u64 = 0x100;
/// Request: `[id | count << 32, ops...]` (see [`semop_request_counted`]).
pub const SEMOP: u64 = 0x101;
/// Request: `[id, semnum, cmd, arg, arg2]`; reply: the value asked for, or
/// 0, and for IPC_STAT/SEM_STAT, IPC_INFO/SEM_INFO and GETALL the data in
/// the reply's payload.
pub const SEMCTL: u64 = 0x102;
/// Request: `[id, values...]`: SETALL (its own kind: the values need the
/// whole payload).
pub const SEMSETALL: u64 = 0x103;

/// Create the set if the key has none.
pub const IPC_CREAT: u64 = 0o1000;
/// With [`IPC_CREAT`]: fail if it exists.
pub const IPC_EXCL: u64 = 0o2000;
/// Fail with EAGAIN instead of waiting (`sem_flg`).
pub const IPC_NOWAIT: u16 = 0o4000;
/// Undo the operation when the process exits (`sem_flg`); our extension:
/// MINIX refuses it.
pub const SEM_UNDO: u16 = 0o10000;
/// Read permission (mode bits, owner position).
pub const IPC_R: u64 = 0o400;
/// Write (alter) permission.
pub const IPC_W: u64 = 0o200;
/// Set in an allocated set's `mode` (IPC_STAT).
pub const SEM_ALLOC: u64 = 0o1000;
/// A key that always makes a new set.
pub const IPC_PRIVATE: i64 = 0;
/// `semctl`: remove the set.
pub const IPC_RMID: u64 = 0;
/// `semctl`: set owner uid/gid and mode (`arg`: uid | gid << 32, `arg2`:
/// mode).
pub const IPC_SET: u64 = 1;
/// `semctl`: the set's [`SemidDs`].
pub const IPC_STAT: u64 = 2;
/// `semctl`: the limits ([`SemInfo`]); returns the highest slot in use.
pub const IPC_INFO: u64 = 3;
/// `semctl`: the pid of the last process to operate on the semaphore.
pub const GETPID: u64 = 11;
/// `semctl`: the value.
pub const GETVAL: u64 = 12;
/// `semctl`: all values.
pub const GETALL: u64 = 13;
/// `semctl`: processes waiting for the value to increase.
pub const GETNCNT: u64 = 14;
/// `semctl`: processes waiting for the value to become zero.
pub const GETZCNT: u64 = 15;
/// `semctl`: set the value.
pub const SETVAL: u64 = 16;
/// `semctl`: set all values.
pub const SETALL: u64 = 17;
/// `semctl`: IPC_STAT by slot index; returns the set's id.
pub const SEM_STAT: u64 = 18;
/// `semctl`: as IPC_INFO, with the sets and semaphores in use.
pub const SEM_INFO: u64 = 19;

/// Most semaphore sets (MINIX: `SEMMNI`).
pub const SEMMNI: usize = 64;
/// Most semaphores in a set (MINIX: 250; here what one message carries).
pub const SEMMSL: usize = 20;
/// Most operations in one `semop` (MINIX: 100; here what one message
/// carries).
pub const SEMOPM: usize = 6;
/// Largest semaphore value (MINIX's `SEMVMX`).
pub const SEMVMX: i64 = 32767;
/// Compatibility name for [`SEMOPM`].
pub const MAX_OPS: usize = SEMOPM;
/// Most `semop` callers the service keeps waiting at once, over all sets;
/// one more gets EAGAIN. Each is a distinct process blocked in its
/// `sendrec` (the service serves no other kind of request), so the queue
/// is bounded twice: by this and by the process table.
pub const MAX_WAITERS: usize = 128;
/// Most SEM_UNDO adjustments (process, set, semaphore) kept at once; one
/// more SEM_UNDO operation gets ENOSPC.
pub const MAX_UNDO: usize = 256;

/// One semaphore operation (`struct sembuf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SemOp {
    /// Which semaphore of the set.
    pub num: u16,
    /// Add this (negative: wait until it can be subtracted; zero: wait for
    /// zero).
    pub op: i16,
    /// [`IPC_NOWAIT`], [`SEM_UNDO`], or 0.
    pub flags: u16,
}

impl SemOp {
    /// An operation on semaphore `num`.
    pub const fn new(num: u16, op: i16, flags: u16) -> Self {
        Self { num, op, flags }
    }

    /// Packs into 48 bits.
    pub fn encode(self) -> u64 {
        u64::from(self.num) | (u64::from(self.op as u16) << 16) | (u64::from(self.flags) << 32)
    }

    /// Unpacks 48 bits.
    pub fn decode(word: u64) -> Self {
        Self {
            num: word as u16,
            op: (word >> 16) as u16 as i16,
            flags: (word >> 32) as u16,
        }
    }
}

/// Packs up to [`SEMOPM`] operations, 48 bits each, into five words.
pub fn pack_ops(ops: &[SemOp]) -> [u64; 5] {
    let mut words = [0u64; 5];
    for (index, op) in ops.iter().take(SEMOPM).enumerate() {
        let bits = op.encode();
        let at = index * 48;
        let (word, shift) = (at / 64, at % 64);
        words[word] |= bits << shift;
        if shift > 16 {
            words[word + 1] |= bits >> (64 - shift);
        }
    }
    words
}

/// Unpacks operation `index` from [`pack_ops`]'s words.
pub fn unpack_op(words: &[u64], index: usize) -> SemOp {
    let at = index * 48;
    let (word, shift) = (at / 64, at % 64);
    let mut bits = words[word] >> shift;
    if shift > 16 {
        bits |= words[word + 1] << (64 - shift);
    }
    SemOp::decode(bits & 0xffff_ffff_ffff)
}

/// A set's state (`struct semid_ds`), as IPC_STAT gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemidDs {
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// [`SEM_ALLOC`] and the access bits (0o777).
    pub mode: u32,
    /// The key it was made with.
    pub key: i64,
    /// Semaphores in the set.
    pub nsems: u32,
    /// Last successful `semop`, seconds since boot (0: never).
    pub otime: u32,
    /// Creation or last SETVAL/SETALL/IPC_SET, seconds since boot.
    pub ctime: u32,
}

impl SemidDs {
    /// To a reply payload.
    pub fn to_payload(&self) -> [u64; 6] {
        [
            u64::from(self.uid) | (u64::from(self.gid) << 32),
            u64::from(self.cuid) | (u64::from(self.cgid) << 32),
            u64::from(self.mode),
            self.key as u64,
            u64::from(self.nsems),
            u64::from(self.otime) | (u64::from(self.ctime) << 32),
        ]
    }

    /// From a reply payload.
    pub fn from_payload(words: [u64; 6]) -> Self {
        Self {
            uid: words[0] as u32,
            gid: (words[0] >> 32) as u32,
            cuid: words[1] as u32,
            cgid: (words[1] >> 32) as u32,
            mode: words[2] as u32,
            key: words[3] as i64,
            nsems: words[4] as u32,
            otime: words[5] as u32,
            ctime: (words[5] >> 32) as u32,
        }
    }
}

/// The limits (`struct seminfo`), as IPC_INFO and SEM_INFO give them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemInfo {
    /// Entries in the semaphore map (unused here, as in MINIX).
    pub semmap: u32,
    /// Most semaphore sets.
    pub semmni: u32,
    /// Most semaphores in all.
    pub semmns: u32,
    /// Most undo structures (the SEM_UNDO table).
    pub semmnu: u32,
    /// Most semaphores per set.
    pub semmsl: u32,
    /// Most operations per `semop`.
    pub semopm: u32,
    /// Most undo entries per process.
    pub semume: u32,
    /// SEM_INFO: sets in use (slots); IPC_INFO: 0.
    pub semusz: u32,
    /// The largest value a semaphore may hold.
    pub semvmx: u32,
    /// SEM_INFO: semaphores allocated; IPC_INFO: 0.
    pub semaem: u32,
}

impl SemInfo {
    /// To a reply payload.
    pub fn to_payload(&self) -> [u64; 6] {
        let pair = |a: u32, b: u32| u64::from(a) | (u64::from(b) << 32);
        [
            pair(self.semmap, self.semmni),
            pair(self.semmns, self.semmnu),
            pair(self.semmsl, self.semopm),
            pair(self.semume, self.semusz),
            pair(self.semvmx, self.semaem),
            0,
        ]
    }

    /// From a reply payload.
    pub fn from_payload(words: [u64; 6]) -> Self {
        let low = |word: u64| word as u32;
        let high = |word: u64| (word >> 32) as u32;
        Self {
            semmap: low(words[0]),
            semmni: high(words[0]),
            semmns: low(words[1]),
            semmnu: high(words[1]),
            semmsl: low(words[2]),
            semopm: high(words[2]),
            semume: low(words[3]),
            semusz: high(words[3]),
            semvmx: low(words[4]),
            semaem: high(words[4]),
        }
    }
}

/// Packs 16-bit values, four to a word.
pub fn pack_values(values: &[u16], words: &mut [u64]) {
    for (index, &value) in values.iter().enumerate().take(words.len() * 4) {
        words[index / 4] |= u64::from(value) << ((index % 4) * 16);
    }
}

/// Value `index` of [`pack_values`]'s words.
pub fn unpack_value(words: &[u64], index: usize) -> u16 {
    (words[index / 4] >> ((index % 4) * 16)) as u16
}

static SERVICE: AtomicU32 = AtomicU32::new(0);

fn service() -> SysResult<u64> {
    let cached = SERVICE.load(Ordering::Relaxed);
    if cached != 0 {
        return Ok(u64::from(cached));
    }
    let pid = ipc::lookup_service("ipc")?;
    SERVICE.store(pid, Ordering::Relaxed);
    Ok(u64::from(pid))
}

/// Sends a request, returns the result word and the reply's payload.
fn call_full(kind: u64, payload: [u64; 6]) -> SysResult<(u64, [u64; 6])> {
    let mut message = Message::new(kind, payload);
    ipc::sendrec(service()?, &mut message)?;
    ipc::reply_result(&message).map(|value| (value, message.payload))
}

fn call(kind: u64, payload: [u64; 6]) -> SysResult<u64> {
    call_full(kind, payload).map(|(value, _)| value)
}

/// Gets (or, with [`IPC_CREAT`], makes) the set for `key` with `nsems`
/// semaphores; the low nine bits of `flags` are its mode. Returns its id.
pub fn semget(key: i64, nsems: i64, flags: u64) -> SysResult<u64> {
    call(SEMGET, [key as u64, nsems as u64, flags, 0, 0, 0])
}

/// The pid of the IPC service (looked up once).
pub fn service_endpoint() -> SysResult<u64> {
    service()
}

/// The request message of `semop(id, ops)`: the count as given (the
/// service refuses more than [`SEMOPM`] with E2BIG), the first
/// [`SEMOPM`] operations packed.
pub fn semop_request(id: u64, ops: &[SemOp]) -> SysResult<Message> {
    semop_request_counted(id, ops, ops.len() as u64)
}

/// As [`semop_request`] with an explicit count (MINIX's `nsops`, which
/// may exceed the operations given: E2BIG). Word 0 holds the id (32 bits)
/// and the count (saturated to 32 bits); words 1 to 5 the operations.
pub fn semop_request_counted(id: u64, ops: &[SemOp], count: u64) -> SysResult<Message> {
    let words = pack_ops(ops);
    let count = count.min(u64::from(u32::MAX));
    Ok(Message::new(
        SEMOP,
        [
            (id & 0xffff_ffff) | (count << 32),
            words[0],
            words[1],
            words[2],
            words[3],
            words[4],
        ],
    ))
}

/// Applies `ops` atomically, waiting until all can be applied. EAGAIN
/// when it would wait but [`MAX_WAITERS`] callers already do.
pub fn semop(id: u64, ops: &[SemOp]) -> SysResult<()> {
    let request = semop_request(id, ops)?;
    call(SEMOP, request.payload).map(|_| ())
}

/// `semop` with `count` as the number of operations (to test the E2BIG
/// limit with more than the message holds).
pub fn semop_counted(id: u64, ops: &[SemOp], count: u64) -> SysResult<()> {
    let request = semop_request_counted(id, ops, count)?;
    call(SEMOP, request.payload).map(|_| ())
}

/// A control operation with a number result (`GETVAL`, `GETPID`,
/// `SETVAL`, `GETNCNT`, `GETZCNT`, `IPC_RMID`).
pub fn semctl(id: u64, num: u64, cmd: u64, arg: u64) -> SysResult<u64> {
    call(SEMCTL, [id, num, cmd, arg, 0, 0])
}

/// IPC_STAT.
pub fn stat(id: u64) -> SysResult<SemidDs> {
    call_full(SEMCTL, [id, 0, IPC_STAT, 0, 0, 0]).map(|(_, payload)| SemidDs::from_payload(payload))
}

/// SEM_STAT of table slot `index`: the set's id and its state.
pub fn stat_slot(index: u64) -> SysResult<(u64, SemidDs)> {
    call_full(SEMCTL, [index, 0, SEM_STAT, 0, 0, 0])
        .map(|(id, payload)| (id, SemidDs::from_payload(payload)))
}

/// IPC_SET: owner uid/gid and the access bits of `mode`.
pub fn set_owner(id: u64, uid: u32, gid: u32, mode: u32) -> SysResult<()> {
    let ids = u64::from(uid) | (u64::from(gid) << 32);
    call(SEMCTL, [id, 0, IPC_SET, ids, u64::from(mode), 0]).map(|_| ())
}

/// IPC_INFO (or SEM_INFO with `cmd`): the limits, and the highest slot in
/// use.
pub fn info(cmd: u64) -> SysResult<(u64, SemInfo)> {
    call_full(SEMCTL, [0, 0, cmd, 0, 0, 0])
        .map(|(highest, payload)| (highest, SemInfo::from_payload(payload)))
}

/// GETALL: the values of the set's semaphores (`nsems` of them).
pub fn getall(id: u64, values: &mut [u16]) -> SysResult<()> {
    let (_, payload) = call_full(SEMCTL, [id, 0, GETALL, 0, 0, 0])?;
    for (index, value) in values.iter_mut().enumerate().take(24) {
        *value = unpack_value(&payload, index);
    }
    Ok(())
}

/// SETALL: one value per semaphore of the set (the set's size is taken
/// from the service; extra values are ignored, missing ones are 0).
pub fn setall(id: u64, values: &[u16]) -> SysResult<()> {
    let mut payload = [id, 0, 0, 0, 0, 0];
    pack_values(values, &mut payload[1..]);
    call(SEMSETALL, payload).map(|_| ())
}
