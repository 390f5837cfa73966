//! The PVH entry: from 32-bit protected mode to the kernel in long mode.
//!
//! QEMU (and Xen, Firecracker, Cloud Hypervisor) loads our ELF and, finding
//! the `XEN_ELFNOTE_PHYS32_ENTRY` note, jumps to `pvh_start32` in 32-bit
//! protected mode with paging off and `ebx` pointing at the `hvm_start_info`
//! structure. This code zeroes `.bss`, turns on long mode with boot page
//! tables that map the first GiB twice (identity, for the next instructions,
//! and at the kernel base, where the kernel is linked), and calls
//! `kernel_entry(start_info_physical_address)` on the boot stack.
//!
//! The boot page tables are replaced as soon as the kernel has its own (see
//! `paging`); the identity half then disappears so that the lower half of
//! the address space belongs to user programs alone.

core::arch::global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .p2align 2
    .long 4                     /* name size: "Xen\0" */
    .long 8                     /* descriptor size: one 64-bit address */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .quad pvh_start32
    .p2align 2

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    movl %ebx, %esi             /* keep the start_info address */

    /* Zero .bss (the loader need not). */
    movl $__bss_start_phys, %edi
    movl $__bss_end_phys, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl

    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax             /* PAE */
    movl %eax, %cr4
    movl $0xC0000080, %ecx      /* IA32_EFER */
    rdmsr
    orl $0x900, %eax            /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax       /* PG | WP | PE */
    movl %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $boot_long_mode

    .code64
boot_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %esi, %edi             /* argument: start_info physical address */
    movabsq $kernel_entry, %rax
    call *%rax
    ud2

    .section .boot.data, "aw"
    .p2align 12
boot_pml4:
    .quad boot_pdpt_low + 0x3
    .fill 510, 8, 0
    .quad boot_pdpt_high + 0x3
boot_pdpt_low:
    .quad boot_pd + 0x3
    .fill 511, 8, 0
boot_pdpt_high:
    .fill 510, 8, 0
    .quad boot_pd + 0x3         /* 0xFFFFFFFF80000000 -> physical 0 */
    .quad 0
boot_pd:
    .set boot_page, 0
    .rept 512
    .quad (boot_page << 21) | 0x83  /* present, writable, 2 MiB */
    .set boot_page, boot_page + 1
    .endr

    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF    /* 0x10: data */
boot_gdt_pointer:
    .word boot_gdt_pointer - boot_gdt - 1
    .long boot_gdt

    .section .bss
    .p2align 12
boot_stack:
    .skip 64 * 1024
boot_stack_top:
    "#,
    options(att_syntax)
);

/// Called by the boot code in long mode, on the boot stack.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(start_info_physical_address: u32) -> ! {
    crate::start(u64::from(start_info_physical_address))
}
