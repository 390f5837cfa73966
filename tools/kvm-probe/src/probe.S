/* The accelerator probe (see main.rs). AT&T syntax; no braces (this text
 * goes through global_asm!). */

    .set COM1, 0x3f8
    .set DEBUG_EXIT, 0xf4
    .set EXIT_OK, 0x31
    .set EXIT_NOT_EMULATED, 0x32
    .set EXIT_EXCEPTION, 0x33

    .section .note.Xen, "a", @note
    .p2align 2
    .long 4                     /* name size: "Xen\0" */
    .long 8                     /* descriptor size: one 64-bit address */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .quad probe_start32
    .p2align 2

    .section .text.probe, "ax"
    .code32
    .global probe_start32
probe_start32:
    cli
    cld
    /* The user page is the only one ring 3 may touch. */
    movl $probe_user_page, %eax
    shrl $12, %eax
    orl $4, probe_pt(,%eax,8)
    movl $probe_pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax             /* PAE */
    movl %eax, %cr4
    movl $0xC0000080, %ecx      /* IA32_EFER */
    rdmsr
    orl $0x101, %eax            /* LME | SCE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax       /* PG | WP | PE */
    movl %eax, %cr0
    lgdt probe_gdt_pointer
    ljmp $0x08, $probe_long_mode

    .code64
probe_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq $probe_stack_top, %rsp

    /* The TSS descriptor's base (RSP0 is set in the TSS itself). */
    movq $probe_tss, %rax
    movw %ax, probe_gdt_tss + 2
    shrq $16, %rax
    movb %al, probe_gdt_tss + 4
    movb %ah, probe_gdt_tss + 7
    shrq $16, %rax
    movl %eax, probe_gdt_tss + 8
    movw $0x28, %ax
    ltr %ax

    /* IDT gates 0-31: stub i is at probe_stubs + 16 * i. */
    xorl %ecx, %ecx
1:
    movq %rcx, %rax
    shlq $4, %rax
    addq $probe_stubs, %rax
    movq %rcx, %rdi
    shlq $4, %rdi
    addq $probe_idt, %rdi
    movw %ax, (%rdi)            /* offset 15:0 */
    movw $0x08, 2(%rdi)         /* kernel code selector */
    movw $0x8E00, 4(%rdi)       /* present, DPL 0, interrupt gate */
    shrq $16, %rax
    movw %ax, 6(%rdi)           /* offset 31:16 */
    shrq $16, %rax
    movl %eax, 8(%rdi)          /* offset 63:32 */
    incl %ecx
    cmpl $32, %ecx
    jb 1b
    lidt probe_idt_pointer

    /* syscall: kernel CS 0x08 (SS 0x10); sysret: SS 0x1b, CS 0x23. */
    movl $0xC0000081, %ecx      /* STAR */
    xorl %eax, %eax
    movl $0x00100008, %edx
    wrmsr
    movl $0xC0000082, %ecx      /* LSTAR */
    movq $probe_syscall_entry, %rax
    movq %rax, %rdx
    shrq $32, %rdx
    wrmsr
    movl $0xC0000084, %ecx      /* FMASK: IF, TF, DF, AC */
    movl $0x40700, %eax
    xorl %edx, %edx
    wrmsr

    leaq probe_hello(%rip), %rsi
    call probe_print

    /* Ring 3. */
    pushq $0x1b                 /* SS */
    pushq $probe_user_page + 4096 /* RSP */
    pushq $0x2                  /* RFLAGS */
    pushq $0x23                 /* CS */
    pushq $probe_user_code      /* RIP */
    iretq

/* LSTAR: the system call lands here, in ring 0 if the CPU did its job. */
    .p2align 4
    .global probe_syscall_entry
probe_syscall_entry:
    movq $probe_stack_top, %rsp
    movw %cs, %ax
    testw $3, %ax
    jnz probe_exception_other
    cmpq $42, %rdi
    jne probe_exception_other
    leaq probe_ok(%rip), %rsi
    call probe_print
    movb $EXIT_OK, %al
    jmp probe_exit

/* Exception stubs: push a zero error code where the CPU pushes none, then
 * the vector. */
    .p2align 4
