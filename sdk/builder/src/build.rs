//! Building an image: compile the kernel, collect the artifacts.

use crate::manifest::{Manifest, ManifestError, ProgramSource, ProgramSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Rust target of the kernel and the programs.
pub const GUEST_TARGET: &str = "x86_64-unknown-none";

/// Everything needed to boot one image.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// The image name (`images/<name>`, or the directory's name for an
    /// image given by path): what the kernel boots as (`image=`).
    pub name: String,
    /// The directory holding the image's `image.toml`.
    pub source_dir: PathBuf,
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
    /// The boot archive alone (the disk's first bytes, without the swap
    /// area): the multiboot2 module of the ISO.
    pub boot_archive: PathBuf,
    /// The image's programs, in manifest order, each with a copy of its ELF
    /// (with its line tables, for gdb's `add-symbol-file`).
    pub programs: Vec<BuiltProgram>,
}

impl BuiltImage {
    /// Where the image's bootable ISO goes: `target/images/<name>/<name>.iso`
    /// (made on demand by [`crate::iso::build_iso`]).
    pub fn iso(&self) -> PathBuf {
        self.dir.join(format!("{}.iso", self.name))
    }
}

/// One program of a built image.
#[derive(Clone, Debug)]
pub struct BuiltProgram {
    /// Its name in the image.
    pub name: String,
    /// `target/images/<image>/programs/<name>`: the ELF the disk holds.
    pub elf: PathBuf,
    /// Where it came from.
    pub source: ProgramSource,
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
    /// The C compiler failed (or could not be run) for a C program.
    CFailed {
        /// The program.
        name: String,
        /// The compiler's output, or why it could not run.
        log: String,
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
                "the image names program '{name}', which was not built (no such binary of its package: {error})"
            ),
            BuildError::CFailed { name, log } => {
                let first = log
                    .lines()
                    .find(|line| line.contains("error"))
                    .or_else(|| log.lines().find(|line| !line.trim().is_empty()))
                    .unwrap_or("no output");
                write!(f, "compiling the C program '{name}' failed: {first}")
            }
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

/// Builds image `image`, a name under `images/` or a path to a directory
/// with an `image.toml` (see [`crate::manifest::locate`]): compiles what it
/// needs and collects the artifacts under `target/images/<name>/` (for a
/// path, `target/images/ext-<name>-<hash of the path>/`).
pub fn build(image: &str, output: BuildOutput) -> Result<BuiltImage, BuildError> {
    let location = crate::manifest::locate(image).map_err(BuildError::Manifest)?;
    let manifest = Manifest::load_dir(&location.dir).map_err(BuildError::Manifest)?;
    let dir_name = output_dir_name(&location);
    build_manifest(&location.name, &location.dir, &dir_name, manifest, output)
}

/// Builds a variant of image `image` (a name or a path, as for [`build`]):
/// its manifest changed by `edit` (other program arguments, say), collected
/// under `target/images/<name>-<variant>/` so it never replaces the image
/// itself. The kernel still boots as image `name`.
pub fn build_variant(
    image: &str,
    variant: &str,
    edit: impl FnOnce(&mut Manifest),
    output: BuildOutput,
) -> Result<BuiltImage, BuildError> {
    let location = crate::manifest::locate(image).map_err(BuildError::Manifest)?;
    let mut manifest = Manifest::load_dir(&location.dir).map_err(BuildError::Manifest)?;
    edit(&mut manifest);
    let dir_name = format!("{}-{variant}", output_dir_name(&location));
    build_manifest(&location.name, &location.dir, &dir_name, manifest, output)
}

/// The directory under `target/images/` an image is collected in.
fn output_dir_name(location: &crate::manifest::ImageLocation) -> String {
    if location.external {
        format!(
            "ext-{}-{:08x}",
            location.name,
            path_hash(&location.dir) as u32
        )
    } else {
        location.name.clone()
    }
}

/// A stable hash of a path (FNV-1a), to keep the build directories of
/// different image directories with the same name apart.
fn path_hash(path: &Path) -> u64 {
    path.to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Builds image `name` (whose manifest lives in `source_dir`) from
/// `manifest` into `target/images/<dir_name>/`.
fn build_manifest(
    name: &str,
    source_dir: &Path,
    dir_name: &str,
    manifest: Manifest,
    output: BuildOutput,
) -> Result<BuiltImage, BuildError> {
    crate::toolchain::ensure_guest_target().map_err(BuildError::MissingTarget)?;
    cargo_build_guest(&["-p", "os", "--bin", "kernel"], "the kernel", output)?;
    let in_tree = |program: &ProgramSpec| program.source() == ProgramSource::InTree;
    if manifest.programs.iter().any(in_tree) {
        cargo_build_guest(&["-p", "programs", "--bins"], "the programs", output)?;
    }

    let dir = target_dir().join("images").join(dir_name);
    let programs_dir = dir.join("programs");
    std::fs::create_dir_all(&programs_dir).map_err(BuildError::Io)?;
    let guest_release = target_dir().join(GUEST_TARGET).join("release");
    let kernel = dir.join("kernel.elf");
    copy_atomically(&guest_release.join("kernel"), &kernel).map_err(BuildError::Io)?;

    let mut files = Vec::new();
    let mut programs = Vec::new();
    for program in &manifest.programs {
        let built = match program.source() {
            ProgramSource::InTree => guest_release.join(program.bin_name()),
            ProgramSource::Cargo => crate::sdk::build_cargo_program(source_dir, program, output)?,
            ProgramSource::C => crate::sdk::build_c_program(source_dir, dir_name, program)?,
        };
        let contents = std::fs::read(&built).map_err(|error| BuildError::MissingProgram {
            name: program.name.clone(),
            error,
        })?;
        let elf = programs_dir.join(&program.name);
        write_atomically(&elf, &contents).map_err(BuildError::Io)?;
        programs.push(BuiltProgram {
            name: program.name.clone(),
            elf,
            source: program.source(),
        });
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
    let boot_archive = dir.join("bootfs.bin");
    write_atomically(&boot_archive, &disk_image).map_err(BuildError::Io)?;
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
        source_dir: source_dir.to_path_buf(),
        manifest,
        dir,
        kernel,
        kernel_command_line,
        disk,
        boot_archive,
        programs,
    })
}

/// Runs `cargo build --release --target x86_64-unknown-none <args>` in the
/// workspace.
fn cargo_build_guest(args: &[&str], what: &str, output: BuildOutput) -> Result<(), BuildError> {
    let mut command = guest_cargo();
    command.current_dir(crate::workspace_root()).args(args);
    run_cargo(command, what, output)
}

/// `cargo build --release --target x86_64-unknown-none`, without the
/// host's RUSTFLAGS.
pub(crate) fn guest_cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", GUEST_TARGET])
        // Host-only flags (e.g. `-C target-cpu=native`) must not leak into
        // the kernel build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdin(Stdio::null());
    command
}

/// Runs a cargo `command` built by [`guest_cargo`].
pub(crate) fn run_cargo(
    mut command: Command,
    what: &str,
    output: BuildOutput,
) -> Result<(), BuildError> {
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
pub(crate) fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
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
