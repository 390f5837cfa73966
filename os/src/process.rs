//! The process table.
//!
//! Each process has a pid (never reused within a boot), a slot (which picks
//! its kernel stack and context), a state, an address space, and signal
//! state. The table is one kernel global reached through [`with_table`];
//! code that needs the running process uses [`with_current`].

use crate::arch::context::ContextSlot;
use crate::kstack::KernelStack;
use crate::sync::IrqLock;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::{Pid, Signal};
pub use kernel_core::creds::Credentials;
use kernel_core::ipc::Endpoint;
use kernel_core::signals::SignalState;
use kernel_core::vm::VmSpace;

/// Most processes alive at once (zombies included).
pub const MAX_PROCESSES: usize = 1024;

/// Why a process is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// In `sleep` until the given uptime (ns).
    Sleep(u64),
    /// In `wait` for a child to end.
    Child,
    /// In `send` until `to` receives the message in its endpoint; with
    /// `then_receive`, `sendrec` continues by waiting for the reply into
    /// that buffer.
    Send {
        /// The destination.
        to: Pid,
        /// The caller's buffer for the reply (`sendrec`).
        then_receive: Option<u64>,
    },
    /// In `receive` from `from` (or ANY) into `buffer`; `reply`: waiting for
    /// the answer to a `sendrec`.
    Receive {
        /// The source wanted.
        from: u64,
        /// Where the message goes in the caller's memory.
        buffer: u64,
        /// Part of a `sendrec`.
        reply: bool,
    },
}

/// Why a blocked process was woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// What it waited for happened.
    Done,
    /// A signal interrupted it.
    Interrupted,
    /// The process it was sending to or waiting for died.
    PeerGone,
}

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting for the CPU.
    Ready,
    /// On the CPU.
    Running,
    /// Waiting for something.
    Blocked(Block),
    /// Stopped by SIGSTOP until SIGCONT.
    Stopped,
    /// Dead, waiting for its parent to reap it.
    Zombie,
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitInfo {
    /// The status passed to exit (0 if killed).
    pub status: i32,
    /// The signal that killed it.
    pub signal: Option<Signal>,
}

/// One process.
pub struct Process {
    /// Its pid.
    pub pid: Pid,
    /// Its parent's pid.
    pub parent: Pid,
    /// Program name.
    pub name: String,
    /// Table slot (kernel stack and context).
    pub slot: usize,
    /// Life-cycle state.
    pub state: State,
    /// A system service (may subscribe to process events).
    pub privileged: bool,
    /// User and group ids (real, effective, saved), inherited on fork and
    /// spawn; the boot image's processes start as root.
    pub creds: Credentials,
    /// Kernel stack.
    pub stack: Option<KernelStack>,
    /// Root of its page tables.
    pub root: u64,
    /// Regions, pages and VM counters.
    pub vm: VmSpace,
    /// Pages fault-around mapped ahead, not yet counted (`vm::Ahead`).
    pub ahead: Ahead,
    /// Signal state.
    pub signals: SignalState,
    /// Set when woken from a block.
    pub wake: Option<Wake>,
    /// How it ended, once it has. A process with an exit but not yet a
    /// zombie is "exiting": its teardown is in progress.
    pub exit: Option<ExitInfo>,
    /// CPU time used, in nanoseconds.
    pub cpu_ns: u64,
    /// Timer ticks used of the current time slice.
    pub slice_ticks: u32,
    /// Stopped while an event about it is in flight: never scheduled
    /// until the last ack.
    pub frozen: bool,
    /// Unpaused (MINIX's `UNPAUSED`): a caught signal interrupted it, and
    /// every pending signal it can take is delivered on its way back to
    /// user mode without another SIGNAL event. Set when the SIGNAL event
    /// is published (or at once when it is paused in `wait`); cleared when
    /// it resumes user mode.
    pub unpaused: bool,
    /// Signals posted by the CPU (a fault of this process's own, through
    /// `pm::force_signal`): the only ones whose default action may end init.
    pub forced_signals: u64,
    /// The parent may collect its exit status (MINIX's `ZOMBIE`): set as
    /// soon as a normal exit starts, before the EXIT event completes.
    pub zombified: bool,
    /// The parent has collected its exit status (MINIX's `TOLD_PARENT`);
    /// the slot goes once the EXIT event is also done.
    pub told_parent: bool,
    /// The pid argument of the `wait` it is blocked in (-1: any).
    pub waiting_for: Option<i64>,
    /// Its message state: mailbox, blocked senders, its own blocked
    /// `send`'s message (`kernel_core::ipc`).
    pub ipc: Endpoint,
}

impl Process {
    /// A process in state `state` with nothing else yet: the fields every
    /// new process starts with.
    pub fn new(pid: Pid, parent: Pid, name: String, slot: usize, root: u64, vm: VmSpace) -> Self {
        Self {
            pid,
            parent,
            name,
            slot,
            state: State::Ready,
            privileged: false,
            creds: Credentials::default(),
            stack: None,
            root,
            vm,
            ahead: Ahead::default(),
            signals: SignalState::default(),
            wake: None,
            exit: None,
            cpu_ns: 0,
            slice_ticks: 0,
            frozen: false,
            unpaused: false,
            forced_signals: 0,
            zombified: false,
            told_parent: false,
            waiting_for: None,
            ipc: Endpoint::new(),
        }
    }

