//! Builds bootable images and the QEMU command line that boots them.
//!
//! An image lives in `images/<name>/image.toml`, or in any directory given
//! by path ([`manifest::locate`]): which kernel options it boots with, how
//! much memory it gets and which programs it starts ([`manifest`]);
//! programs come from `sdk/programs`, another Cargo package or C
//! sources ([`sdk`]). [`build()`] compiles the
//! kernel for `x86_64-unknown-none` with a nested `cargo build` and collects
//! everything under `target/images/<name>/`; [`qemu`] turns the result into a
//! `qemu-system-x86_64` command with the serial port on stdio. Before the
//! first guest build, [`toolchain`] makes sure the active Rust toolchain has
//! the guest target, installing it through rustup when it can.
//!
//! [`gdb`] makes the command that attaches gdb to an image booted with
//! `--gdb`, and [`scaffold`] a new image of one's own (`watchtower new`).
//!
//! [`iso`] makes an image's bootable GRUB ISO (multiboot2, the programs as
//! a boot module), which the `iso-bios` and `iso-uefi` machines boot.
//!
//! The dashboard and the boot tests both use this crate, so what a test boots
//! is exactly what a user boots.
#![forbid(unsafe_code)]

pub mod build;
pub mod gdb;
pub mod iso;
pub mod manifest;
pub mod probe;
pub mod qemu;
pub mod scaffold;
pub mod sdk;
pub mod toolchain;

pub use build::{BuildError, BuildOutput, BuiltImage, BuiltProgram, build, build_variant};
pub use qemu::{Accel, Link, Machine, QemuOptions};

use std::path::PathBuf;

/// The image `cargo run --release` boots when no `--image` is given.
pub const DEFAULT_IMAGE: &str = "demo";

/// Root of the workspace this crate was built in.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("sdk/builder sits two levels below the workspace root")
        .to_path_buf()
}

/// Directory holding the crates and the C library programs are built with
/// (`sdk/`: the builder, `userlib`, `programs`, `libc`).
pub fn sdk_dir() -> PathBuf {
    workspace_root().join("sdk")
}

/// Directory holding the image manifests (`images/`).
pub fn images_dir() -> PathBuf {
    workspace_root().join("images")
}

/// Names of all images: the directories under `images/` with an
/// `image.toml`, sorted.
pub fn list_images() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(images_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().join(manifest::MANIFEST_FILE).is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}
