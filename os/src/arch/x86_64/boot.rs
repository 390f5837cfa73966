//! The two entries, PVH and multiboot2: from 32-bit protected mode to the
//! kernel in long mode.
//!
//! QEMU (and Xen, Firecracker, Cloud Hypervisor) loads our ELF and, finding
//! the `XEN_ELFNOTE_PHYS32_ENTRY` note, jumps to `pvh_start32` in 32-bit
//! protected mode with paging off and `ebx` pointing at the `hvm_start_info`
//! structure. GRUB (the bootable ISO) finds the multiboot2 header at the
//! start of `.boot.text` and jumps to `mb2_start32` (named by the header's
//! entry-address tag; the ELF entry stays `pvh_start32`), also in 32-bit
//! protected mode with paging off, `eax` = the multiboot2 magic and `ebx`
//! pointing at the multiboot2 information (MBI). Firmware leaves different
//! control registers behind (OVMF: CR0.WP, CR4.OSFXSR, EFER.NXE), so the
//! common path writes CR0, CR4 and EFER whole rather than OR-ing bits in.
//!
//! The common path zeroes `.bss`, turns on long mode with boot page
//! tables that map the first GiB twice (identity, for the next instructions,
//! and at the kernel base, where the kernel is linked), and calls
//! `kernel_entry(info_physical_address, entry)` on the boot stack, where
//! `entry` says which structure the address points at.
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

    /* The multiboot2 header: 8-byte aligned in the first 32 KiB of the
       file (the linker puts .boot.multiboot2 first). */
    .section .boot.multiboot2, "a"
    .p2align 3
mb2_header:
    .long 0xE85250D6                    /* magic */
    .long 0                             /* architecture: i386 (32-bit protected mode) */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (0xE85250D6 + (mb2_header_end - mb2_header))
    .p2align 3
    .short 3, 0                         /* entry-address tag */
    .long 12
    .long mb2_start32
    .p2align 3
    .short 0, 0                         /* end tag */
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    movl %ebx, %esi             /* keep the start_info address */
    xorl %ebx, %ebx             /* entry 0: PVH */
    jmp boot_common32

    .global mb2_start32
mb2_start32:
    cli
    cld
    cmpl $0x36d76289, %eax      /* the multiboot2 loader magic */
1:  jne 1b                      /* not a multiboot2 loader: nothing to report to */
    movl %ebx, %esi             /* keep the MBI address */
    movl $1, %ebx               /* entry 1: multiboot2 */

boot_common32:
    /* Known control-register state whatever the firmware left: paging
       off, protected mode (PE | ET), no CR4 features, EFER clear. */
    movl $0x11, %eax
    movl %eax, %cr0
    xorl %eax, %eax
    movl %eax, %cr4
    movl $0xC0000080, %ecx      /* IA32_EFER */
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr

    /* Zero .bss (the loader need not). */
    movl $__bss_start_phys, %edi
    movl $__bss_end_phys, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl

    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0x20, %eax            /* PAE */
    movl %eax, %cr4
    movl $0xC0000080, %ecx      /* IA32_EFER */
    movl $0x900, %eax           /* LME | NXE */
    xorl %edx, %edx
    wrmsr
    movl $0x80010011, %eax      /* PG | WP | ET | PE */
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
    movl %esi, %edi             /* argument 1: start_info or MBI physical address */
    movl %ebx, %esi             /* argument 2: the entry (0 PVH, 1 multiboot2) */
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

/// How the kernel was entered, and where the loader's information is.
#[derive(Clone, Copy, Debug)]
pub enum BootEntry {
    /// Through `pvh_start32`: the physical address of `hvm_start_info`.
    Pvh(u64),
    /// Through `mb2_start32`: the physical address of the multiboot2
    /// information.
    Multiboot2(u64),
}

/// Called by the boot code in long mode, on the boot stack.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(info_physical_address: u32, entry: u32) -> ! {
    let address = u64::from(info_physical_address);
    crate::start(if entry == 1 {
        BootEntry::Multiboot2(address)
    } else {
        BootEntry::Pvh(address)
    })
}
