//! What the guest told us about itself: identity, clock, and how it ended.

use protocol::message::{
    BootPath, DiskKind, Firmware, Heartbeat, Hello, KernelFault, MachineKind, Panic, Platform,
    ProgramSource,
};

/// Identity of the running boot, from its Hello frame.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct GuestIdentity {
    /// The guest's protocol version.
    pub protocol_version: u16,
    /// Per-boot identifier.
    pub boot_id: u64,
    /// Calibrated TSC frequency in Hz.
    pub tsc_hz: u64,
    /// Image name the guest reports.
    pub image: String,
    /// What the guest found itself running on.
    pub platform: Platform,
}

/// A guest's [`Platform`] by name, as the Guest panel shows it and the
/// headless summary reports it (`guest.platform`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PlatformNames {
    /// The machine type: `q35`, `microvm`, or `other`.
    pub machine: &'static str,
    /// How the kernel was entered: `pvh` or `multiboot2`.
    pub boot_path: &'static str,
    /// The firmware: `seabios`, `qboot`, `uefi`, `other-bios` or `unknown`.
    pub firmware: &'static str,
    /// The disk: `virtio-pci`, `virtio-mmio`, `ahci`, or `none`.
    pub disk: &'static str,
    /// Where the programs came from: `disk`, `boot-module`, or `none`.
    pub programs: &'static str,
}

impl From<&Platform> for PlatformNames {
    fn from(platform: &Platform) -> Self {
        Self {
            machine: match platform.machine {
                MachineKind::Q35 => "q35",
                MachineKind::Microvm => "microvm",
                MachineKind::Other => "other",
            },
            boot_path: match platform.boot_path {
                BootPath::Pvh => "pvh",
                BootPath::Multiboot2 => "multiboot2",
            },
            firmware: match platform.firmware {
                Firmware::SeaBios => "seabios",
                Firmware::Qboot => "qboot",
                Firmware::Uefi => "uefi",
                Firmware::OtherBios => "other-bios",
                Firmware::Unknown => "unknown",
            },
            disk: match platform.disk {
                DiskKind::VirtioPci => "virtio-pci",
                DiskKind::VirtioMmio => "virtio-mmio",
                DiskKind::Ahci => "ahci",
                DiskKind::None => "none",
            },
            programs: match platform.programs {
                ProgramSource::Disk => "disk",
                ProgramSource::BootModule => "boot-module",
                ProgramSource::None => "none",
            },
        }
    }
}

/// A kernel panic as reported by the guest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PanicReport {
    /// The panic message.
    pub message: String,
    /// Source file.
    pub file: String,
    /// Line in `file`.
    pub line: u32,
    /// Column in `file`.
    pub column: u32,
}

impl PanicReport {
    /// `file:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

impl From<Panic<String>> for PanicReport {
    fn from(panic: Panic<String>) -> Self {
        Self {
            message: panic.message,
            file: panic.file,
            line: panic.line,
            column: panic.column,
        }
    }
}

/// Everything the guest reported about itself so far in this boot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guest {
    /// From the boot's Hello frame, once it arrived.
    pub identity: Option<GuestIdentity>,
    /// Hello frames seen (more than one means the guest rebooted).
    pub boots: u32,
    /// Guest uptime in nanoseconds: the latest of the heartbeat uptime and
    /// the frame timestamps.
    pub uptime_ns: u64,
    /// Nanoseconds the guest CPU spent idle, from the last heartbeat.
    pub idle_ns: u64,
    /// Frames the guest's ring dropped since boot, from the last heartbeat.
    pub dropped_total: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// The kernel panic, if one was reported.
    pub panic: Option<PanicReport>,
    /// The kernel fault (CPU exception in ring 0), if one was reported.
    pub fault: Option<KernelFault>,
    /// The exit code of the guest's PowerOff frame, if it sent one.
    pub power_off: Option<u8>,
    /// What test programs said they injected: the text of every log line
    /// that starts with [`INJECT_PREFIX`] (at most [`INJECTIONS_KEPT`]).
    pub injections: Vec<String>,
    /// Processes the kernel killed because a page fault found no memory
    /// (a page-fault `UserFault` that became SIGKILL).
    pub oom_kills: u64,
}

/// A program announces a fault it injects (and what came of it) with a log
/// line starting with this.
pub const INJECT_PREFIX: &str = "inject ";

/// Most injection lines kept.
pub const INJECTIONS_KEPT: usize = 64;

impl Guest {
    /// Notes a log line that announces an injected fault.
    pub(crate) fn log_line(&mut self, text: &str) {
        if let Some(what) = text.strip_prefix(INJECT_PREFIX)
            && self.injections.len() < INJECTIONS_KEPT
        {
            self.injections.push(what.to_string());
        }
    }

    /// Notes a CPU exception in a process: a page fault that became
    /// SIGKILL is the kernel killing it for want of memory.
    pub(crate) fn user_fault(&mut self, fault: &protocol::message::UserFault) {
        const PAGE_FAULT: u8 = 14;
        const SIGKILL: u8 = 9;
        if fault.vector == PAGE_FAULT && fault.signal == SIGKILL {
            self.oom_kills += 1;
        }
    }

    /// Starts a new boot from its Hello frame sent at guest time `time_us`.
    pub(crate) fn hello(&mut self, hello: Hello<String>, time_us: u64) {
        let boots = self.boots + 1;
        *self = Guest {
            identity: Some(GuestIdentity {
                protocol_version: hello.protocol_version,
                boot_id: hello.boot_id,
                tsc_hz: hello.tsc_hz,
                image: hello.image,
                platform: hello.platform,
            }),
            boots,
            ..Guest::default()
        };
        self.observe_time(time_us);
    }

    /// Advances the uptime to a frame timestamp, if that is later.
    pub(crate) fn observe_time(&mut self, time_us: u64) {
        self.uptime_ns = self.uptime_ns.max(time_us.saturating_mul(1000));
    }

    /// Takes in a heartbeat.
    pub(crate) fn heartbeat(&mut self, heartbeat: Heartbeat) {
        self.heartbeats += 1;
        self.uptime_ns = self.uptime_ns.max(heartbeat.uptime_ns);
        self.idle_ns = heartbeat.idle_ns;
        self.dropped_total = heartbeat.dropped_total;
    }
}
