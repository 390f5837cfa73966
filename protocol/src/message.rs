//! The guest-to-host message catalog.
//!
//! Every guest frame is a [`GuestFrame`]: a [`Header`] and one [`Message`].
//! Messages are generic over their string type `S` so that the guest encodes
//! borrowed `&str` without allocating while the host decodes owned `String`s;
//! postcard encodes both identically.
//!
//! | variant | sent when | kind |
//! | --- | --- | --- |
//! | [`Message::Hello`] | first frame of every boot | event |
//! | [`Message::Heartbeat`] | periodically (every 100 ms by default) | snapshot |
//! | [`Message::Log`] | the kernel or a program logs a line | event |
//! | [`Message::Panic`] | the kernel panicked; the guest then powers off | event |
//! | [`Message::KernelFault`] | a CPU exception in ring 0; the guest then powers off | event |
//! | [`Message::PowerOff`] | the guest is about to power off | event |
//! | [`Message::Spawn`] | a process was created (spawn or fork) | event |
//! | [`Message::Exit`] | a process began to exit | event |
//! | [`Message::Signal`] | a signal was sent | event |
//! | [`Message::SignalHandled`] | a process entered a signal handler | event |
//! | [`Message::UserFault`] | a CPU exception in a process | event |
//! | [`Message::BadPointer`] | a system call failed with EFAULT | event |
//! | [`Message::Reaped`] | the slot of an ended process was released (its status collected and its EXIT event done): the process is gone | event |
//! | [`Message::Process`] | one process's state (every 500 ms by default) | snapshot |
//! | [`Message::Region`] | one region of a process (after its `Process`) | snapshot |
//! | [`Message::Memory`] | system memory: frames, page cache, swap, disk I/O | snapshot |
//! | [`Message::SnapshotDone`] | a round of snapshots is complete | snapshot |
//! | [`Message::Subscribed`] | a service changed its event mask | event |
//! | [`Message::Publish`] | the PM notified one subscriber of an event | event |
//! | [`Message::Ack`] | a subscriber acked an event | event |
//! | [`Message::AckIgnored`] | an ack did not match and was ignored | event |
//! | [`Message::EventDone`] | the last ack came: the PM finished the work | event |
//! | [`Message::Subscriber`] | one entry of the subscriber table | snapshot |
//! | [`Message::CommandResult`] | the answer to a host command | event |
//! | [`Message::CommandRejected`] | a host command frame did not decode | event |
//! | [`Message::VmFlags`] | one process's VM flags (after its regions) | snapshot |
//! | [`Message::LatencyHistogram`] | one subscriber's ack latencies by power of two (after its `Subscriber`) | snapshot |
//! | [`Message::PageFault`] | a process's page fault was counted (only with the boot option `fault_events=on` over the virtio-console link) | event |
//!
//! Lifecycle events go out once; counters go out as periodic absolute
//! snapshots so that a lost frame never leaves the host's picture wrong.

use serde::{Deserialize, Serialize};

/// Carried by every guest frame.
///
/// On the wire (postcard) a header is either *absolute* or a *delta* (see
/// [`WireHeader`]); a lone frame always encodes absolute, and decoding a
/// delta frame needs the stream before it ([`crate::stream::StreamDecoder`]).
/// Human-readable formats (JSON) see the three named fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Header {
    /// Frame sequence number: 0 for the Hello frame of a boot, then +1 for
    /// every frame the guest enqueued. Frames the guest dropped get no number,
    /// so a gap on the host means frames were lost on the link.
    pub seq: u32,
    /// Guest time at which the frame was produced, in microseconds since the
    /// kernel started.
    pub time_us: u64,
    /// Frames the guest dropped (its ring was full) since the frame before
    /// this one. [`Heartbeat::dropped_total`] carries the running total.
    pub dropped_before: u32,
}

/// The header's named fields, for human-readable formats.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Header")]
struct HeaderFields {
    seq: u32,
    time_us: u64,
    dropped_before: u32,
}

impl Serialize for Header {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        if serializer.is_human_readable() {
            HeaderFields {
                seq: self.seq,
                time_us: self.time_us,
                dropped_before: self.dropped_before,
            }
            .serialize(serializer)
        } else {
            WireHeader::Absolute(*self).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let fields = HeaderFields::deserialize(deserializer)?;
            return Ok(Header {
                seq: fields.seq,
                time_us: fields.time_us,
                dropped_before: fields.dropped_before,
            });
        }
        match WireHeader::deserialize(deserializer)? {
            WireHeader::Absolute(header) => Ok(header),
            WireHeader::Delta { .. } => Err(serde::de::Error::custom(
                "a delta header needs the frames before it (decode the stream)",
            )),
        }
    }
}

