//! Link user programs at their fixed address (see `user.ld`), statically,
//! with every loadable segment page-aligned in the file (so the kernel can
//! map file pages directly) and no RELRO split of the data segment.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "none" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        println!("cargo:rustc-link-arg-bins=-T{dir}/user.ld");
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=-zseparate-loadable-segments");
        println!("cargo:rustc-link-arg-bins=-znorelro");
        println!("cargo:rerun-if-changed=user.ld");
    }
}
