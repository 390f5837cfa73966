//! `host-dashboard`: boots an image of the OS and shows its telemetry.
//!
//! See `host-dashboard --help`. Without flags it opens the live dashboard on
//! the default image; `--headless --seconds N` prints one JSON summary.

use host_dashboard::cli::Cli;
use host_dashboard::{headless, source, tui};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse_with_images();
    if cli.boot.print_qemu {
        return match source::qemu_command_line(&cli.boot.image, &cli.boot.qemu_options()) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("host-dashboard: {error}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.run.headless {
        return headless::run(&cli);
    }
    match tui::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("host-dashboard: {error}");
            ExitCode::FAILURE
        }
    }
}
