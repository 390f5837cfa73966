//! System-call numbers.
//!
//! | number | call | arguments | returns |
//! | --- | --- | --- | --- |
//! | 0 | exit | status | never |
//! | 1 | write | text pointer, length | bytes written |
//! | 2 | spawn | name ptr, name len, args ptr, args len (NUL-separated) | pid |
//! | 3 | fork | | child pid, or 0 in the child |
//! | 4 | wait | pid (or -1 for any), `*mut WaitResult`, options | pid, or 0 with `WAIT_NO_HANG` |
//! | 5 | getpid | | pid |
//! | 6 | getppid | | parent pid |
//! | 7 | yield | | 0 |
//! | 8 | sleep | nanoseconds | 0, or EINTR |
//! | 9 | brk | new end (0 to ask) | the heap end |
//! | 10 | kill | pid, signal | 0 |
//! | 11 | sigaction | signal, `*const SigAction` (or null), `*mut SigAction` (or null) | 0 |
//! | 12 | sigprocmask | how, mask, `*mut u64` for the old mask (or null) | 0 |
//! | 13 | sigreturn | | the interrupted `rax` |
//! | 14 | clock | | nanoseconds since boot |
//! | 15 | vmstats | `*mut VmStats` | 0 |
//! | 16 | meminfo | `*mut MemInfo` | 0 |
//! | 17 | map_shared | length in bytes | address of a new shared region |
//! | 18 | send | destination, `*const Message` | 0 |
//! | 19 | receive | source (or ANY), `*mut Message` | how it was sent (`ipc::Call`: 1 send, 2 sendrec, 3 asend, 4 reply, 5 PM) |
//! | 20 | sendrec | destination, `*mut Message` (request in, reply out) | 0 |
//! | 21 | asend | destination, `*const Message` | 0 |
//! | 22 | reply | destination, `*const Message` | 0 |
//! | 23 | proceventmask | mask of event kinds (0 unsubscribes) | 0 |
//! | 24 | lookup_service | name ptr, name len | the service's pid |
//! | 25 | bench | kind, argument, argument | a measurement (see `BenchKind`); ENOSYS unless booted with `bench=on` |
//! | 26 | getuid | | the real user id |
//! | 27 | geteuid | | the effective user id |
//! | 28 | getgid | | the real group id |
//! | 29 | getegid | | the effective group id |
//! | 30 | setuid | uid | 0, or EPERM (MINIX's rules: root, or the real uid) |
//! | 31 | seteuid | uid | 0, or EPERM (root, or the real or saved uid) |
//! | 32 | setgid | gid | 0, or EPERM (root, or the real gid) |
//! | 33 | setegid | gid | 0, or EPERM (root, or the real or saved gid) |

/// A system-call number.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Syscall {
    Exit = 0,
    Write = 1,
    Spawn = 2,
    Fork = 3,
    Wait = 4,
    GetPid = 5,
    GetPpid = 6,
    Yield = 7,
    Sleep = 8,
    Brk = 9,
    Kill = 10,
    SigAction = 11,
    SigProcMask = 12,
    SigReturn = 13,
    Clock = 14,
    VmStats = 15,
    MemInfo = 16,
    MapShared = 17,
    Send = 18,
    Receive = 19,
    SendRec = 20,
    ASend = 21,
    Reply = 22,
    ProcEventMask = 23,
    LookupService = 24,
    Bench = 25,
    GetUid = 26,
    GetEuid = 27,
    GetGid = 28,
    GetEgid = 29,
    SetUid = 30,
    SetEuid = 31,
    SetGid = 32,
    SetEgid = 33,
}

/// What the benchmark system call measures.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchKind {
    /// Median TSC cycles to allocate, zero, map and flush one page directly
    /// in the kernel, over `argument` iterations: the floor of a minor fault.
    PageFloor = 0,
    /// Median TSC cycles of a raw read of disk page `second argument`, over
    /// `argument` reads: the floor of a major fault.
    DiskRead = 1,
    /// Bytes written raw to the UART in `argument` milliseconds.
    UartRaw = 2,
    /// Bytes of telemetry frames written to the UART in `argument`
    /// milliseconds, with the ring kept full.
    TelemetryFlood = 3,
    /// Median TSC cycles to stamp, encode and queue one lifecycle event
    /// frame, over `argument` frames.
    EncodeFrame = 4,
    /// A cumulative counter since boot, chosen by `argument` (see
    /// `CostCounter`): what telemetry has cost in TSC cycles, or the busy
    /// (not halted) cycles, so a program can take the telemetry share of
    /// the CPU over any stretch of its run. The kernel counts telemetry
    /// cycles only when booted with `bench=on`.
    TelemetryCost = 5,
    /// Median TSC cycles of two address-space switches: loading the page
    /// tables of process `argument` and then the caller's own again (two
    /// CR3 loads), over `second argument` round trips. With two null
    /// system calls, the floor of a message round trip.
    AddressSpaceSwitch = 6,
    /// [`BenchKind::PageFloor`] with a different frame and page each
    /// iteration (all kept until the end, at most 4096), as every real
    /// fault gets: no frame is reused while its bytes are still in the
    /// caches (or, under TCG, QEMU's software TLB).
    PageFloorFresh = 7,
    /// Bytes per second of drain time for `argument` milliseconds of
    /// filling the telemetry ring and draining it whole to the link (COM1,
    /// or the virtio console with `link=virtio`): the link's own rate,
    /// encoding not counted.
    LinkDrain = 8,
}

/// The counters of `BenchKind::TelemetryCost`.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostCounter {
    /// Cycles stamping, encoding and queueing telemetry frames.
    SendCycles = 0,
    /// Cycles draining the telemetry ring, UART writes included.
    DrainCycles = 1,
    /// The part of the drain spent inside UART writes.
    UartCycles = 2,
    /// Bytes the drain wrote to the UART.
    DrainedBytes = 3,
    /// Cycles since boot that the CPU was not halted in the idle loop.
    BusyCycles = 4,
    /// Frames queued since boot.
    FramesQueued = 5,
}

impl Syscall {
    /// Every call, by number.
    pub const ALL: [Syscall; 34] = [
        Syscall::Exit,
        Syscall::Write,
        Syscall::Spawn,
        Syscall::Fork,
        Syscall::Wait,
        Syscall::GetPid,
        Syscall::GetPpid,
        Syscall::Yield,
        Syscall::Sleep,
        Syscall::Brk,
        Syscall::Kill,
        Syscall::SigAction,
        Syscall::SigProcMask,
        Syscall::SigReturn,
        Syscall::Clock,
        Syscall::VmStats,
        Syscall::MemInfo,
        Syscall::MapShared,
        Syscall::Send,
        Syscall::Receive,
        Syscall::SendRec,
        Syscall::ASend,
        Syscall::Reply,
        Syscall::ProcEventMask,
        Syscall::LookupService,
        Syscall::Bench,
        Syscall::GetUid,
        Syscall::GetEuid,
        Syscall::GetGid,
        Syscall::GetEgid,
        Syscall::SetUid,
        Syscall::SetEuid,
        Syscall::SetGid,
        Syscall::SetEgid,
    ];
}

impl TryFrom<u64> for Syscall {
    type Error = ();

    fn try_from(number: u64) -> Result<Self, ()> {
        Self::ALL.get(number as usize).copied().ok_or(())
    }
}
