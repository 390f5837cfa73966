//! Everything specific to x86_64 and the PC platform: the only home of
//! assembly, port I/O, descriptor tables, the APIC and page-table bits.
//!
//! # Safety
//! Blanket assumptions of this module, relied on by the `unsafe` blocks in
//! it:
//! 1. One CPU. No other core touches kernel data.
//! 2. The kernel runs with interrupts disabled except in the idle loop and
//!    in user mode, so kernel code is never interrupted by the kernel.
//! 3. The kernel runs in ring 0 with I/O privilege.

pub mod apic;
pub mod boot;
pub mod context;
pub mod cpu;
pub mod firmware;
pub mod fpu;
pub mod frame;
pub mod gdt;
pub mod mmio;
pub mod multiboot2;
pub mod paging;
pub mod pci_config;
pub mod physmem;
pub mod pic;
pub mod pit;
pub mod pvh;
pub mod rtc;
pub mod serial;
pub mod syscall_entry;
pub mod trap;
pub mod tsc;
pub mod virtio_hal;
pub mod virtio_mmio;
