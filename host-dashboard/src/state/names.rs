//! Names of protocol values, as the dashboard shows and serialises them.
//!
//! Signal names come from the kernel's own list (`kernel_abi::Signal`,
//! numbered as on Linux). Process states, region kinds and event
//! kinds get short lower-case names; a region's backing ("anon", "file",
//! "shared") is the coarser kind the headless contract uses.

use protocol::command::{CommandOutcome, RejectReason};
use protocol::message::{
    EventKind, IgnoredReason, MASK_EXIT, MASK_SIGNAL, MASK_SPAWN, PERM_EXECUTE, PERM_READ,
    PERM_WRITE, ProcessState, RegionKind, SignalOutcome,
};
use std::borrow::Cow;

/// The name of signal `number` (`SIGTERM`), if it is one of the kernel's
/// signals ([`kernel_abi::Signal`], numbered as on Linux). The kernel
/// refuses any other number (`EINVAL` from `kill`, a rejected `Signal`
/// command), so a real guest never reports one; a recording or a fuzzed
/// frame that does shows it as `signal N`.
pub fn signal_name(number: u8) -> Option<&'static str> {
    kernel_abi::Signal::from_number(u64::from(number)).map(kernel_abi::Signal::name)
}

/// Signal `number` for display: its name, or `signal 42` without one.
pub fn signal_label(number: u8) -> String {
    signal_name(number).map_or_else(|| format!("signal {number}"), str::to_string)
}

/// The lower-case name of a process state (`waiting` for a wait on a
/// child, `awaiting acks` while an event about it is in flight). The match
/// is exhaustive: a state added to the protocol must be named here.
pub fn process_state_name(state: ProcessState) -> Cow<'static, str> {
    let name = match state {
        ProcessState::Running => "running",
        ProcessState::Ready => "ready",
        ProcessState::Sleeping => "sleeping",
        ProcessState::WaitingForChild => "waiting",
        ProcessState::Stopped => "stopped",
        ProcessState::Exiting => "exiting",
        ProcessState::Zombie => "zombie",
        ProcessState::AwaitingAcks => "awaiting acks",
        ProcessState::Sending => "sending",
        ProcessState::Receiving => "receiving",
        ProcessState::AwaitingReply => "awaiting reply",
    };
    Cow::Borrowed(name)
}

/// The lower-case name of a process event kind: `exit`, `signal`, `spawn`.
pub fn event_kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Exit => "exit",
        EventKind::Signal => "signal",
        EventKind::Spawn => "spawn",
    }
}

/// The subscription-mask bit of `kind`.
pub fn event_kind_bit(kind: EventKind) -> u8 {
    match kind {
        EventKind::Exit => MASK_EXIT,
        EventKind::Signal => MASK_SIGNAL,
        EventKind::Spawn => MASK_SPAWN,
    }
}

/// The kinds in subscription mask `mask`, in bit order (unknown bits are
/// left out).
pub fn mask_kinds(mask: u8) -> Vec<EventKind> {
    [EventKind::Exit, EventKind::Signal, EventKind::Spawn]
        .into_iter()
        .filter(|kind| mask & event_kind_bit(*kind) != 0)
        .collect()
}

/// The names of the kinds in `mask`: `["exit", "signal"]`.
pub fn mask_names(mask: u8) -> Vec<&'static str> {
    mask_kinds(mask).into_iter().map(event_kind_name).collect()
}

/// Why an ack was ignored, in words: `wrong subscriber`.
pub fn ignored_reason_name(reason: IgnoredReason) -> &'static str {
    match reason {
        IgnoredReason::NoSuchEvent => "no such event",
        IgnoredReason::WrongSubscriber => "wrong subscriber",
        IgnoredReason::WrongKind => "wrong kind",
    }
}

/// How a host command ended, in words: `done (42)`, `failed: ESRCH`
/// (`failed: errno 99` for a number the ABI does not name).
pub fn command_outcome_text(outcome: CommandOutcome) -> String {
    match outcome {
        CommandOutcome::Done(value) => format!("done ({value})"),
        CommandOutcome::Failed(errno) => match kernel_abi::Errno::from_return(-i64::from(errno)) {
            Some(errno) => format!("failed: {}", errno.name()),
            None => format!("failed: errno {errno}"),
        },
    }
}

/// Why a command frame was rejected, in lower-case words.
pub fn reject_reason_name(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::Undecodable => "undecodable",
        RejectReason::TooLong => "too long",
    }
}

/// The lower-case name of a region kind (`text`, `heap`, ...).
pub fn region_kind_name(kind: RegionKind) -> &'static str {
    match kind {
        RegionKind::Text => "text",
        RegionKind::Data => "data",
        RegionKind::Bss => "bss",
        RegionKind::Heap => "heap",
        RegionKind::Stack => "stack",
        RegionKind::Shared => "shared",
    }
}

