//! `watchtower`: boots an image of the OS and shows its telemetry.
//!
//! See `watchtower --help`. Without flags it opens the live dashboard on
//! the default image; `--headless --seconds N` prints one JSON summary.

use std::process::ExitCode;
use watchtower::app::config::Config;
use watchtower::cli::Cli;
use watchtower::{headless, source, tui};

fn main() -> ExitCode {
    let mut cli = Cli::parse_with_images();
    if let Some(helper) = &cli.command {
        return match helper.run(&mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("watchtower: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::find(cli.ui.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("watchtower: {error}");
            return ExitCode::FAILURE;
        }
    };
    cli.boot = match cli.boot.with_config(&config.source) {
        Ok(boot) => boot,
        Err(error) => {
            eprintln!("watchtower: {error}");
            return ExitCode::FAILURE;
        }
    };
    if cli.boot.print_qemu {
        return match source::qemu_command_line(cli.boot.image(), &cli.boot.qemu_options()) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("watchtower: {error}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.run.headless {
        return headless::run(&cli, &config);
    }
    match tui::run(&cli, &config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("watchtower: {error}");
            ExitCode::FAILURE
        }
    }
}
