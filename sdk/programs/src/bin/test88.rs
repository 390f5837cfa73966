//! MINIX's test88 (System V semaphores, `minix/tests/test88.c`), ported:
//! subtests a (semget), b (semop), c (semctl), d (flags, and SEM_UNDO as
//! we define it) and e (operations that resume several processes: the
//! MATCH_* matrix with auxiliary waiters, resumed by semop, SETVAL and
//! SETALL). 88f needs sysctl, which this system does not have.
//!
//! Where MINIX's test passes a user pointer (EFAULT cases, the buffers of
//! GETALL/SETALL/IPC_STAT/IPC_SET/IPC_INFO), the port has none to pass:
//! requests and answers travel in the message, so those cases do not
//! apply and are left out. Everything else keeps MINIX's order and
//! expectations, with MINIX's `e()` checks grouped into named checks: one
//! `PASS name` or `FAIL name: line N: condition ...` line each.
//!
//! MINIX's parent and children talk over pipes; here a [`Link`] is a pair
//! of semaphore sets (mode 0666, so children that dropped their privileges
//! can use them), separate from the sets under test.
//!
//! Argument: which subtests (letters, default `abcd`; `e` is its own image
//! because it takes long).
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use userlib::process::{self, ExitStatus};
use userlib::sem::{
    self, GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT,
    IPC_PRIVATE, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, SEM_ALLOC, SEM_INFO, SEM_STAT,
    SEM_UNDO, SETVAL, SemInfo, SemOp,
};
use userlib::verdict::Verdicts;
use userlib::{Errno, Pid, Signal, println, signal, time};

userlib::entry!(run);

const WAIT_MS: u64 = 100;
const KEY_A: i64 = 0x7357_0001;
const KEY_B: i64 = KEY_A + 1;
const KEY_C: i64 = KEY_A + 2;
const ROOT_USER: u32 = 0;
const ROOT_GROUP: u32 = 0;
const NONROOT_USER: u32 = 2;
const NONROOT_GROUP: u32 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Drop {
    None,
    User,
    All,
}

const SUGID_NONE: i64 = 0;
const SUGID_ROOT_USER: i64 = 1;
const SUGID_NONROOT_USER: i64 = 2;
const SUGID_ROOT_GROUP: i64 = 3;
const SUGID_NONROOT_GROUP: i64 = 4;

/// Failures of one named check (MINIX's `e()` sites), with line numbers.
#[derive(Default)]
struct Ck {
    failures: Vec<String>,
}

impl Ck {
    fn fail(&mut self, line: u32, what: &str) {
        if self.failures.len() < 6 {
            self.failures.push(format!("line {line}: {what}"));
        } else if self.failures.len() == 6 {
            self.failures.push(String::from("..."));
        }
    }

    fn count(&self) -> usize {
        self.failures.len()
    }

    fn report(self, verdicts: &mut Verdicts, name: &str) {
        let detail = self.failures.join("; ");
        verdicts.check(name, self.failures.is_empty(), format_args!("{detail}"));
    }
}

/// MINIX's `if (!(cond)) e(0)`.
macro_rules! ensure {
    ($ck:expr, $cond:expr) => {
        if !($cond) {
            $ck.fail(line!(), stringify!($cond));
        }
    };
    ($ck:expr, $cond:expr, $($detail:tt)+) => {
        if !($cond) {
            let detail = format!($($detail)+);
            $ck.fail(line!(), &format!("{} ({detail})", stringify!($cond)));
        }
    };
}

/// MINIX's `TEST_SEM(id, num, val, pid, ncnt, zcnt)`; -1 skips a field.
macro_rules! test_sem {
    ($ck:expr, $id:expr, $num:expr, $val:expr, $pid:expr, $ncnt:expr, $zcnt:expr) => {
        $ck.check_sem(
            line!(),
            $id,
            $num,
            $val as i64,
            $pid as i64,
            $ncnt as i64,
            $zcnt as i64,
        )
    };
}

impl Ck {
    #[allow(clippy::too_many_arguments)]
    fn check_sem(
        &mut self,
        line: u32,
        id: u64,
        num: u64,
        val: i64,
        pid: i64,
        ncnt: i64,
        zcnt: i64,
    ) {
        let ck = self;
        let got = |cmd| sem::semctl(id, num, cmd, 0).map(|v| v as i64);
        let value = got(GETVAL);
        if value != Ok(val) {
            ck.fail(line, &format!("sem {num}: value {value:?}, not {val}"));
        }
        for (want, cmd, what) in [
            (pid, GETPID, "pid"),
            (ncnt, GETNCNT, "ncnt"),
            (zcnt, GETZCNT, "zcnt"),
        ] {
            if want != -1 {
                let have = got(cmd);
                if have != Ok(want) {
                    ck.fail(line, &format!("sem {num}: {what} {have:?}, not {want}"));
                }
            }
        }
    }
}

fn op(num: u16, delta: i16) -> SemOp {
    SemOp::new(num, delta, 0)
}

fn errno<T>(result: Result<T, Errno>) -> Option<Errno> {
    result.err()
}

fn now() -> u32 {
    (time::clock_ns() / 1_000_000_000) as u32
}

fn usleep() {
    let _ = time::sleep_ms(WAIT_MS);
}

fn info() -> SemInfo {
    sem::info(IPC_INFO)
        .map(|(_, info)| info)
        .unwrap_or_default()
}

fn minus(value: i64) -> u64 {
    value as u64
}

/// One direction of a [`Link`]: five slots of four semaphores (ready,
/// then the value in three 15-bit parts).
struct Channel {
    set: u64,
    count: u64,
}

impl Channel {
    fn new() -> Self {
        let set = sem::semget(IPC_PRIVATE, 20, IPC_CREAT | 0o666)
            .unwrap_or_else(|error| panic!("test88: link semget {error:?}"));
        Self { set, count: 0 }
    }

    fn slot(&self) -> u16 {
        ((self.count % 5) * 4) as u16
    }

    fn snd(&mut self, value: i64) {
        let k = self.slot();
        // Wait until the receiver has taken what was last in this slot.
        let _ = sem::semop(self.set, &[op(k, 0)]);
        let raw = (value + 1) as u64;
        for part in 0..3u16 {
            let bits = (raw >> (15 * part)) & 0x7fff;
            let _ = sem::semctl(self.set, u64::from(k + 1 + part), SETVAL, bits);
        }
        let _ = sem::semop(self.set, &[op(k, 1)]);
        self.count += 1;
    }

    fn rcv(&mut self) -> i64 {
        let k = self.slot();
        // Wait for the slot to be full, leaving it so while reading.
        let _ = sem::semop(self.set, &[op(k, -1), op(k, 1)]);
        let mut raw = 0u64;
        for part in 0..3u16 {
            let bits = sem::semctl(self.set, u64::from(k + 1 + part), GETVAL, 0).unwrap_or(0);
            raw |= bits << (15 * part);
        }
        let _ = sem::semop(self.set, &[op(k, -1)]);
        self.count += 1;
        raw as i64 - 1
    }
}

/// A child process and the two channels to it (MINIX's `struct link`).
struct Link {
    pid: Pid,
    tx: Channel,
    rx: Channel,
}

impl Link {
    fn snd(&mut self, value: i64) {
        self.tx.snd(value);
    }

    fn rcv(&mut self) -> i64 {
        self.rx.rcv()
    }

    fn remove(&self) {
        let _ = sem::semctl(self.tx.set, 0, IPC_RMID, 0);
        let _ = sem::semctl(self.rx.set, 0, IPC_RMID, 0);
    }
}

/// MINIX's `spawn`: forks a child that drops privileges as asked, runs
/// `body` and exits with its failure count.
fn spawn(body: fn(&mut Link, &mut Ck), drop: Drop) -> Link {
    let down = Channel::new();
    let up = Channel::new();
    match process::fork() {
        Ok(0) => {
            let mut ck = Ck::default();
            match drop {
                Drop::All => {
                    ensure!(ck, process::setgid(NONROOT_GROUP).is_ok());
                    ensure!(ck, process::setegid(NONROOT_GROUP).is_ok());
                    ensure!(ck, process::setuid(NONROOT_USER).is_ok());
                }
                Drop::User => ensure!(ck, process::setuid(NONROOT_USER).is_ok()),
                Drop::None => {}
            }
            let mut link = Link {
                pid: process::getppid(),
                tx: up,
                rx: down,
            };
            body(&mut link, &mut ck);
            for failure in &ck.failures {
                println!("test88 child {}: {failure}", process::getpid());
            }
            process::exit(ck.count() as i32)
        }
        Ok(pid) => Link {
            pid,
            tx: down,
            rx: up,
        },
        Err(error) => panic!("test88: fork {error:?}"),
    }
}

/// MINIX's `collect`: the child must exit with no failures. One still
/// running after 5 s (blocked where it should not be) is killed and
/// counted as a failure, so the rest of the test goes on.
fn collect(ck: &mut Ck, link: Link) {
    let deadline = time::clock_ns() + 5_000_000_000;
    let status = loop {
        match process::try_wait_for(link.pid) {
            Ok(None) if time::clock_ns() < deadline => {
                let _ = time::sleep_ms(10);
            }
            Ok(None) => {
                let _ = signal::kill(link.pid, Signal::SIGKILL);
                let _ = process::reap(link.pid);
                break Err(Errno::EAGAIN);
            }
            Ok(Some(status)) => break Ok(status),
            Err(error) => break Err(error),
        }
    };
    ensure!(
        ck,
        status == Ok(ExitStatus::Exited(0)),
        "child {} {status:?} (EAGAIN: still running after 5 s)",
        link.pid
    );
    link.remove();
}

