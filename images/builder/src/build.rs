//! Building an image: compile the kernel, collect the artifacts.

use crate::manifest::{Manifest, ManifestError};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Rust target of the kernel and the programs.
pub const GUEST_TARGET: &str = "x86_64-unknown-none";

/// Everything needed to boot one image.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// The image name (`images/<name>`).
    pub name: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// `target/images/<name>/`.
    pub dir: PathBuf,
    /// The kernel ELF (PVH-bootable).
    pub kernel: PathBuf,
    /// The kernel command line: the image name plus the manifest's options.
    pub kernel_command_line: String,
    /// The disk: the boot archive (programs and boot list) followed by the
    /// swap area. QEMU attaches it as a virtio-blk device.
    pub disk: PathBuf,
}

/// Where the nested cargo's progress output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildOutput {
    /// Straight to our stderr, so a person sees progress.
    Inherit,
    /// Captured, and returned in the error if the build fails.
    Capture,
}

/// Why an image could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// The manifest is missing or invalid.
    Manifest(ManifestError),
    /// The toolchain cannot build for the guest target, and it could not be
    /// installed.
    MissingTarget(crate::toolchain::MissingTarget),
    /// cargo could not be started.
    CargoNotStarted(std::io::Error),
    /// cargo ran and failed.
    CargoFailed {
        /// What was being built.
        what: String,
        /// cargo's output, when captured.
        log: String,
    },
    /// A program the manifest names was not built (no such binary).
    MissingProgram {
        /// The program.
        name: String,
        /// Why it could not be read.
        error: std::io::Error,
    },
    /// Copying artifacts failed.
    Io(std::io::Error),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Manifest(error) => write!(f, "{error}"),
            BuildError::MissingTarget(missing) => write!(f, "{missing}"),
            BuildError::CargoNotStarted(error) => write!(f, "could not run cargo: {error}"),
            BuildError::CargoFailed { what, log } => {
                write!(f, "building {what} failed: {}", first_error(log))
            }
            BuildError::MissingProgram { name, error } => write!(
                f,
                "the image names program '{name}', which is not a binary of images/programs ({error})"
            ),
            BuildError::Io(error) => write!(f, "could not write the image: {error}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// The first error of a cargo log with rustc's hint for it, on one line:
/// `error[E0463]: can't find crate for `core` (help: ...)`. Without an error
/// line (output not captured, or an unusual failure), the last line.
fn first_error(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let Some(at) = lines.iter().position(|line| line.starts_with("error")) else {
        return lines
            .iter()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map_or_else(
                || "see the cargo output above".to_string(),
                |line| line.to_string(),
            );
    };
    let hint = lines[at + 1..]
        .iter()
        .take_while(|line| !line.starts_with("error") && !line.starts_with("warning"))
        .map(|line| line.trim_start_matches([' ', '=', '|']).trim())
        .find_map(|line| {
            line.strip_prefix("help: ")
                .or_else(|| line.strip_prefix("note: "))
        });
    match hint {
        Some(hint) => format!("{} ({hint})", lines[at]),
        None => lines[at].to_string(),
    }
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

/// Builds image `name`: compiles what it needs and collects the artifacts
/// under `target/images/<name>/`.
pub fn build(name: &str, output: BuildOutput) -> Result<BuiltImage, BuildError> {
    let manifest = Manifest::load(&crate::images_dir(), name).map_err(BuildError::Manifest)?;
    build_manifest(name, name, manifest, output)
}

/// Builds a variant of image `name`: its manifest changed by `edit` (other
/// program arguments, say), collected under `target/images/<name>-<variant>/`
/// so it never replaces the image itself. The kernel still boots as image
/// `name`.
pub fn build_variant(
    name: &str,
    variant: &str,
    edit: impl FnOnce(&mut Manifest),
    output: BuildOutput,
) -> Result<BuiltImage, BuildError> {
    let mut manifest = Manifest::load(&crate::images_dir(), name).map_err(BuildError::Manifest)?;
    edit(&mut manifest);
    build_manifest(name, &format!("{name}-{variant}"), manifest, output)
}

/// Builds image `name` from `manifest` into `target/images/<dir_name>/`.
fn build_manifest(
    name: &str,
    dir_name: &str,
    manifest: Manifest,
    output: BuildOutput,
) -> Result<BuiltImage, BuildError> {
    crate::toolchain::ensure_guest_target().map_err(BuildError::MissingTarget)?;
    cargo_build_guest(&["-p", "os", "--bin", "kernel"], "the kernel", output)?;
    if !manifest.programs.is_empty() {
        cargo_build_guest(&["-p", "programs", "--bins"], "the programs", output)?;
    }

    let dir = target_dir().join("images").join(dir_name);
    std::fs::create_dir_all(&dir).map_err(BuildError::Io)?;
    let guest_release = target_dir().join(GUEST_TARGET).join("release");
    let kernel = dir.join("kernel.elf");
    copy_atomically(&guest_release.join("kernel"), &kernel).map_err(BuildError::Io)?;

    let mut files = Vec::new();
    for program in &manifest.programs {
        let path = guest_release.join(&program.name);
        let contents = std::fs::read(&path).map_err(|error| BuildError::MissingProgram {
            name: program.name.clone(),
            error,
        })?;
        files.push((program.name.clone(), contents));
    }
    let boot = manifest
        .programs
        .iter()
        .filter(|program| program.boot)
        .map(|program| bootfs::BootEntry {
            program: program.name.clone(),
            args: program.args.clone(),
            privileged: program.privileged,
            label: program.label.clone(),
        })
        .collect();
    let mut disk_image = bootfs::write_archive(&files, boot);
    disk_image.resize(
        disk_image.len() + manifest.swap_mib as usize * 1024 * 1024,
        0,
    );
    let disk = dir.join("disk.img");
    write_atomically(&disk, &disk_image).map_err(BuildError::Io)?;

    let kernel_command_line = format!("image={name} {}", manifest.kernel_args)
        .trim()
        .to_string();
    Ok(BuiltImage {
        name: name.to_string(),
        manifest,
        dir,
        kernel,
        kernel_command_line,
        disk,
    })
}

/// Runs `cargo build --release --target x86_64-unknown-none <args>` in the
/// workspace.
fn cargo_build_guest(args: &[&str], what: &str, output: BuildOutput) -> Result<(), BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(crate::workspace_root())
        .args(["build", "--release", "--target", GUEST_TARGET])
        .args(args)
        // Host-only flags (e.g. `-C target-cpu=native`) must not leak into
        // the kernel build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdin(Stdio::null());
    let result = match output {
        BuildOutput::Inherit => command
            .status()
            .map(|status| (status, String::new()))
            .map_err(BuildError::CargoNotStarted)?,
        BuildOutput::Capture => {
            let out = command.output().map_err(BuildError::CargoNotStarted)?;
            (
                out.status,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    if result.0.success() {
        Ok(())
    } else {
        Err(BuildError::CargoFailed {
            what: what.to_string(),
            log: result.1,
        })
    }
}

/// Copies `from` to `to` through a temporary file and a rename, so that a
/// QEMU reading `to` in a parallel test never sees a half-written file.
fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
    write_atomically(to, &std::fs::read(from)?)
}

/// Writes `to` through a temporary file and a rename (see
/// [`copy_atomically`]).
fn write_atomically(to: &Path, contents: &[u8]) -> std::io::Result<()> {
    let temporary = to.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, to)
}

#[cfg(test)]
mod tests {
    use super::first_error;

    #[test]
    fn a_cargo_failure_keeps_the_first_error_and_its_hint() {
        let log = "   Compiling os v0.1.0\n\
error[E0463]: can't find crate for `core`\n  |\n  = note: the `x86_64-unknown-none` target may not be installed\n  = help: consider downloading the target with `rustup target add x86_64-unknown-none`\n\n\
error: could not compile `os`\n";
        assert_eq!(
            first_error(log),
            "error[E0463]: can't find crate for `core` (the `x86_64-unknown-none` target may not be installed)"
        );
        assert_eq!(first_error("error: x\n  = help: do y\n"), "error: x (do y)");
        assert_eq!(first_error("a\nlast line\n\n"), "last line");
        assert_eq!(first_error(""), "see the cargo output above");
    }
}
