//! Interrupt and exception entry: 256 stubs, one common path, and the IDT.
//!
//! Every vector has a 16-byte stub that pushes a dummy error code (for
//! vectors where the CPU pushes none) and the vector number, then jumps to
//! `trap_common`, which saves the general registers, calls
//! [`trap_dispatch`] with a pointer to the resulting [`TrapFrame`], restores
//! the registers and returns with `iretq`. The frame is the complete saved
//! state of the interrupted code, so the kernel can inspect it (fault
//! reports) or change it (signal delivery, context switch on return).

use super::gdt::DOUBLE_FAULT_IST_INDEX;
use kernel_abi::signal::SavedRegisters;
use spin::Once;
use x86_64::structures::idt::InterruptDescriptorTable;
use x86_64::{PrivilegeLevel, VirtAddr};

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
/// flags (CF, PF, AF, ZF, SF, OF), TF and DF; never IF, IOPL, NT, RF, VM,
/// AC or the ID bits.
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

core::arch::global_asm!(
    r#"
    .section .text
    .p2align 4
    .global trap_stubs
trap_stubs:
    .set trap_vector, 0
    .rept 256
    .p2align 4
    .if (trap_vector == 8) || ((trap_vector >= 10) && (trap_vector <= 14)) || (trap_vector == 17) || (trap_vector == 21) || (trap_vector == 29) || (trap_vector == 30)
    .else
    pushq $0
    .endif
    pushq $trap_vector
    jmp trap_common
    .set trap_vector, trap_vector + 1
    .endr

    .p2align 4
trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call trap_dispatch
    .global trap_return
trap_return:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp              /* vector and error code */
    iretq
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    /// Start of the 256 stubs, 16 bytes apart.
    static trap_stubs: [u8; 256 * 16];
}

/// Called by `trap_common` for every interrupt and exception.
#[unsafe(no_mangle)]
extern "C" fn trap_dispatch(frame: *mut TrapFrame) {
    // SAFETY: `trap_common` passes the address of the frame it just pushed on
    // the current stack; it is valid, aligned and exclusively ours until we
    // return, when `trap_common` pops it.
    let frame = unsafe { &mut *frame };
    crate::trap::handle(frame);
}

static IDT: Once<InterruptDescriptorTable> = Once::new();

/// Builds and loads the IDT: every vector goes to its stub; the double fault
/// runs on its own IST stack.
pub fn init() {
    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        let base = VirtAddr::from_ptr(&raw const trap_stubs);
        let address = |vector: u64| base + vector * 16;
        // SAFETY: (all handler addresses below) each address is the start of
        // the stub for that vector, which builds a `TrapFrame` and returns
        // with `iretq`, matching what the CPU pushed for the vector.
        unsafe {
            idt.divide_error.set_handler_addr(address(0));
            idt.debug.set_handler_addr(address(1));
            idt.non_maskable_interrupt.set_handler_addr(address(2));
            // `int3` and `int 4` are meant for ring 3 (debuggers'
            // breakpoints, overflow checks), as on every Unix: their gates
            // have DPL 3. Every other vector stays DPL 0, so `int n` on it
            // from ring 3 is a #GP.
            idt.breakpoint
                .set_handler_addr(address(3))
                .set_privilege_level(PrivilegeLevel::Ring3);
            idt.overflow
                .set_handler_addr(address(4))
                .set_privilege_level(PrivilegeLevel::Ring3);
            idt.bound_range_exceeded.set_handler_addr(address(5));
            idt.invalid_opcode.set_handler_addr(address(6));
            idt.device_not_available.set_handler_addr(address(7));
            idt.double_fault
                .set_handler_addr(address(8))
                .set_stack_index(DOUBLE_FAULT_IST_INDEX);
            idt.invalid_tss.set_handler_addr(address(10));
            idt.segment_not_present.set_handler_addr(address(11));
            idt.stack_segment_fault.set_handler_addr(address(12));
            idt.general_protection_fault.set_handler_addr(address(13));
            idt.page_fault.set_handler_addr(address(14));
            idt.x87_floating_point.set_handler_addr(address(16));
            idt.alignment_check.set_handler_addr(address(17));
            idt.machine_check.set_handler_addr(address(18));
            idt.simd_floating_point.set_handler_addr(address(19));
            idt.virtualization.set_handler_addr(address(20));
            idt.cp_protection_exception.set_handler_addr(address(21));
            idt.hv_injection_exception.set_handler_addr(address(28));
            idt.vmm_communication_exception
                .set_handler_addr(address(29));
            idt.security_exception.set_handler_addr(address(30));
            for vector in 32..=255u8 {
                idt[vector].set_handler_addr(address(u64::from(vector)));
            }
        }
        idt
    });
    idt.load();
}
