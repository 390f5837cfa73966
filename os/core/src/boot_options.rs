//! The kernel command line: `key=value` words set by the image manifest.
//!
//! | word | meaning |
//! | --- | --- |
//! | `image=NAME` | the image name, reported in Hello (set by the image builder) |
//! | `heartbeat_ms=N` | heartbeat period (default 100) |
//! | `snapshot_ms=N` | process snapshot period (default 500) |
//! | `poweroff_after_ms=N` | power off cleanly after N ms of uptime |
//! | `test=panic` | panic on purpose shortly after boot (boot test) |
//! | `test=kernel-fault` | fault in ring 0 on purpose (boot test) |
//! | `telemetry=quiet` | send only Hello, logs, failures, command results and power-off (benchmarks) |
//! | `bench=on` | enable the benchmark system call |
//! | `link=virtio` | telemetry over a virtio-console port instead of COM1 (`link=uart`, the default) |
//! | `fault_events=on` | one `PageFault` frame per counted page fault (`off`, the default); honoured only when the link is the virtio console |
//! | `virtio_mmio.device=SIZE@ADDR[:IRQ]` | a virtio-mmio transport (read by the disk driver, [`crate::virtio_mmio`]) |
//!
//! Unknown words and bad values are reported back, never fatal: the kernel
//! logs them and boots with the defaults.

use alloc::vec::Vec;

/// A deliberate failure for the boot tests of the kernel's failure paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestHook {
    /// `panic!` from the kernel.
    Panic,
    /// Touch an unmapped kernel address (a ring-0 page fault).
    KernelFault,
}

/// Which port carries the telemetry frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// COM1, the 16550: the default and the design's transport.
    #[default]
    Uart,
    /// The first port of a virtio console (COM1 then carries only the
    /// start-of-stream delimiter, or everything if the console is missing).
    Virtio,
}

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootOptions<'a> {
    /// Image name.
    pub image: &'a str,
    /// Heartbeat period in milliseconds.
    pub heartbeat_ms: u64,
    /// Process snapshot period in milliseconds.
    pub snapshot_ms: u64,
    /// Power off cleanly after this many milliseconds of uptime.
    pub poweroff_after_ms: Option<u64>,
    /// A deliberate failure to trigger after boot.
    pub test_hook: Option<TestHook>,
    /// Send only the essential frames (no heartbeats, snapshots or process
    /// events): the baseline of the telemetry-overhead benchmark.
    pub quiet_telemetry: bool,
    /// Enable the benchmark system call.
    pub bench: bool,
    /// The telemetry link.
    pub link: Link,
    /// Send a `PageFault` frame per counted page fault. The kernel honours
    /// it only on the virtio-console link (on COM1 it would flood the
    /// 16550).
    pub fault_events: bool,
}

/// A word of the command line that was not understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionProblem<'a> {
    /// No such option.
    Unknown(&'a str),
    /// The option exists but its value is invalid.
    BadValue(&'a str),
}

impl Default for BootOptions<'_> {
    fn default() -> Self {
        Self {
            image: "unknown",
            heartbeat_ms: 100,
            snapshot_ms: 500,
            poweroff_after_ms: None,
            test_hook: None,
            quiet_telemetry: false,
            bench: false,
            link: Link::Uart,
            fault_events: false,
        }
    }
}

