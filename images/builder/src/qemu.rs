//! The QEMU command line for a built image.
//!
//! The machine is `q35` under TCG by default: on this class of host `/dev/kvm`
//! is nested and slow to boot firmware, so KVM is opt-in. The serial port
//! (COM1) is the telemetry link and is wired to QEMU's stdin and stdout; the
//! `isa-debug-exit` device lets the guest power off with an exit code.

use crate::build::BuiltImage;
use std::process::Command;

/// The QEMU binary we run.
pub const QEMU_BINARY: &str = "qemu-system-x86_64";

/// The Debian package that provides [`QEMU_BINARY`].
pub const QEMU_PACKAGE: &str = "qemu-system-x86";

/// I/O port of the `isa-debug-exit` device.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;

/// gdb's usual port for a remote target (QEMU's `-s`).
pub const DEFAULT_GDB_PORT: u16 = 1234;

/// Which accelerator QEMU uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Accel {
    /// Software emulation: slower, but starts at once and behaves the same
    /// everywhere. The default.
    #[default]
    Tcg,
    /// Hardware virtualisation through `/dev/kvm`.
    Kvm,
}

impl Accel {
    /// The name QEMU uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }
}

/// Which machine QEMU emulates, and how the kernel and its disk reach it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Machine {
    /// `-machine q35`: the kernel through PVH (`-kernel`), the disk as
    /// virtio-blk on PCI. The default.
    #[default]
    Q35,
    /// `-machine microvm`: the kernel through PVH, the disk as virtio-blk
    /// over virtio-mmio; no PCI.
    Microvm,
}

impl Machine {
    /// Every machine, in the order `--help` lists them.
    pub const ALL: [Machine; 2] = [Machine::Q35, Machine::Microvm];

    /// The name `--machine` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Machine::Q35 => "q35",
            Machine::Microvm => "microvm",
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Machine {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Machine::ALL
            .into_iter()
            .find(|machine| machine.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Machine::ALL.iter().map(|m| m.as_str()).collect();
                format!("unknown machine '{name}' (one of: {})", names.join(", "))
            })
    }
}

/// How to run QEMU, beyond what the image says.
#[derive(Clone, Debug, Default)]
pub struct QemuOptions {
    /// The machine.
    pub machine: Machine,
    /// The accelerator.
    pub accel: Accel,
    /// Start paused with a gdb server on 127.0.0.1 ([`QemuOptions::gdb_port`];
    /// `-gdb tcp:127.0.0.1:PORT -S`).
    pub wait_for_gdb: bool,
    /// The gdb server's port; `None` is [`DEFAULT_GDB_PORT`].
    pub gdb_port: Option<u16>,
    /// Extra arguments appended verbatim.
    pub extra_args: Vec<String>,
    /// Where COM1 goes, as QEMU's `-serial` value; `None` is `stdio` (the
    /// dashboard reads QEMU's stdout). For example
    /// `unix:/tmp/guest.sock,server=on,wait=off` lets a dashboard attach.
    pub serial: Option<String>,
}

/// Builds the QEMU command for `image`. The caller decides stdio; the guest's
/// COM1 is QEMU's stdin/stdout.
pub fn command(image: &BuiltImage, options: &QemuOptions) -> Command {
    let mut command = Command::new(QEMU_BINARY);
    let machine = match options.machine {
        Machine::Q35 => "q35",
        Machine::Microvm => "microvm",
    };
    command
        .args(["-machine", machine, "-accel", options.accel.as_str()])
        .args(["-m", &format!("{}M", image.manifest.memory_mib)])
        .args(["-smp", "1", "-nodefaults", "-display", "none", "-no-reboot"])
        .args(["-serial", options.serial.as_deref().unwrap_or("stdio")])
        .args(["-monitor", "none"])
        .args([
            "-device",
            &format!("isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"),
        ])
        .arg("-kernel")
        .arg(&image.kernel)
        // The disk is opened copy-on-write (snapshot=on): swap writes never
        // reach the file, so parallel boots of one image share it safely.
        .arg("-drive")
        .arg(drive_argument(&image.disk));
    match options.machine {
        Machine::Q35 => {
            command.args(["-device", "virtio-blk-pci,drive=disk,disable-legacy=on"]);
        }
        Machine::Microvm => {
            // QEMU's virtio-mmio transports are legacy (version 1) unless
            // told otherwise; run them modern, like the PCI device.
            command
                .args(["-global", "virtio-mmio.force-legacy=false"])
                .args(["-device", "virtio-blk-device,drive=disk"]);
        }
    }
    command.args(["-append", &image.kernel_command_line]);
    if options.wait_for_gdb {
        // Loopback only (QEMU's `-s` listens on every interface).
        let port = options.gdb_port.unwrap_or(DEFAULT_GDB_PORT);
        command.args(["-gdb", &format!("tcp:127.0.0.1:{port}"), "-S"]);
    }
    command.args(&options.extra_args);
    command
}

/// The `-drive` value for `disk`. Commas in the path are doubled, as QEMU's
/// option syntax requires.
fn drive_argument(disk: &std::path::Path) -> String {
    let path = disk.display().to_string().replace(',', ",,");
    format!("file={path},if=none,id=disk,format=raw,snapshot=on")
}

/// Checks that QEMU can be run; the error says how to install it.
pub fn check_available() -> Result<(), String> {
    match Command::new(QEMU_BINARY).arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "{QEMU_BINARY} --version failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Err(format!(
            "{QEMU_BINARY} not found ({error}); install the Debian package {QEMU_PACKAGE}"
        )),
    }
}