/// What backs a region's pages: the headless contract's region `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Anonymous memory, zero-filled on first touch (bss, heap, stack).
    Anon,
    /// File-backed from the image (text, data).
    File,
    /// Shared between processes.
    Shared,
}

impl Backing {
    /// The backing of a region of `kind`.
    pub fn of(kind: RegionKind) -> Self {
        match kind {
            RegionKind::Text | RegionKind::Data => Backing::File,
            RegionKind::Bss | RegionKind::Heap | RegionKind::Stack => Backing::Anon,
            RegionKind::Shared => Backing::Shared,
        }
    }

    /// `anon`, `file` or `shared`.
    pub fn name(self) -> &'static str {
        match self {
            Backing::Anon => "anon",
            Backing::File => "file",
            Backing::Shared => "shared",
        }
    }
}

/// Permission bits as `rwx`, with `-` for each one missing: `r-x`.
pub fn perms_string(perms: u8) -> String {
    [(PERM_READ, 'r'), (PERM_WRITE, 'w'), (PERM_EXECUTE, 'x')]
        .into_iter()
        .map(|(bit, letter)| if perms & bit != 0 { letter } else { '-' })
        .collect()
}

/// The lower-case name of what a sent signal does (`caught`, ...).
pub fn outcome_name(outcome: SignalOutcome) -> &'static str {
    match outcome {
        SignalOutcome::Ignored => "ignored",
        SignalOutcome::Blocked => "blocked",
        SignalOutcome::Caught => "caught",
        SignalOutcome::Terminate => "terminate",
        SignalOutcome::Stop => "stop",
        SignalOutcome::Continue => "continue",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_have_their_linux_names() {
        let names: Vec<_> = [1, 2, 4, 8, 9, 10, 11, 12, 15, 17, 18, 19]
            .into_iter()
            .map(|number| signal_name(number).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "SIGHUP", "SIGINT", "SIGILL", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
                "SIGTERM", "SIGCHLD", "SIGCONT", "SIGSTOP"
            ]
        );
        // Every signal the kernel has is named, by its own name.
        for signal in kernel_abi::Signal::ALL {
            assert_eq!(signal_name(signal.number()), Some(signal.name()));
        }
        // Linux numbers the kernel does not implement (SIGSTKFLT, SIGTSTP,
        // SIGSYS) are refused by it, so they have no name here.
        assert_eq!(signal_name(16), None);
        assert_eq!(signal_name(20), None);
        assert_eq!(signal_name(31), None);
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(32), None);
        assert_eq!(signal_label(11), "SIGSEGV");
        assert_eq!(signal_label(40), "signal 40");
    }

    #[test]
    fn perms_read_like_ls() {
        assert_eq!(perms_string(PERM_READ | PERM_EXECUTE), "r-x");
        assert_eq!(perms_string(PERM_READ | PERM_WRITE), "rw-");
        assert_eq!(perms_string(0), "---");
        assert_eq!(perms_string(7), "rwx");
    }

    #[test]
    fn regions_are_backed_by_file_anonymous_or_shared_memory() {
        let backings: Vec<_> = [
            RegionKind::Text,
            RegionKind::Data,
            RegionKind::Bss,
            RegionKind::Heap,
            RegionKind::Stack,
            RegionKind::Shared,
        ]
        .into_iter()
        .map(|kind| (region_kind_name(kind), Backing::of(kind).name()))
        .collect();
        assert_eq!(
            backings,
            [
                ("text", "file"),
                ("data", "file"),
                ("bss", "anon"),
                ("heap", "anon"),
                ("stack", "anon"),
                ("shared", "shared")
            ]
        );
    }

    #[test]
    fn waiting_for_a_child_is_waiting() {
        assert_eq!(process_state_name(ProcessState::WaitingForChild), "waiting");
        assert_eq!(process_state_name(ProcessState::Zombie), "zombie");
    }

    #[test]
    fn event_states_read_as_words() {
        let names: Vec<_> = [
            ProcessState::AwaitingAcks,
            ProcessState::Sending,
            ProcessState::Receiving,
            ProcessState::AwaitingReply,
        ]
        .into_iter()
        .map(process_state_name)
        .collect();
        assert_eq!(
            names,
            ["awaiting acks", "sending", "receiving", "awaiting reply"]
        );
    }

    #[test]
    fn masks_list_their_kinds_in_bit_order() {
        assert_eq!(mask_names(MASK_SIGNAL | MASK_EXIT), ["exit", "signal"]);
        assert_eq!(mask_names(0), Vec::<&str>::new());
        assert_eq!(mask_names(0xff), ["exit", "signal", "spawn"]);
        assert_eq!(event_kind_bit(EventKind::Spawn), MASK_SPAWN);
    }
}