    /// Whether it is alive (not exiting, not a zombie).
    pub fn is_alive(&self) -> bool {
        self.exit.is_none() && self.state != State::Zombie
    }
}

/// All processes.
pub struct Table {
    /// Boxed: a `Process` is large, and B-tree rebalancing moves whole
    /// nodes of values through the stack (over 13 KiB of a 16 KiB kernel
    /// stack with them inline).
    processes: BTreeMap<Pid, Box<Process>>,
    slot_used: [bool; MAX_PROCESSES + 1],
    next_pid: Pid,
    /// The process orphans are given to, and whose exit powers off.
    pub init: Pid,
}

impl Table {
    const fn new() -> Self {
        Self {
            processes: BTreeMap::new(),
            slot_used: [false; MAX_PROCESSES + 1],
            next_pid: 1,
            init: 0,
        }
    }

    /// A process by pid.
    pub fn get(&self, pid: Pid) -> Option<&Process> {
        self.processes.get(&pid).map(|process| &**process)
    }

    /// A process by pid, mutably.
    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Process> {
        self.processes.get_mut(&pid).map(|process| &mut **process)
    }

    /// Every process, by pid.
    pub fn iter(&self) -> impl Iterator<Item = &Process> {
        self.processes.values().map(|process| &**process)
    }

    /// Every process, by pid, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Process> {
        self.processes.values_mut().map(|process| &mut **process)
    }

    /// Reserves a slot and a pid for a new process.
    pub fn reserve(&mut self) -> Option<(Pid, usize)> {
        let slot = (1..=MAX_PROCESSES).find(|&slot| self.slot_used.get(slot) == Some(&false))?;
        *self.slot_used.get_mut(slot)? = true;
        let pid = self.next_pid;
        self.next_pid += 1;
        Some((pid, slot))
    }

    /// Gives back a slot reserved but not used.
    pub fn unreserve(&mut self, slot: usize) {
        if let Some(used) = self.slot_used.get_mut(slot) {
            *used = false;
        }
    }

    /// Adds a process (its slot reserved with [`Self::reserve`]).
    pub fn insert(&mut self, process: Process) {
        self.processes.insert(process.pid, Box::new(process));
    }

    /// Removes a process and frees its slot.
    pub fn remove(&mut self, pid: Pid) -> Option<Process> {
        let process = *self.processes.remove(&pid)?;
        self.unreserve(process.slot);
        Some(process)
    }

    /// Number of processes (zombies included).
    pub fn len(&self) -> usize {
        self.processes.len()
    }
}

static TABLE: IrqLock<Table> = IrqLock::new("process table", Table::new());

/// The running process; 0 when the idle loop runs. Only the scheduler
/// changes it ([`set_current`], at a switch).
static CURRENT: AtomicU32 = AtomicU32::new(0);

/// The running process (0: none, the idle loop).
pub fn current() -> Pid {
    CURRENT.load(Ordering::Relaxed)
}

/// Records that `pid` runs now (the scheduler, at a switch).
pub fn set_current(pid: Pid) {
    CURRENT.store(pid, Ordering::Relaxed);
}

/// Saved kernel stack pointers, by slot (slot 0 is the idle loop).
pub static CONTEXTS: [ContextSlot; MAX_PROCESSES + 1] =
    [const { ContextSlot::new() }; MAX_PROCESSES + 1];

/// Runs `f` with the process table.
pub fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    TABLE.with(f)
}

/// Runs `f` with the running process.
///
/// # Panics
/// If called from the idle loop (no process is running): a kernel bug, as
/// only system calls and traps from user mode call it, and the running
/// process stays in the table until it is reaped, which happens only after
/// it stopped running for good.
#[allow(
    clippy::expect_used,
    reason = "invariant: called only on behalf of the running process, which is in the table"
)]
pub fn with_current<R>(f: impl FnOnce(&mut Process) -> R) -> R {
    let pid = current();
    TABLE.with(|table| f(table.get_mut(pid).expect("a process is running")))
}

/// Pages fault-around maps ahead of a sequential first touch, at most.
pub const FAULT_AROUND_PAGES: usize = 31;

/// Fault-around state of a process: the anonymous pages mapped ahead of a
/// sequential run of first touches that the process has not been seen to
/// touch yet, and where the run would fault next.
///
/// Such a page is not a fault until the program touches it: each one
/// whose page-table accessed bit is set when the list is settled counts
/// one minor fault (the fault MINIX, which maps one page per fault, would
/// have taken), one never touched counts nothing. The list is settled
/// before anything reads the counters or could clear the bit or the
/// mapping (`vm::settle_ahead`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Ahead {
    pub(crate) pages: [u64; FAULT_AROUND_PAGES],
    pub(crate) len: usize,
    /// The page a sequential run of zero-fill faults would fault on next.
    pub(crate) next: u64,
}
