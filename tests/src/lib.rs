//! The boot-test harness: build an image, boot it in QEMU, collect every
//! telemetry frame until the guest powers off, and hand the run to a test.
//!
//! QEMU always runs under a deadline and is killed when it passes. A missing
//! QEMU fails the test with instructions; it never skips.
#![forbid(unsafe_code)]

use image_builder::{Accel, BuildOutput, BuiltImage, Machine, QemuOptions};
use protocol::message::{Message, OwnedFrame};
use protocol::stream::{LinkStats, StreamDecoder, StreamItem};
use std::collections::HashMap;
use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The exit status QEMU reports when the guest writes `exit_code` to the
/// isa-debug-exit device: `(value << 1) | 1`.
pub fn qemu_status_for(exit_code: u8) -> i32 {
    (i32::from(protocol::message::debug_exit_value(exit_code)) << 1) | 1
}

/// Everything one boot produced.
#[derive(Debug)]
pub struct BootRun {
    /// The image booted.
    pub image: String,
    /// Decoded frames, in order.
    pub frames: Vec<OwnedFrame>,
    /// Decoding problems, in order.
    pub errors: Vec<StreamItem>,
    /// Link counters.
    pub stats: LinkStats,
    /// QEMU's exit status (`None` if it had to be killed at the deadline).
    pub exit_status: Option<i32>,
    /// QEMU's stderr.
    pub qemu_stderr: String,
    /// Wall-clock time from spawning QEMU to its exit.
    pub elapsed: Duration,
}

impl BootRun {
    /// The messages, without headers.
    pub fn messages(&self) -> impl Iterator<Item = &Message<String>> {
        self.frames.iter().map(|frame| &frame.message)
    }

    /// The guest exit code: behind QEMU's exit status when the guest left
    /// through `isa-debug-exit`; when QEMU exited with status 0 (the guest
    /// powered off through ACPI S5, as without that device), the code its
    /// final PowerOff frame announced (`None` without one: a reset under
    /// `-no-reboot` also exits 0).
    pub fn guest_exit_code(&self) -> Option<u8> {
        match self.exit_status? {
            0 => self.power_off_code(),
            status => protocol::message::exit_code_from_qemu_status(status),
        }
    }

