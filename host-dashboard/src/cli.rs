//! Command-line arguments.
//!
//! Flags are grouped by what they configure ([`RunArgs`]: how long and how
//! the session runs; [`BootArgs`]: what is booted and how), so later sources
//! (record/replay, attaching to a socket) and a config file slot in as new
//! groups without touching the others.

// The flags' doc comments are clap's help text, where `[source]` is a TOML
// table and `[ and ]` are keys, not rustdoc links.
#![allow(rustdoc::broken_intra_doc_links)]

use crate::source::{Accelerator, SourceOptions};
use clap::builder::TypedValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser};
use image_builder::Machine;
use std::time::Duration;

/// Boots an image of the OS in QEMU and shows its telemetry live.
///
/// Without flags, builds and boots the default image and opens the terminal
/// dashboard. With `--headless`, runs for a fixed time and prints one JSON
/// summary on stdout instead: exit status 0 when the guest ran fine, 1 with a
/// one-line reason on stderr when the build, QEMU, the link or the guest
/// failed, 130 when interrupted.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "watchtower",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Instead of a session: make a new image of your own, or print shell
    /// completions or the manual page.
    #[command(subcommand)]
    pub command: Option<Subcommand>,
    /// How the session runs.
    #[command(flatten)]
    pub run: RunArgs,
    /// What is booted and how.
    #[command(flatten)]
    pub boot: BootArgs,
    /// How the screen looks and what it warns about.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// What `watchtower` does instead of a session.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Make a new image in DIR (outside this repository, say): an
    /// image.toml, one program (Rust, or C with --c) that allocates
    /// memory, forks, signals and logs, and a README saying how to boot it
    /// (`--image DIR`) and what to look for on the dashboard.
    New {
        /// The directory to create (it must not exist or be empty).
        #[arg(value_name = "DIR")]
        path: std::path::PathBuf,
        /// Write the program in C (built against the OS's libc) instead of
        /// Rust.
        #[arg(long)]
        c: bool,
    },
    /// Print a shell completion script for SHELL on standard output, e.g.
    /// `watchtower completions bash > ~/.local/share/bash-completion/completions/watchtower`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output, e.g.
    /// `watchtower man > watchtower.1 && man ./watchtower.1`.
    Man,
}

impl Subcommand {
    /// Writes what a printing subcommand (`completions`, `man`) prints to
    /// `out`; `new` prints nothing here (it makes an image: `main` runs it).
    pub fn print(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut command = Cli::command_with_images();
        match self {
            Subcommand::New { .. } => Ok(()),
            Subcommand::Completions { shell } => {
                clap_complete::generate(*shell, &mut command, "watchtower", out);
                Ok(())
            }
            Subcommand::Man => clap_mangen::Man::new(command).render(out),
        }
    }
}

/// How the screen looks and what it warns about.
#[derive(Clone, Debug, Args)]
pub struct UiArgs {
    /// Config file (TOML: [thresholds] slow_ack_ms, fault_storm_per_second,
    /// heartbeat_stale_ms; [display] color, ascii; [theme] colour =
    /// colour; [keys] key = action; [source] image or attach, accel,
    /// machine). Default:
    /// $XDG_CONFIG_HOME/watchtower/config.toml, else
    /// ~/.config/watchtower/config.toml, if it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Draw without colours (the selection shows in reverse video). A
    /// non-empty NO_COLOR in the environment does the same (no-color.org).
    #[arg(long)]
    pub no_color: bool,

    /// Draw with ASCII only: borders, markers and sparklines.
    #[arg(long)]
    pub ascii: bool,
}

impl UiArgs {
    /// The display options: the config file's, with these flags and the
    /// environment's `NO_COLOR` over them.
    pub fn display(&self, config: &crate::config::Config) -> crate::config::DisplayConfig {
        self.display_with(config, std::env::var_os("NO_COLOR").as_deref())
    }

    /// [`UiArgs::display`] with `no_color_env` as the value of `NO_COLOR`:
    /// present and not empty, it turns colours off (no-color.org).
    pub fn display_with(
        &self,
        config: &crate::config::Config,
        no_color_env: Option<&std::ffi::OsStr>,
    ) -> crate::config::DisplayConfig {
        let env_says_no = no_color_env.is_some_and(|value| !value.is_empty());
        crate::config::DisplayConfig {
            color: config.display.color && !self.no_color && !env_says_no,
            ascii: config.display.ascii || self.ascii,
        }
    }
}