impl<'a> BootOptions<'a> {
    /// Parses a command line; returns the options and the words that were
    /// ignored.
    pub fn parse(command_line: &'a str) -> (Self, Vec<OptionProblem<'a>>) {
        let mut options = Self::default();
        let mut problems = Vec::new();
        for word in command_line.split_ascii_whitespace() {
            let Some((key, value)) = word.split_once('=') else {
                problems.push(OptionProblem::Unknown(word));
                continue;
            };
            let accepted = match key {
                "image" => {
                    options.image = value;
                    !value.is_empty()
                }
                "heartbeat_ms" => match value.parse() {
                    Ok(ms) if ms > 0 => {
                        options.heartbeat_ms = ms;
                        true
                    }
                    _ => false,
                },
                "snapshot_ms" => match value.parse() {
                    Ok(ms) if ms > 0 => {
                        options.snapshot_ms = ms;
                        true
                    }
                    _ => false,
                },
                "poweroff_after_ms" => value
                    .parse()
                    .map(|ms| options.poweroff_after_ms = Some(ms))
                    .is_ok(),
                "telemetry" => match value {
                    "quiet" => {
                        options.quiet_telemetry = true;
                        true
                    }
                    "full" => true,
                    _ => false,
                },
                "bench" => match value {
                    "on" => {
                        options.bench = true;
                        true
                    }
                    "off" => true,
                    _ => false,
                },
                "link" => match value {
                    "uart" => {
                        options.link = Link::Uart;
                        true
                    }
                    "virtio" => {
                        options.link = Link::Virtio;
                        true
                    }
                    _ => false,
                },
                "fault_events" => match value {
                    "on" => {
                        options.fault_events = true;
                        true
                    }
                    "off" => {
                        options.fault_events = false;
                        true
                    }
                    _ => false,
                },
                // Read by the disk driver; here only checked.
                crate::virtio_mmio::KEY => crate::virtio_mmio::parse_value(value).is_some(),
                "test" => {
                    options.test_hook = match value {
                        "panic" => Some(TestHook::Panic),
                        "kernel-fault" => Some(TestHook::KernelFault),
                        _ => None,
                    };
                    options.test_hook.is_some()
                }
                _ => {
                    problems.push(OptionProblem::Unknown(word));
                    continue;
                }
            };
            if !accepted {
                problems.push(OptionProblem::BadValue(word));
            }
        }
        (options, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let (options, problems) = BootOptions::parse(
            "image=demo heartbeat_ms=50 snapshot_ms=250 poweroff_after_ms=1500 test=panic",
        );
        assert!(problems.is_empty());
        assert_eq!(
            options,
            BootOptions {
                image: "demo",
                heartbeat_ms: 50,
                snapshot_ms: 250,
                poweroff_after_ms: Some(1500),
                test_hook: Some(TestHook::Panic),
                quiet_telemetry: false,
                bench: false,
                link: Link::Uart,
                fault_events: false,
            }
        );
    }

    #[test]
    fn fault_events_switch() {
        assert!(!BootOptions::default().fault_events);
        let (options, problems) = BootOptions::parse("link=virtio fault_events=on");
        assert!(problems.is_empty());
        assert!(options.fault_events && options.link == Link::Virtio);
        assert!(
            !BootOptions::parse("fault_events=on fault_events=off")
                .0
                .fault_events
        );
        let (options, problems) = BootOptions::parse("fault_events=yes");
        assert!(!options.fault_events);
        assert_eq!(problems, [OptionProblem::BadValue("fault_events=yes")]);
    }

    #[test]
    fn link_choice() {
        assert_eq!(BootOptions::parse("link=virtio").0.link, Link::Virtio);
        assert_eq!(
            BootOptions::parse("link=virtio link=uart").0.link,
            Link::Uart
        );
        let (options, problems) = BootOptions::parse("link=usb");
        assert_eq!(options.link, Link::Uart);
        assert_eq!(problems, [OptionProblem::BadValue("link=usb")]);
    }

    #[test]
    fn virtio_mmio_words_are_accepted_and_malformed_ones_reported() {
        let line = "image=x virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=oops";
        let (options, problems) = BootOptions::parse(line);
        assert_eq!(options.image, "x");
        assert_eq!(
            problems,
            [OptionProblem::BadValue("virtio_mmio.device=oops")]
        );
    }

    #[test]
    fn benchmark_switches() {
        let (options, problems) = BootOptions::parse("telemetry=quiet bench=on");
        assert!(problems.is_empty());
        assert!(options.quiet_telemetry && options.bench);
        let (_, problems) = BootOptions::parse("telemetry=loud bench=maybe");
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn empty_command_line_gives_defaults() {
        assert_eq!(BootOptions::parse(""), (BootOptions::default(), Vec::new()));
    }

    #[test]
    fn bad_words_are_reported_and_do_not_change_defaults() {
        let (options, problems) =
            BootOptions::parse("quiet heartbeat_ms=0 test=explode colour=red");
        assert_eq!(options, BootOptions::default());
        assert_eq!(
            problems,
            vec![
                OptionProblem::Unknown("quiet"),
                OptionProblem::BadValue("heartbeat_ms=0"),
                OptionProblem::BadValue("test=explode"),
                OptionProblem::Unknown("colour=red"),
            ]
        );
    }
}
