//! The saved state of interrupted code: [`TrapFrame`], the layout the trap
//! stubs (`trap.rs`) and the system-call entry (`syscall_entry.rs`) both
//! build on the kernel stack, and the vector numbers the kernel names.
//!
//! A leaf: the portable trap handling (`crate::trap`) and the system calls
//! read and change frames through this module without importing the entry
//! code that calls them.

use kernel_abi::signal::SavedRegisters;

/// Everything saved on the kernel stack when a trap enters the kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    /// General registers, pushed by `trap_common` (r15 last, so first here).
    pub r15: u64,
    #[allow(missing_docs)]
    pub r14: u64,
    #[allow(missing_docs)]
    pub r13: u64,
    #[allow(missing_docs)]
    pub r12: u64,
    #[allow(missing_docs)]
    pub r11: u64,
    #[allow(missing_docs)]
    pub r10: u64,
    #[allow(missing_docs)]
    pub r9: u64,
    #[allow(missing_docs)]
    pub r8: u64,
    #[allow(missing_docs)]
    pub rbp: u64,
    #[allow(missing_docs)]
    pub rdi: u64,
    #[allow(missing_docs)]
    pub rsi: u64,
    #[allow(missing_docs)]
    pub rdx: u64,
    #[allow(missing_docs)]
    pub rcx: u64,
    #[allow(missing_docs)]
    pub rbx: u64,
    #[allow(missing_docs)]
    pub rax: u64,
    /// Vector number, pushed by the stub.
    pub vector: u64,
    /// Error code, pushed by the CPU or (0) by the stub.
    pub error_code: u64,
    /// Interrupted instruction, pushed by the CPU.
    pub rip: u64,
    /// Interrupted code segment.
    pub cs: u64,
    /// Interrupted flags.
    pub rflags: u64,
    /// Interrupted stack pointer.
    pub rsp: u64,
    /// Interrupted stack segment.
    pub ss: u64,
}

/// User code and data selectors (see `gdt`; `syscall_entry::init` checks
/// the GDT agrees).
const USER_CODE: u64 = 0x23;
const USER_DATA: u64 = 0x1b;
/// RFLAGS bit 1, always set.
const RFLAGS_FIXED: u64 = 1 << 1;
/// RFLAGS.IF: interrupts enabled.
const RFLAGS_IF: u64 = 1 << 9;
/// RFLAGS.TF: single-step.
const RFLAGS_TF: u64 = 1 << 8;
/// RFLAGS.DF: string operations go down.
const RFLAGS_DF: u64 = 1 << 10;
/// RFLAGS of a fresh user context: interrupts on.
const USER_RFLAGS: u64 = RFLAGS_FIXED | RFLAGS_IF;
/// RFLAGS bits a program may set through `sigreturn`: the arithmetic
/// flags (CF, PF, AF, ZF, SF, OF) and DF; never TF (a forged frame cannot
/// single-step; `popfq` can), IF, IOPL, NT, RF, VM, AC or the ID bits.
const USER_SETTABLE_RFLAGS: u64 = 0xCD5;

impl TrapFrame {
    /// Whether the trap interrupted ring 3.
    pub fn in_user_mode(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The frame that enters a new program in ring 3 at `entry` with
    /// stack pointer `stack_pointer`, interrupts on, and its two arguments
    /// in `rdi` and `rsi`.
    pub fn new_user(entry: u64, stack_pointer: u64, arg0: u64, arg1: u64) -> Self {
        Self {
            rip: entry,
            cs: USER_CODE,
            rflags: USER_RFLAGS,
            rsp: stack_pointer,
            ss: USER_DATA,
            rdi: arg0,
            rsi: arg1,
            ..Self::default()
        }
    }

    /// The registers a signal frame saves (the 18 a program can see).
    pub fn saved_registers(&self) -> SavedRegisters {
        SavedRegisters {
            rax: self.rax,
            rbx: self.rbx,
            rcx: self.rcx,
            rdx: self.rdx,
            rsi: self.rsi,
            rdi: self.rdi,
            rbp: self.rbp,
            r8: self.r8,
            r9: self.r9,
            r10: self.r10,
            r11: self.r11,
            r12: self.r12,
            r13: self.r13,
            r14: self.r14,
            r15: self.r15,
            rip: self.rip,
            rsp: self.rsp,
            rflags: self.rflags,
        }
    }

    /// Redirects the frame into a signal handler at `handler`, with stack
    /// pointer `stack_pointer` and `arg` in `rdi`; the handler starts with
    /// DF and TF clear, as the ABI and a fresh call expect.
    pub fn enter_handler(&mut self, handler: u64, stack_pointer: u64, arg: u64) {
        self.rip = handler;
        self.rsp = stack_pointer;
        self.rdi = arg;
        self.rflags &= !(RFLAGS_DF | RFLAGS_TF);
    }

    /// Restores registers a program saved (`sigreturn`): only the RFLAGS
    /// bits a program may set, interrupts on, and the user selectors
    /// whatever the frame held, so a forged frame cannot leave ring 3 or
    /// turn interrupts off.
    pub fn restore_user_registers(&mut self, registers: &SavedRegisters) {
        self.rax = registers.rax;
        self.rbx = registers.rbx;
        self.rcx = registers.rcx;
        self.rdx = registers.rdx;
        self.rsi = registers.rsi;
        self.rdi = registers.rdi;
        self.rbp = registers.rbp;
        self.r8 = registers.r8;
        self.r9 = registers.r9;
        self.r10 = registers.r10;
        self.r11 = registers.r11;
        self.r12 = registers.r12;
        self.r13 = registers.r13;
        self.r14 = registers.r14;
        self.r15 = registers.r15;
        self.rip = registers.rip;
        self.rsp = registers.rsp;
        self.rflags = (registers.rflags & USER_SETTABLE_RFLAGS) | USER_RFLAGS;
        self.cs = USER_CODE;
        self.ss = USER_DATA;
    }
}

/// Exception and interrupt vectors the kernel names.
pub mod vector {
    /// Divide error (#DE).
    pub const DIVIDE_ERROR: u64 = 0;
    /// Debug (#DB): single-step and hardware breakpoints.
    pub const DEBUG: u64 = 1;
    /// Breakpoint (#BP): `int3`.
    pub const BREAKPOINT: u64 = 3;
    /// Overflow (#OF): `int 4` (`into` does not exist in 64-bit mode).
    pub const OVERFLOW: u64 = 4;
    /// Invalid opcode (#UD).
    pub const INVALID_OPCODE: u64 = 6;
    /// Page fault (#PF).
    pub const PAGE_FAULT: u64 = 14;
    /// x87 floating-point error (#MF).
    pub const X87_FLOATING_POINT: u64 = 16;
    /// SIMD floating-point exception (#XM).
    pub const SIMD_FLOATING_POINT: u64 = 19;
    /// First vector available to devices.
    pub const FIRST_IRQ: u64 = 32;
    /// The local APIC timer.
    pub const TIMER: u64 = 32;
    /// The APIC's spurious-interrupt vector.
    pub const SPURIOUS: u64 = 0xFF;
}