/// How the session runs.
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// Run without the terminal UI: boot, wait, print one JSON summary on
    /// stdout, and exit non-zero with a one-line reason on stderr if the
    /// build, QEMU, the link or the guest failed.
    #[arg(long)]
    pub headless: bool,

    /// How long a headless run lasts, in seconds, unless the guest powers
    /// off first.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        requires = "headless",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub seconds: u64,

    /// Save everything the guest sent (the raw serial bytes with their
    /// arrival times, and QEMU's start and exit) to FILE, for --replay. A
    /// recording is binary, so `-` (standard output, which carries the
    /// screen or the summary) is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "replay", value_parser = parse_record_path)]
    pub record: Option<std::path::PathBuf>,

    /// Play a recording made with --record instead of booting. In the TUI
    /// it plays at --speed: Space pauses, + and - change the speed, [ and ]
    /// seek 10 s, . steps one frame. Headless, it plays to the end at once
    /// and prints the summary the recorded run printed.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<std::path::PathBuf>,

    /// Headless: also write every decoded frame to FILE as JSON lines (one
    /// object per frame: {"host_us", "seq", "time_us", "dropped_before",
    /// "message"}), for scripts; `-` writes them to standard output, where
    /// the summary then follows as the last line.
    #[arg(long, value_name = "FILE", requires = "headless")]
    pub json_lines: Option<std::path::PathBuf>,

    /// Serve the session's metrics at http://ADDR/metrics in the
    /// OpenMetrics text format, for Prometheus (live, headless or replayed;
    /// e.g. 127.0.0.1:9100, port 0 picks a free one). Every series carries
    /// the image and the boot id; see docs/fleet.md.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,

    /// Headless with --metrics-addr: after the summary, keep serving the
    /// final values for SECS seconds (a termination signal ends the wait
    /// early), so that a scrape sees exactly what the summary reports.
    #[arg(long, value_name = "SECS", default_value_t = 0, requires = "metrics_addr",
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub metrics_linger: u64,

    /// Write the session (live, headless or replayed) to FILE as a Chrome
    /// trace-event JSON file for Perfetto (ui.perfetto.dev) or
    /// chrome://tracing, in guest time; see docs/trace.md.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// Replay speed, from 0.125 to 64 (times real time).
    #[arg(long, value_name = "X", default_value_t = 1.0, requires = "replay",
          value_parser = parse_speed)]
    pub speed: f64,

    /// Start the replay paused (Space plays, . steps one frame).
    #[arg(long, requires = "replay")]
    pub paused: bool,

    /// Show a process event as stuck once its process has waited this many
    /// milliseconds of guest time on one subscriber's ack.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 2_000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000)
    )]
    pub stuck_ms: u64,
}

impl Cli {
    /// The command definition, with the `--image` help listing the images
    /// that exist.
    pub fn command_with_images() -> clap::Command {
        let images = image_builder::list_images().join(", ");
        Self::command().mut_arg("image", |arg| {
            arg.help(format!(
                "The image to build and boot: a name (available: {images}) or a directory with an image.toml"
            ))
        })
    }

    /// Parses the process arguments, exiting with a usage message on error.
    pub fn parse_with_images() -> Self {
        let matches = Self::command_with_images().get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
    }
}

impl RunArgs {
    /// The headless run length.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    /// How long a wait on one subscriber makes an event stuck.
    pub fn stuck_after(&self) -> Duration {
        Duration::from_millis(self.stuck_ms)
    }
}

/// What is booted and how.
#[derive(Clone, Debug, Args)]
pub struct BootArgs {
    /// The image to build and boot: a name under `images/`, or a path to a
    /// directory with an `image.toml` (`watchtower new DIR` makes one);
    /// default: the config file's [source] image, else the default image.
    #[arg(long, value_name = "NAME|DIR", value_parser = parse_image)]
    pub image: Option<String>,

    /// QEMU accelerator: tcg (software, works everywhere; the default) or
    /// kvm (hardware, needs /dev/kvm). Before a kvm boot a small probe kernel
    /// checks that ring 3 can make a system call there (cached per host);
    /// where it cannot (kvm_pvm), the run stops with the reason.
    #[arg(long, value_enum)]
    pub accel: Option<Accelerator>,