/// A header as it travels on the wire.
///
/// The first field is one varint whose low bit says which form follows:
///
/// - **absolute** (low bit 1): `seq << 1 | 1`, then `time_us` and
///   `dropped_before` as varints (three varints, as a plain header was);
/// - **delta** (low bit 0): `delta_us << 1` alone: the frame is the one
///   after the previous frame the guest enqueued (`seq + 1`, nothing
///   dropped in between) and was produced `delta_us` after it.
///
/// A lifecycle event's header is thus one or two bytes instead of six to
/// eight. The guest ([`HeaderEncoder`]) sends an absolute header on the
/// first frame, after any drop, on the frames a host must never have to
/// skip ([`Message::wants_absolute_header`]: command answers, Hello, the
/// frames that end a run) and on every frame whose sequence number is a
/// multiple of [`ABSOLUTE_EVERY`], so a host that lost a frame on the link
/// (or attached mid-stream) knows sequence and time again within that many
/// frames. Until then it cannot place the delta frames it receives: the
/// stream decoder skips them, and they count as lost (a sequence gap) when
/// the next absolute header arrives; it never shows a guessed time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireHeader {
    /// Sequence number, time and drop count spelled out.
    Absolute(Header),
    /// The frame after the previous one, `delta_us` later.
    Delta {
        /// Microseconds since the previous enqueued frame (below 2^63).
        delta_us: u64,
    },
}

/// Every frame whose sequence number is a multiple of this has an absolute
/// header, so a receiver that lost its place finds it again.
pub const ABSOLUTE_EVERY: u32 = 16;

impl Serialize for WireHeader {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeTuple;
        match *self {
            WireHeader::Absolute(header) => {
                let mut tuple = serializer.serialize_tuple(3)?;
                tuple.serialize_element(&((u64::from(header.seq) << 1) | 1))?;
                tuple.serialize_element(&header.time_us)?;
                tuple.serialize_element(&header.dropped_before)?;
                tuple.end()
            }
            WireHeader::Delta { delta_us } => {
                let mut tuple = serializer.serialize_tuple(1)?;
                tuple.serialize_element(&(delta_us << 1))?;
                tuple.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for WireHeader {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = WireHeader;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a frame header")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<WireHeader, A::Error> {
                use serde::de::Error;
                let missing = || A::Error::custom("header cut short");
                let first: u64 = seq.next_element()?.ok_or_else(missing)?;
                if first & 1 == 0 {
                    return Ok(WireHeader::Delta {
                        delta_us: first >> 1,
                    });
                }
                let number = u32::try_from(first >> 1)
                    .map_err(|_| A::Error::custom("sequence number out of range"))?;
                let time_us: u64 = seq.next_element()?.ok_or_else(missing)?;
                let dropped_before: u32 = seq.next_element()?.ok_or_else(missing)?;
                Ok(WireHeader::Absolute(Header {
                    seq: number,
                    time_us,
                    dropped_before,
                }))
            }
        }
        // Three elements at most; postcard reads only those the visitor asks for.
        deserializer.deserialize_tuple(3, Visitor)
    }
}

/// The guest's choice of header form, frame by frame (see [`WireHeader`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderEncoder {
    /// Sequence number and time of the last frame enqueued.
    last: Option<(u32, u64)>,
}

impl HeaderEncoder {
    /// A fresh encoder: its first header is absolute.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// The wire form of `header`: a delta when the frame directly follows
    /// the last one enqueued, nothing was dropped, its time did not go
    /// backwards and its number is not due an absolute header.
    pub fn wire(&self, header: Header) -> WireHeader {
        match self.last {
            Some((seq, time_us))
                if header.dropped_before == 0
                    && header.seq == seq.wrapping_add(1)
                    && !header.seq.is_multiple_of(ABSOLUTE_EVERY)
                    && header.time_us >= time_us
                    && header.time_us - time_us < 1 << 62 =>
            {
                WireHeader::Delta {
                    delta_us: header.time_us - time_us,
                }
            }
            _ => WireHeader::Absolute(header),
        }
    }

