//! The QEMU command line for a built image.
//!
//! The machine is `q35` under TCG by default: on this class of host `/dev/kvm`
//! is nested and slow to boot firmware, so KVM is opt-in. The `iso-bios` and
//! `iso-uefi` machines boot the image's GRUB ISO instead of `-kernel` (see
//! [`crate::iso`]; [`prepare`] makes it). The serial port
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
    /// `-machine q35` with SeaBIOS booting the image's ISO from a CD drive:
    /// GRUB, the kernel through multiboot2, the programs as a boot module;
    /// no disk.
    IsoBios,
    /// `-machine q35` with OVMF (UEFI) booting the image's ISO; otherwise as
    /// [`Machine::IsoBios`]. OVMF takes about 5 s to start under TCG.
    IsoUefi,
}

impl Machine {
    /// Every machine, in the order `--help` lists them.
    pub const ALL: [Machine; 4] = [
        Machine::Q35,
        Machine::Microvm,
        Machine::IsoBios,
        Machine::IsoUefi,
    ];

    /// The name `--machine` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Machine::Q35 => "q35",
            Machine::Microvm => "microvm",
            Machine::IsoBios => "iso-bios",
            Machine::IsoUefi => "iso-uefi",
        }
    }

    /// Whether the machine boots the image's ISO (which [`prepare`] makes)
    /// rather than the kernel through `-kernel`.
    pub fn boots_iso(self) -> bool {
        matches!(self, Machine::IsoBios | Machine::IsoUefi)
    }
}

/// Which port carries the telemetry frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// COM1, the 16550, on QEMU's stdio (or [`QemuOptions::serial`]). The
    /// default and the design's transport.
    #[default]
    Uart,
    /// A virtio console port (`virtio-serial-pci` + `virtconsole`, q35
    /// only) on QEMU's stdio, and `link=virtio`
    /// on the kernel command line: the same frames, a page per device
    /// notification instead of an I/O exit per byte. COM1 then goes to
    /// [`QemuOptions::serial`], or nowhere (`null`): it carries only the
    /// start-of-stream delimiter, or everything if the console is missing
    /// (the kernel's log says so). Commands from the host go over the
    /// console too. Only on [`Machine::Q35`]: the ISO machines (their
    /// command line is in grub.cfg) and microvm (its console over
    /// virtio-mmio took one write, then hung: not yet diagnosed) stay on
    /// the UART.
    Virtio,
}

impl Link {
    /// Both links, in the order `--help` lists them.
    pub const ALL: [Link; 2] = [Link::Uart, Link::Virtio];

    /// The name `--link` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Uart => "uart",
            Link::Virtio => "virtio",
        }
    }
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Link {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Link::ALL
            .into_iter()
            .find(|link| link.as_str() == name)
            .ok_or_else(|| format!("unknown link '{name}' (one of: uart, virtio)"))
    }
}

/// The chardev id of the virtio console's port.
const LINK_CHARDEV: &str = "wtlink";

/// OVMF as one image (code and an initial variable store), for `-bios`: no
/// variables persist, so every run starts from the same state.
pub const OVMF_FIRMWARE: &str = "/usr/share/ovmf/OVMF.fd";

/// The Debian package that provides [`OVMF_FIRMWARE`].
pub const OVMF_PACKAGE: &str = "ovmf";

/// Makes what `options.machine` needs beyond the built image: the ISO for
/// the ISO machines (checking OVMF is there for `iso-uefi`). Call it before
/// [`command`]; it returns a message naming what to install if a tool is
/// missing.
pub fn prepare(image: &BuiltImage, options: &QemuOptions) -> Result<(), String> {
    if options.machine == Machine::IsoUefi && !std::path::Path::new(OVMF_FIRMWARE).exists() {
        return Err(format!(
            "the iso-uefi machine needs OVMF ({OVMF_FIRMWARE} is missing); install the \
             Debian package {OVMF_PACKAGE}"
        ));
    }
    if options.machine.boots_iso() {
        crate::iso::build_iso(image).map_err(|error| error.to_string())?;
    }
    Ok(())
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
    /// On q35, attach the disk to the built-in AHCI controller as a SATA
    /// disk ([`ahci_disk_args`]) instead of virtio-blk-pci.
    pub ahci_disk: bool,
    /// The AHCI port for [`QemuOptions::ahci_disk`] (0-5 on q35; 0 unless
    /// another device, say a CD-ROM, should sit before the disk).
    pub ahci_port: u8,
    /// Leave out the `isa-debug-exit` device, as on a real machine: the
    /// guest then powers off through ACPI S5 and QEMU exits with status 0
    /// (the guest's exit code is in its final PowerOff frame).
    pub no_debug_exit: bool,
    /// Attach no disk: no swap, and on the ISO machines the programs come
    /// from the boot module GRUB loads.
    pub no_disk: bool,
    /// The telemetry link (see [`Link`]).
    pub link: Link,
}