/// MINIX's `terminate`: SIGKILL, and the child must die of it.
fn terminate(ck: &mut Ck, link: Link) {
    ensure!(ck, signal::kill(link.pid, Signal::SIGKILL).is_ok());
    let status = process::wait_for(link.pid);
    ensure!(
        ck,
        status == Ok(ExitStatus::Killed(9)),
        "child {} {status:?}",
        link.pid
    );
    link.remove();
}

// ---------------------------------------------------------------- perm ---

fn test_perm_child(parent: &mut Link, ck: &mut Ck) {
    loop {
        let mask = parent.rcv();
        if mask == -1 {
            break;
        }
        let rmask = parent.rcv();
        let sugid = parent.rcv();
        let (mask, rmask) = (mask as u64, rmask as u64);
        let first_mask = if sugid == SUGID_NONE { mask } else { 0 };
        let ids = [
            sem::semget(KEY_A, 3, IPC_CREAT | IPC_EXCL | first_mask),
            sem::semget(KEY_B, 3, IPC_CREAT | IPC_EXCL | mask | rmask),
            sem::semget(KEY_C, 3, IPC_CREAT | IPC_EXCL | rmask),
        ];
        ensure!(ck, ids.iter().all(Result::is_ok), "{ids:?}");
        let id = ids.map(|id| id.unwrap_or(u64::MAX));
        let mut uid = process::geteuid();
        let mut gid = process::getegid();
        if sugid != SUGID_NONE {
            match sugid {
                SUGID_ROOT_USER => uid = ROOT_USER,
                SUGID_NONROOT_USER => uid = NONROOT_USER,
                SUGID_ROOT_GROUP => gid = ROOT_GROUP,
                SUGID_NONROOT_GROUP => gid = NONROOT_GROUP,
                _ => ensure!(ck, false),
            }
            ensure!(ck, sem::set_owner(id[0], uid, gid, mask as u32).is_ok());
            ensure!(
                ck,
                sem::set_owner(id[1], uid, gid, (mask | rmask) as u32).is_ok()
            );
            ensure!(ck, sem::set_owner(id[2], uid, gid, rmask as u32).is_ok());
        }
        if mask & IPC_R != 0 {
            let ds = sem::stat(id[0]);
            ensure!(ck, ds.is_ok(), "{ds:?}");
            let ds = ds.unwrap_or_default();
            ensure!(
                ck,
                u64::from(ds.mode) == SEM_ALLOC | mask,
                "mode {:o}",
                ds.mode
            );
            ensure!(ck, ds.uid == uid && ds.gid == gid);
            ensure!(
                ck,
                ds.cuid == process::geteuid() && ds.cgid == process::getegid()
            );
        }
        for value in id {
            parent.snd(value as i64);
        }
        ensure!(ck, parent.rcv() == 0);
        for value in id {
            let _ = sem::semctl(value, 0, IPC_RMID, 0);
        }
    }
}

/// MINIX's `test_perm`: child 1 creates three sets with the masks, child 2
/// (`body`) tries them, for each access class and ownership variant.
fn test_perm(ck: &mut Ck, body: fn(&mut Link, &mut Ck), owner_test: bool) {
    for n in 0..7 {
        let (shift, drop1, drop2, sugid) = match n {
            0 => (6, Drop::All, Drop::All, SUGID_NONE),
            1 => (6, Drop::None, Drop::All, SUGID_NONROOT_USER),
            2 => (6, Drop::User, Drop::All, SUGID_ROOT_USER),
            3 => (3, Drop::None, Drop::User, SUGID_NONE),
            4 => (3, Drop::None, Drop::All, SUGID_NONROOT_GROUP),
            5 => (3, Drop::None, Drop::User, SUGID_NONROOT_GROUP),
            _ => (0, Drop::None, Drop::All, SUGID_NONE),
        };
        let mut child1 = spawn(test_perm_child, drop1);
        let mut child2 = spawn(body, drop2);
        for bit in 0..=7i64 {
            let mask = bit << shift;
            let rmask = 0o777 & !(7 << shift);
            child1.snd(mask);
            child1.snd(rmask);
            child1.snd(sugid);
            let id = [child1.rcv(), child1.rcv(), child1.rcv()];
            child2.snd(if owner_test { shift } else { bit });
            for value in id {
                child2.snd(value);
            }
            ensure!(ck, child2.rcv() == 0, "n {n} bit {bit}");
            child1.snd(0);
        }
        child1.snd(-1);
        child2.snd(-1);
        collect(ck, child1);
        collect(ck, child2);
    }
}

fn receive_ids(parent: &mut Link) -> Option<(i64, [u64; 3])> {
    let tbit = parent.rcv();
    if tbit == -1 {
        return None;
    }
    Some((
        tbit,
        [
            parent.rcv() as u64,
            parent.rcv() as u64,
            parent.rcv() as u64,
        ],
    ))
}

/// `r` succeeded iff `allowed`, and failed only with `error`.
fn allowed_iff<T: core::fmt::Debug>(
    ck: &mut Ck,
    line: u32,
    r: &Result<T, Errno>,
    allowed: bool,
    error: Errno,
) {
    match r {
        Ok(_) if allowed => {}
        Err(got) if !allowed && *got == error => {}
        other => ck.fail(
            line,
            &format!(
                "{other:?}, expected {}",
                if allowed { "success" } else { error.name() }
            ),
        ),
    }
}

// ----------------------------------------------------------------- 88a ---

fn test88a_perm(parent: &mut Link, ck: &mut Ck) {
    while let Some((tbit, id)) = receive_ids(parent) {
        for bit in 0..=7i64 {
            let mask = (bit << 6) as u64;
            let allowed = bit != 0 && (bit & tbit) == bit;
            for (key, expected) in [(KEY_A, id[0]), (KEY_B, id[1])] {
                let r = sem::semget(key, 0, mask);
                allowed_iff(ck, line!(), &r, allowed, Errno::EACCES);
                ensure!(ck, r.is_err() || r == Ok(expected));
            }
            ensure!(
                ck,
                errno(sem::semget(KEY_C, 0, mask)) == Some(Errno::EACCES)
            );
        }
        parent.snd(0);
    }
}

