//! The accelerator probe: before the dashboard boots an image with
//! `--accel kvm`, it runs `tools/kvm-probe` (a tiny kernel that enters ring 3
//! and makes one `syscall`) under KVM once, and refuses KVM with one line
//! naming the cause when the probe fails.
//!
//! Why: on hosts whose `/dev/kvm` is `kvm_pvm` (a software nested
//! hypervisor) `syscall` jumps to LSTAR without entering ring 0, so every
//! program of ours dies at its first system call. The verdict is cached per
//! host in `$XDG_CACHE_HOME/watchtower/` (else `~/.cache/watchtower/`),
//! keyed by the host kernel's release, QEMU's version and the probe's bytes.

use crate::build::{BuildError, BuildOutput, GUEST_TARGET, target_dir};
use crate::qemu::{Accel, DEBUG_EXIT_PORT, QEMU_BINARY};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// QEMU's exit status when the system call reached ring 0 (`0x31 << 1 | 1`).
pub const STATUS_OK: i32 = 99;
/// QEMU's exit status when the system call was not emulated: a user-mode
/// page fault at LSTAR's address (`0x32 << 1 | 1`).
pub const STATUS_NOT_EMULATED: i32 = 101;
/// QEMU's exit status after any other exception (`0x33 << 1 | 1`).
pub const STATUS_EXCEPTION: i32 = 103;

/// How long the probe may run (under this host's KVM a boot takes about
/// 4 s; under TCG a fraction of a second).
pub const PROBE_DEADLINE: Duration = Duration::from_secs(60);

/// The device KVM needs.
pub const KVM_DEVICE: &str = "/dev/kvm";

/// Present when `/dev/kvm` is provided by PVM.
pub const KVM_PVM_MODULE: &str = "/sys/module/kvm_pvm";

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The system call reached ring 0: programs can run.
    Works,
    /// The CPU jumped to LSTAR without entering ring 0.
    SyscallNotEmulated,
    /// Something else went wrong (the reason, one line).
    Failed(String),
}

impl Verdict {
    /// Reads the probe's verdict from QEMU's exit status (`None`: killed,
    /// or did not end in time) and what it wrote on COM1.
    pub fn from_run(status: Option<i32>, serial: &str) -> Self {
        let said = |text: &str| serial.lines().any(|line| line.trim() == text);
        match status {
            Some(STATUS_OK) if said("kvm-probe: syscall ok") => Verdict::Works,
            Some(STATUS_NOT_EMULATED)
                if serial
                    .lines()
                    .any(|line| line.starts_with("kvm-probe: syscall not emulated")) =>
            {
                Verdict::SyscallNotEmulated
            }
            _ => {
                let last = serial
                    .lines()
                    .rev()
                    .map(str::trim)
                    .find(|line| !line.is_empty())
                    .unwrap_or("no output");
                let status = match status {
                    Some(status) => format!("status {status}"),
                    None => "no exit status (killed or timed out)".to_string(),
                };
                Verdict::Failed(format!("{status}, last said: {last}"))
            }
        }
    }

    /// The cache file's text.
    fn encode(&self) -> String {
        match self {
            Verdict::Works => "works".to_string(),
            Verdict::SyscallNotEmulated => "syscall-not-emulated".to_string(),
            Verdict::Failed(reason) => format!("failed {reason}"),
        }
    }

    /// Reads a cache file's text.
    fn decode(text: &str) -> Option<Self> {
        let text = text.trim();
        match text {
            "works" => Some(Verdict::Works),
            "syscall-not-emulated" => Some(Verdict::SyscallNotEmulated),
            _ => text
                .strip_prefix("failed ")
                .map(|reason| Verdict::Failed(reason.to_string())),
        }
    }

