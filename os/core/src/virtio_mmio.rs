//! `virtio_mmio.device=<size>@<address>[:<irq>[:<id>]]` words on the kernel
//! command line (Linux's syntax): how QEMU's microvm with `acpi=off` and
//! Firecracker announce their virtio-mmio transports.
//!
//! Sizes take an optional `K`, `M` or `G` suffix; numbers are decimal or
//! `0x` hexadecimal, as Linux's `memparse` reads them.

use alloc::vec::Vec;

/// The command-line key.
pub const KEY: &str = "virtio_mmio.device";

/// One announced transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioWindow {
    /// Physical address of its registers.
    pub address: u64,
    /// Size of the register window in bytes.
    pub size: u64,
}

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn size(text: &str) -> Option<u64> {
    let (digits, shift) = match text.as_bytes().last()? {
        b'K' | b'k' => (text.get(..text.len() - 1)?, 10),
        b'M' | b'm' => (text.get(..text.len() - 1)?, 20),
        b'G' | b'g' => (text.get(..text.len() - 1)?, 30),
        _ => (text, 0),
    };
    number(digits)?.checked_mul(1 << shift)
}

/// Parses the value of one `virtio_mmio.device=` word; `None` if malformed.
pub fn parse_value(value: &str) -> Option<MmioWindow> {
    let (size_text, rest) = value.split_once('@')?;
    let address_text = rest.split(':').next()?;
    let window = MmioWindow {
        address: number(address_text)?,
        size: size(size_text)?,
    };
    (window.size > 0).then_some(window)
}

/// Every well-formed `virtio_mmio.device=` word on `command_line`, in order.
pub fn windows(command_line: &str) -> Vec<MmioWindow> {
    command_line
        .split_ascii_whitespace()
        .filter_map(|word| word.split_once('='))
        .filter(|(key, _)| *key == KEY)
        .filter_map(|(_, value)| parse_value(value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_qemu_microvm_words() {
        let line = "image=demo virtio_mmio.device=512@0xfeb00e00:12 \
                    virtio_mmio.device=512@0xfeb00c00:11";
        assert_eq!(
            windows(line),
            [
                MmioWindow {
                    address: 0xfeb0_0e00,
                    size: 512
                },
                MmioWindow {
                    address: 0xfeb0_0c00,
                    size: 512
                }
            ]
        );
    }

    #[test]
    fn reads_firecracker_words_with_suffixes() {
        assert_eq!(
            parse_value("4K@0xd0000000:5"),
            Some(MmioWindow {
                address: 0xd000_0000,
                size: 4096
            })
        );
        assert_eq!(
            parse_value("1M@3489660928"),
            Some(MmioWindow {
                address: 0xd000_0000,
                size: 1 << 20
            })
        );
    }

    #[test]
    fn rejects_malformed_words() {
        for value in [
            "", "512", "@0x1000", "512@", "0@0x1000", "x@0x1000", "512@0xzz",
        ] {
            assert_eq!(parse_value(value), None, "{value}");
        }
        assert!(windows("virtio_mmio.device virtio_mmio.dev=512@0x1000").is_empty());
    }
}