/// The arguments that attach the `-drive` with id `drive_id` as a SATA disk
/// on port `port` of q35's built-in AHCI controller (ICH9, 00:1f.2; QEMU
/// calls its ports `ide.0`..`ide.5`, and `-cdrom` takes `ide.2`).
pub fn ahci_disk_args(drive_id: &str, port: u8) -> [String; 2] {
    [
        "-device".to_string(),
        format!("ide-hd,drive={drive_id},bus=ide.{port}"),
    ]
}

/// Builds the QEMU command for `image`. The caller decides stdio; the guest's
/// COM1 is QEMU's stdin/stdout.
pub fn command(image: &BuiltImage, options: &QemuOptions) -> Command {
    let mut command = Command::new(QEMU_BINARY);
    let machine = match options.machine {
        Machine::Q35 | Machine::IsoBios | Machine::IsoUefi => "q35",
        Machine::Microvm => "microvm",
    };
    let virtio_link = options.link == Link::Virtio && options.machine == Machine::Q35;
    let com1 = match (&options.serial, virtio_link) {
        (Some(serial), _) => serial.as_str(),
        (None, false) => "stdio",
        (None, true) => "null",
    };
    command
        .args(["-machine", machine, "-accel", options.accel.as_str()])
        .args(["-m", &format!("{}M", image.manifest.memory_mib)])
        .args(["-smp", "1", "-nodefaults", "-display", "none", "-no-reboot"])
        .args(["-serial", com1])
        .args(["-monitor", "none"]);
    if !options.no_debug_exit {
        command.args([
            "-device",
            &format!("isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"),
        ]);
    }
    if options.machine.boots_iso() {
        // GRUB on the ISO loads the kernel (with the image's command line,
        // in grub.cfg) and the programs; the firmware boots the CD drive
        // (`-cdrom` is AHCI port 2). The disk, as on a real PC, is a SATA
        // disk on AHCI port 0: swap and major faults work as on q35.
        if options.machine == Machine::IsoUefi {
            command.args(["-bios", OVMF_FIRMWARE]);
        }
        command.arg("-cdrom").arg(image.iso());
        if !options.no_disk {
            command
                .arg("-drive")
                .arg(drive_argument(&image.disk))
                .args(ahci_disk_args("disk", options.ahci_port));
        }
    } else {
        command.arg("-kernel").arg(&image.kernel);
        if !options.no_disk {
            // The disk is opened copy-on-write (snapshot=on): swap writes
            // never reach the file, so parallel boots of one image share it
            // safely.
            command.arg("-drive").arg(drive_argument(&image.disk));
            match options.machine {
                Machine::Q35 if options.ahci_disk => {
                    command.args(ahci_disk_args("disk", options.ahci_port));
                }
                Machine::Microvm => {
                    // QEMU's virtio-mmio transports are legacy (version 1)
                    // unless told otherwise; run them modern, like the PCI
                    // device.
                    command
                        .args(["-global", "virtio-mmio.force-legacy=false"])
                        .args(["-device", "virtio-blk-device,drive=disk"]);
                }
                Machine::Q35 | Machine::IsoBios | Machine::IsoUefi => {
                    command.args(["-device", "virtio-blk-pci,drive=disk,disable-legacy=on"]);
                }
            }
        }
        if virtio_link {
            command
                .args(["-chardev", &format!("stdio,id={LINK_CHARDEV}")])
                .args(["-device", "virtio-serial-pci,disable-legacy=on"])
                .args(["-device", &format!("virtconsole,chardev={LINK_CHARDEV}")])
                .args([
                    "-append",
                    &format!("{} link=virtio", image.kernel_command_line),
                ]);
        } else {
            command.args(["-append", &image.kernel_command_line]);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn image() -> BuiltImage {
        BuiltImage {
            name: "smoke".into(),
            source_dir: PathBuf::from("/src/images/smoke"),
            manifest: toml::from_str("description = \"x\"\nmemory_mib = 64").unwrap(),
            dir: PathBuf::from("/t/images/smoke"),
            kernel: PathBuf::from("/t/images/smoke/kernel.elf"),
            kernel_command_line: "image=smoke quiet".into(),
            disk: PathBuf::from("/t/images/smoke/disk.img"),
            boot_archive: PathBuf::from("/t/images/smoke/bootfs.bin"),
            programs: Vec::new(),
        }
    }

    fn args(machine: Machine) -> Vec<String> {
        let options = QemuOptions {
            machine,
            ..QemuOptions::default()
        };
        command(&image(), &options)
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }

    fn has_pair(args: &[String], flag: &str, value: &str) -> bool {
        args.windows(2)
            .any(|pair| pair[0] == flag && pair[1] == value)
    }

    #[test]
    fn the_iso_machines_boot_the_iso_from_a_cd_drive_on_q35() {
        for machine in [Machine::IsoBios, Machine::IsoUefi] {
            let args = args(machine);
            assert!(has_pair(&args, "-machine", "q35"), "{args:?}");
            assert!(
                has_pair(&args, "-cdrom", "/t/images/smoke/smoke.iso"),
                "{args:?}"
            );
            for absent in ["-kernel", "-append"] {
                assert!(!args.iter().any(|arg| arg == absent), "{absent}: {args:?}");
            }
            // The disk is a SATA disk on AHCI port 0, as on a real PC.
            assert!(
                has_pair(&args, "-device", "ide-hd,drive=disk,bus=ide.0"),
                "{args:?}"
            );
            assert!(
                !args.iter().any(|arg| arg.starts_with("virtio-blk")),
                "{args:?}"
            );
            assert!(
                args.iter().any(|arg| arg.starts_with("isa-debug-exit")),
                "{args:?}"
            );
            assert_eq!(
                has_pair(&args, "-bios", OVMF_FIRMWARE),
                machine == Machine::IsoUefi,
                "{args:?}"
            );
        }
        let pvh = args(Machine::Q35);
        assert!(has_pair(&pvh, "-kernel", "/t/images/smoke/kernel.elf"));
        assert!(has_pair(&pvh, "-append", "image=smoke quiet"));
        assert!(!pvh.iter().any(|arg| arg == "-cdrom"));
    }

    #[test]
    fn the_virtio_link_moves_stdio_to_a_console_port() {
        let uart = args(Machine::Q35);
        assert!(has_pair(&uart, "-serial", "stdio"), "{uart:?}");
        assert!(!uart.iter().any(|arg| arg == "-chardev"), "{uart:?}");
        for machine in Machine::ALL {
            let options = QemuOptions {
                machine,
                link: Link::Virtio,
                ..QemuOptions::default()
            };
            let args: Vec<String> = command(&image(), &options)
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect();
            if machine != Machine::Q35 {
                // Stays on the UART (see Link::Virtio).
                assert!(has_pair(&args, "-serial", "stdio"), "{machine}: {args:?}");
                assert!(!args.iter().any(|arg| arg == "-chardev"), "{args:?}");
                continue;
            }
            assert!(has_pair(&args, "-serial", "null"), "{args:?}");
            assert!(has_pair(&args, "-chardev", "stdio,id=wtlink"), "{args:?}");
            assert!(
                has_pair(&args, "-device", "virtconsole,chardev=wtlink"),
                "{args:?}"
            );
            assert!(
                has_pair(&args, "-append", "image=smoke quiet link=virtio"),
                "{args:?}"
            );
            assert!(
                has_pair(&args, "-device", "virtio-serial-pci,disable-legacy=on"),
                "{args:?}"
            );
        }
        assert_eq!("virtio".parse::<Link>(), Ok(Link::Virtio));
        assert!("usb".parse::<Link>().is_err());
    }

    #[test]
    fn machine_names_round_trip() {
        for machine in Machine::ALL {
            assert_eq!(machine.as_str().parse::<Machine>(), Ok(machine));
        }
        assert_eq!("iso-uefi".parse::<Machine>(), Ok(Machine::IsoUefi));
        assert!(Machine::IsoBios.boots_iso() && !Machine::Q35.boots_iso());
    }
}
