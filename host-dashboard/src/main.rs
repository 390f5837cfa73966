//! `watchtower`: boots an image of the OS and shows its telemetry.
//!
//! See `watchtower --help`. Without flags it opens the live dashboard on
//! the default image; `--headless --seconds N` prints one JSON summary.

use std::process::ExitCode;
use watchtower::cli::{Cli, Subcommand};
use watchtower::config::Config;
use watchtower::{headless, source, tui};

fn main() -> ExitCode {
    let mut cli = Cli::parse_with_images();
    match &cli.command {
        Some(Subcommand::New { path, c }) => return new_image(path, *c),
        Some(printing) => {
            return match printing.print(&mut std::io::stdout().lock()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("watchtower: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {}
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
    if let Some(path) = &cli.boot.write_iso {
        return match source::write_iso(cli.boot.image(), path) {
            Ok(bytes) => {
                println!(
                    "wrote {} ({} MiB): boot it with qemu-system-x86_64 -cdrom, or write it to a \
                     USB stick with `sudo dd if={} of=/dev/sdX bs=4M conv=fsync`",
                    path.display(),
                    bytes.div_ceil(1 << 20),
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("watchtower: {error}");
                ExitCode::FAILURE
            }
        };
    }
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

/// `watchtower new DIR [--c]`: makes the image and says how to boot it.
fn new_image(path: &std::path::Path, c: bool) -> ExitCode {
    use image_builder::scaffold::{Language, new_image};
    let language = if c { Language::C } else { Language::Rust };
    match new_image(path, language) {
        Ok(made) => {
            println!(
                "made image {} in {} (program '{}', {}):",
                image_builder::manifest::image_name_of(&made.dir),
                made.dir.display(),
                made.program,
                if c { "C" } else { "Rust" }
            );
            for file in &made.files {
                println!("  {}", file.display());
            }
            println!(
                "boot it from {} with:\n  cargo run --release -- --image {}\n(README.md there says what to look for)",
                image_builder::workspace_root().display(),
                made.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("watchtower: {error}");
            ExitCode::FAILURE
        }
    }
}
