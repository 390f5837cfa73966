//! The bootable ISO of an image: GRUB (BIOS and UEFI), the kernel through
//! its multiboot2 entry, and the image's boot archive as a multiboot2
//! module, so the programs run with no disk at all.
//!
//! `grub-mkrescue` (Debian's `grub-common`, with `grub-pc-bin` for the BIOS
//! El Torito entry, `grub-efi-amd64-bin` for the UEFI one, `xorriso` for the
//! ISO 9660 image and `mtools` for the EFI FAT image) makes a hybrid image:
//! it boots from a CD drive or, written to a USB stick with `dd`, from a
//! disk, under SeaBIOS and OVMF alike.
//!
//! GRUB's `grub.cfg` has no menu and no timeout, and says nothing about
//! serial consoles: COM1 is the telemetry link. (Under OVMF the firmware and
//! GRUB still print a few hundred bytes there before the kernel runs; the
//! kernel starts its stream with a delimiter and the host's decoder skips
//! what came before it.)

use crate::build::BuiltImage;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The tool that makes the ISO.
pub const GRUB_MKRESCUE: &str = "grub-mkrescue";

/// The Debian packages the ISO needs (all `--no-install-recommends`).
pub const ISO_PACKAGES: &str = "grub-pc-bin grub-efi-amd64-bin xorriso mtools";

/// GRUB modules the ISO carries beyond what `grub-mkrescue` always adds.
const GRUB_MODULES: &str = "multiboot2 normal";

/// Where the kernel and the archive sit in the ISO (and what `grub.cfg`
/// names).
const ISO_KERNEL: &str = "boot/kernel.elf";
const ISO_ARCHIVE: &str = "boot/bootfs.bin";

/// Why the ISO could not be made.
#[derive(Debug)]
pub enum IsoError {
    /// A tool or GRUB platform directory is missing: names the Debian
    /// packages to install.
    MissingTools(String),
    /// `grub-mkrescue` failed.
    MkrescueFailed(String),
    /// Reading or writing files.
    Io(std::io::Error),
}

impl std::fmt::Display for IsoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IsoError::MissingTools(what) => write!(
                f,
                "cannot make the ISO: {what}; install the Debian packages with \
                 `apt-get install --no-install-recommends {ISO_PACKAGES}`"
            ),
            IsoError::MkrescueFailed(log) => write!(f, "{GRUB_MKRESCUE} failed: {log}"),
            IsoError::Io(error) => write!(f, "making the ISO: {error}"),
        }
    }
}

impl std::error::Error for IsoError {}

/// The `grub.cfg` for `image`: boot at once, no menu, the kernel with the
/// image's command line and the archive as the first module.
pub fn grub_config(image: &BuiltImage) -> String {
    grub_config_for(&image.kernel_command_line)
}

fn grub_config_for(kernel_command_line: &str) -> String {
    format!(
        "# Made by the image builder (sdk/builder/src/iso.rs).\n\
         set timeout=0\n\
         set timeout_style=hidden\n\
         multiboot2 /{ISO_KERNEL} {kernel_command_line}\n\
         module2 /{ISO_ARCHIVE} bootfs\n\
         boot\n"
    )
}

/// Checks that `grub-mkrescue` and what it needs for both firmware kinds
/// are installed.
pub fn check_tools() -> Result<(), IsoError> {
    let mut missing = Vec::new();
    let runs = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !runs(GRUB_MKRESCUE, "--version") {
        missing.push(format!("{GRUB_MKRESCUE} (grub-common)"));
    }
    if !runs("xorriso", "-version") {
        missing.push("xorriso".to_string());
    }
    if !runs("mformat", "--version") {
        missing.push("mformat (mtools)".to_string());
    }
    for (dir, package) in [
        ("/usr/lib/grub/i386-pc", "grub-pc-bin"),
        ("/usr/lib/grub/x86_64-efi", "grub-efi-amd64-bin"),
    ] {
        if !Path::new(dir).join("multiboot2.mod").exists() {
            missing.push(format!("{dir} ({package})"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(IsoError::MissingTools(format!(
            "missing {}",
            missing.join(", ")
        )))
    }
}

/// Makes `image`'s ISO (again, if it exists) and returns its path,
/// [`BuiltImage::iso`].
pub fn build_iso(image: &BuiltImage) -> Result<PathBuf, IsoError> {
    // One ISO at a time in this process: parallel boot tests of one image
    // would otherwise write the same file.
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _building = BUILDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    check_tools()?;
    let tree = image.dir.join(format!("iso-tree.{}", std::process::id()));
    if tree.exists() {
        std::fs::remove_dir_all(&tree).map_err(IsoError::Io)?;
    }
    std::fs::create_dir_all(tree.join("boot/grub")).map_err(IsoError::Io)?;
    std::fs::copy(&image.kernel, tree.join(ISO_KERNEL)).map_err(IsoError::Io)?;
    std::fs::copy(&image.boot_archive, tree.join(ISO_ARCHIVE)).map_err(IsoError::Io)?;
    std::fs::write(tree.join("boot/grub/grub.cfg"), grub_config(image)).map_err(IsoError::Io)?;

    let iso = image.iso();
    // Written beside the final name and renamed, so a boot running from
    // the old ISO never sees half a file.
    let temporary = iso.with_extension(format!("iso.tmp{}", std::process::id()));
    let output = Command::new(GRUB_MKRESCUE)
        .args([
            "--compress=xz",
            "--locales=",
            "--fonts=",
            "--themes=",
            &format!("--install-modules={GRUB_MODULES}"),
            "-o",
        ])
        .arg(&temporary)
        .arg(&tree)
        .output()
        .map_err(IsoError::Io)?;
    let _ = std::fs::remove_dir_all(&tree);
    if !output.status.success() {
        let _ = std::fs::remove_file(&temporary);
        return Err(IsoError::MkrescueFailed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    std::fs::rename(&temporary, &iso).map_err(IsoError::Io)?;
    Ok(iso)
}

/// Whether `bytes` start like an ISO 9660 image: the primary volume
/// descriptor's "CD001" at 0x8001.
pub fn is_iso9660(bytes: &[u8]) -> bool {
    bytes.get(0x8001..0x8006) == Some(b"CD001".as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_boots_the_kernel_at_once_with_the_image_command_line_and_the_archive() {
        let config = grub_config_for("image=demo heartbeat_ms=50");
        let lines: Vec<&str> = config.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines,
            [
                "set timeout=0",
                "set timeout_style=hidden",
                "multiboot2 /boot/kernel.elf image=demo heartbeat_ms=50",
                "module2 /boot/bootfs.bin bootfs",
                "boot"
            ]
        );
        assert!(!config.contains("serial"), "COM1 is the telemetry link");
    }

    #[test]
    fn recognises_an_iso9660_signature() {
        let mut bytes = vec![0u8; 0x9000];
        assert!(!is_iso9660(&bytes));
        bytes[0x8001..0x8006].copy_from_slice(b"CD001");
        assert!(is_iso9660(&bytes));
        assert!(!is_iso9660(&bytes[..0x8004]));
    }
}
