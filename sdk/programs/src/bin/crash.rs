//! Misbehaves on purpose, in the way its first argument names, to show that
//! a faulting program ends alone and the kernel keeps running:
//!
//! | mode | what it does | expected end |
//! | --- | --- | --- |
//! | `null` | reads address 0x10 | SIGSEGV |
//! | `divide` | divides by zero | SIGFPE |
//! | `opcode` | executes `ud2` | SIGILL |
//! | `kernel-read` | reads kernel memory | SIGSEGV |
//! | `kernel-write` | writes kernel memory | SIGSEGV |
//! | `write-text` | writes to its own code | SIGSEGV |
//! | `bad-pointer` | passes bad pointers to system calls | exit 14 (EFAULT) |
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::{Errno, println};

userlib::entry!(run);

/// An address in the kernel half (the direct map of physical memory).
const KERNEL_ADDRESS: usize = 0xFFFF_8000_0010_0000;

fn run(args: userlib::Args) -> i32 {
    let mode = args.get(1).unwrap_or("");
    println!("crash: {mode}");
    match mode {
        "null" => {
            let address = core::hint::black_box(0x10usize) as *const u8;
            // SAFETY: none: this read faults on purpose (SIGSEGV).
            let value = unsafe { core::ptr::read_volatile(address) };
            println!("read {value} from a null pointer");
        }
        "divide" => {
            let quotient: u64;
            // SAFETY: none: `div` by zero raises #DE on purpose (SIGFPE).
            unsafe {
                core::arch::asm!(
                    "div {divisor}",
                    divisor = in(reg) core::hint::black_box(0u64),
                    inout("rax") 1u64 => quotient,
                    inout("rdx") 0u64 => _,
                );
            }
            println!("divided by zero: {quotient}");
        }
        "opcode" => {
            // SAFETY: none: `ud2` raises #UD on purpose (SIGILL).
            unsafe { core::arch::asm!("ud2") };
        }
        "kernel-read" => {
            let address = core::hint::black_box(KERNEL_ADDRESS) as *const u64;
            // SAFETY: none: ring 3 may not read kernel pages (SIGSEGV).
            let value = unsafe { core::ptr::read_volatile(address) };
            println!("read kernel memory: {value:#x}");
        }
        "kernel-write" => {
            let address = core::hint::black_box(KERNEL_ADDRESS) as *mut u64;
            // SAFETY: none: ring 3 may not write kernel pages (SIGSEGV).
            unsafe { core::ptr::write_volatile(address, 0xbad) };
        }
        "write-text" => {
            let address = core::hint::black_box(run as *const () as usize) as *mut u8;
            // SAFETY: none: text pages are read-only (SIGSEGV).
            unsafe { core::ptr::write_volatile(address, 0xcc) };
        }
        "bad-pointer" => return bad_pointers(),
        _ => {
            println!("crash: unknown mode '{mode}'");
            return 2;
        }
    }
    println!("crash: still alive after '{mode}'");
    1
}

/// Every call gets EFAULT and the process lives on; exits with EFAULT's
/// number if all of them did.
fn bad_pointers() -> i32 {
    use kernel_abi_calls::*;
    let cases: [(&str, i64); 4] = [
        ("write from unmapped memory", write(0xdead_0000, 16)),
        ("write from kernel memory", write(KERNEL_ADDRESS as u64, 16)),
        ("write with a wrapping length", write(0x40_0000, u64::MAX)),
        ("wait into kernel memory", wait_into(KERNEL_ADDRESS as u64)),
    ];
    let mut all_efault = true;
    for (what, result) in cases {
        let ok = result == Errno::EFAULT.as_return();
        all_efault &= ok;
        println!(
            "{what}: {result} ({})",
            if ok { "EFAULT as expected" } else { "WRONG" }
        );
    }
    if all_efault { 14 } else { 1 }
}

/// Raw system calls with arbitrary (bad) pointers.
mod kernel_abi_calls {
    use userlib::process;
    use userlib::raw::syscall;

    pub fn write(address: u64, len: u64) -> i64 {
        // SAFETY: the kernel checks the pointer; that is what is tested.
        unsafe { syscall(kernel_abi::Syscall::Write, [address, len, 0, 0, 0, 0]) }
    }

    pub fn wait_into(address: u64) -> i64 {
        // A child to wait for, so that the bad pointer is what fails.
        let child = process::spawn("exit-with", &["0"]).expect("spawn exit-with");
        // SAFETY: the kernel checks the pointer; that is what is tested.
        let result = unsafe {
            syscall(
                kernel_abi::Syscall::Wait,
                [u64::from(child), address, 0, 0, 0, 0],
            )
        };
        let _ = process::wait_for(child);
        result
    }
}
