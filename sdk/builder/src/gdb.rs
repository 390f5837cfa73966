//! The gdb command that attaches to an image booted with `--gdb`.
//!
//! QEMU's gdb server stops the machine before its first instruction. gdb
//! loads the kernel's symbols (the release kernel keeps its line tables and
//! types: see `[profile.release.package.os]` in the workspace manifest) and
//! `tools/gdb/watchtower.py` (commands `wt-current`, `wt-regions`); every
//! program is linked at the same address (`sdk/programs/user.ld`), so
//! the symbols of the one being debugged are added with `add-symbol-file`
//! at its text address.

use crate::build::BuiltImage;
use std::path::{Path, PathBuf};

/// The gdb helpers script.
pub fn helpers_script() -> PathBuf {
    crate::workspace_root()
        .join("tools")
        .join("gdb")
        .join("watchtower.py")
}

/// `word` quoted for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The address of the executable segment of ELF file `elf` (where
/// `add-symbol-file` puts `.text`: the linker script places `.text` first),
/// or `None` if it is not an ELF64 with one.
pub fn text_address(elf: &Path) -> Option<u64> {
    let bytes = std::fs::read(elf).ok()?;
    if bytes.get(..4)? != b"\x7fELF" || *bytes.get(4)? != 2 {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    (0..phnum).find_map(|index| {
        let header = phoff + index * phentsize;
        let (kind, flags) = (u32_at(header)?, u32_at(header + 4)?);
        // PT_LOAD with PF_X.
        (kind == 1 && flags & 1 != 0)
            .then(|| u64_at(header + 16))
            .flatten()
    })
}

/// The `add-symbol-file` command for each program of `image`, with its
/// name.
pub fn program_symbol_commands(image: &BuiltImage) -> Vec<(String, String)> {
    image
        .programs
        .iter()
        .filter_map(|program| {
            let address = text_address(&program.elf)?;
            Some((
                program.name.clone(),
                format!("add-symbol-file {} {address:#x}", program.elf.display()),
            ))
        })
        .collect()
}

/// The one shell command that starts gdb on `image`'s kernel, loads the
/// helpers and attaches to QEMU's gdb server on `port`.
pub fn attach_command(image: &BuiltImage, port: u16) -> String {
    let words = [
        "gdb".to_string(),
        "-q".into(),
        image.kernel.display().to_string(),
        "-ex".into(),
        "set confirm off".into(),
        "-ex".into(),
        format!("source {}", helpers_script().display()),
        "-ex".into(),
        format!("target remote 127.0.0.1:{port}"),
    ];
    words
        .iter()
        .map(|word| shell_quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `--gdb` prints: the attach command, then the `add-symbol-file`
/// line of each program (to type in gdb for the one being debugged).
pub fn instructions(image: &BuiltImage, port: u16) -> String {
    let mut text = format!(
        "QEMU waits for gdb on 127.0.0.1:{port}; in another terminal run:\n\n  {}\n\nthen `continue` (or set breakpoints first, e.g. `break kernel::trap::user_exception`).\n",
        attach_command(image, port)
    );
    let programs = program_symbol_commands(image);
    if !programs.is_empty() {
        text.push_str(
            "Every program is linked at the same address; in gdb, add the symbols of the one you debug\n(and use hbreak on its functions: a hardware breakpoint stops whichever process runs there):\n",
        );
        for (name, command) in programs {
            text.push_str(&format!("  {command}    # {name}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_address_reads_the_executable_segment() {
        let dir = std::env::temp_dir().join(format!("wt-gdb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A minimal ELF64 header with two program headers: a data segment
        // at 0x1000 and a text segment (PF_X) at 0x400000.
        let mut elf = vec![0u8; 64 + 2 * 56];
        elf[..5].copy_from_slice(b"\x7fELF\x02");
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&2u16.to_le_bytes());
        for (index, (flags, address)) in [(6u32, 0x1000u64), (5, 0x40_0000)].into_iter().enumerate()
        {
            let header = 64 + index * 56;
            elf[header..header + 4].copy_from_slice(&1u32.to_le_bytes());
            elf[header + 4..header + 8].copy_from_slice(&flags.to_le_bytes());
            elf[header + 16..header + 24].copy_from_slice(&address.to_le_bytes());
        }
        let path = dir.join("prog");
        std::fs::write(&path, &elf).unwrap();
        assert_eq!(text_address(&path), Some(0x40_0000));
        std::fs::write(&path, b"not an elf").unwrap();
        assert_eq!(text_address(&path), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn words_with_spaces_are_quoted() {
        assert_eq!(shell_quote("set confirm off"), "'set confirm off'");
        assert_eq!(shell_quote("/a/b.elf"), "/a/b.elf");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