    /// The exit code of the last PowerOff frame, if the guest sent one.
    pub fn power_off_code(&self) -> Option<u8> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| match &frame.message {
                Message::PowerOff(power_off) => Some(power_off.exit_code),
                _ => None,
            })
    }

    /// Log lines (pid, text).
    pub fn log_lines(&self) -> Vec<(u32, &str)> {
        self.messages()
            .filter_map(|message| match message {
                Message::Log(log) => Some((log.pid, log.text.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The checks the guest's test programs reported failed: log lines
    /// that start `FAIL ` (`userlib::verdict`) or hold `: FAIL `
    /// (`badcalls: FAIL ..`, `isolation: FAIL ..`).
    pub fn failed_checks(&self) -> Vec<&str> {
        self.log_lines()
            .into_iter()
            .map(|(_, line)| line)
            .filter(|line| line.starts_with("FAIL ") || line.contains(": FAIL "))
            .collect()
    }

    /// Spawn events: (pid, parent, name).
    pub fn spawns(&self) -> Vec<(u32, u32, &str)> {
        self.messages()
            .filter_map(|message| match message {
                Message::Spawn(spawn) => Some((spawn.pid, spawn.parent, spawn.name.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Exit events: (pid, status, signal).
    pub fn exits(&self) -> Vec<(u32, i32, u8)> {
        self.messages()
            .filter_map(|message| match message {
                Message::Exit(exit) => Some((exit.pid, exit.status, exit.signal)),
                _ => None,
            })
            .collect()
    }

    /// The pids of processes running `name`, in spawn order.
    pub fn pids_of(&self, name: &str) -> Vec<u32> {
        self.spawns()
            .into_iter()
            .filter(|(_, _, spawned)| *spawned == name)
            .map(|(pid, _, _)| pid)
            .collect()
    }

    /// The largest value `counter` picks out of the run's messages (0 if
    /// none): the last word of a counter the snapshots repeat.
    pub fn most(&self, counter: impl Fn(&Message<String>) -> Option<u64>) -> u64 {
        self.messages().filter_map(counter).max().unwrap_or(0)
    }

    /// The largest major-fault count any process reached (pages brought in
    /// from the disk), from the process snapshots.
    pub fn most_major_faults(&self) -> u64 {
        self.most(|message| match message {
            Message::Process(process) => Some(process.vm.major_faults),
            _ => None,
        })
    }

    /// Disk pages read since boot, from the last memory snapshot.
    pub fn most_disk_reads(&self) -> u64 {
        self.most(|message| match message {
            Message::Memory(memory) => Some(memory.disk_reads),
            _ => None,
        })
    }

    /// Fails the test unless a process of each of `names` started and is
    /// still alive at the end of the run (the first of each name).
    pub fn assert_alive(&self, names: &[&str]) {
        for name in names {
            let pid = *self
                .pids_of(name)
                .first()
                .unwrap_or_else(|| panic!("{name} never started\n{}", self.describe()));
            assert_eq!(self.exit_of(pid), None, "{name} died\n{}", self.describe());
        }
    }

    /// The exit event of `pid`: (status, signal).
    pub fn exit_of(&self, pid: u32) -> Option<(i32, u8)> {
        self.exits()
            .into_iter()
            .find(|(exited, _, _)| *exited == pid)
            .map(|(_, status, signal)| (status, signal))
    }

    /// Position of the first frame matching `predicate`.
    pub fn position(&self, predicate: impl Fn(&Message<String>) -> bool) -> Option<usize> {
        self.frames
            .iter()
            .position(|frame| predicate(&frame.message))
    }

    /// Whether a log line (from any process) says `PASS name`.
    pub fn has_passed(&self, name: &str) -> bool {
        let line = format!("PASS {name}");
        self.log_lines().iter().any(|(_, text)| *text == line)
    }

    /// Asserts that a test program logged `PASS name` (`userlib::verdict`).
    #[track_caller]
    pub fn assert_passed(&self, name: &str) {
        assert!(
            self.has_passed(name),
            "no 'PASS {name}'\n{}",
            self.describe()
        );
    }

    /// Asserts that process `pid` itself logged `PASS name` (a driver's
    /// verdict, not a child's line that happens to read the same).
    #[track_caller]
    pub fn assert_passed_by(&self, pid: u32, name: &str) {
        let line = format!("PASS {name}");
        assert!(
            self.log_lines()
                .iter()
                .any(|(by, text)| *by == pid && *text == line),
            "no '{line}' from pid {pid}\n{}",
            self.describe()
        );
    }

    /// Asserts that no test program reported a failed check
    /// ([`failed_checks`](Self::failed_checks)).
    #[track_caller]
    pub fn assert_no_failed_checks(&self) {
        let failures = self.failed_checks();
        assert!(
            failures.is_empty(),
            "failed checks in {}: {failures:?}\n{}",
            self.image,
            self.describe()
        );
    }

    /// The kernel's Panic and KernelFault frames.
    pub fn kernel_panics(&self) -> Vec<&Message<String>> {
        self.messages()
            .filter(|message| matches!(message, Message::Panic(_) | Message::KernelFault(_)))
            .collect()
    }

    /// Asserts that the kernel neither panicked nor faulted.
    #[track_caller]
    pub fn assert_no_kernel_panic(&self) {
        let fatal = self.kernel_panics();
        assert!(fatal.is_empty(), "{fatal:?}\n{}", self.describe());
    }

    /// A short description for assertion messages: exit status and the log.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "image {} exit status {:?}; log:\n",
            self.image, self.exit_status
        );
        for (pid, line) in self.log_lines() {
            text.push_str(&format!("  [{pid}] {line}\n"));
        }
        for message in self.kernel_panics() {
            text.push_str(&format!("  {message:?}\n"));
        }
        if !self.qemu_stderr.trim().is_empty() {
            text.push_str(&format!("qemu stderr: {}\n", self.qemu_stderr.trim()));
        }
        text
    }
}

/// One boot shared by every test of a test binary that asks for `key`:
/// the first caller runs `boot`, the others wait for it and get the same
/// run (tests of one file run in parallel threads). Different keys boot
/// independently, in parallel. A boot that panics is not kept: the next
/// caller tries again.
pub fn shared_run(key: &str, boot: impl FnOnce() -> BootRun) -> &'static BootRun {
    static RUNS: OnceLock<Mutex<HashMap<String, &'static OnceLock<BootRun>>>> = OnceLock::new();
    let cell: &'static OnceLock<BootRun> = {
        let mut runs = RUNS
            .get_or_init(|| Mutex::new(HashMap::new()))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.entry(key.to_string())
            .or_insert_with(|| Box::leak(Box::new(OnceLock::new())))
    };
    cell.get_or_init(boot)
}

/// [`boot`] of `image` once per test binary, shared by its tests
/// ([`shared_run`] keyed by the image name).
pub fn boot_shared(image: &str, deadline: Duration) -> &'static BootRun {
    shared_run(image, || boot(image, deadline))
}

/// Builds `image` (a name under `images/`, or a path to a directory with an
/// `image.toml`) once per test process (parallel tests share the build).
pub fn built_image(image: &str) -> BuiltImage {
    static BUILT: OnceLock<Mutex<HashMap<String, BuiltImage>>> = OnceLock::new();
    let cache = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(built) = cache.get(image) {
        return built.clone();
    }
    // Before the long build: a missing QEMU is said at once.
    if let Err(message) = image_builder::qemu::check_available() {
        panic!("boot tests need QEMU: {message}");
    }
    let built = image_builder::build(image, BuildOutput::Capture).unwrap_or_else(|error| {
        let log = match &error {
            image_builder::BuildError::CargoFailed { log, .. } => log.clone(),
            _ => String::new(),
        };
        panic!("building image {image} failed: {error}\n{log}")
    });
    cache.insert(image.to_string(), built.clone());
    built
}

/// The environment variable that chooses the machine of [`boot`] and
/// [`boot_shared`] (`q35` when unset; any `--machine` value).
pub const MACHINE_VARIABLE: &str = "WATCHTOWER_TEST_MACHINE";

/// The machine the boot tests run on: [`MACHINE_VARIABLE`], else q35. An
/// unknown name fails the test with the list of machines (never a silent
/// fallback to q35).
pub fn test_machine() -> Machine {
    match std::env::var(MACHINE_VARIABLE) {
        Ok(name) => name
            .parse()
            .unwrap_or_else(|error| panic!("{MACHINE_VARIABLE}: {error}")),
        Err(_) => Machine::default(),
    }
}

/// The environment variable that chooses the accelerator of [`boot`] and
/// [`boot_shared`]: `tcg` (the default) or `kvm`, for a host whose KVM
/// runs ring-3 system calls (`watchtower --accel kvm` probes that; this
/// one does not, so that a run on a host without it fails loudly instead
/// of being refused).
pub const ACCEL_VARIABLE: &str = "WATCHTOWER_TEST_ACCEL";

/// The accelerator of the boot tests: [`ACCEL_VARIABLE`], else TCG; an
/// unknown name fails the test.
pub fn test_accel() -> Accel {
    match std::env::var(ACCEL_VARIABLE).as_deref() {
        Ok("kvm") => Accel::Kvm,
        Ok("tcg") | Err(_) => Accel::Tcg,
        Ok(other) => panic!("{ACCEL_VARIABLE}: unknown accelerator '{other}' (tcg or kvm)"),
    }
}

/// Boots `image` on [`test_machine`] under [`test_accel`] (TCG unless
/// asked) and collects its telemetry until QEMU exits or `deadline` passes
/// (then QEMU is killed and `exit_status` is `None`).
pub fn boot(image: &str, deadline: Duration) -> BootRun {
    let options = QemuOptions {
        machine: test_machine(),
        accel: test_accel(),
        ..QemuOptions::default()
    };
    boot_with(image, deadline, &options)
}

/// [`boot`] with explicit QEMU options.
pub fn boot_with(image: &str, deadline: Duration, options: &QemuOptions) -> BootRun {
    boot_with_input(image, deadline, options, Vec::new())
}

/// [`boot_with`], writing `input` to the guest's serial receive line: each
/// chunk after its delay (from the start of QEMU, in order).
pub fn boot_with_input(
    image: &str,
    deadline: Duration,
    options: &QemuOptions,
    input: Vec<(Duration, Vec<u8>)>,
) -> BootRun {
    let built = built_image(image);
    boot_image(&built, deadline, options, input)
}

/// Boots an image already built (perhaps with extra kernel options) and
/// collects its telemetry, as [`boot_with_input`] does.
pub fn boot_image(
    built: &BuiltImage,
    deadline: Duration,
    options: &QemuOptions,
    input: Vec<(Duration, Vec<u8>)>,
) -> BootRun {
    if let Err(message) = image_builder::qemu::check_available() {
        panic!("boot tests need QEMU: {message}");
    }
    let image = built.name.as_str();
    if let Err(message) = image_builder::qemu::prepare(built, options) {
        panic!("cannot boot {image} on {}: {message}", options.machine);
    }
    let mut command = image_builder::qemu::command(built, options);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("spawning QEMU");
    // The guest's serial input: written on schedule, kept open until QEMU
    // exits.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for (delay, bytes) in input {
            let wait = delay.saturating_sub(started.elapsed());
            std::thread::sleep(wait);
            if stdin
                .write_all(&bytes)
                .and_then(|()| stdin.flush())
                .is_err()
            {
                break;
            }
        }
        stdin
    });
    let guard = KillOnDrop(&mut child);

    let mut stdout = guard.0.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let mut stderr = guard.0.stderr.take().expect("piped stderr");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let exit_status = loop {
        if let Some(status) = guard.0.try_wait().expect("polling QEMU") {
            break status.code();
        }
        if started.elapsed() > deadline {
            let _ = guard.0.kill();
            let _ = guard.0.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    drop(guard);
    drop(writer.join());

    let bytes = reader.join().expect("reader thread");
    let qemu_stderr = stderr_reader.join().expect("stderr thread");
    let mut decoder = StreamDecoder::new();
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    for item in decoder.push(&bytes) {
        match item {
            StreamItem::Frame(frame) => frames.push(frame),
            other => errors.push(other),
        }
    }
    BootRun {
        image: image.to_string(),
        frames,
        errors,
        stats: decoder.stats(),
        exit_status,
        qemu_stderr,
        elapsed,
    }
}

/// Kills QEMU if a test panics before it exits.
struct KillOnDrop<'a>(&'a mut Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{Header, Log, LogLevel, Panic};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn run_of(messages: Vec<Message<String>>) -> BootRun {
        BootRun {
            image: "synthetic".to_string(),
            frames: messages
                .into_iter()
                .map(|message| OwnedFrame {
                    header: Header::default(),
                    message,
                })
                .collect(),
            errors: Vec::new(),
            stats: LinkStats::default(),
            exit_status: Some(33),
            qemu_stderr: String::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn log(pid: u32, text: &str) -> Message<String> {
        Message::Log(Log {
            level: LogLevel::Info,
            pid,
            text: text.to_string(),
        })
    }

    fn panics(check: impl FnOnce() + std::panic::UnwindSafe) -> bool {
        std::panic::catch_unwind(check).is_err()
    }

    #[test]
    fn a_pass_line_must_match_the_whole_name_and_the_pid_asked_for() {
        let run = run_of(vec![
            log(1, "PASS fork-child-status"),
            log(2, "PASS preemption"),
            log(1, "FAIL wait: ECHILD"),
        ]);
        assert!(run.has_passed("fork-child-status"));
        assert!(run.has_passed("preemption"));
        assert!(!run.has_passed("fork-child"), "a prefix is no pass");
        assert!(!run.has_passed("wait"), "a FAIL line is no pass");
        run.assert_passed_by(1, "fork-child-status");
        assert!(panics(|| run.assert_passed_by(1, "preemption")));
        assert!(panics(|| run.assert_passed("wait")));
        assert!(panics(|| run.assert_no_failed_checks()));
        run.assert_no_kernel_panic();
    }

    #[test]
    fn a_kernel_panic_fails_the_no_panic_assertion() {
        let run = run_of(vec![
            log(1, "PASS x"),
            Message::Panic(Panic {
                message: "boom".to_string(),
                file: "os/src/main.rs".to_string(),
                line: 1,
                column: 1,
            }),
        ]);
        run.assert_no_failed_checks();
        assert_eq!(run.kernel_panics().len(), 1);
        assert!(panics(|| run.assert_no_kernel_panic()));
    }

    #[test]
    fn a_shared_run_boots_once_per_key_for_every_thread() {
        static BOOTS: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..8)
            .map(|n| {
                std::thread::spawn(move || {
                    let key = if n % 2 == 0 { "unit-a" } else { "unit-b" };
                    let run = shared_run(key, || {
                        BOOTS.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        run_of(vec![log(1, key)])
                    });
                    (key, run.log_lines()[0].1)
                })
            })
            .collect();
        for thread in threads {
            let (key, logged) = thread.join().unwrap();
            assert_eq!(key, logged, "each key gets its own run");
        }
        assert_eq!(BOOTS.load(Ordering::SeqCst), 2, "one boot per key");
    }
}