    /// The machine QEMU emulates: q35 (a PC with PCI and a virtio-blk disk,
    /// the kernel loaded through PVH; the default), microvm (no PCI: a
    /// virtio-mmio disk), iso-bios (the bootable GRUB ISO under SeaBIOS,
    /// a SATA disk on AHCI) or iso-uefi (the same ISO under OVMF).
    #[arg(long, value_name = "MACHINE", value_parser = machine_parser())]
    pub machine: Option<Machine>,

    /// Start the guest paused with a gdb server on 127.0.0.1:PORT (default
    /// 1234) and print the gdb command that attaches to it, with the
    /// kernel's symbols and the image's programs (docs/debugging.md).
    #[arg(long, value_name = "PORT", num_args = 0..=1, require_equals = true,
          default_missing_value = "1234")]
    pub gdb: Option<u16>,

    /// Watch a guest that already runs instead of booting one: unix:PATH or
    /// tcp:HOST:PORT (QEMU `-serial unix:PATH,server=on,wait=off` or
    /// `-serial tcp::PORT,server=on,wait=off`), pty:PATH (QEMU `-serial
    /// pty`), or serial:PATH[@BAUD] (a serial device, 115200 baud unless
    /// given). Retries every 0.5 s until connected and after every drop;
    /// commands go over the same link. Headless, the run ends after
    /// --seconds or when the guest powers off.
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address,
          conflicts_with_all = ["replay", "gdb", "image", "accel", "machine", "print_qemu"])]
    pub attach: Option<crate::source::Address>,

    /// Build the image and print the QEMU command that boots it (one line,
    /// shell-quoted), then exit: to run QEMU yourself and --attach to it.
    #[arg(long, conflicts_with_all = ["headless", "replay"])]
    pub print_qemu: bool,

    /// Build the image's bootable ISO (GRUB for BIOS and UEFI; the kernel
    /// and the programs, no disk needed) and copy it to FILE, then exit. To
    /// boot a PC from a USB stick: `sudo dd if=FILE of=/dev/sdX bs=4M
    /// conv=fsync` (sdX the whole stick, not a partition: everything on it
    /// is lost). Telemetry goes to COM1 (--attach serial:/dev/ttyUSB0).
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["headless", "replay", "attach", "print_qemu", "gdb"])]
    pub write_iso: Option<std::path::PathBuf>,

    /// QEMU's -serial value for COM1 in --print-qemu (default stdio), e.g.
    /// unix:/tmp/guest.sock,server=on,wait=off.
    #[arg(long, value_name = "SERIAL", requires = "print_qemu")]
    pub qemu_serial: Option<String>,

    /// The telemetry link: uart (COM1, the 16550; the default) or virtio
    /// (the same frames over a virtio-console port on QEMU's stdio, much
    /// faster; q35 only, COM1 then goes nowhere).
    #[arg(
        long,
        value_name = "uart|virtio",
        default_value = "uart",
        conflicts_with = "attach"
    )]
    pub link: image_builder::Link,
}

impl BootArgs {
    /// The image to boot.
    pub fn image(&self) -> &str {
        self.image
            .as_deref()
            .unwrap_or(image_builder::DEFAULT_IMAGE)
    }

    /// Fills in what the command line left out from the config file's
    /// `[source]` table: its image or its address (only when the command
    /// line names neither), and its accelerator.
    pub fn with_config(mut self, source: &crate::config::SourceConfig) -> Result<Self, String> {
        if self.image.is_none() && self.attach.is_none() {
            if let Some(address) = &source.attach {
                let address = address
                    .parse()
                    .map_err(|error| format!("config file: source.attach: {error}"))?;
                self.attach = Some(address);
            } else if let Some(image) = &source.image {
                let image = parse_image(image)
                    .map_err(|error| format!("config file: source.image: {error}"))?;
                self.image = Some(image);
            }
        }
        self.accel = self.accel.or(source.accel);
        self.machine = self.machine.or(source.machine);
        Ok(self)
    }

    /// The source these flags ask for (defaults for what they leave out).
    pub fn options(&self) -> SourceOptions {
        SourceOptions {
            image: self.image().to_string(),
            attach: self.attach.clone(),
            accel: self.accel.unwrap_or_default(),
            machine: self.machine.unwrap_or_default(),
            gdb: self.gdb,
            serial: self.qemu_serial.clone(),
            link: self.link,
        }
    }

    /// The QEMU options these flags ask for.
    pub fn qemu_options(&self) -> image_builder::QemuOptions {
        self.options().qemu_options()
    }
}

