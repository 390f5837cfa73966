//! Link user programs at their fixed address (see `user.ld`), statically,
//! with every loadable segment page-aligned in the file (so the kernel can
//! map file pages directly) and no RELRO split of the data segment.
//!
//! Also generates the large file the `reader` program carries in its
//! read-only data (`$OUT_DIR/reader-file.bin`, never committed): see
//! [`write_reader_file`].

use std::io::Write;

/// Size of the reader's file.
const READER_FILE_BYTES: usize = 6 * 1024 * 1024;

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
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    write_reader_file(&std::path::Path::new(&out).join("reader-file.bin"))
        .expect("the reader's file can be written to OUT_DIR");
}

/// Writes the reader's file: page `i` starts with `i` (little-endian u64)
/// and the tag `wt-file!`, so the reader can check that each page it faults
/// in is the right one; the rest is a pseudo-random stream seeded by `i`.
fn write_reader_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(READER_FILE_BYTES);
    for page in 0..(READER_FILE_BYTES / 4096) as u64 {
        bytes.extend_from_slice(&page.to_le_bytes());
        bytes.extend_from_slice(b"wt-file!");
        let mut state = (page + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for _ in 0..(4096 - 16) / 8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
    }
    let mut file = std::fs::File::create(path)?;
    file.write_all(&bytes)
}