fn test88a(verdicts: &mut Verdicts) {
    let mut ck = Ck::default();
    let ids = [
        sem::semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600),
        sem::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0o600),
        sem::semget(IPC_PRIVATE, 1, 0o600),
    ];
    ensure!(ck, ids.iter().all(Result::is_ok), "{ids:?}");
    ensure!(ck, ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    for id in ids.iter().flatten() {
        ensure!(ck, sem::semctl(*id, 0, IPC_RMID, 0) == Ok(0));
    }
    ck.report(verdicts, "test88a-ipc-private-always-new");

    let mut ck = Ck::default();
    for key in [KEY_A, KEY_B] {
        if let Ok(id) = sem::semget(key, 0, 0o600) {
            ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0).is_ok());
        }
    }
    ensure!(
        ck,
        errno(sem::semget(KEY_A, 1, 0o600)) == Some(Errno::ENOENT)
    );
    let a = sem::semget(KEY_A, 1, IPC_CREAT | IPC_EXCL | 0o600);
    ensure!(ck, a.is_ok());
    ensure!(
        ck,
        errno(sem::semget(KEY_B, 1, 0o600)) == Some(Errno::ENOENT)
    );
    let b = sem::semget(KEY_B, 1, IPC_CREAT | 0o600);
    ensure!(ck, b.is_ok() && a != b);
    ensure!(ck, sem::semget(KEY_A, 1, 0o600) == a);
    ensure!(ck, sem::semget(KEY_B, 1, IPC_CREAT | 0o600) == b);
    ensure!(
        ck,
        errno(sem::semget(KEY_A, 1, IPC_CREAT | IPC_EXCL | 0o600)) == Some(Errno::EEXIST)
    );
    for id in [a, b].iter().flatten() {
        ensure!(ck, sem::semctl(*id, 0, IPC_RMID, 0) == Ok(0));
    }
    ck.report(verdicts, "test88a-keys-ipc-creat-ipc-excl");

    let mut ck = Ck::default();
    let seminfo = info();
    ensure!(
        ck,
        seminfo.semmni >= 3 && seminfo.semmni <= u32::from(u16::MAX)
    );
    let mut made = Vec::new();
    let mut last = Ok(0);
    for i in 0..=i64::from(seminfo.semmni) {
        last = sem::semget(KEY_A + i, 1, IPC_CREAT | 0o600);
        match last {
            Ok(id) => {
                ensure!(ck, !made.contains(&id), "id {id} twice");
                made.push(id);
            }
            Err(_) => break,
        }
    }
    ensure!(ck, errno(last) == Some(Errno::ENOSPC), "{last:?}");
    ensure!(
        ck,
        made.len() >= 3 && made.len() < seminfo.semmni as usize + 1,
        "{} made",
        made.len()
    );
    for id in made.iter().rev() {
        ensure!(ck, sem::semctl(*id, 0, IPC_RMID, 0) == Ok(0));
    }
    ck.report(verdicts, "test88a-enospc-past-semmni");

    let mut ck = Ck::default();
    let semmsl = i64::from(seminfo.semmsl);
    ensure!(
        ck,
        errno(sem::semget(KEY_A, -1, IPC_CREAT | 0o600)) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semget(KEY_A, 0, IPC_CREAT | 0o600)) == Some(Errno::EINVAL)
    );
    ensure!(ck, (3..=i64::from(u16::MAX)).contains(&semmsl));
    ensure!(
        ck,
        errno(sem::semget(KEY_A, semmsl + 1, IPC_CREAT | 0o600)) == Some(Errno::EINVAL)
    );
    let full = sem::semget(KEY_A, semmsl, IPC_CREAT | 0o600);
    ensure!(ck, full.is_ok());
    if let Ok(id) = full {
        ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    }
    let two = sem::semget(KEY_A, 2, IPC_CREAT | 0o600);
    ensure!(ck, two.is_ok());
    for nsems in [0, 1, 2] {
        ensure!(ck, sem::semget(KEY_A, nsems, 0o600) == two, "nsems {nsems}");
    }
    ensure!(
        ck,
        errno(sem::semget(KEY_A, 3, 0o600)) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semget(KEY_A, semmsl + 1, 0o600)) == Some(Errno::EINVAL)
    );
    if let Ok(id) = two {
        ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    }
    ck.report(verdicts, "test88a-nsems-bounds");

    let mut ck = Ck::default();
    let start = now();
    ensure!(ck, seminfo.semmns >= 3 + seminfo.semmsl);
    let first = sem::semget(IPC_PRIVATE, 3, IPC_CREAT | IPC_EXCL | 0o642).unwrap_or(u64::MAX);
    let second = sem::semget(KEY_A, semmsl, IPC_CREAT | 0o613).unwrap_or(u64::MAX);
    for (id, mode, key, nsems) in [
        (first, 0o642, IPC_PRIVATE, 3),
        (second, 0o613, KEY_A, semmsl),
    ] {
        let ds = sem::stat(id).unwrap_or_default();
        ensure!(
            ck,
            ds.uid == process::geteuid() && ds.gid == process::getegid()
        );
        ensure!(
            ck,
            ds.cuid == process::geteuid() && ds.cgid == process::getegid()
        );
        ensure!(
            ck,
            u64::from(ds.mode) == SEM_ALLOC | mode,
            "mode {:o}",
            ds.mode
        );
        ensure!(ck, ds.key == key && i64::from(ds.nsems) == nsems);
        ensure!(ck, ds.otime == 0);
        ensure!(
            ck,
            ds.ctime >= start && ds.ctime < start + 10,
            "ctime {} now {start}",
            ds.ctime
        );
        for num in 0..nsems as u64 {
            test_sem!(ck, id, num, 0, 0, 0, 0);
        }
    }
    ensure!(ck, sem::semctl(second, 0, IPC_RMID, 0) == Ok(0));
    ensure!(ck, sem::semctl(first, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88a-initial-state-ipc-stat");

    let mut ck = Ck::default();
    let id = sem::semget(KEY_A, 1, IPC_CREAT | IPC_EXCL);
    ensure!(ck, id.is_ok());
    ensure!(ck, sem::semget(KEY_A, 0, 0o600) == id);
    ensure!(ck, sem::semget(KEY_A, 0, 0) == id);
    if let Ok(id) = id {
        ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    }
    ck.report(verdicts, "test88a-root-opens-mode-0000");

    let mut ck = Ck::default();
    test_perm(&mut ck, test88a_perm, false);
    ck.report(verdicts, "test88a-semget-permissions");
}

// ----------------------------------------------------------------- 88b ---

fn test88b_perm(parent: &mut Link, ck: &mut Ck) {
    while let Some((tbit, id)) = receive_ids(parent) {
        for i in 0..8 {
            let mut sops = [SemOp::default(); 2];
            let (nsops, bit) = match i {
                0 => (1, 4),
                1 => {
                    sops[0].op = 1;
                    (1, 2)
                }
                2 => {
                    sops[0].op = -1;
                    (1, 2)
                }
                3 => {
                    sops[1].op = 1;
                    (2, 6)
                }
                4 => {
                    sops[0].num = 1;
                    sops[1].op = -1;
                    (2, 6)
                }
                5 => {
                    sops[1].num = 1;
                    (2, 4)
                }
                6 => {
                    sops[0].op = 1;
                    sops[1].op = -1;
                    (2, 2)
                }
                _ => {
                    sops[0].num = u16::MAX;
                    (2, 4)
                }
            };
            for set in [id[0], id[1]] {
                let mut r = sem::semop(set, &sops[..nsops]);
                if i == 7 && r == Err(Errno::EFBIG) {
                    r = Ok(());
                }
                allowed_iff(ck, line!(), &r, (bit & tbit) == bit, Errno::EACCES);
            }
            ensure!(
                ck,
                errno(sem::semop(id[2], &sops[..nsops])) == Some(Errno::EACCES),
                "case {i}"
            );
        }
        parent.snd(0);
    }
}

static NR_SIGNALS: AtomicU64 = AtomicU64::new(0);

extern "C" fn got_signal(_signal: u64) {
    NR_SIGNALS.fetch_add(1, Ordering::SeqCst);
}

fn test88b_child(parent: &mut Link, ck: &mut Ck) {
    let id = parent.rcv() as u64;
    ensure!(ck, sem::semop(id, &[op(0, 0)]).is_ok());
    ensure!(ck, parent.rcv() == 1);
    ensure!(ck, sem::semop(id, &[op(0, -3)]).is_ok());
    ensure!(ck, parent.rcv() == 2);
    ensure!(ck, sem::semop(id, &[op(2, 2), op(1, -1), op(0, 1)]).is_ok());
    ensure!(ck, parent.rcv() == 3);
    ensure!(
        ck,
        sem::semop(id, &[op(1, 0), op(1, 1), op(0, 0), op(2, 0), op(2, 1)]).is_ok()
    );
    ensure!(ck, parent.rcv() == 4);
    ensure!(ck, sem::semop(id, &[op(1, -2), op(2, 0)]).is_ok());
    ensure!(ck, parent.rcv() == 5);
    ensure!(
        ck,
        sem::semop(id, &[op(0, -1), SemOp::new(1, -1, IPC_NOWAIT)]).is_ok()
    );
    ensure!(ck, parent.rcv() == 6);
    let r = sem::semop(id, &[op(1, 0), SemOp::new(0, 0, IPC_NOWAIT)]);
    ensure!(ck, r == Err(Errno::EAGAIN), "{r:?}");
    ensure!(ck, parent.rcv() == 7);
    ensure!(ck, sem::semop(id, &[op(0, 0), op(1, 1)]).is_ok());
    ensure!(ck, parent.rcv() == 8);
    // Blocks on sem 0; retried when the parent posts, sem 1 would overflow:
    // the waiter is answered ERANGE.
    let r = sem::semop(id, &[op(0, -1), op(1, 2)]);
    ensure!(ck, r == Err(Errno::ERANGE), "{r:?}");
    ensure!(ck, signal::catch(Signal::SIGHUP, got_signal).is_ok());
    ensure!(ck, parent.rcv() == 9);
    let r = sem::semop(id, &[op(0, 0), op(0, 1), op(1, 0)]);
    ensure!(ck, r == Err(Errno::EINTR), "{r:?}");
    ensure!(ck, NR_SIGNALS.load(Ordering::SeqCst) == 1);
    test_sem!(ck, id, 0, 0, parent.pid, 0, 0);
    test_sem!(ck, id, 1, 1, parent.pid, 0, 0);
    ensure!(ck, parent.rcv() == 10);
    let r = sem::semop(id, &[op(0, -3)]);
    ensure!(ck, r == Err(Errno::EIDRM), "{r:?}");
    let id = parent.rcv() as u64;
    let r = sem::semop(id, &[op(0, -1), op(1, 1)]);
    ensure!(ck, r == Err(Errno::ERANGE), "woken by SETVAL: {r:?}");
    ensure!(ck, parent.rcv() == 11);
    ensure!(ck, sem::semop(id, &[op(1, 0), op(0, -1)]).is_ok());
    let id = parent.rcv() as u64;
    ensure!(ck, sem::semop(id, &[op(0, -1), op(1, 0)]).is_ok());
    parent.snd(ck.count() as i64);
    ensure!(ck, parent.rcv() == 12);
    // Killed during this call: it must not return.
    let _ = sem::semop(id, &[op(1, -1), op(0, 3)]);
    ensure!(ck, false, "returned from the semop it was killed in");
}

fn test88b(verdicts: &mut Verdicts) {
    let seminfo = info();
    let semvmx = i64::from(seminfo.semvmx);
    let semopm = seminfo.semopm as usize;
    let mut ck = Ck::default();
    ensure!(ck, semopm >= 3 && semopm <= usize::from(u16::MAX));
    let id = sem::semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap_or(u64::MAX);
    ensure!(ck, sem::semop(id, &[]).is_ok());
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    let start = now();
    let zero = [SemOp::default(); 8];
    ensure!(ck, sem::semop(id, &zero[..1]).is_ok());
    test_sem!(ck, id, 0, 0, process::getpid(), 0, 0);
    let otime = sem::stat(id).map(|ds| ds.otime).unwrap_or(0);
    ensure!(
        ck,
        otime >= start && otime < start + 10,
        "otime {otime} now {start}"
    );
    ck.report(verdicts, "test88b-sempid-and-otime");

    let mut ck = Ck::default();
    ensure!(ck, sem::semop(id, &zero[..semopm]).is_ok());
    let r = sem::semop_counted(id, &zero[..semopm], semopm as u64 + 1);
    ensure!(ck, r == Err(Errno::E2BIG), "{r:?}");
    let r = sem::semop_counted(id, &zero[..semopm], u64::MAX);
    ensure!(ck, r == Err(Errno::E2BIG), "{r:?}");
    ck.report(verdicts, "test88b-e2big-past-semopm");

    let mut ck = Ck::default();
    let r = sem::semop(id, &[op(0, 0), op(1, 0)]);
    ensure!(ck, r == Err(Errno::EFBIG), "{r:?}");
    let r = sem::semop(id, &[op(0, 0), op(u16::MAX, 0)]);
    ensure!(ck, r == Err(Errno::EFBIG), "{r:?}");
    ck.report(verdicts, "test88b-efbig-bad-semaphore-number");

    let mut ck = Ck::default();
    ensure!(ck, (3..=i64::from(i16::MAX)).contains(&semvmx));
    let nowait = |delta: i64| SemOp::new(0, delta as i16, IPC_NOWAIT);
    if semvmx < i64::from(i16::MAX) {
        ensure!(
            ck,
            errno(sem::semop(id, &[nowait(semvmx + 1)])) == Some(Errno::ERANGE)
        );
        test_sem!(ck, id, 0, 0, -1, -1, -1);
    }
    ensure!(ck, sem::semop(id, &[nowait(semvmx)]).is_ok());
    test_sem!(ck, id, 0, semvmx, -1, -1, -1);
    for delta in [1, semvmx, i64::from(i16::MAX)] {
        ensure!(
            ck,
            errno(sem::semop(id, &[nowait(delta)])) == Some(Errno::ERANGE),
            "+{delta}"
        );
        test_sem!(ck, id, 0, semvmx, -1, -1, -1);
    }
    if semvmx < -i64::from(i16::MIN) {
        ensure!(
            ck,
            errno(sem::semop(id, &[nowait(-semvmx - 1)])) == Some(Errno::EAGAIN)
        );
        test_sem!(ck, id, 0, semvmx, -1, -1, -1);
    }
    ensure!(ck, sem::semop(id, &[nowait(-semvmx)]).is_ok());
    test_sem!(ck, id, 0, 0, -1, -1, -1);
    ck.report(verdicts, "test88b-erange-at-semvmx");

    let mut ck = Ck::default();
    ensure!(ck, sem::semop(id, &[nowait(0)]).is_ok());
    ensure!(ck, sem::semop(id, &[nowait(2)]).is_ok());
    test_sem!(ck, id, 0, 2, -1, -1, -1);
    ensure!(
        ck,
        errno(sem::semop(id, &[nowait(0)])) == Some(Errno::EAGAIN)
    );
    ensure!(
        ck,
        errno(sem::semop(id, &[nowait(-3)])) == Some(Errno::EAGAIN)
    );
    ensure!(ck, sem::semop(id, &[nowait(1)]).is_ok());
    test_sem!(ck, id, 0, 3, -1, -1, -1);
    ensure!(ck, sem::semop(id, &[nowait(-1)]).is_ok());
    test_sem!(ck, id, 0, 2, -1, -1, -1);
    ensure!(
        ck,
        errno(sem::semop(id, &[nowait(0)])) == Some(Errno::EAGAIN)
    );
    ensure!(ck, sem::semop(id, &[nowait(-2)]).is_ok());
    test_sem!(ck, id, 0, 0, -1, -1, -1);
    ensure!(ck, sem::semop(id, &[nowait(0)]).is_ok());
    ck.report(verdicts, "test88b-ipc-nowait-single-semaphore");

    let mut ck = Ck::default();
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ensure!(ck, errno(sem::semop(id, &[])) == Some(Errno::EINVAL));
    ensure!(ck, errno(sem::semop(minus(-1), &[])) == Some(Errno::EINVAL));
    ensure!(
        ck,
        errno(sem::semop(minus(i64::from(i32::MIN)), &[])) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semop(u64::from(seminfo.semmni), &[])) == Some(Errno::EINVAL)
    );
    ck.report(verdicts, "test88b-einval-bad-identifier");

    let mut ck = Ck::default();
    test_perm(&mut ck, test88b_perm, false);
    ck.report(verdicts, "test88b-semop-permissions-and-array-order");

    test88b_retry_error(verdicts, semvmx);
    test88b_blocking(verdicts, semvmx);
}

