//! Programs from outside `sdk/programs`: other Cargo packages and C.
//!
//! A Cargo program ([`crate::manifest::ProgramSource::Cargo`]) is any
//! package that depends on `userlib` (by path or git) and declares its main
//! function with `userlib::entry!`. It is built for the guest target with
//! the linker script and flags `sdk/programs/build.rs` gives the
//! programs of this repository (passed as `-C link-arg`s, so the package
//! needs no build script), with line tables kept for gdb, in its own target
//! directory under `target/sdk/`.
//!
//! A C program ([`crate::manifest::ProgramSource::C`]) is compiled and
//! linked in one `cc` run with the crt0 and libc of `sdk/libc`: freestanding
//! (`-ffreestanding -nostdinc -nostdlib`, no headers of the host but the
//! compiler's own `stdarg.h`, `stddef.h`, `stdint.h`), general registers
//! only (processes have no FPU state of their own yet), no red zone, no
//! PIE, statically at the same address and with the same linker script as
//! the Rust programs.

use crate::build::{BuildError, BuildOutput, GUEST_TARGET};
use crate::manifest::ProgramSpec;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The linker script of every user program.
pub fn user_linker_script() -> PathBuf {
    crate::sdk_dir().join("programs").join("user.ld")
}

/// The directory of the C library (`include/`, `src/`, `crt0.S`).
pub fn libc_dir() -> PathBuf {
    crate::sdk_dir().join("libc")
}

/// The C compiler: `$CC`, else `cc`.
fn c_compiler() -> String {
    std::env::var("CC")
        .ok()
        .filter(|cc| !cc.trim().is_empty())
        .unwrap_or_else(|| "cc".into())
}

/// The flags every C program is compiled with (before its own `cflags`).
pub fn c_flags(compiler_include: &Path) -> Vec<String> {
    let libc = libc_dir();
    [
        "-std=gnu11",
        "-O2",
        "-g",
        "-Wall",
        "-ffreestanding",
        "-fno-pie",
        "-fno-stack-protector",
        "-fno-asynchronous-unwind-tables",
        "-mno-red-zone",
        "-mgeneral-regs-only",
        "-fno-tree-loop-distribute-patterns",
        "-nostdinc",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        "-isystem".into(),
        compiler_include.display().to_string(),
        "-I".into(),
        libc.join("include").display().to_string(),
    ])
    .collect()
}

/// The link flags of a C program.
pub fn c_link_flags() -> Vec<String> {
    vec![
        "-nostdlib".into(),
        "-static".into(),
        "-no-pie".into(),
        format!("-Wl,-T,{}", user_linker_script().display()),
        "-Wl,-z,max-page-size=4096".into(),
        "-Wl,-z,norelro".into(),
        "-Wl,-z,noexecstack".into(),
        "-Wl,--build-id=none".into(),
    ]
}

/// The C library's sources: crt0 first, then `src/*.c` in name order.
pub fn libc_sources() -> std::io::Result<Vec<PathBuf>> {
    let libc = libc_dir();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(libc.join("src"))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c" || ext == "S"))
        .collect();
    sources.sort();
    let mut all = vec![libc.join("crt0.S")];
    all.extend(sources);
    Ok(all)
}

/// The compiler's own header directory (`stdarg.h`, `stddef.h`, ...).
fn compiler_include(cc: &str) -> Result<PathBuf, String> {
    let output = Command::new(cc)
        .arg("-print-file-name=include")
        .stdin(Stdio::null())
        .output()
        .map_err(|error| {
            format!("cannot run the C compiler '{cc}' ({error}); install Debian's gcc")
        })?;
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && dir.join("stdarg.h").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "'{cc} -print-file-name=include' names no directory with stdarg.h"
        ))
    }
}

/// Compiles and links C program `program` (sources relative to
/// `source_dir`) into `target/sdk/c/<image_dir>/<name>`; returns the ELF.
pub fn build_c_program(
    source_dir: &Path,
    image_dir: &str,
    program: &ProgramSpec,
) -> Result<PathBuf, BuildError> {
    let failed = |log: String| BuildError::CFailed {
        name: program.name.clone(),
        log,
    };
    let cc = c_compiler();
    let include = compiler_include(&cc).map_err(failed)?;
    let out_dir = crate::build::target_dir()
        .join("sdk")
        .join("c")
        .join(image_dir);
    std::fs::create_dir_all(&out_dir).map_err(BuildError::Io)?;
    let out = out_dir.join(&program.name);
    let libc = libc_sources().map_err(|error| {
        failed(format!(
            "cannot read the C library in {}: {error}",
            libc_dir().display()
        ))
    })?;
    let mut command = Command::new(&cc);
    command
        .current_dir(source_dir)
        .args(c_flags(&include))
        .args(&program.cflags)
        .args(&libc)
        .args(program.c.iter().map(|source| source_dir.join(source)))
        .args(c_link_flags())
        .arg("-lgcc")
        .arg("-o")
        .arg(&out)
        .stdin(Stdio::null());
    let output = command
        .output()
        .map_err(|error| failed(format!("cannot run the C compiler '{cc}': {error}")))?;
    if !output.status.success() {
        return Err(failed(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Ok(out)
}

/// The `-C` flags that link a Rust user program (what
/// `sdk/programs/build.rs` passes for the programs of this repository).
pub fn rust_link_flags() -> Vec<String> {
    vec![
        format!("-Clink-arg=-T{}", user_linker_script().display()),
        "-Clink-arg=--no-pie".into(),
        "-Clink-arg=-zseparate-loadable-segments".into(),
        "-Clink-arg=-znorelro".into(),
    ]
}

/// Builds the binary of Cargo program `program` (its package at `path`,
/// relative to `source_dir`, or `package` of this workspace); returns the
/// ELF.
pub fn build_cargo_program(
    source_dir: &Path,
    program: &ProgramSpec,
    output: BuildOutput,
) -> Result<PathBuf, BuildError> {
    let (manifest, target) = match &program.path {
        Some(path) => {
            let dir = source_dir.join(path);
            let dir = dir
                .canonicalize()
                .map_err(|error| BuildError::MissingProgram {
                    name: program.name.clone(),
                    error: std::io::Error::new(
                        error.kind(),
                        format!("no package directory {}: {error}", dir.display()),
                    ),
                })?;
            let hash = dir
                .to_string_lossy()
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                });
            let target = format!(
                "{}-{:08x}",
                crate::manifest::image_name_of(&dir),
                hash as u32
            );
            (dir.join("Cargo.toml"), target)
        }
        None => (
            crate::workspace_root().join("Cargo.toml"),
            "workspace".to_string(),
        ),
    };
    let target_dir = crate::build::target_dir().join("sdk").join(target);
    let mut command = crate::build::guest_cargo();
    command
        .current_dir(manifest.parent().unwrap_or(Path::new(".")))
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--bin", program.bin_name()])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", rust_link_flags().join("\u{1f}"))
        .env("CARGO_PROFILE_RELEASE_DEBUG", "line-tables-only");
    if let Some(package) = &program.package {
        command.args(["-p", package]);
    }
    crate::build::run_cargo(command, &format!("program '{}'", program.name), output)?;
    Ok(target_dir
        .join(GUEST_TARGET)
        .join("release")
        .join(program.bin_name()))
}
