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
    /// The interrupted x87/SSE state. The handler itself starts with a
    /// clean one ([`FpuState::INITIAL`]); `sigreturn` restores this one
    /// (with MXCSR's reserved bits cleared).
    pub fpu: FpuState,
}

/// Byte offset of [`SignalFrame::fpu`]: the words before it are the
/// frame's header.
pub const SIGNAL_FRAME_FPU_OFFSET: usize = core::mem::offset_of!(SignalFrame, fpu);

const _: () = assert!(SIGNAL_FRAME_FPU_OFFSET == 22 * 8);
const _: () = assert!(core::mem::size_of::<FpuState>() == 512);

/// The x87 and SSE registers of a process in the layout of the x86
/// `fxsave64` instruction (Intel SDM vol. 1, 10.5.1), 512 bytes. Every
/// process has one, saved and restored by the kernel on every switch; a
/// signal frame carries the interrupted code's (at an address that is 8
/// but not necessarily 16-byte aligned: the instructions themselves need
/// an [`FxsaveArea`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpuState {
    /// The raw `fxsave64` image.
    pub bytes: [u8; 512],
}

/// An [`FpuState`] at a 16-byte aligned address, as `fxsave64` and
/// `fxrstor64` require.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FxsaveArea(pub FpuState);

/// x87 control word of a new process: every exception masked, 64-bit
/// precision, round to nearest (the value `fninit` loads).
pub const FCW_DEFAULT: u16 = 0x037F;
/// MXCSR of a new process: every SSE exception masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1F80;

impl FpuState {
    /// The state of a new process (and of a signal handler): what `fninit`
    /// and `ldmxcsr 0x1f80` give, every data register zero and every x87
    /// register empty.
    pub const INITIAL: Self = {
        let mut bytes = [0u8; 512];
        let fcw = FCW_DEFAULT.to_le_bytes();
        bytes[0] = fcw[0];
        bytes[1] = fcw[1];
        let mxcsr = MXCSR_DEFAULT.to_le_bytes();
        bytes[24] = mxcsr[0];
        bytes[25] = mxcsr[1];
        bytes[26] = mxcsr[2];
        bytes[27] = mxcsr[3];
        Self { bytes }
    };

    fn u16_at(&self, offset: usize) -> u16 {
        u16::from_le_bytes([self.bytes[offset], self.bytes[offset + 1]])
    }

    /// The x87 control word (FCW).
    pub fn fcw(&self) -> u16 {
        self.u16_at(0)
    }

    /// The x87 status word (FSW).
    pub fn fsw(&self) -> u16 {
        self.u16_at(2)
    }

    /// The abridged x87 tag word: bit i set if physical register i holds a
    /// value (0: every register empty).
    pub fn abridged_tags(&self) -> u8 {
        self.bytes[4]
    }

    /// MXCSR, the SSE control and status register.
    pub fn mxcsr(&self) -> u32 {
        u32::from_le_bytes([
            self.bytes[24],
            self.bytes[25],
            self.bytes[26],
            self.bytes[27],
        ])
    }

    /// Sets MXCSR.
    pub fn set_mxcsr(&mut self, value: u32) {
        self.bytes[24..28].copy_from_slice(&value.to_le_bytes());
    }

    /// x87 register `index` (ST(index) counted from the top of the stack),
    /// its 80 bits as 10 bytes.
    pub fn st(&self, index: usize) -> [u8; 10] {
        let start = 32 + 16 * (index % 8);
        let mut value = [0u8; 10];
        value.copy_from_slice(&self.bytes[start..start + 10]);
        value
    }

    /// SSE register `xmm<index>` (0..16).
    pub fn xmm(&self, index: usize) -> [u8; 16] {
        let start = 160 + 16 * (index % 16);
        let mut value = [0u8; 16];
        value.copy_from_slice(&self.bytes[start..start + 16]);
        value
    }
}

impl Default for FpuState {
    fn default() -> Self {
        Self::INITIAL
    }
}

/// Marks a genuine [`SignalFrame`].
pub const SIGNAL_FRAME_MAGIC: u64 = 0x5349_4746_5241_4d45;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initial_state_is_what_fninit_and_the_default_mxcsr_give() {
        let state = FpuState::INITIAL;
        assert_eq!(state.fcw(), 0x037F);
        assert_eq!(state.fsw(), 0);
        assert_eq!(state.abridged_tags(), 0, "every x87 register empty");
        assert_eq!(state.mxcsr(), 0x1F80);
        for register in 0..8 {
            assert_eq!(state.st(register), [0; 10]);
        }
        for register in 0..16 {
            assert_eq!(state.xmm(register), [0; 16]);
        }
        assert_eq!(FpuState::default(), state);
    }

    #[test]
    fn accessors_read_the_fxsave_layout() {
        let mut state = FpuState::INITIAL;
        state.bytes[2..4].copy_from_slice(&0xB884u16.to_le_bytes());
        state.bytes[4] = 0x81;
        state.set_mxcsr(0x7F80);
        state.bytes[32 + 16 * 3] = 0xAA;
        state.bytes[32 + 16 * 3 + 9] = 0xBB;
        state.bytes[160 + 16 * 15 + 15] = 0xCC;
        assert_eq!(state.fsw(), 0xB884);
        assert_eq!(state.abridged_tags(), 0x81);
        assert_eq!(state.mxcsr(), 0x7F80);
        assert_eq!(&state.bytes[24..28], &0x7F80u32.to_le_bytes());
        assert_eq!(state.st(3)[0], 0xAA);
        assert_eq!(state.st(3)[9], 0xBB);
        assert_eq!(state.xmm(15)[15], 0xCC);
    }

    #[test]
    fn a_signal_frame_is_the_header_words_then_the_fpu_area() {
        assert_eq!(core::mem::size_of::<FpuState>(), 512);
        assert_eq!(core::mem::align_of::<FxsaveArea>(), 16);
        assert_eq!(SIGNAL_FRAME_FPU_OFFSET, 22 * 8);
        assert_eq!(core::mem::size_of::<SignalFrame>(), 22 * 8 + 512);
        assert_eq!(core::mem::align_of::<SignalFrame>(), 8);
    }
}
