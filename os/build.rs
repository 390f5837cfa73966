//! Link the kernel at its fixed addresses (see `linker.ld`).
//!
//! The bare-metal target links position-independent by default; the 32-bit
//! boot code needs absolute addresses, so the kernel is linked `--no-pie`
//! with our script. These are link arguments of the kernel binary only, set
//! here rather than through RUSTFLAGS (which would replace config flags).

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "none" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rerun-if-changed=linker.ld");
    }
}
