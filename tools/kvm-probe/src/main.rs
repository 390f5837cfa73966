//! The accelerator probe: a tiny kernel of ours that answers one question,
//! "does this hypervisor run a ring-3 `syscall`?", before the dashboard
//! boots the real kernel under it.
//!
//! It boots through PVH (QEMU `-kernel`), turns on long mode with the first
//! 2 MiB identity-mapped (supervisor-only, but for one user page), sets
//! STAR/LSTAR, enters ring 3 with `iretq` and makes one `syscall`. It reports
//! on COM1 and powers off through `isa-debug-exit` (QEMU's exit status is
//! `code << 1 | 1`):
//!
//! | line on COM1 | code | meaning |
//! |---|---|---|
//! | `kvm-probe: syscall ok` | 0x31 (status 99) | the LSTAR stub ran in ring 0 |
//! | `kvm-probe: syscall not emulated` | 0x32 (status 101) | a user-mode #PF at LSTAR: the CPU jumped to LSTAR without entering ring 0 (`kvm_pvm`) |
//! | `kvm-probe: exception NN` | 0x33 (status 103) | any other exception |
//!
//! The dashboard's side (building, running, reading the verdict, caching
//! it) is `image_builder::probe`. On the host this crate builds to a stub.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
core::arch::global_asm!(include_str!("probe.S"), options(att_syntax));

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // No Rust code runs in the probe; this only satisfies `no_std`.
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "this is the accelerator probe; it runs only inside QEMU. Build it with \
         `cargo build --release -p kvm-probe --target x86_64-unknown-none`."
    );
    std::process::exit(2);
}