/// Accepts the name of one of [`Machine::ALL`] (completions and the manual
/// list them).
fn machine_parser() -> impl TypedValueParser<Value = Machine> {
    clap::builder::PossibleValuesParser::new(Machine::ALL.map(Machine::as_str))
        .try_map(|name| name.parse::<Machine>())
}

/// Accepts a replay speed within the player's bounds.
fn parse_record_path(text: &str) -> Result<std::path::PathBuf, String> {
    if text == "-" {
        Err("a recording is binary and standard output carries the screen or the summary; give a file name".to_string())
    } else {
        Ok(text.into())
    }
}

fn parse_speed(text: &str) -> Result<f64, String> {
    let speed: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    let range = crate::replay::MIN_SPEED..=crate::replay::MAX_SPEED;
    if range.contains(&speed) {
        Ok(speed)
    } else {
        Err(format!(
            "the speed must be from {} to {}",
            range.start(),
            range.end()
        ))
    }
}

/// Accepts an --attach address.
fn parse_address(text: &str) -> Result<crate::source::Address, String> {
    text.parse()
}

/// Accepts the name of an image that exists under `images/` (the error
/// lists the ones that do) or a directory with a valid `image.toml` (made
/// absolute, so the build finds it from anywhere).
fn parse_image(name: &str) -> Result<String, String> {
    let location = image_builder::manifest::locate(name).map_err(|error| error.to_string())?;
    image_builder::manifest::Manifest::load_dir(&location.dir)
        .map_err(|error| error.to_string())?;
    Ok(if location.external {
        location.dir.display().to_string()
    } else {
        name.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;
    use image_builder::Accel;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("watchtower").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_boot_the_default_image_under_tcg_with_the_tui() {
        let cli = parse(&[]).unwrap();
        assert!(!cli.run.headless);
        assert_eq!(cli.run.duration(), Duration::from_secs(10));
        assert_eq!(cli.run.stuck_after(), crate::state::DEFAULT_STUCK_AFTER);
        assert_eq!(cli.boot.image(), image_builder::DEFAULT_IMAGE);
        let options = cli.boot.qemu_options();
        assert_eq!((options.accel, options.wait_for_gdb), (Accel::Tcg, false));
    }

    #[test]
    fn headless_flags_parse() {
        let cli = parse(&[
            "--headless",
            "--seconds",
            "5",
            "--image",
            "panic",
            "--accel",
            "kvm",
            "--gdb",
            "--stuck-ms",
            "500",
        ])
        .unwrap();
        assert!(cli.run.headless);
        assert_eq!(cli.run.duration(), Duration::from_secs(5));
        assert_eq!(cli.run.stuck_after(), Duration::from_millis(500));
        assert_eq!(cli.boot.image(), "panic");
        let options = cli.boot.qemu_options();
        assert_eq!((options.accel, options.wait_for_gdb), (Accel::Kvm, true));
        assert_eq!(options.gdb_port, Some(1234));
    }

    #[test]
    fn gdb_takes_an_optional_port() {
        let options = parse(&["--gdb=4321"]).unwrap().boot.qemu_options();
        assert_eq!((options.wait_for_gdb, options.gdb_port), (true, Some(4321)));
        assert!(parse(&["--gdb=x"]).is_err());
    }

    #[test]
    fn an_image_is_a_name_or_a_directory_with_a_manifest() {
        let dir = image_builder::images_dir().join("smoke");
        let cli = parse(&["--image", dir.to_str().unwrap()]).unwrap();
        assert_eq!(
            std::path::PathBuf::from(cli.boot.image()),
            dir.canonicalize().unwrap()
        );
        let not_an_image = image_builder::sdk_dir().join("userlib");
        let error = parse(&["--image", not_an_image.to_str().unwrap()]).unwrap_err();
        assert!(error.to_string().contains("has no image.toml"), "{error}");
    }

    #[test]
    fn new_takes_a_directory_and_excludes_session_flags() {
        let cli = parse(&["new", "/tmp/x", "--c"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Subcommand::New { ref path, c: true }) if path.as_path() == std::path::Path::new("/tmp/x")
        ));
        assert!(parse(&["--headless", "new", "/tmp/x"]).is_err());
    }

    #[test]
    fn an_unknown_image_names_the_available_ones() {
        let error = parse(&["--image", "no-such-image"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        let text = error.to_string();
        assert!(
            text.contains("no-such-image") && text.contains("demo"),
            "{text}"
        );
    }

    #[test]
    fn seconds_needs_headless_and_a_positive_value() {
        assert_eq!(
            parse(&["--seconds", "5"]).unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            parse(&["--headless", "--seconds", "0"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&["--accel", "hvf"]).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            parse(&["--stuck-ms", "0"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
    }

    #[test]
    fn a_recording_to_standard_output_is_refused_by_name() {
        let error = parse(&["--record", "-"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(
            error.to_string().contains("a recording is binary"),
            "{error}"
        );
        assert!(parse(&["--record", "x.rec"]).is_ok());
    }

    #[test]
    fn a_non_empty_no_color_in_the_environment_turns_colours_off() {
        use crate::config::Config;
        use std::ffi::OsStr;
        let cli = parse(&[]).unwrap();
        let config = Config::default();
        assert!(cli.ui.display_with(&config, None).color);
        assert!(cli.ui.display_with(&config, Some(OsStr::new(""))).color);
        assert!(!cli.ui.display_with(&config, Some(OsStr::new("1"))).color);
        assert!(!cli.ui.display_with(&config, Some(OsStr::new("0"))).color);
    }

    #[test]
    fn the_image_help_lists_the_images() {
        let help = Cli::command_with_images().render_help().to_string();
        for image in image_builder::list_images() {
            assert!(help.contains(&image), "{image} missing from:\n{help}");
        }
    }

    #[test]
    fn ui_flags_override_the_config_file() {
        use crate::config::{Config, DisplayConfig};
        let cli = parse(&["--no-color", "--ascii", "--config", "/tmp/w.toml"]).unwrap();
        assert_eq!(
            cli.ui.config.as_deref(),
            Some(std::path::Path::new("/tmp/w.toml"))
        );
        let display = cli.ui.display(&Config::default());
        assert_eq!(
            display,
            DisplayConfig {
                color: false,
                ascii: true
            }
        );
        let plain = parse(&[]).unwrap();
        assert_eq!(
            plain.ui.display(&Config::default()),
            DisplayConfig::default()
        );
    }

    #[test]
    fn attach_takes_an_address_and_excludes_booting_flags() {
        use crate::source::Address;
        let cli = parse(&["--attach", "unix:/tmp/g.sock", "--headless"]).unwrap();
        assert_eq!(cli.boot.attach, Some(Address::Unix("/tmp/g.sock".into())));
        let error = parse(&["--attach", "/tmp/g.sock"]).unwrap_err();
        assert!(error.to_string().contains("unix:PATH"), "{error}");
        for other in [&["--gdb"][..], &["--image", "demo"], &["--replay", "x.rec"]] {
            let mut args = vec!["--attach", "tcp:localhost:4444"];
            args.extend_from_slice(other);
            assert_eq!(
                parse(&args).unwrap_err().kind(),
                ErrorKind::ArgumentConflict,
                "{other:?}"
            );
        }
    }

    #[test]
    fn the_link_defaults_to_the_uart_and_passes_through_to_qemu() {
        use image_builder::Link;
        assert_eq!(parse(&[]).unwrap().boot.qemu_options().link, Link::Uart);
        for args in [
            &["--link", "virtio"][..],
            &["--headless", "--link", "virtio"],
        ] {
            assert_eq!(parse(args).unwrap().boot.qemu_options().link, Link::Virtio);
        }
        assert!(parse(&["--link", "usb"]).is_err());
        assert_eq!(
            parse(&["--attach", "tcp:localhost:4444", "--link", "virtio"])
                .unwrap_err()
                .kind(),
            ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn the_config_source_fills_in_only_what_the_command_line_left_out() {
        use crate::config::SourceConfig;
        use crate::source::Address;
        let attach = SourceConfig {
            attach: Some("tcp:localhost:4444".into()),
            accel: Some(Accelerator::Kvm),
            ..SourceConfig::default()
        };
        let boot = parse(&[]).unwrap().boot.with_config(&attach).unwrap();
        assert_eq!(boot.attach, Some(Address::Tcp("localhost:4444".into())));
        assert_eq!(boot.qemu_options().accel, Accel::Kvm);
        // An image on the command line wins over the config's address.
        let boot = parse(&["--image", "panic", "--accel", "tcg"])
            .unwrap()
            .boot
            .with_config(&attach)
            .unwrap();
        assert_eq!((boot.image(), boot.attach.clone()), ("panic", None));
        assert_eq!(boot.qemu_options().accel, Accel::Tcg);
        let image = SourceConfig {
            image: Some("panic".into()),
            ..SourceConfig::default()
        };
        assert_eq!(
            parse(&[])
                .unwrap()
                .boot
                .with_config(&image)
                .unwrap()
                .image(),
            "panic"
        );
        let bad = SourceConfig {
            image: Some("no-such-image".into()),
            ..SourceConfig::default()
        };
        let error = parse(&[]).unwrap().boot.with_config(&bad).unwrap_err();
        assert!(
            error.contains("source.image") && error.contains("demo"),
            "{error}"
        );
    }

    #[test]
    fn machine_takes_every_builder_machine_and_the_config_fills_it_in() {
        use crate::config::SourceConfig;
        assert_eq!(parse(&[]).unwrap().boot.options().machine, Machine::Q35);
        for machine in Machine::ALL {
            let cli = parse(&["--machine", machine.as_str()]).unwrap();
            assert_eq!(cli.boot.qemu_options().machine, machine);
        }
        let error = parse(&["--machine", "pc"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidValue);
        assert!(error.to_string().contains("microvm"), "{error}");
        let config = SourceConfig {
            machine: Some(Machine::Microvm),
            ..SourceConfig::default()
        };
        let boot = parse(&[]).unwrap().boot.with_config(&config).unwrap();
        assert_eq!(boot.options().machine, Machine::Microvm);
        let boot = parse(&["--machine", "q35"])
            .unwrap()
            .boot
            .with_config(&config)
            .unwrap();
        assert_eq!(boot.options().machine, Machine::Q35);
        assert_eq!(
            parse(&["--attach", "unix:/tmp/g", "--machine", "q35"])
                .unwrap_err()
                .kind(),
            ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn print_qemu_takes_a_serial_backend() {
        let cli = parse(&["--print-qemu", "--qemu-serial", "pty"]).unwrap();
        assert!(cli.boot.print_qemu);
        assert_eq!(cli.boot.qemu_options().serial.as_deref(), Some("pty"));
        assert_eq!(
            parse(&["--qemu-serial", "pty"]).unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn metrics_and_trace_flags_parse() {
        let cli = parse(&[
            "--headless",
            "--metrics-addr",
            "127.0.0.1:0",
            "--metrics-linger",
            "5",
            "--trace",
            "t.json",
        ])
        .unwrap();
        assert_eq!(cli.run.metrics_addr.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(cli.run.metrics_linger, 5);
        assert_eq!(
            cli.run.trace.as_deref(),
            Some(std::path::Path::new("t.json"))
        );
        assert_eq!(
            parse(&["--metrics-linger", "5"]).unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn completions_and_the_man_page_cover_the_flags() {
        let cli = parse(&["completions", "bash"]).unwrap();
        let mut script = Vec::new();
        cli.command.unwrap().print(&mut script).unwrap();
        let script = String::from_utf8(script).unwrap();
        for flag in [
            "--headless",
            "--metrics-addr",
            "--trace",
            "--replay",
            "--machine",
        ] {
            assert!(script.contains(flag), "{flag} missing from the bash script");
        }
        for machine in Machine::ALL {
            assert!(script.contains(machine.as_str()), "{machine} not completed");
        }
        let mut page = Vec::new();
        Subcommand::Man.print(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".TH watchtower 1"), "{page}");
        assert!(page.contains(r"\fB\-\-metrics\-addr\fR"), "{page}");
        assert!(parse(&["completions", "tcsh"]).is_err());
        assert!(
            parse(&["--headless", "man"]).is_err(),
            "flags and a helper conflict"
        );
    }

    #[test]
    fn write_iso_takes_a_file_and_excludes_session_flags() {
        let cli = parse(&["--write-iso", "/tmp/w.iso", "--image", "smoke"]).unwrap();
        assert_eq!(
            cli.boot.write_iso.as_deref(),
            Some(std::path::Path::new("/tmp/w.iso"))
        );
        assert_eq!(
            parse(&["--write-iso", "/tmp/w.iso", "--headless"])
                .unwrap_err()
                .kind(),
            ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn every_flag_has_help() {
        let command = Cli::command();
        for arg in command.get_arguments() {
            assert!(arg.get_help().is_some(), "--{} has no help", arg.get_id());
        }
    }
}