    /// The wire form of `header` on a frame carrying `message`: always
    /// absolute for the frames a host must be able to place the moment it
    /// attaches ([`Message::wants_absolute_header`]), otherwise as
    /// [`HeaderEncoder::wire`].
    pub fn wire_for<S>(&self, header: Header, message: &Message<S>) -> WireHeader {
        if message.wants_absolute_header() {
            WireHeader::Absolute(header)
        } else {
            self.wire(header)
        }
    }

    /// Records that the frame with `header` was enqueued (a dropped frame is
    /// not recorded: the next one reports the drop, absolutely).
    pub fn enqueued(&mut self, header: Header) {
        self.last = Some((header.seq, header.time_us));
    }
}

/// The host's end of [`HeaderEncoder`]: places delta headers after the
/// frame before them.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderDecoder {
    /// Sequence number and time of the last frame placed, while known.
    last: Option<(u32, u64)>,
}

impl HeaderDecoder {
    /// A decoder that knows nothing yet: it places delta frames only after
    /// an absolute one.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// The full header of the next frame received, or `None` when a delta
    /// cannot be placed (nothing absolute since the start or since
    /// [`HeaderDecoder::lost_place`]).
    pub fn place(&mut self, wire: WireHeader) -> Option<Header> {
        let header = match (wire, self.last) {
            (WireHeader::Absolute(header), _) => header,
            (WireHeader::Delta { delta_us }, Some((seq, time_us))) => Header {
                seq: seq.wrapping_add(1),
                time_us: time_us.saturating_add(delta_us),
                dropped_before: 0,
            },
            (WireHeader::Delta { .. }, None) => return None,
        };
        self.last = Some((header.seq, header.time_us));
        Some(header)
    }

    /// A frame may have been lost (a damaged frame, a reconnection): delta
    /// headers cannot be placed until the next absolute one.
    pub fn lost_place(&mut self) {
        self.last = None;
    }
}

/// One guest frame as it travels on the wire, its header in wire form: `M`
/// is a [`Message`] when decoding, a reference to one when encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFrame<M> {
    /// The header, absolute or delta.
    pub header: WireHeader,
    /// The payload.
    pub message: M,
}

impl<S> Message<S> {
    /// Whether a frame of this message always spells out its header: a
    /// host that has just attached must be able to show the answer to its
    /// command, a boot's Hello, and the frames that end a run, rather than
    /// skip them until the next absolute header.
    pub fn wants_absolute_header(&self) -> bool {
        matches!(
            self,
            Message::Hello(_)
                | Message::Panic(_)
                | Message::KernelFault(_)
                | Message::PowerOff(_)
                | Message::CommandResult(_)
                | Message::CommandRejected(_)
        )
    }
}

/// One guest frame: header plus message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GuestFrame<S> {
    /// Sequence number, timestamp, drop report.
    pub header: Header,
    /// The payload.
    pub message: Message<S>,
}

/// The guest-to-host message catalog. Variants are only ever appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Message<S> {
    /// First frame of a boot.
    Hello(Hello<S>),
    /// Periodic liveness and link-accounting snapshot.
    Heartbeat(Heartbeat),
    /// A line of text from the kernel or a program.
    Log(Log<S>),
    /// The kernel panicked.
    Panic(Panic<S>),
    /// A CPU exception happened in ring 0.
    KernelFault(KernelFault),
    /// The guest is powering off.
    PowerOff(PowerOff),
    /// A process was created.
    Spawn(Spawn<S>),
    /// A process began to exit (it shows as exiting until torn down).
    Exit(Exit),
    /// A signal was sent.
    Signal(SignalSent),
    /// A process entered a signal handler.
    SignalHandled(SignalHandled),
    /// A CPU exception in a process, turned into a signal.
    UserFault(UserFault),
    /// A system call failed with EFAULT (a bad pointer).
    BadPointer(BadPointer),
    /// A zombie was reaped.
    Reaped(Reaped),
    /// One process's state, part of a snapshot round.
    Process(ProcessSnapshot<S>),
    /// A snapshot round is complete: processes not in it are gone.
    SnapshotDone(SnapshotDone),
    /// One region of a process, part of a snapshot round.
    Region(RegionSnapshot),
    /// System memory, once per snapshot round.
    Memory(MemorySnapshot),
    /// A service changed its event mask (0: unsubscribed).
    Subscribed(Subscribed),
    /// The PM notified one subscriber of an event.
    Publish(Publish),
    /// A subscriber acked an event.
    Ack(Ack),
    /// An ack was ignored.
    AckIgnored(AckIgnored),
    /// Every matching subscriber acked: the PM finished the work.
    EventDone(EventDone),
    /// One entry of the subscriber table, part of a snapshot round.
    Subscriber(SubscriberSnapshot<S>),
    /// The answer to a host command.
    CommandResult(CommandResult),
    /// A host command frame that did not decode: nothing changed.
    CommandRejected(CommandRejected),
    /// A process's VM flags (MINIX's `vm_flags`), part of a snapshot round:
    /// follows the process's `Process` frame and its regions.
    VmFlags(ProcessVmFlags),
    /// One subscriber's ack-latency distribution, right after its
    /// `Subscriber` frame in a snapshot round (only for subscribers that
    /// acked at least once).
    LatencyHistogram(LatencyHistogram),
    /// A page fault of a process was counted (in its `minor_faults` or
    /// `major_faults`): sent only when asked for (`fault_events=on`, on the
    /// virtio-console link), one per counted fault.
    PageFault(PageFault),
}