probe_stubs:
    .set vector, 0
    .rept 32
    .p2align 4
    .if (vector == 8) || (vector == 10) || (vector == 11) || (vector == 12) || (vector == 13) || (vector == 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    pushq $0
    .endif
    pushq $vector
    jmp probe_exception
    .set vector, vector + 1
    .endr

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
probe_exception:
    cmpq $14, (%rsp)
    jne probe_exception_report
    testq $3, 24(%rsp)
    jz probe_exception_report
    movq $probe_syscall_entry, %rax
    cmpq %rax, 16(%rsp)
    jne probe_exception_report
    leaq probe_not_emulated(%rip), %rsi
    call probe_print
    movb $EXIT_NOT_EMULATED, %al
    jmp probe_exit
probe_exception_report:
    movq (%rsp), %rbx
    leaq probe_exception_text(%rip), %rsi
    call probe_print
    movq %rbx, %rdi
    shrq $4, %rdi
    call probe_print_hex_digit
    movq %rbx, %rdi
    call probe_print_hex_digit
    movb $10, %al
    call probe_putc
probe_exception_other:
    movb $EXIT_EXCEPTION, %al
probe_exit:
    movw $DEBUG_EXIT, %dx
    outb %al, %dx
2:
    hlt
    jmp 2b

/* Prints the NUL-terminated string at %rsi. */
probe_print:
    lodsb
    testb %al, %al
    jz 3f
    call probe_putc
    jmp probe_print
3:
    ret

/* Prints the low nibble of %rdi as a hex digit. */
probe_print_hex_digit:
    movq %rdi, %rax
    andb $15, %al
    addb $48, %al
    cmpb $58, %al
    jb 4f
    addb $39, %al
4:
    jmp probe_putc

/* Writes %al to COM1 once its transmitter is empty. */
probe_putc:
    movb %al, %ah
    movw $COM1 + 5, %dx
5:
    inb %dx, %al
    testb $0x20, %al
    jz 5b
    movb %ah, %al
    movw $COM1, %dx
    outb %al, %dx
    ret

    .section .rodata.probe, "a"
probe_hello:
    .asciz "kvm-probe: entering ring 3\n"
probe_ok:
    .asciz "kvm-probe: syscall ok\n"
probe_not_emulated:
    .asciz "kvm-probe: syscall not emulated (user-mode #PF at LSTAR)\n"
probe_exception_text:
    .asciz "kvm-probe: exception "

/* The user page: one system call (number in rdi = 42), then a fault. */
    .section .probe_user, "awx"
    .p2align 12
probe_user_page:
probe_user_code:
    movq $42, %rdi
    syscall
    ud2
    .p2align 12

    .section .data.probe, "aw"
    .p2align 12
probe_pml4:
    .quad probe_pdpt + 0x7
    .fill 511, 8, 0
probe_pdpt:
    .quad probe_pd + 0x7
    .fill 511, 8, 0
probe_pd:
    .quad probe_pt + 0x7
    .fill 511, 8, 0
probe_pt:
    .set page, 0
    .rept 512
    .quad (page << 12) | 0x3    /* present, writable, supervisor */
    .set page, page + 1
    .endr

    .p2align 3
probe_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    /* 0x08: kernel code, 64-bit */
    .quad 0x00CF92000000FFFF    /* 0x10: kernel data */
    .quad 0x00CFF2000000FFFF    /* 0x18: user data (0x1b) */
    .quad 0x00AFFA000000FFFF    /* 0x20: user code, 64-bit (0x23) */
probe_gdt_tss:
    .quad 0x0000890000000067    /* 0x28: TSS, base filled in at boot */
    .quad 0
probe_gdt_end:
probe_gdt_pointer:
    .word probe_gdt_end - probe_gdt - 1
    .long probe_gdt

    .p2align 4
probe_tss:
    .long 0
    .quad probe_stack_top       /* RSP0 */
    .fill 90, 1, 0
    .word 104                   /* I/O map base: none */

    .p2align 4
probe_idt_pointer:
    .word 32 * 16 - 1
    .quad probe_idt

    .section .bss.probe, "aw", @nobits
    .p2align 12
probe_idt:
    .skip 32 * 16
    .p2align 4
probe_stack:
    .skip 16384
probe_stack_top:
