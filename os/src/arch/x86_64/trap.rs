//! Interrupt and exception entry: 256 stubs, one common path, and the IDT.
//!
//! Every vector has a 16-byte stub that pushes a dummy error code (for
//! vectors where the CPU pushes none) and the vector number, then jumps to
//! `trap_common`, which saves the general registers, calls
//! [`trap_dispatch`] with a pointer to the resulting [`TrapFrame`], restores
//! the registers and returns with `iretq`. The frame is the complete saved
//! state of the interrupted code, so the kernel can inspect it (fault
//! reports) or change it (signal delivery, context switch on return).

use super::frame::TrapFrame;
use super::gdt::DOUBLE_FAULT_IST_INDEX;
use spin::Once;
use x86_64::structures::idt::InterruptDescriptorTable;
use x86_64::{PrivilegeLevel, VirtAddr};

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
