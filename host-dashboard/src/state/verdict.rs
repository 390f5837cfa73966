//! Whether the run failed, and the one-line reason why.
//!
//! The UI shows these prominently and headless mode exits non-zero with the
//! reason; both read it from [`super::State::failure`], so the two always
//! agree.

use super::guest::PanicReport;
use super::qemu::QemuExit;
use protocol::message::{EXIT_FAILURE, EXIT_KERNEL_FAULT, EXIT_KERNEL_PANIC, KernelFault};
use std::fmt;
use std::time::Duration;

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The guest's Hello carried a protocol version we do not speak.
    ProtocolRefused {
        /// The guest's version.
        guest: u16,
        /// Ours ([`protocol::PROTOCOL_VERSION`]).
        ours: u16,
    },
    /// The kernel panicked.
    KernelPanic(PanicReport),
    /// The kernel took a CPU exception.
    KernelFault(KernelFault),
    /// The guest powered off with a non-zero exit code.
    GuestExit {
        /// The exit code.
        code: u8,
    },
    /// QEMU exited without a guest exit code (it failed, or was killed).
    QemuDied(QemuExit),
    /// No telemetry frame was ever decoded.
    NoTelemetry {
        /// Host time the link was watched for (since the session started).
        waited: Duration,
        /// Bytes that arrived nonetheless.
        bytes: u64,
        /// Frames that arrived but did not decode.
        bad_frames: u64,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::ProtocolRefused { guest, ours } => {
                write!(
                    f,
                    "guest speaks protocol v{guest}, this dashboard speaks v{ours}"
                )
            }
            Failure::KernelPanic(panic) => write!(
                f,
                "kernel panic at {}: {}",
                panic.location(),
                one_line(&panic.message)
            ),
            Failure::KernelFault(fault) => write!(f, "kernel fault: {}", describe_fault(fault)),
            Failure::GuestExit { code } => {
                write!(
                    f,
                    "guest exited with code {code:#04x} ({})",
                    exit_code_meaning(*code)
                )
            }
            Failure::QemuDied(exit) => {
                write!(f, "QEMU exited with {} and no guest exit code", exit)?;
                if let Some(line) = exit.last_stderr_line() {
                    write!(f, ": {}", one_line(line))?;
                }
                Ok(())
            }
            Failure::NoTelemetry {
                waited, bytes: 0, ..
            } => write!(
                f,
                "no telemetry frame arrived in {:.1} s (link failure)",
                waited.as_secs_f64()
            ),
            Failure::NoTelemetry {
                waited,
                bytes,
                bad_frames,
            } => write!(
                f,
                "no telemetry frame decoded in {:.1} s from {bytes} bytes with {bad_frames} bad \
                 frames (link failure; does the guest speak another protocol?)",
                waited.as_secs_f64()
            ),
        }
    }
}

/// What a guest exit code means.
pub fn exit_code_meaning(code: u8) -> &'static str {
    match code {
        0 => "success",
        EXIT_FAILURE => "the boot program failed",
        EXIT_KERNEL_PANIC => "kernel panic",
        EXIT_KERNEL_FAULT => "kernel fault",
        _ => "failure",
    }
}

/// `#PF page fault (vector 14), error code 0x2, rip 0x…, address 0x…`.
pub fn describe_fault(fault: &KernelFault) -> String {
    let mut text = format!(
        "{} (vector {}), error code {:#x}, rip {:#x}",
        exception_name(fault.vector),
        fault.vector,
        fault.error_code,
        fault.rip
    );
    if fault.vector == PAGE_FAULT_VECTOR || fault.fault_address != 0 {
        text.push_str(&format!(", address {:#x}", fault.fault_address));
    }
    text
}

const PAGE_FAULT_VECTOR: u8 = 14;

/// Mnemonic and name of an x86 exception vector.
pub fn exception_name(vector: u8) -> &'static str {
    match vector {
        0 => "#DE divide error",
        1 => "#DB debug",
        2 => "NMI",
        3 => "#BP breakpoint",
        4 => "#OF overflow",
        5 => "#BR bound range exceeded",
        6 => "#UD invalid opcode",
        7 => "#NM device not available",
        8 => "#DF double fault",
        10 => "#TS invalid TSS",
        11 => "#NP segment not present",
        12 => "#SS stack-segment fault",
        13 => "#GP general protection fault",
        14 => "#PF page fault",
        16 => "#MF x87 floating-point error",
        17 => "#AC alignment check",
        18 => "#MC machine check",
        19 => "#XM SIMD floating-point error",
        20 => "#VE virtualization exception",
        21 => "#CP control protection",
        _ => "exception",
    }
}

/// Joins the lines of `text` with ` / ` so a reason stays on one line.
pub fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_single_lines() {
        let panic = Failure::KernelPanic(PanicReport {
            message: "assertion failed\n  left: 1\n right: 2".into(),
            file: "os/src/main.rs".into(),
            line: 7,
            column: 5,
        });
        assert_eq!(
            panic.to_string(),
            "kernel panic at os/src/main.rs:7:5: assertion failed / left: 1 / right: 2"
        );
        let died = Failure::QemuDied(QemuExit {
            status: Some(1),
            signal: None,
            stderr_tail: vec!["qemu-system-x86_64: -kernel x: No such file\n".into()],
        });
        assert_eq!(
            died.to_string(),
            "QEMU exited with status 1 and no guest exit code: \
             qemu-system-x86_64: -kernel x: No such file"
        );
    }

    #[test]
    fn faults_name_the_exception_and_the_address() {
        let fault = KernelFault {
            vector: 14,
            error_code: 2,
            rip: 0x1000,
            fault_address: 0xdead,
        };
        assert_eq!(
            Failure::KernelFault(fault).to_string(),
            "kernel fault: #PF page fault (vector 14), error code 0x2, rip 0x1000, address 0xdead"
        );
        let fault = KernelFault {
            vector: 6,
            error_code: 0,
            rip: 0x2000,
            fault_address: 0,
        };
        assert_eq!(
            describe_fault(&fault),
            "#UD invalid opcode (vector 6), error code 0x0, rip 0x2000"
        );
    }

    #[test]
    fn a_silent_link_says_whether_bytes_arrived() {
        let silent = Failure::NoTelemetry {
            waited: Duration::from_millis(5_000),
            bytes: 0,
            bad_frames: 0,
        };
        assert_eq!(
            silent.to_string(),
            "no telemetry frame arrived in 5.0 s (link failure)"
        );
        let garbled = Failure::NoTelemetry {
            waited: Duration::from_millis(2_500),
            bytes: 300,
            bad_frames: 4,
        };
        assert_eq!(
            garbled.to_string(),
            "no telemetry frame decoded in 2.5 s from 300 bytes with 4 bad frames \
             (link failure; does the guest speak another protocol?)"
        );
    }

    #[test]
    fn exit_codes_are_explained() {
        assert_eq!(
            Failure::GuestExit {
                code: EXIT_KERNEL_PANIC
            }
            .to_string(),
            "guest exited with code 0x30 (kernel panic)"
        );
        assert_eq!(exit_code_meaning(0), "success");
        assert_eq!(exit_code_meaning(9), "failure");
    }
}