    /// The one-line refusal for this verdict, or `None` when KVM works.
    /// `kvm_pvm` says whether `/dev/kvm` is PVM's.
    pub fn refusal(&self, kvm_pvm: bool) -> Option<String> {
        match self {
            Verdict::Works => None,
            Verdict::SyscallNotEmulated => Some(format!(
                "KVM refused: the hypervisor behind /dev/kvm{} does not run ring-3 system calls \
                 (the probe's syscall reached LSTAR without entering ring 0); use --accel tcg",
                if kvm_pvm { " (kvm_pvm)" } else { "" }
            )),
            Verdict::Failed(reason) => Some(format!(
                "KVM refused: the accelerator probe failed ({reason}); use --accel tcg"
            )),
        }
    }
}

/// The refusal when the host has no `/dev/kvm` at all.
pub fn no_kvm_device() -> String {
    format!(
        "KVM refused: no {KVM_DEVICE} on this host (no hardware virtualisation, or the kvm module \
         is not loaded); use --accel tcg"
    )
}

/// Checks that KVM can run our programs: `Ok` when it can, else the
/// one-line reason. Builds and runs the probe the first time on a host,
/// then answers from the cache.
pub fn check_kvm(output: BuildOutput) -> Result<(), String> {
    if !Path::new(KVM_DEVICE).exists() {
        return Err(no_kvm_device());
    }
    if let Err(error) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(KVM_DEVICE)
    {
        return Err(format!(
            "KVM refused: {KVM_DEVICE} cannot be opened ({error}); use --accel tcg"
        ));
    }
    let kvm_pvm = Path::new(KVM_PVM_MODULE).exists();
    let probe = build_probe(output).map_err(|error| {
        format!("KVM refused: the accelerator probe did not build ({error}); use --accel tcg")
    })?;
    let cache = cache_file(&probe);
    let cached = cache
        .as_deref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| Verdict::decode(&text));
    let verdict = match cached {
        Some(verdict) => verdict,
        None => {
            let verdict = run_probe(&probe, Accel::Kvm);
            if let Some(path) = &cache {
                let _ = path
                    .parent()
                    .map(std::fs::create_dir_all)
                    .transpose()
                    .and_then(|_| std::fs::write(path, verdict.encode()));
            }
            verdict
        }
    };
    match verdict.refusal(kvm_pvm) {
        None => Ok(()),
        Some(refusal) => Err(refusal),
    }
}

/// Builds the probe for the guest target; returns its ELF.
pub fn build_probe(output: BuildOutput) -> Result<PathBuf, BuildError> {
    crate::toolchain::ensure_guest_target().map_err(BuildError::MissingTarget)?;
    let mut command = crate::build::guest_cargo();
    command
        .current_dir(crate::workspace_root())
        .args(["-p", "kvm-probe", "--bin", "kvm-probe"]);
    crate::build::run_cargo(command, "the accelerator probe", output)?;
    Ok(target_dir()
        .join(GUEST_TARGET)
        .join("release")
        .join("kvm-probe"))
}

/// The QEMU command that runs the probe `elf` under `accel` (COM1 on
/// stdout).
pub fn command(elf: &Path, accel: Accel) -> Command {
    let mut command = Command::new(QEMU_BINARY);
    command
        .args(["-machine", "q35", "-accel", accel.as_str(), "-m", "32M"])
        .args(["-smp", "1", "-nodefaults", "-display", "none", "-no-reboot"])
        .args(["-serial", "stdio", "-monitor", "none"])
        .args([
            "-device",
            &format!("isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"),
        ])
        .arg("-kernel")
        .arg(elf);
    command
}

/// Runs the probe `elf` under `accel` (at most [`PROBE_DEADLINE`]) and
/// reads its verdict.
pub fn run_probe(elf: &Path, accel: Accel) -> Verdict {
    let mut child = match command(elf, accel)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => return Verdict::Failed(format!("{QEMU_BINARY} did not start: {error}")),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if started.elapsed() < PROBE_DEADLINE => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut serial = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut stdout, &mut serial);
    }
    let verdict = Verdict::from_run(status, &serial);
    if let Verdict::Failed(reason) = &verdict
        && serial.trim().is_empty()
    {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        if let Some(line) = stderr.lines().rev().find(|line| !line.trim().is_empty()) {
            return Verdict::Failed(format!("{reason}; QEMU: {}", line.trim()));
        }
    }
    verdict
}