/// `ProcessVmFlags::flags`: the slot holds a live address space (MINIX's
/// `VMF_INUSE`); cleared when its memory is freed.
pub const VMF_INUSE: u8 = 0x01;
/// `ProcessVmFlags::flags`: the process is exiting; its memory goes once
/// its EXIT event completes (MINIX's `VMF_EXITING`).
pub const VMF_EXITING: u8 = 0x02;

/// A process's VM flags, as of a snapshot round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessVmFlags {
    /// The round this belongs to.
    pub round: u32,
    /// The process.
    pub pid: u32,
    /// [`VMF_INUSE`], [`VMF_EXITING`]; other bits are reserved.
    pub flags: u8,
}

/// The answer to a host command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CommandResult {
    /// The command's id.
    pub id: u32,
    /// How it ended.
    pub outcome: crate::command::CommandOutcome,
}

/// A host command frame that did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CommandRejected {
    /// Why.
    pub reason: crate::command::RejectReason,
    /// Command frames rejected since boot.
    pub rejected_total: u32,
}

/// First frame of a boot: who is talking and how to read its clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hello<S> {
    /// The guest's [`crate::PROTOCOL_VERSION`]. Always the first field.
    pub protocol_version: u16,
    /// Random per-boot identifier (from the TSC at boot), so the host can tell
    /// a reboot from a continued stream.
    pub boot_id: u64,
    /// Calibrated TSC frequency in Hz.
    pub tsc_hz: u64,
    /// Name of the image that booted (`images/<name>`).
    pub image: S,
    /// The machine, boot path, firmware and disk this boot found.
    pub platform: Platform,
}

/// What the guest found itself running on, as it tells the host in its
/// [`Hello`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Platform {
    /// The machine type.
    pub machine: MachineKind,
    /// How the kernel was entered.
    pub boot_path: BootPath,
    /// The firmware that ran before the kernel.
    pub firmware: Firmware,
    /// The disk the kernel drives (programs and swap), if any.
    pub disk: DiskKind,
    /// Where the programs came from.
    pub programs: ProgramSource,
}

/// The machine type, as the kernel recognised it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum MachineKind {
    /// A PC whose chipset the kernel did not recognise.
    #[default]
    Other,
    /// QEMU's `q35` (Intel Q35/ICH9 host bridge on the PCI bus).
    Q35,
    /// QEMU's `microvm` (no PCI bus reachable through I/O ports; devices on
    /// virtio-mmio).
    Microvm,
}

/// How the kernel was entered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BootPath {
    /// The PVH entry (QEMU `-kernel`, Firecracker, Cloud Hypervisor).
    #[default]
    Pvh,
    /// The multiboot2 entry (GRUB, as on the bootable ISO).
    Multiboot2,
}

/// The firmware that ran before the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Firmware {
    /// Not recognised.
    #[default]
    Unknown,
    /// SeaBIOS (a legacy BIOS).
    SeaBios,
    /// qboot (microvm's minimal firmware).
    Qboot,
    /// A UEFI firmware (OVMF under QEMU).
    Uefi,
    /// Another legacy BIOS.
    OtherBios,
}

