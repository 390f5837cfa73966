//! The kernel's pure logic: everything that needs no hardware.
//!
//! The kernel binary (`os/src`) owns the hardware: boot code, descriptor
//! tables, page tables, port I/O, interrupts. Everything it decides (what to
//! send on the link and when to drop it, which physical frames are free, what
//! the boot options mean) lives here instead, as plain safe Rust that builds
//! for the host and is tested there with `cargo test`.
//!
//! Design principles:
//! 1. No `unsafe` here, ever (`forbid(unsafe_code)`): if policy code seems to
//!    need it, the kernel binary grows a safe API instead.
//! 2. No hidden clocks or globals: time and hardware facts come in as
//!    arguments, so every behaviour can be driven from a test.
//! 3. Bounded memory on every hot path: the telemetry ring is fixed-size and
//!    drops the newest frame when full; it never blocks the kernel.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod acpi;
pub mod ahci;
pub mod boot_options;
pub mod creds;
pub mod events;
pub mod firmware;
pub mod frames;
pub mod histogram;
pub mod ipc;
pub mod memory_map;
pub mod multiboot2;
pub mod page_cache;
pub mod ring;
pub mod run_queue;
pub mod signals;
pub mod slots;
pub mod telemetry;
pub mod text;
pub mod virtio_mmio;
pub mod vm;
