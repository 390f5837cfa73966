//! System V semaphores, served by the IPC service (`ipc`), as in MINIX:
//! each call is a `sendrec` to the service, and the service serves no
//! other kind of request (one sent with `asend` or `send` is refused,
//! unanswered). A `semop` that must wait blocks in that `sendrec` until the
//! service replies: OK when it could apply the operations, EINTR (nothing
//! applied) if a caught signal arrived, EIDRM if the set was removed, or
//! at once EAGAIN if [`MAX_WAITERS`] callers already wait. An operation
//! takes effect only if its caller receives the OK: one killed while
//! waiting never takes a unit.

use crate::SysResult;
use crate::ipc::{self, Message};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::Errno;

/// Request: `[key, nsems, flags]`; reply: the set id.
pub const SEMGET: u64 = 0x100;
/// Request: `[id, count, op0, op1, op2, op3]` (see [`SemOp::encode`]).
pub const SEMOP: u64 = 0x101;
/// Request: `[id, semnum, cmd, arg]`; reply: the value asked for, or 0.
pub const SEMCTL: u64 = 0x102;

/// Create the set if the key has none.
pub const IPC_CREAT: u64 = 0o1000;
/// With [`IPC_CREAT`]: fail if it exists.
pub const IPC_EXCL: u64 = 0o2000;
/// Fail with EAGAIN instead of waiting.
pub const IPC_NOWAIT: u16 = 0o4000;
/// A key that always makes a new set.
pub const IPC_PRIVATE: i64 = 0;
/// `semctl`: remove the set.
pub const IPC_RMID: u64 = 0;
/// `semctl`: processes waiting for the value to increase.
pub const GETNCNT: u64 = 14;
/// `semctl`: the value.
pub const GETVAL: u64 = 12;
/// `semctl`: processes waiting for the value to become zero.
pub const GETZCNT: u64 = 15;
/// `semctl`: set the value.
pub const SETVAL: u64 = 16;
/// Most operations in one `semop`.
pub const MAX_OPS: usize = 4;
/// Most `semop` callers the service keeps waiting at once, over all sets;
/// one more gets EAGAIN. Each is a distinct process blocked in its
/// `sendrec` (the service serves no other kind of request), so the queue
/// is bounded twice: by this and by the process table.
pub const MAX_WAITERS: usize = 128;

/// One semaphore operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemOp {
    /// Which semaphore of the set.
    pub num: u16,
    /// Add this (negative: wait until it can be subtracted; zero: wait for
    /// zero).
    pub op: i16,
    /// [`IPC_NOWAIT`] or 0.
    pub flags: u16,
}

impl SemOp {
    /// Packs into one payload word.
    pub fn encode(self) -> u64 {
        u64::from(self.num) | (u64::from(self.op as u16) << 16) | (u64::from(self.flags) << 32)
    }

    /// Unpacks a payload word.
    pub fn decode(word: u64) -> Self {
        Self {
            num: word as u16,
            op: (word >> 16) as u16 as i16,
            flags: (word >> 32) as u16,
        }
    }
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

fn call(kind: u64, payload: [u64; 6]) -> SysResult<u64> {
    let mut message = Message::new(kind, payload);
    ipc::sendrec(service()?, &mut message)?;
    ipc::reply_result(&message)
}

/// Gets (or, with [`IPC_CREAT`], makes) the set for `key` with `nsems`
/// semaphores; returns its id.
pub fn semget(key: i64, nsems: u64, flags: u64) -> SysResult<u64> {
    call(SEMGET, [key as u64, nsems, flags, 0, 0, 0])
}

/// The pid of the IPC service (looked up once).
pub fn service_endpoint() -> SysResult<u64> {
    service()
}

/// The request message of `semop(id, ops)` (E2BIG for no or too many
/// operations).
pub fn semop_request(id: u64, ops: &[SemOp]) -> SysResult<Message> {
    if ops.is_empty() || ops.len() > MAX_OPS {
        return Err(Errno::E2BIG);
    }
    let mut payload = [id, ops.len() as u64, 0, 0, 0, 0];
    for (slot, op) in payload[2..].iter_mut().zip(ops) {
        *slot = op.encode();
    }
    Ok(Message::new(SEMOP, payload))
}

/// Applies `ops` atomically, waiting until all can be applied. EAGAIN
/// when it would wait but [`MAX_WAITERS`] callers already do.
pub fn semop(id: u64, ops: &[SemOp]) -> SysResult<()> {
    let request = semop_request(id, ops)?;
    call(SEMOP, request.payload).map(|_| ())
}

/// A control operation (`GETVAL`, `SETVAL`, `GETNCNT`, `GETZCNT`,
/// `IPC_RMID`).
pub fn semctl(id: u64, num: u64, cmd: u64, arg: u64) -> SysResult<u64> {
    call(SEMCTL, [id, num, cmd, arg, 0, 0])
}