/// The disk the kernel drives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DiskKind {
    /// No disk: no swap, no major faults.
    #[default]
    None,
    /// virtio-blk on the PCI bus.
    VirtioPci,
    /// virtio-blk over virtio-mmio (microvm).
    VirtioMmio,
    /// A SATA disk behind an AHCI controller.
    Ahci,
}

/// Where the programs came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ProgramSource {
    /// Nowhere: no programs to run.
    #[default]
    None,
    /// The boot archive at the start of the disk.
    Disk,
    /// A boot module the boot loader put in memory (multiboot2).
    BootModule,
}

/// Periodic liveness snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Heartbeat {
    /// Nanoseconds since the kernel started.
    pub uptime_ns: u64,
    /// Frames dropped by the guest's telemetry ring since boot.
    pub dropped_total: u64,
    /// Nanoseconds the CPU spent idle (halted) since boot.
    pub idle_ns: u64,
}

/// Severity of a [`Log`] line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something looks wrong.
    Warn,
    /// Normal progress.
    Info,
    /// Detail for debugging.
    Debug,
}

/// A line of text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Log<S> {
    /// Severity.
    pub level: LogLevel,
    /// Process that wrote it; 0 for the kernel.
    pub pid: u32,
    /// The text, without a trailing newline.
    pub text: S,
}

/// The kernel panicked. The guest flushes its ring, sends this, and powers
/// off with [`EXIT_KERNEL_PANIC`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Panic<S> {
    /// The panic message (truncated to fit one frame).
    pub message: S,
    /// Source file of the panic.
    pub file: S,
    /// Line in `file`.
    pub line: u32,
    /// Column in `file`.
    pub column: u32,
}

/// A CPU exception in ring 0. The guest powers off with
/// [`EXIT_KERNEL_FAULT`] after sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KernelFault {
    /// Exception vector (e.g. 14 for a page fault).
    pub vector: u8,
    /// Error code pushed by the CPU, 0 for vectors without one.
    pub error_code: u64,
    /// Instruction pointer at the fault.
    pub rip: u64,
    /// Faulting address (CR2) for page faults, 0 otherwise.
    pub fault_address: u64,
}

/// The guest is about to power off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PowerOff {
    /// The guest's exit code: [`EXIT_SUCCESS`], a failure code, or one of the
    /// kernel-failure codes below.
    pub exit_code: u8,
}

/// A process was created by spawn (from the image) or fork.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Spawn<S> {
    /// The new process.
    pub pid: u32,
    /// Its parent (0 for boot programs).
    pub parent: u32,
    /// Program name.
    pub name: S,
}

/// A process began to exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Exit {
    /// The process.
    pub pid: u32,
    /// Its exit status (0 when a signal killed it).
    pub status: i32,
    /// The signal that killed it; 0 if it exited by itself.
    pub signal: u8,
}

/// What a sent signal does to its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum SignalOutcome {
    /// Ignored: discarded.
    Ignored,
    /// Blocked: pending until unblocked.
    Blocked,
    /// Caught: the target will run its handler.
    Caught,
    /// The target dies.
    Terminate,
    /// The target stops.
    Stop,
    /// The target continues.
    Continue,
}

/// A signal was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignalSent {
    /// The target.
    pub pid: u32,
    /// The sender (0: the kernel).
    pub sender: u32,
    /// Signal number.
    pub signal: u8,
    /// What it does.
    pub outcome: SignalOutcome,
}

/// A process entered a signal handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignalHandled {
    /// The process.
    pub pid: u32,
    /// Signal number.
    pub signal: u8,
}

/// A CPU exception in a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserFault {
    /// The process.
    pub pid: u32,
    /// Exception vector.
    pub vector: u8,
    /// Faulting instruction.
    pub rip: u64,
    /// The signal it becomes.
    pub signal: u8,
}

/// A system call failed with EFAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BadPointer {
    /// The process.
    pub pid: u32,
    /// The system-call number.
    pub syscall: u8,
}

/// A zombie was reaped by its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reaped {
    /// The process, now gone.
    pub pid: u32,
}

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ProcessState {
    /// On the CPU.
    Running,
    /// Waiting for the CPU.
    Ready,
    /// In `sleep`.
    Sleeping,
    /// In `wait`, for a child to end.
    WaitingForChild,
    /// Stopped by SIGSTOP.
    Stopped,
    /// Exit in progress: memory not yet torn down.
    Exiting,
    /// Dead, not yet reaped.
    Zombie,
    /// Stopped while an event about it is in flight (waiting for acks).
    AwaitingAcks,
    /// Blocked in `send` until its message is received.
    Sending,
    /// Blocked in `receive`.
    Receiving,
    /// Blocked waiting for a reply (`sendrec`).
    AwaitingReply,
}