/// Where the verdict for `probe` on this host is cached: a name made of
/// the host kernel's release, QEMU's version and the probe's bytes.
fn cache_file(probe: &Path) -> Option<PathBuf> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let qemu = Command::new(QEMU_BINARY)
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(probe).ok()?;
    let key = fnv1a(
        release
            .trim()
            .bytes()
            .chain([0])
            .chain(qemu.lines().next().unwrap_or("").bytes())
            .chain([0])
            .chain(bytes),
    );
    Some(cache_dir()?.join(format!("kvm-probe-{key:016x}")))
}

/// `$XDG_CACHE_HOME/watchtower`, else `~/.cache/watchtower`.
fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("watchtower"))
}

/// FNV-1a over `bytes`.
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_needs_both_the_status_and_the_line() {
        assert_eq!(
            Verdict::from_run(
                Some(STATUS_OK),
                "kvm-probe: entering ring 3\nkvm-probe: syscall ok\n"
            ),
            Verdict::Works
        );
        assert_eq!(
            Verdict::from_run(
                Some(STATUS_NOT_EMULATED),
                "kvm-probe: entering ring 3\r\nkvm-probe: syscall not emulated (user-mode #PF at LSTAR)\r\n"
            ),
            Verdict::SyscallNotEmulated
        );
        // A status without its line (or the line without its status) is no
        // verdict of success.
        assert!(matches!(
            Verdict::from_run(Some(STATUS_OK), "kvm-probe: entering ring 3\n"),
            Verdict::Failed(_)
        ));
        assert!(matches!(
            Verdict::from_run(Some(1), "kvm-probe: syscall ok\n"),
            Verdict::Failed(_)
        ));
        assert_eq!(
            Verdict::from_run(
                Some(STATUS_EXCEPTION),
                "kvm-probe: entering ring 3\nkvm-probe: exception 0d\n"
            ),
            Verdict::Failed("status 103, last said: kvm-probe: exception 0d".to_string())
        );
        assert_eq!(
            Verdict::from_run(None, ""),
            Verdict::Failed("no exit status (killed or timed out), last said: no output".into())
        );
    }

    #[test]
    fn the_refusal_is_one_line_naming_the_cause_and_tcg() {
        assert_eq!(Verdict::Works.refusal(true), None);
        let pvm = Verdict::SyscallNotEmulated.refusal(true).unwrap();
        assert_eq!(
            pvm,
            "KVM refused: the hypervisor behind /dev/kvm (kvm_pvm) does not run ring-3 system \
             calls (the probe's syscall reached LSTAR without entering ring 0); use --accel tcg"
        );
        let other = Verdict::SyscallNotEmulated.refusal(false).unwrap();
        assert!(!other.contains("kvm_pvm") && other.contains("ring-3 system calls"));
        let failed = Verdict::Failed("status 103, last said: x".into())
            .refusal(false)
            .unwrap();
        assert!(failed.contains("status 103") && failed.ends_with("use --accel tcg"));
        for line in [pvm, other, failed, no_kvm_device()] {
            assert!(!line.contains('\n'), "{line}");
            assert!(line.contains("--accel tcg"), "{line}");
        }
    }

    #[test]
    fn verdicts_survive_the_cache() {
        for verdict in [
            Verdict::Works,
            Verdict::SyscallNotEmulated,
            Verdict::Failed("status 7, last said: x".into()),
        ] {
            assert_eq!(Verdict::decode(&verdict.encode()), Some(verdict));
        }
        assert_eq!(Verdict::decode("garbage"), None);
    }
}