/// The blocking half of 88b, with its child, step by step as in MINIX.
fn test88b_blocking(verdicts: &mut Verdicts, semvmx: i64) {
    let mut ck = Ck::default();
    let me = process::getpid();
    let id = sem::semget(IPC_PRIVATE, 3, 0o600).unwrap_or(u64::MAX);
    ensure!(ck, sem::semop(id, &[op(0, 1)]).is_ok());
    test_sem!(ck, id, 0, 1, me, 0, 0);
    let mut child = spawn(test88b_child, Drop::None);
    let kid = child.pid;
    child.snd(id as i64);
    usleep();
    test_sem!(ck, id, 0, 1, me, 0, 1);
    ensure!(ck, sem::semop(id, &[op(0, -1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    ensure!(ck, sem::semop(id, &[op(0, 1)]).is_ok());
    test_sem!(ck, id, 0, 1, me, 0, 0);
    child.snd(1);
    usleep();
    test_sem!(ck, id, 0, 1, me, 1, 0);
    // A (fruitless) retry of the blocked operation.
    ensure!(ck, sem::semop(id, &[op(0, 1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 2, me, 1, 0);
    ensure!(ck, sem::semop(id, &[op(0, 1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    ck.report(verdicts, "test88b-single-blocking-operation");

    // Multiple (partially) blocking operations and atomicity.
    let mut ck = Ck::default();
    ensure!(ck, sem::semop(id, &[op(0, 0)]).is_ok());
    child.snd(2);
    usleep();
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 0, 0, 1, 0);
    test_sem!(ck, id, 2, 0, 0, 0, 0);
    ensure!(ck, sem::semop(id, &[op(1, 1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 1, kid, 0, 0);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    test_sem!(ck, id, 2, 2, kid, 0, 0);
    // Two blocking operations in one call, resolved at once.
    child.snd(3);
    usleep();
    test_sem!(ck, id, 0, 1, kid, 0, 1);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    test_sem!(ck, id, 2, 2, kid, 0, 0);
    ensure!(ck, sem::semop(id, &[op(0, -1), op(2, -2)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 1, kid, 0, 0);
    test_sem!(ck, id, 2, 1, kid, 0, 0);
    // Two blocking operations in one call, resolved one by one.
    child.snd(4);
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 1, kid, 1, 0);
    test_sem!(ck, id, 2, 1, kid, 0, 0);
    ensure!(ck, sem::semop(id, &[op(1, 1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 2, me, 0, 0);
    test_sem!(ck, id, 2, 1, kid, 0, 1);
    ensure!(ck, sem::semop(id, &[op(2, -1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    test_sem!(ck, id, 2, 0, kid, 0, 0);
    // One blocking op followed by a nonblocking one, cleared at once.
    ensure!(ck, sem::semop(id, &[op(0, 0), op(1, 0)]).is_ok());
    child.snd(5);
    usleep();
    test_sem!(ck, id, 0, 0, me, 1, 0);
    test_sem!(ck, id, 1, 0, me, 0, 0);
    ensure!(ck, sem::semop(id, &[op(0, 1), op(1, 1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    // One blocking op followed by a nonblocking one, only one cleared.
    ensure!(ck, sem::semop(id, &[op(0, 1), op(1, 1)]).is_ok());
    child.snd(6);
    usleep();
    test_sem!(ck, id, 0, 1, me, 0, 0);
    test_sem!(ck, id, 1, 1, me, 0, 1);
    ensure!(ck, sem::semop(id, &[op(1, -1)]).is_ok());
    usleep();
    test_sem!(ck, id, 0, 1, me, 0, 0);
    test_sem!(ck, id, 1, 0, me, 0, 0);
    // Every semaphore number is checked at once.
    let r = sem::semop(id, &[op(0, 0), op(4, 0)]);
    ensure!(ck, r == Err(Errno::EFBIG), "{r:?}");
    ck.report(
        verdicts,
        "test88b-multiple-blocking-operations-in-array-order",
    );

    // Overflow detected when the operation is actually processed: the
    // waiter's retry fails with ERANGE and it is answered so.
    let mut ck = Ck::default();
    ensure!(
        ck,
        sem::semop(id, &[SemOp::new(1, semvmx as i16, 0)]).is_ok()
    );
    child.snd(7);
    usleep();
    test_sem!(ck, id, 0, 1, me, 0, 1);
    test_sem!(ck, id, 1, semvmx, me, 0, 0);
    ensure!(ck, sem::semop(id, &[op(0, -1), op(1, -1)]).is_ok());
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, semvmx, kid, 0, 0);
    ensure!(ck, sem::semop(id, &[op(1, -2)]).is_ok());
    child.snd(8);
    usleep();
    test_sem!(ck, id, 0, 0, kid, 1, 0);
    test_sem!(ck, id, 1, semvmx - 2, me, 0, 0);
    ensure!(ck, sem::semop(id, &[op(0, 1), op(1, 1)]).is_ok());
    test_sem!(ck, id, 0, 1, me, 0, 0);
    test_sem!(ck, id, 1, semvmx - 1, me, 0, 0);
    let big = (semvmx - 1) as i16;
    let r = sem::semop(id, &[op(0, big), op(0, big), op(0, 2)]);
    ensure!(ck, r == Err(Errno::ERANGE), "{r:?}");
    test_sem!(ck, id, 0, 1, me, 0, 0);
    ck.report(verdicts, "test88b-erange-when-processed-waiter-answered");

    // EINTR, with the three-operation form so that rollback is exercised.
    let mut ck = Ck::default();
    ensure!(ck, sem::semctl(id, 1, SETVAL, 0) == Ok(0));
    ensure!(ck, sem::semop(id, &[op(0, -1), op(1, 1)]).is_ok());
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 1, me, 0, 0);
    child.snd(9);
    usleep();
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 1, me, 0, 1);
    ensure!(ck, signal::kill(kid, Signal::SIGHUP).is_ok());
    ck.report(verdicts, "test88b-eintr-three-operations-rolled-back");

    // EIDRM.
    let mut ck = Ck::default();
    child.snd(10);
    usleep();
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88b-eidrm-for-a-waiter");

    // otime, and SETVAL waking a waiter (ERANGE first, then success).
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 2, 0o600).unwrap_or(u64::MAX);
    child.snd(id as i64);
    usleep();
    test_sem!(ck, id, 0, 0, 0, 1, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    ensure!(ck, sem::semctl(id, 1, SETVAL, semvmx as u64) == Ok(0));
    test_sem!(ck, id, 0, 0, 0, 1, 0);
    test_sem!(ck, id, 1, semvmx, 0, 0, 0);
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    ensure!(ck, sem::semctl(id, 0, SETVAL, 1) == Ok(0));
    test_sem!(ck, id, 0, 1, 0, 0, 0);
    test_sem!(ck, id, 1, semvmx, 0, 0, 0);
    ensure!(ck, sem::semctl(id, 0, SETVAL, 0) == Ok(0));
    child.snd(11);
    usleep();
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    test_sem!(ck, id, 1, semvmx, 0, 0, 1);
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    ensure!(ck, sem::semctl(id, 1, SETVAL, 0) == Ok(0));
    test_sem!(ck, id, 0, 0, 0, 1, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    let start = now();
    ensure!(ck, sem::semctl(id, 0, SETVAL, 2) == Ok(0));
    test_sem!(ck, id, 0, 1, kid, 0, 0);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    let otime = sem::stat(id).map(|ds| ds.otime).unwrap_or(0);
    ensure!(
        ck,
        otime >= start && otime < start + 10,
        "otime {otime} now {start}"
    );
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88b-setval-wakes-waiters-erange-then-ok");

    // The same for SETALL.
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 2, 0o600).unwrap_or(u64::MAX);
    child.snd(id as i64);
    usleep();
    test_sem!(ck, id, 0, 0, 0, 1, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    for (values, n0, z1) in [
        ([1, 1], 0, 1),
        ([0, 1], 1, 0),
        ([1, 1], 0, 1),
        ([0, 0], 1, 0),
    ] {
        ensure!(ck, sem::setall(id, &values).is_ok());
        test_sem!(ck, id, 0, values[0], 0, n0, 0);
        test_sem!(ck, id, 1, values[1], 0, 0, z1);
    }
    ensure!(ck, sem::stat(id).map(|ds| ds.otime) == Ok(0));
    let start = now();
    ensure!(ck, sem::setall(id, &[1, 0]).is_ok());
    test_sem!(ck, id, 0, 0, kid, 0, 0);
    test_sem!(ck, id, 1, 0, kid, 0, 0);
    let otime = sem::stat(id).map(|ds| ds.otime).unwrap_or(0);
    ensure!(
        ck,
        otime >= start && otime < start + 10,
        "otime {otime} now {start}"
    );
    ck.report(verdicts, "test88b-setall-wakes-waiters");

    // SIGKILL: the killed child's blocked call is cancelled.
    let mut ck = Ck::default();
    ensure!(ck, sem::semop(id, &[op(0, 0), op(1, 0)]).is_ok());
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 0, me, 0, 0);
    let child_failures = child.rcv();
    ensure!(
        ck,
        child_failures == 0,
        "the child had {child_failures} failures (see its lines)"
    );
    child.snd(12);
    usleep();
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 0, me, 1, 0);
    terminate(&mut ck, child);
    test_sem!(ck, id, 0, 0, me, 0, 0);
    test_sem!(ck, id, 1, 0, me, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88b-sigkill-cancels-blocked-call");
}

/// A waiter whose retried operation fails is answered with the error (the
/// set unchanged), not left blocked: MINIX's `check_set`.
fn test88b_retry_error(verdicts: &mut Verdicts, semvmx: i64) {
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 2, 0o600).unwrap_or(u64::MAX);
    let waiter = match process::fork() {
        Ok(0) => process::exit(match sem::semop(id, &[op(0, -1), op(1, 1)]) {
            Ok(()) => 0,
            Err(error) => error as i32,
        }),
        Ok(pid) => pid,
        Err(_) => 0,
    };
    usleep();
    test_sem!(ck, id, 0, 0, 0, 1, 0);
    ensure!(ck, sem::semctl(id, 1, SETVAL, semvmx as u64) == Ok(0));
    ensure!(ck, sem::semctl(id, 0, SETVAL, 1) == Ok(0));
    let deadline = time::clock_ns() + 2_000_000_000;
    let mut status = Ok(None);
    while time::clock_ns() < deadline {
        status = process::try_wait_for(waiter);
        if !matches!(status, Ok(None)) {
            break;
        }
        let _ = time::sleep_ms(10);
    }
    if status == Ok(None) {
        let _ = signal::kill(waiter, Signal::SIGKILL);
        let _ = process::reap(waiter);
    }
    ensure!(
        ck,
        status == Ok(Some(ExitStatus::Exited(Errno::ERANGE as i64))),
        "waiter {status:?} (Ok(None): still blocked after 2 s)"
    );
    test_sem!(ck, id, 0, 1, 0, 0, 0);
    test_sem!(ck, id, 1, semvmx, 0, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88b-waiter-whose-retry-fails-gets-the-error");
}

// ----------------------------------------------------------------- 88c ---

fn test88c_perm1(parent: &mut Link, ck: &mut Ck) {
    while let Some((tbit, id)) = receive_ids(parent) {
        let both = |ck: &mut Ck, line: u32, bit: i64, call: &dyn Fn(u64) -> Result<u64, Errno>| {
            for set in [id[0], id[1]] {
                allowed_iff(ck, line, &call(set), (bit & tbit) == bit, Errno::EACCES);
            }
            if call(id[2]) != Err(Errno::EACCES) {
                ck.fail(line, "third set not EACCES");
            }
        };
        for cmd in [GETVAL, GETPID, GETNCNT, GETZCNT] {
            both(ck, line!(), 4, &|set| sem::semctl(set, 0, cmd, 0));
        }
        both(ck, line!(), 2, &|set| sem::semctl(set, 0, SETVAL, 0));
        both(ck, line!(), 4, &|set| {
            sem::getall(set, &mut [0; 3]).map(|()| 0)
        });
        both(ck, line!(), 2, &|set| sem::setall(set, &[0; 3]).map(|()| 0));
        both(ck, line!(), 4, &|set| sem::stat(set).map(|_| 0));
        both(ck, line!(), 4, &|set| {
            sem::stat_slot(set & 0xffff).map(|_| 0)
        });
        ensure!(ck, sem::info(IPC_INFO).is_ok());
        ensure!(ck, sem::info(SEM_INFO).is_ok());
        parent.snd(0);
    }
}

fn test88c_perm2(parent: &mut Link, ck: &mut Ck) {
    while let Some((shift, id)) = receive_ids(parent) {
        for set in id {
            let r = sem::set_owner(set, 0, 0, 0);
            allowed_iff(ck, line!(), &r, shift == 6, Errno::EPERM);
        }
        parent.snd(0);
    }
}

fn test88c_perm3(parent: &mut Link, ck: &mut Ck) {
    while let Some((shift, id)) = receive_ids(parent) {
        for set in id {
            let r = sem::semctl(set, 0, IPC_RMID, 0);
            allowed_iff(ck, line!(), &r, shift == 6, Errno::EPERM);
        }
        parent.snd(0);
    }
}

fn wait_next_second(since: u32) -> u32 {
    while now() == since {
        let _ = time::sleep_ms(250);
    }
    now()
}

fn test88c(verdicts: &mut Verdicts) {
    let seminfo = info();
    let semvmx = u64::from(seminfo.semvmx);
    let mut ck = Ck::default();
    test_perm(&mut ck, test88c_perm1, false);
    ck.report(verdicts, "test88c-permissions-read-and-write-commands");
    let mut ck = Ck::default();
    test_perm(&mut ck, test88c_perm2, true);
    ck.report(verdicts, "test88c-permissions-ipc-set-owner-eperm");
    let mut ck = Ck::default();
    test_perm(&mut ck, test88c_perm3, true);
    ck.report(verdicts, "test88c-permissions-ipc-rmid-owner-eperm");

    let badid1 = sem::semget(IPC_PRIVATE, 1, 0o600).unwrap_or(u64::MAX);
    let _ = sem::semctl(badid1, 0, IPC_RMID, 0);
    let badid2 = u64::from(seminfo.semmni);
    let bad_ids = [badid1, badid2, minus(-1), minus(i64::from(i32::MIN))];
    let id = sem::semget(IPC_PRIVATE, 3, IPC_CREAT | 0o600).unwrap_or(u64::MAX);

    let mut ck = Ck::default();
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime != 0);
    let mut start = wait_next_second(ds.ctime);
    for cmd in [GETVAL, GETPID, GETNCNT, GETZCNT] {
        for num in 0..3 {
            ensure!(
                ck,
                sem::semctl(id, num, cmd, 0) == Ok(0),
                "cmd {cmd} num {num}"
            );
        }
        for bad in bad_ids {
            ensure!(
                ck,
                errno(sem::semctl(bad, 0, cmd, 0)) == Some(Errno::EINVAL)
            );
        }
        ensure!(
            ck,
            errno(sem::semctl(id, minus(-1), cmd, 0)) == Some(Errno::EINVAL)
        );
        ensure!(ck, errno(sem::semctl(id, 3, cmd, 0)) == Some(Errno::EINVAL));
        let ds = sem::stat(id).unwrap_or_default();
        ensure!(ck, ds.otime == 0 && ds.ctime < start);
    }
    ck.report(verdicts, "test88c-get-commands");

    let mut ck = Ck::default();
    for num in 0..5i64 {
        let mut val = [u16::MAX; 4];
        ensure!(ck, sem::getall(id, &mut val[..3]).is_ok());
        ensure!(ck, val == [0, 0, 0, u16::MAX], "num {num}: {val:?}");
    }
    for bad in bad_ids {
        ensure!(
            ck,
            errno(sem::getall(bad, &mut [0; 3])) == Some(Errno::EINVAL)
        );
    }
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime < start);
    ck.report(verdicts, "test88c-getall");

    let mut ck = Ck::default();
    for bad in bad_ids {
        ensure!(ck, errno(sem::stat(bad)) == Some(Errno::EINVAL));
    }
    ensure!(ck, sem::stat(id).is_ok());
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime < start);
    ck.report(verdicts, "test88c-ipc-stat");

    let mut ck = Ck::default();
    let id2 = sem::semget(KEY_A, i64::from(seminfo.semmsl), IPC_CREAT | 0o642).unwrap_or(u64::MAX);
    ensure!(ck, errno(sem::stat_slot(minus(-1))) == Some(Errno::EINVAL));
    ensure!(
        ck,
        errno(sem::stat_slot(u64::from(seminfo.semmni))) == Some(Errno::EINVAL)
    );
    let mut seen = [0; 2];
    for i in 0..u64::from(seminfo.semmni) {
        let Ok((r, ds)) = sem::stat_slot(i) else {
            continue;
        };
        ensure!(ck, u64::from(ds.mode) & SEM_ALLOC != 0 && ds.ctime != 0);
        ensure!(ck, r & 0xffff == i);
        if r == id {
            seen[0] += 1;
            ensure!(ck, u64::from(ds.mode) == SEM_ALLOC | 0o600);
            ensure!(
                ck,
                ds.uid == process::geteuid() && ds.gid == process::getegid()
            );
            ensure!(ck, ds.cuid == ds.uid && ds.cgid == ds.gid);
            ensure!(ck, ds.key == IPC_PRIVATE && ds.nsems == 3 && ds.otime == 0);
        } else if r == id2 {
            seen[1] += 1;
            ensure!(ck, u64::from(ds.mode) == SEM_ALLOC | 0o642);
            ensure!(ck, ds.key == KEY_A && ds.nsems == seminfo.semmsl);
        }
    }
    ensure!(ck, seen == [1, 1], "{seen:?}");
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime < start);
    ck.report(verdicts, "test88c-sem-stat");

    let mut ck = Ck::default();
    for bad in bad_ids {
        ensure!(
            ck,
            errno(sem::semctl(bad, 0, SETVAL, 1)) == Some(Errno::EINVAL)
        );
    }
    ensure!(
        ck,
        errno(sem::semctl(id, minus(-1), SETVAL, 1)) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semctl(id, 3, SETVAL, 1)) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semctl(id, 0, SETVAL, minus(-1))) == Some(Errno::ERANGE)
    );
    ensure!(
        ck,
        errno(sem::semctl(id, 0, SETVAL, semvmx + 1)) == Some(Errno::ERANGE)
    );
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime < start);
    ensure!(ck, sem::semctl(id, 1, SETVAL, 0) == Ok(0));
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(
        ck,
        ds.otime == 0 && ds.ctime >= start && ds.ctime < start + 10
    );
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    ensure!(ck, sem::semctl(id, 2, SETVAL, semvmx) == Ok(0));
    test_sem!(ck, id, 2, semvmx, 0, 0, 0);
    ensure!(ck, sem::semctl(id, 0, SETVAL, 1) == Ok(0));
    test_sem!(ck, id, 0, 1, 0, 0, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    test_sem!(ck, id, 2, semvmx, 0, 0, 0);
    let mut val = [0u16; 3];
    ensure!(ck, sem::getall(id, &mut val).is_ok());
    ensure!(ck, val == [1, 0, semvmx as u16], "{val:?}");
    ck.report(verdicts, "test88c-setval");

    let mut ck = Ck::default();
    let ds = sem::stat(id).unwrap_or_default();
    start = wait_next_second(ds.ctime);
    for bad in bad_ids {
        ensure!(
            ck,
            errno(sem::setall(bad, &[1, 1, 1])) == Some(Errno::EINVAL)
        );
    }
    let over = semvmx as u16 + 1;
    ensure!(
        ck,
        errno(sem::setall(id, &[over, 0, 0])) == Some(Errno::ERANGE)
    );
    ensure!(
        ck,
        errno(sem::setall(id, &[0, 1, over])) == Some(Errno::ERANGE)
    );
    test_sem!(ck, id, 0, 1, 0, 0, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    test_sem!(ck, id, 2, semvmx, 0, 0, 0);
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.otime == 0 && ds.ctime < start);
    ensure!(ck, sem::setall(id, &[semvmx as u16, 0, 0]).is_ok());
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(
        ck,
        ds.otime == 0 && ds.ctime >= start && ds.ctime < start + 10
    );
    test_sem!(ck, id, 0, semvmx, 0, 0, 0);
    test_sem!(ck, id, 1, 0, 0, 0, 0);
    test_sem!(ck, id, 2, 0, 0, 0, 0);
    ensure!(ck, sem::setall(id, &[0, 1, semvmx as u16]).is_ok());
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    test_sem!(ck, id, 1, 1, 0, 0, 0);
    test_sem!(ck, id, 2, semvmx, 0, 0, 0);
    ensure!(ck, sem::setall(id, &[0, 0, 0]).is_ok());
    test_sem!(ck, id, 2, 0, 0, 0, 0);
    ck.report(verdicts, "test88c-setall");

    let mut ck = Ck::default();
    let ds = sem::stat(id).unwrap_or_default();
    start = wait_next_second(ds.ctime);
    for bad in bad_ids {
        ensure!(
            ck,
            errno(sem::set_owner(bad, 0, 0, 0o600)) == Some(Errno::EINVAL)
        );
    }
    let old = sem::stat(id).unwrap_or_default();
    ensure!(ck, old.otime == 0 && old.ctime < start);
    ensure!(
        ck,
        sem::set_owner(id, u32::MAX, u32::MAX - 1, 0o712).is_ok()
    );
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, u64::from(ds.mode) == SEM_ALLOC | 0o712);
    ensure!(ck, ds.uid == u32::MAX && ds.gid == u32::MAX - 1);
    ensure!(ck, ds.cuid == old.cuid && ds.cgid == old.cgid);
    ensure!(
        ck,
        ds.key == old.key && ds.nsems == old.nsems && ds.otime == old.otime
    );
    ensure!(ck, ds.ctime >= start && ds.ctime < start + 10);
    for mode in 0..0o777u32 {
        ensure!(ck, sem::set_owner(id, old.uid, old.gid, mode).is_ok());
        let got = sem::stat(id).map(|ds| ds.mode);
        ensure!(
            ck,
            got == Ok(SEM_ALLOC as u32 | mode),
            "mode {mode:o}: {got:?}"
        );
        ensure!(
            ck,
            sem::set_owner(id, old.uid, old.gid, !0o777 | mode).is_ok()
        );
        let got = sem::stat(id).map(|ds| ds.mode);
        ensure!(
            ck,
            got == Ok(SEM_ALLOC as u32 | mode),
            "mode !0777|{mode:o}: {got:?}"
        );
    }
    let ds = sem::stat(id).unwrap_or_default();
    ensure!(ck, ds.uid == old.uid && ds.gid == old.gid);
    ck.report(verdicts, "test88c-ipc-set");

    let mut ck = Ck::default();
    for bad in bad_ids {
        ensure!(
            ck,
            errno(sem::semctl(bad, 0, IPC_RMID, 0)) == Some(Errno::EINVAL)
        );
    }
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ensure!(
        ck,
        errno(sem::semctl(id, 0, IPC_RMID, 0)) == Some(Errno::EINVAL)
    );
    ensure!(ck, errno(sem::stat(id)) == Some(Errno::EINVAL));
    ensure!(ck, sem::semctl(id2, 1, IPC_RMID, 0) == Ok(0));
    ensure!(
        ck,
        errno(sem::semctl(id2, 1, IPC_RMID, 0)) == Some(Errno::EINVAL)
    );
    ck.report(verdicts, "test88c-ipc-rmid");

    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 3, 0o600).unwrap_or(u64::MAX);
    let id2 = sem::semget(IPC_PRIVATE, 1, 0o600).unwrap_or(u64::MAX);
    for cmd in [IPC_INFO, SEM_INFO] {
        let got = sem::info(cmd);
        ensure!(ck, got.is_ok());
        let (r, info) = got.unwrap_or_default();
        ensure!(ck, r >= 1 && r < u64::from(info.semmni), "highest slot {r}");
        let short = 3..=u32::from(u16::MAX);
        ensure!(
            ck,
            short.contains(&info.semmni) && short.contains(&info.semmns)
        );
        ensure!(
            ck,
            short.contains(&info.semmsl) && short.contains(&info.semopm)
        );
        if cmd == SEM_INFO {
            ensure!(ck, info.semusz >= 2 && info.semaem >= 4, "{info:?}");
        }
        ensure!(ck, (3..=i16::MAX as u32).contains(&info.semvmx));
        // The set identifier and number are ignored.
        ensure!(ck, sem::semctl(i32::MAX as u64, minus(-1), cmd, 0).is_ok());
        ensure!(ck, sem::semctl(minus(-1), i32::MAX as u64, cmd, 0).is_ok());
    }
    ensure!(ck, sem::semctl(id2, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88c-ipc-info-sem-info");

    let mut ck = Ck::default();
    ensure!(
        ck,
        errno(sem::semctl(id, 0, minus(i64::from(i32::MIN)), 0)) == Some(Errno::EINVAL)
    );
    ensure!(
        ck,
        errno(sem::semctl(id, 0, i32::MAX as u64, 0)) == Some(Errno::EINVAL)
    );
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88c-invalid-commands");
}

// ----------------------------------------------------------------- 88d ---

fn test88d(verdicts: &mut Verdicts) {
    // MINIX: an all-ones (but positive) flag field is EINVAL. It includes
    // SEM_UNDO, which we serve; the unknown bits alone make it EINVAL.
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 1, 0o600).unwrap_or(u64::MAX);
    ensure!(ck, i16::MAX as u16 & SEM_UNDO != 0);
    let r = sem::semop(id, &[SemOp::new(0, 1, i16::MAX as u16)]);
    ensure!(ck, r == Err(Errno::EINVAL), "{r:?}");
    let r = sem::semop(id, &[SemOp::new(0, 1, 0o100)]);
    ensure!(ck, r == Err(Errno::EINVAL), "one unknown bit: {r:?}");
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88d-unknown-sem-flg-bits-einval");

    // SEM_UNDO (our extension): a process's adjustments are applied when
    // it exits, before its EXIT event is acked, so the parent's wait sees
    // the values restored.
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 2, 0o600).unwrap_or(u64::MAX);
    ensure!(ck, sem::semctl(id, 0, SETVAL, 5) == Ok(0));
    let child = match process::fork() {
        Ok(0) => {
            let taken = sem::semop(
                id,
                &[SemOp::new(0, -2, SEM_UNDO), SemOp::new(1, 3, SEM_UNDO)],
            );
            let again = sem::semop(id, &[SemOp::new(0, -1, SEM_UNDO)]);
            let plain = sem::semop(id, &[SemOp::new(1, 1, 0)]);
            let ok = taken.is_ok() && again.is_ok() && plain.is_ok();
            let seen = (sem::semctl(id, 0, GETVAL, 0), sem::semctl(id, 1, GETVAL, 0));
            process::exit(if ok && seen == (Ok(2), Ok(4)) { 0 } else { 1 })
        }
        Ok(pid) => pid,
        Err(_) => 0,
    };
    let status = process::wait_for(child);
    ensure!(ck, status == Ok(ExitStatus::Exited(0)), "{status:?}");
    // 5 - 2 - 1 undone: 5; 0 + 3 undone, + 1 kept: 1.
    test_sem!(ck, id, 0, 5, child, 0, 0);
    test_sem!(ck, id, 1, 1, child, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88d-sem-undo-applied-at-exit");

    // A killed holder's unit returns and wakes the next waiter.
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 1, 0o600).unwrap_or(u64::MAX);
    ensure!(ck, sem::semctl(id, 0, SETVAL, 1) == Ok(0));
    let holder = match process::fork() {
        Ok(0) => {
            let _ = sem::semop(id, &[SemOp::new(0, -1, SEM_UNDO)]);
            loop {
                let _ = time::sleep_ms(1_000);
            }
        }
        Ok(pid) => pid,
        Err(_) => 0,
    };
    usleep();
    test_sem!(ck, id, 0, 0, holder, 0, 0);
    let waiter = match process::fork() {
        Ok(0) => process::exit(match sem::semop(id, &[op(0, -1)]) {
            Ok(()) => 0,
            Err(error) => error as i32,
        }),
        Ok(pid) => pid,
        Err(_) => 0,
    };
    usleep();
    test_sem!(ck, id, 0, 0, holder, 1, 0);
    ensure!(ck, signal::kill(holder, Signal::SIGKILL).is_ok());
    let killed = process::wait_for(holder);
    ensure!(ck, killed == Ok(ExitStatus::Killed(9)), "{killed:?}");
    let woken = process::wait_within(waiter, 2_000);
    ensure!(
        ck,
        woken == Some(ExitStatus::Exited(0)),
        "waiter {woken:?} (None: still blocked)"
    );
    test_sem!(ck, id, 0, 0, waiter, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88d-sem-undo-killed-holder-wakes-next-waiter");

    // SETVAL clears the semaphore's adjustments (POSIX): the exit then
    // changes nothing.
    let mut ck = Ck::default();
    let id = sem::semget(IPC_PRIVATE, 1, 0o600).unwrap_or(u64::MAX);
    let child = match process::fork() {
        Ok(0) => {
            let _ = sem::semop(id, &[SemOp::new(0, 2, SEM_UNDO)]);
            let _ = sem::semctl(id, 0, SETVAL, 7);
            process::exit(0)
        }
        Ok(pid) => pid,
        Err(_) => 0,
    };
    let _ = process::wait_for(child);
    test_sem!(ck, id, 0, 7, -1, 0, 0);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    ck.report(verdicts, "test88d-sem-undo-cleared-by-setval");
}

// ----------------------------------------------------------------- 88e ---

const MATCH_FIRST: i64 = 0;
const MATCH_SECOND: i64 = 1;
const MATCH_KILL: i64 = 2;
const MATCH_BOTH: i64 = 3;
const MATCH_CASCADE: i64 = 4;
const MATCH_ALL: i64 = 5;

const RESUME_SEMOP: u32 = 0;
const RESUME_SETVAL: u32 = 1;
const RESUME_SETALL: u32 = 2;

fn test88e_childaux(parent: &mut Link, ck: &mut Ck) {
    let child = parent.rcv();
    let id = parent.rcv() as u64;
    let num = parent.rcv() as u16;
    let sops = match child {
        1 => [op(num, 1), op(num, 0), op(0, 1)],
        _ => {
            let vmx = info().semvmx as i16;
            [op(num, -vmx), op(num, -vmx), op(0, 1)]
        }
    };
    parent.snd(0);
    let r = sem::semop(id, &sops);
    ensure!(ck, r == Err(Errno::EIDRM), "aux {child}: {r:?}");
}

fn test88e_child1(parent: &mut Link, ck: &mut Ck) {
    let matched = parent.rcv();
    let id = parent.rcv() as u64;
    let (sops, expect): (Vec<SemOp>, Option<Errno>) = match matched {
        MATCH_FIRST => (alloc::vec![op(2, -1), op(3, 1)], None),
        MATCH_SECOND => (
            alloc::vec![op(2, -1), op(3, -1), op(0, 1)],
            Some(Errno::EIDRM),
        ),
        MATCH_KILL => (alloc::vec![op(2, -1), op(0, 1)], Some(Errno::EINVAL)),
        _ => (alloc::vec![op(2, -1), op(3, 1)], None),
    };
    parent.snd(0);
    let r = sem::semop(id, &sops);
    ensure!(
        ck,
        r == expect.map_or(Ok(()), Err),
        "match {matched}: {r:?}"
    );
}

fn test88e_child2(parent: &mut Link, ck: &mut Ck) {
    let matched = parent.rcv();
    let id = parent.rcv() as u64;
    let (sops, expect): (Vec<SemOp>, Option<Errno>) = match matched {
        MATCH_FIRST => (alloc::vec![op(2, -1), op(0, 1)], Some(Errno::EIDRM)),
        MATCH_SECOND | MATCH_KILL => (alloc::vec![op(2, -1)], None),
        MATCH_CASCADE => (alloc::vec![op(3, -1)], None),
        _ => (alloc::vec![op(2, -1), op(3, 1)], None),
    };
    parent.snd(0);
    let r = sem::semop(id, &sops);
    ensure!(
        ck,
        r == expect.map_or(Ok(()), Err),
        "match {matched}: {r:?}"
    );
}

fn test88e_child3(parent: &mut Link, ck: &mut Ck) {
    let _matched = parent.rcv();
    let id = parent.rcv() as u64;
    parent.snd(0);
    let r = sem::semop(id, &[op(3, -2)]);
    ensure!(ck, r.is_ok(), "{r:?}");
}

fn sub88e(ck: &mut Ck, matched: i64, resume: u32, aux: u32) {
    let id = sem::semget(IPC_PRIVATE, 4, 0o666).unwrap_or(u64::MAX);
    let (mut aux_zcnt, mut aux_ncnt) = (0, 0);
    let mut aux1 = None;
    if aux & 1 != 0 {
        let mut link = spawn(test88e_childaux, Drop::All);
        link.snd(1);
        link.snd(id as i64);
        link.snd(if aux & 4 != 0 { 2 } else { 1 });
        ensure!(ck, link.rcv() == 0);
        if aux & 4 != 0 {
            aux_zcnt += 1;
        }
        aux1 = Some(link);
    }
    let mut child1 = spawn(test88e_child1, Drop::All);
    child1.snd(matched);
    child1.snd(id as i64);
    ensure!(ck, child1.rcv() == 0);
    if matches!(matched, MATCH_FIRST | MATCH_SECOND | MATCH_KILL) {
        usleep();
    }
    let mut child2 = spawn(test88e_child2, Drop::None);
    child2.snd(matched);
    child2.snd(id as i64);
    ensure!(ck, child2.rcv() == 0);
    let mut child3 = None;
    if matched == MATCH_ALL {
        let mut link = spawn(test88e_child3, Drop::User);
        link.snd(matched);
        link.snd(id as i64);
        ensure!(ck, link.rcv() == 0);
        child3 = Some(link);
    }
    let mut aux2 = None;
    if aux & 2 != 0 {
        let mut link = spawn(test88e_childaux, Drop::None);
        link.snd(2);
        link.snd(id as i64);
        link.snd(if aux & 4 != 0 { 2 } else { 1 });
        ensure!(ck, link.rcv() == 0);
        if aux & 4 != 0 {
            aux_ncnt += 1;
        }
        aux2 = Some(link);
    }
    usleep();
    let (pid1, pid2) = (child1.pid, child2.pid);
    let pid3 = child3.as_ref().map_or(0, |link| link.pid);
    let mut inc = 1;
    let mut child1 = Some(child1);
    match matched {
        MATCH_FIRST | MATCH_SECOND => {
            test_sem!(ck, id, 2, 0, 0, 2 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 0, 0);
        }
        MATCH_KILL => {
            test_sem!(ck, id, 2, 0, 0, 2 + aux_ncnt, aux_zcnt);
            if let Some(link) = child1.take() {
                terminate(ck, link);
            }
            usleep();
            test_sem!(ck, id, 2, 0, 0, 1 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 0, 0);
        }
        MATCH_BOTH => {
            test_sem!(ck, id, 2, 0, 0, 2 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 0, 0);
            inc = 2;
        }
        MATCH_CASCADE => {
            test_sem!(ck, id, 2, 0, 0, 1 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 1, 0);
        }
        _ => {
            test_sem!(ck, id, 2, 0, 0, 2 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 1, 0);
            inc = 2;
        }
    }
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    test_sem!(ck, id, 1, 0, 0, -1, -1);
    match resume {
        RESUME_SEMOP => ensure!(ck, sem::semop(id, &[op(2, inc)]).is_ok()),
        RESUME_SETVAL => ensure!(ck, sem::semctl(id, 2, SETVAL, inc as u64) == Ok(0)),
        _ => ensure!(ck, sem::setall(id, &[0, 0, inc as u16, 0]).is_ok()),
    }
    let mut child2 = Some(child2);
    match matched {
        MATCH_FIRST => {
            test_sem!(ck, id, 2, 0, pid1, 1 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 1, pid1, 0, 0);
            if let Some(link) = child1.take() {
                collect(ck, link);
            }
        }
        MATCH_SECOND => {
            test_sem!(ck, id, 2, 0, pid2, 1 + aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 0, 0);
            if let Some(link) = child2.take() {
                collect(ck, link);
            }
        }
        MATCH_KILL => {
            test_sem!(ck, id, 2, 0, pid2, aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, 0, 0, 0);
            if let Some(link) = child2.take() {
                collect(ck, link);
            }
        }
        MATCH_BOTH => {
            test_sem!(ck, id, 2, 0, -1, aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 2, -1, 0, 0);
        }
        MATCH_CASCADE => {
            test_sem!(ck, id, 2, 0, pid1, aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, pid2, 0, 0);
        }
        _ => {
            test_sem!(ck, id, 2, 0, -1, aux_ncnt, aux_zcnt);
            test_sem!(ck, id, 3, 0, pid3, 0, 0);
        }
    }
    if matches!(matched, MATCH_BOTH | MATCH_CASCADE | MATCH_ALL) {
        for link in [child1.take(), child2.take(), child3.take()]
            .into_iter()
            .flatten()
        {
            collect(ck, link);
        }
    }
    test_sem!(ck, id, 0, 0, 0, 0, 0);
    test_sem!(ck, id, 1, 0, 0, -1, -1);
    ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
    for link in [child1, child2, aux1, aux2].into_iter().flatten() {
        collect(ck, link);
    }
}

fn test88e(verdicts: &mut Verdicts) {
    let names = [
        "test88e-match-first-fifo",
        "test88e-match-second",
        "test88e-match-kill",
        "test88e-match-both",
        "test88e-match-cascade",
        "test88e-match-all",
    ];
    for (matched, name) in names.iter().enumerate() {
        let mut ck = Ck::default();
        for resume in [RESUME_SEMOP, RESUME_SETVAL, RESUME_SETALL] {
            for aux in 1..=8 {
                let before = ck.count();
                sub88e(&mut ck, matched as i64, resume, aux);
                if ck.count() != before {
                    ck.fail(0, &format!("(above: resume {resume}, aux {aux})"));
                }
            }
        }
        ck.report(verdicts, name);
    }
}

/// The credentials the permission tests rely on: MINIX's rules for
/// setuid/seteuid/setgid/setegid, inheritance over fork, and the kernel
/// stamping the effective ids on each request (a set made after seteuid
/// belongs to the effective uid).
fn credentials(verdicts: &mut Verdicts) {
    let mut ck = Ck::default();
    ensure!(ck, process::getuid() == 0 && process::geteuid() == 0);
    let child = match process::fork() {
        Ok(0) => {
            let mut ck = Ck::default();
            // Root drops only its effective ids, and may take them back.
            ensure!(ck, process::setegid(7).is_ok() && process::getegid() == 7);
            ensure!(ck, process::seteuid(5).is_ok());
            ensure!(ck, (process::getuid(), process::geteuid()) == (0, 5));
            let id = sem::semget(IPC_PRIVATE, 1, 0o600);
            let ds = id.and_then(sem::stat);
            ensure!(
                ck,
                ds.map(|ds| (ds.uid, ds.gid, ds.cuid, ds.cgid)) == Ok((5, 7, 5, 7)),
                "{ds:?}"
            );
            if let Ok(id) = id {
                ensure!(ck, sem::semctl(id, 0, IPC_RMID, 0) == Ok(0));
            }
            ensure!(ck, process::setuid(6) == Err(Errno::EPERM));
            ensure!(ck, process::seteuid(6) == Err(Errno::EPERM));
            ensure!(
                ck,
                process::seteuid(0).is_ok() && process::setegid(0).is_ok()
            );
            // For good: real, effective and saved.
            ensure!(ck, process::setgid(3).is_ok() && process::setuid(4).is_ok());
            ensure!(ck, (process::getuid(), process::geteuid()) == (4, 4));
            ensure!(ck, (process::getgid(), process::getegid()) == (3, 3));
            ensure!(ck, process::setuid(0) == Err(Errno::EPERM));
            ensure!(ck, process::seteuid(0) == Err(Errno::EPERM));
            ensure!(ck, process::setgid(0) == Err(Errno::EPERM));
            ensure!(ck, process::setuid(4).is_ok() && process::setgid(3).is_ok());
            let grandchild = match process::fork() {
                Ok(0) => {
                    let ids = (
                        process::getuid(),
                        process::geteuid(),
                        process::getgid(),
                        process::getegid(),
                    );
                    process::exit(if ids == (4, 4, 3, 3) { 0 } else { 1 })
                }
                Ok(pid) => pid,
                Err(_) => 0,
            };
            ensure!(
                ck,
                process::wait_for(grandchild) == Ok(ExitStatus::Exited(0)),
                "fork did not inherit"
            );
            for failure in &ck.failures {
                println!("test88 credentials child: {failure}");
            }
            process::exit(ck.count() as i32)
        }
        Ok(pid) => pid,
        Err(_) => 0,
    };
    let status = process::wait_for(child);
    ensure!(ck, status == Ok(ExitStatus::Exited(0)), "{status:?}");
    ensure!(
        ck,
        process::getuid() == 0 && process::geteuid() == 0,
        "the child's changes stayed in the child"
    );
    ck.report(verdicts, "credentials-minix-rules-inherited-and-stamped");
}

fn run(args: userlib::Args) -> i32 {
    let which: String = args.iter().nth(1).unwrap_or("abcd").into();
    let mut verdicts = Verdicts::new();
    println!(
        "test88: uid {} euid {} gid {} egid {}; subtests {which}",
        process::getuid(),
        process::geteuid(),
        process::getgid(),
        process::getegid()
    );
    if which.contains('a') {
        credentials(&mut verdicts);
        test88a(&mut verdicts);
    }
    if which.contains('b') {
        test88b(&mut verdicts);
    }
    if which.contains('c') {
        test88c(&mut verdicts);
    }
    if which.contains('d') {
        test88d(&mut verdicts);
    }
    if which.contains('e') {
        test88e(&mut verdicts);
    }
    let _ = (GETALL, IPC_SET, IPC_STAT, SEM_STAT, IPC_W);
    println!("test88: {} failures", verdicts.failures());
    verdicts.failures()
}