impl ProcessState {
    /// Every state, in declaration (wire) order.
    pub const ALL: [ProcessState; 11] = [
        ProcessState::Running,
        ProcessState::Ready,
        ProcessState::Sleeping,
        ProcessState::WaitingForChild,
        ProcessState::Stopped,
        ProcessState::Exiting,
        ProcessState::Zombie,
        ProcessState::AwaitingAcks,
        ProcessState::Sending,
        ProcessState::Receiving,
        ProcessState::AwaitingReply,
    ];
}

/// A process's VM counters (MINIX's `vm_total`, `vm_total_max`, faults).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VmCounters {
    /// Pages attached to its regions now.
    pub vm_total_pages: u64,
    /// High-water mark of `vm_total_pages`.
    pub vm_total_max_pages: u64,
    /// Faults handled without block-device I/O.
    pub minor_faults: u64,
    /// Faults that needed block-device I/O.
    pub major_faults: u64,
}

/// One process, as of a snapshot round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessSnapshot<S> {
    /// The round this belongs to.
    pub round: u32,
    /// The process.
    pub pid: u32,
    /// Its parent.
    pub parent: u32,
    /// Program name.
    pub name: S,
    /// State.
    pub state: ProcessState,
    /// A system service.
    pub privileged: bool,
    /// CPU time used, in nanoseconds.
    pub cpu_ns: u64,
    /// VM counters.
    pub vm: VmCounters,
    /// Number of `Region` frames that follow this one in the round, so a
    /// receiver can tell a complete region list from one with frames lost.
    pub regions: u32,
}

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum RegionKind {
    /// Program code, file-backed (from the image).
    Text,
    /// Initialised or read-only data, file-backed (from the image).
    Data,
    /// Zero-initialised data, anonymous.
    Bss,
    /// The heap, anonymous, grown with `brk`.
    Heap,
    /// The user stack, anonymous.
    Stack,
    /// Memory shared between processes.
    Shared,
}

/// Region permission bit: readable.
pub const PERM_READ: u8 = 4;
/// Region permission bit: writable.
pub const PERM_WRITE: u8 = 2;
/// Region permission bit: executable.
pub const PERM_EXECUTE: u8 = 1;

/// One region of a process, as of a snapshot round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegionSnapshot {
    /// The round this belongs to.
    pub round: u32,
    /// The process.
    pub pid: u32,
    /// First address.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// What it holds.
    pub kind: RegionKind,
    /// [`PERM_READ`] | [`PERM_WRITE`] | [`PERM_EXECUTE`].
    pub perms: u8,
    /// Pages in memory.
    pub resident_pages: u64,
    /// Pages in swap.
    pub swapped_pages: u64,
}

/// System memory, as of a snapshot round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemorySnapshot {
    /// The round this belongs to.
    pub round: u32,
    /// Physical frames free.
    pub free_frames: u64,
    /// Physical frames managed.
    pub total_frames: u64,
    /// File pages in the page cache.
    pub cached_pages: u64,
    /// Swap slots in use.
    pub swap_used: u64,
    /// Swap slots in all.
    pub swap_total: u64,
    /// Pages read from the disk since boot.
    pub disk_reads: u64,
    /// Pages written to the disk since boot.
    pub disk_writes: u64,
}

/// A process event kind (also its bit in a subscription mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum EventKind {
    /// A process exited.
    Exit,
    /// A process caught a signal.
    Signal,
    /// A process was created.
    Spawn,
}

/// Subscription mask bit of [`EventKind::Exit`].
pub const MASK_EXIT: u8 = 1;
/// Subscription mask bit of [`EventKind::Signal`].
pub const MASK_SIGNAL: u8 = 2;
/// Subscription mask bit of [`EventKind::Spawn`].
pub const MASK_SPAWN: u8 = 4;

/// A service changed its event mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Subscribed {
    /// The service.
    pub endpoint: u32,
    /// Its new mask (`MASK_*` bits; 0: unsubscribed).
    pub mask: u8,
}

