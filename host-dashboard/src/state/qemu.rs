//! What the host knows about the QEMU process that runs the guest.

use std::fmt;
use std::time::Duration;

/// The QEMU process's lifecycle as the model sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum QemuState {
    /// No QEMU was started (yet): for example before the session begins.
    #[default]
    NotStarted,
    /// QEMU runs.
    Running {
        /// Its process id.
        pid: u32,
        /// Host time it started at.
        since: Duration,
    },
    /// QEMU exited.
    Exited(QemuExit),
}

/// How QEMU exited.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct QemuExit {
    /// Exit status, if it exited normally.
    pub status: Option<i32>,
    /// Signal that killed it, if one did.
    pub signal: Option<i32>,
    /// The last lines QEMU wrote to stderr.
    pub stderr_tail: Vec<String>,
}

impl QemuExit {
    /// The guest exit code encoded in the status by the `isa-debug-exit`
    /// device, if the status came from there.
    pub fn guest_exit_code(&self) -> Option<u8> {
        self.status
            .and_then(protocol::message::exit_code_from_qemu_status)
    }

    /// QEMU's last stderr line that says something, if any.
    pub fn last_stderr_line(&self) -> Option<&str> {
        self.stderr_tail
            .iter()
            .rev()
            .map(|line| line.trim())
            .find(|line| !line.is_empty())
    }
}

impl fmt::Display for QemuExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, self.signal) {
            (Some(status), _) => write!(f, "status {status}"),
            (None, Some(signal)) => write!(f, "signal {signal}"),
            (None, None) => f.write_str("an unknown status"),
        }
    }
}

impl QemuState {
    /// Host time QEMU started at, while it runs.
    pub fn running_since(&self) -> Option<Duration> {
        match self {
            QemuState::Running { since, .. } => Some(*since),
            _ => None,
        }
    }

    /// How QEMU exited, once it has.
    pub fn exit(&self) -> Option<&QemuExit> {
        match self {
            QemuState::Exited(exit) => Some(exit),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_exit_code_comes_from_debug_exit_statuses_only() {
        let exit = |status| QemuExit {
            status: Some(status),
            ..QemuExit::default()
        };
        assert_eq!(exit(33).guest_exit_code(), Some(0));
        assert_eq!(
            exit(0x81).guest_exit_code(),
            Some(protocol::message::EXIT_KERNEL_PANIC)
        );
        assert_eq!(exit(1).guest_exit_code(), None);
        let killed = QemuExit {
            signal: Some(9),
            ..QemuExit::default()
        };
        assert_eq!(killed.guest_exit_code(), None);
        assert_eq!(killed.to_string(), "signal 9");
    }

    #[test]
    fn last_stderr_line_skips_blank_lines() {
        let exit = QemuExit {
            status: Some(1),
            signal: None,
            stderr_tail: vec!["first".into(), "qemu: cannot open".into(), "  ".into()],
        };
        assert_eq!(exit.last_stderr_line(), Some("qemu: cannot open"));
        assert_eq!(QemuExit::default().last_stderr_line(), None);
    }
}
