//! Signals: numbers (as on Linux), default actions, and the structures
//! `sigaction` and signal delivery share with user programs.

/// A signal number, 1..=31.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Signal {
    SIGHUP = 1,
    SIGINT = 2,
    SIGQUIT = 3,
    SIGILL = 4,
    SIGTRAP = 5,
    SIGABRT = 6,
    SIGBUS = 7,
    SIGFPE = 8,
    SIGKILL = 9,
    SIGUSR1 = 10,
    SIGSEGV = 11,
    SIGUSR2 = 12,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGCHLD = 17,
    SIGCONT = 18,
    SIGSTOP = 19,
}

/// Number of signal slots (signal numbers are below this).
pub const SIGNAL_COUNT: usize = 32;

/// What happens to a signal nobody catches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// The process dies.
    Terminate,
    /// Nothing.
    Ignore,
    /// The process stops until SIGCONT.
    Stop,
    /// The process continues if stopped.
    Continue,
}

impl Signal {
    /// Every signal, in number order.
    pub const ALL: [Signal; 18] = [
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGILL,
        Signal::SIGTRAP,
        Signal::SIGABRT,
        Signal::SIGBUS,
        Signal::SIGFPE,
        Signal::SIGKILL,
        Signal::SIGUSR1,
        Signal::SIGSEGV,
        Signal::SIGUSR2,
        Signal::SIGPIPE,
        Signal::SIGALRM,
        Signal::SIGTERM,
        Signal::SIGCHLD,
        Signal::SIGCONT,
        Signal::SIGSTOP,
    ];

    /// The signal with number `number`, if it is one.
    pub fn from_number(number: u64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|signal| *signal as u64 == number)
    }

    /// Its number.
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// Its bit in a signal mask.
    pub const fn mask(self) -> u64 {
        1 << self as u8
    }

    /// What happens when it is not caught.
    pub const fn default_action(self) -> DefaultAction {
        match self {
            Signal::SIGCHLD => DefaultAction::Ignore,
            Signal::SIGSTOP => DefaultAction::Stop,
            Signal::SIGCONT => DefaultAction::Continue,
            _ => DefaultAction::Terminate,
        }
    }

    /// Whether a program may catch, ignore or block it (not SIGKILL, SIGSTOP).
    pub const fn can_be_handled(self) -> bool {
        !matches!(self, Signal::SIGKILL | Signal::SIGSTOP)
    }

    /// The conventional name.
    pub const fn name(self) -> &'static str {
        match self {
            Signal::SIGHUP => "SIGHUP",
            Signal::SIGINT => "SIGINT",
            Signal::SIGQUIT => "SIGQUIT",
            Signal::SIGILL => "SIGILL",
            Signal::SIGTRAP => "SIGTRAP",
            Signal::SIGABRT => "SIGABRT",
            Signal::SIGBUS => "SIGBUS",
            Signal::SIGFPE => "SIGFPE",
            Signal::SIGKILL => "SIGKILL",
            Signal::SIGUSR1 => "SIGUSR1",
            Signal::SIGSEGV => "SIGSEGV",
            Signal::SIGUSR2 => "SIGUSR2",
            Signal::SIGPIPE => "SIGPIPE",
            Signal::SIGALRM => "SIGALRM",
            Signal::SIGTERM => "SIGTERM",
            Signal::SIGCHLD => "SIGCHLD",
            Signal::SIGCONT => "SIGCONT",
            Signal::SIGSTOP => "SIGSTOP",
        }
    }
}

/// `SigAction::handler` value: take the default action.
pub const SIG_DFL: u64 = 0;
/// `SigAction::handler` value: ignore the signal.
pub const SIG_IGN: u64 = 1;

/// What a program asks for one signal (`sigaction`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// [`SIG_DFL`], [`SIG_IGN`], or the address of `extern "C" fn(u64)`.
    pub handler: u64,
    /// Address the handler returns to; it must call `sigreturn`.
    pub restorer: u64,
    /// Signals blocked while the handler runs (the signal itself always is).
    pub mask: u64,
}

/// `sigprocmask` how: add to the blocked set.
pub const SIG_BLOCK: u64 = 0;
/// `sigprocmask` how: remove from the blocked set.
pub const SIG_UNBLOCK: u64 = 1;
/// `sigprocmask` how: replace the blocked set.
pub const SIG_SETMASK: u64 = 2;

/// The registers a signal frame saves, restored by `sigreturn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SavedRegisters {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rsp: u64,
    pub rflags: u64,
}

/// What the kernel pushes on the user stack to run a handler. The handler
/// is entered with `rsp` pointing at `return_address` (the restorer) and
/// the signal number in `rdi`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalFrame {
    /// Where the handler returns: the restorer.
    pub return_address: u64,
    /// The signal being handled.
    pub signal: u64,
    /// The blocked mask to restore.
    pub saved_mask: u64,
    /// [`SIGNAL_FRAME_MAGIC`], checked by `sigreturn`.
    pub magic: u64,
    /// The interrupted registers.
    pub registers: SavedRegisters,
}

/// Marks a genuine [`SignalFrame`].
pub const SIGNAL_FRAME_MAGIC: u64 = 0x5349_4746_5241_4d45;