/// The PM notified one subscriber of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Publish {
    /// Identifies the event (unique within a boot).
    pub event_id: u64,
    /// The process it is about.
    pub pid: u32,
    /// Its kind.
    pub kind: EventKind,
    /// The subscriber notified.
    pub subscriber: u32,
}

/// A subscriber acked an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ack {
    /// The event.
    pub event_id: u64,
    /// The subscriber.
    pub subscriber: u32,
    /// Time from its notification to this ack, in nanoseconds.
    pub latency_ns: u64,
}

/// Why an ack was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum IgnoredReason {
    /// The process has no event in flight.
    NoSuchEvent,
    /// The event waits on another subscriber.
    WrongSubscriber,
    /// The event is of another kind.
    WrongKind,
}

/// An ack was ignored (and counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AckIgnored {
    /// Who sent it.
    pub sender: u32,
    /// The process it named.
    pub pid: u32,
    /// The kind bits it named.
    pub kind: u8,
    /// Why it was ignored.
    pub reason: IgnoredReason,
}

/// The last ack of an event came: the PM finished the work (teardown, the
/// handler, the first run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventDone {
    /// The event.
    pub event_id: u64,
    /// The process.
    pub pid: u32,
    /// Its kind.
    pub kind: EventKind,
    /// Time from publication to completion, in nanoseconds.
    pub elapsed_ns: u64,
}

/// Ack latency of one subscriber since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LatencySummary {
    /// Acks measured.
    pub count: u64,
    /// Median, in nanoseconds (upper bound of its histogram bucket).
    pub p50_ns: u64,
    /// 99th percentile, in nanoseconds.
    pub p99_ns: u64,
    /// Maximum, in nanoseconds (exact).
    pub max_ns: u64,
}

/// One entry of the subscriber table, as of a snapshot round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubscriberSnapshot<S> {
    /// The round this belongs to.
    pub round: u32,
    /// Position in the table (subscription order).
    pub index: u8,
    /// The service.
    pub endpoint: u32,
    /// Its name.
    pub name: S,
    /// Its mask (`MASK_*` bits; 0: unsubscribed, waiting for its last acks).
    pub mask: u8,
    /// Events sent to it since boot.
    pub events: u64,
    /// Acks accepted from it.
    pub acks: u64,
    /// Acks from it that were ignored.
    pub ignored_acks: u64,
    /// Events sent to it and not acked yet.
    pub outstanding: u32,
    /// The process waiting longest on it (0: none).
    pub oldest_pid: u32,
    /// How long that process has waited, in nanoseconds.
    pub oldest_age_ns: u64,
    /// Ack latency.
    pub latency: LatencySummary,
}

/// Number of [`Log2Buckets`] buckets: bucket `b` holds the values whose
/// bit length is `b` (0 for the value 0, else `2^(b-1) <= v < 2^b`), up to
/// 2^40 ns (about 18 minutes), where the kernel's histogram ends.
pub const LATENCY_BUCKETS: usize = 41;

/// Latencies counted by power of two. Absolute counts since boot; on the
/// wire only the non-empty buckets go, as `(b, count)` pairs in increasing
/// `b`, so a subscriber whose acks all take about the same time costs a few
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Log2Buckets {
    counts: [u32; LATENCY_BUCKETS],
}

impl Default for Log2Buckets {
    fn default() -> Self {
        Self {
            counts: [0; LATENCY_BUCKETS],
        }
    }
}

impl Log2Buckets {
    /// The bucket of `value`: its bit length, at most `LATENCY_BUCKETS - 1`.
    pub fn bucket_of(value: u64) -> usize {
        ((u64::BITS - value.leading_zeros()) as usize).min(LATENCY_BUCKETS - 1)
    }

    /// Adds `count` values to bucket `bucket` (the last bucket for a larger
    /// index), saturating.
    pub fn add(&mut self, bucket: usize, count: u32) {
        let slot = &mut self.counts[bucket.min(LATENCY_BUCKETS - 1)];
        *slot = slot.saturating_add(count);
    }

    /// The count of bucket `bucket` (0 past the end).
    pub fn count(&self, bucket: usize) -> u32 {
        self.counts.get(bucket).copied().unwrap_or(0)
    }

    /// All values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&count| u64::from(count)).sum()
    }

    /// The non-empty buckets as `(b, count)`, in increasing `b`.
    pub fn non_empty(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(bucket, &count)| (bucket as u32, count))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Log2Buckets {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Log2Buckets".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The non-empty buckets as [bucket, count] pairs, in increasing bucket: bucket b holds the values of bit length b.",
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "integer", "minimum": 0, "maximum": LATENCY_BUCKETS - 1},
                    {"type": "integer", "minimum": 1, "maximum": u32::MAX}
                ],
                "minItems": 2,
                "maxItems": 2
            },
            "maxItems": LATENCY_BUCKETS
        })
    }
}

impl Serialize for Log2Buckets {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.non_empty().count()))?;
        for (bucket, count) in self.non_empty() {
            seq.serialize_element(&(bucket as u8, count))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Log2Buckets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Log2Buckets;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("a sequence of (bucket, count) pairs")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Log2Buckets, A::Error> {
                let mut buckets = Log2Buckets::default();
                while let Some((bucket, count)) = seq.next_element::<(u8, u32)>()? {
                    let bucket = usize::from(bucket);
                    if bucket >= LATENCY_BUCKETS || buckets.counts[bucket] != 0 || count == 0 {
                        return Err(serde::de::Error::custom(
                            "latency bucket out of range, repeated or empty",
                        ));
                    }
                    buckets.counts[bucket] = count;
                }
                Ok(buckets)
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// One subscriber's ack latencies since boot, part of a snapshot round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LatencyHistogram {
    /// The round this belongs to.
    pub round: u32,
    /// The subscriber.
    pub endpoint: u32,
    /// Sum of all latencies, in nanoseconds.
    pub sum_ns: u64,
    /// The latencies by power of two.
    pub buckets: Log2Buckets,
}

/// One counted page fault of a process (`fault_events=on` only).
///
/// Every fault added to a process's `minor_faults` or `major_faults` gets
/// one, so between two snapshot rounds the events of a process add up to
/// the growth of its counters (unless frames were dropped, see
/// [`Header::dropped_before`]). A page mapped ahead by fault-around is reported
/// when its touch is counted (at the next settling: a later fault of the
/// process, a snapshot round, pageout, `brk`), with the page's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PageFault {
    /// The faulting process.
    pub pid: u32,
    /// The faulting address (CR2), or the page's address for a page
    /// mapped ahead and counted later.
    pub address: u64,
    /// Resolving it read from the disk (file page or swap): a major fault.
    pub major: bool,
    /// The access was a write (false for a page mapped ahead: the kernel
    /// only knows it was touched).
    pub write: bool,
}

/// The end of a snapshot round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SnapshotDone {
    /// The round.
    pub round: u32,
    /// Processes in it.
    pub processes: u32,
}

/// Guest exit code of a clean shutdown.
pub const EXIT_SUCCESS: u8 = 0;
/// Guest exit code when the boot program (init) failed.
pub const EXIT_FAILURE: u8 = 1;
/// Guest exit code after a kernel panic.
pub const EXIT_KERNEL_PANIC: u8 = 0x30;
/// Guest exit code after a CPU exception in the kernel.
pub const EXIT_KERNEL_FAULT: u8 = 0x31;

/// The value the guest writes to QEMU's `isa-debug-exit` port for an exit
/// code. QEMU then exits with status `(value << 1) | 1`; the offset keeps
/// every guest exit apart from QEMU's own failure status 1.
pub const fn debug_exit_value(exit_code: u8) -> u8 {
    0x10 + exit_code
}

/// The guest exit code behind a QEMU exit status, if the status came from the
/// `isa-debug-exit` device.
pub const fn exit_code_from_qemu_status(status: i32) -> Option<u8> {
    if status < 33 || status > 255 || status % 2 == 0 {
        return None;
    }
    Some(((status - 1) / 2 - 0x10) as u8)
}

#[cfg(feature = "std")]
/// A guest frame as the host holds it.
pub type OwnedFrame = GuestFrame<String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_survive_the_qemu_status_mapping() {
        for code in [
            EXIT_SUCCESS,
            EXIT_FAILURE,
            EXIT_KERNEL_PANIC,
            EXIT_KERNEL_FAULT,
        ] {
            let status = ((debug_exit_value(code) as i32) << 1) | 1;
            assert!(status <= 255, "status {status} does not fit an exit status");
            assert_eq!(exit_code_from_qemu_status(status), Some(code));
        }
        assert_eq!(exit_code_from_qemu_status(1), None);
        assert_eq!(exit_code_from_qemu_status(0), None);
    }
}
