//! Entering and leaving the full-screen terminal, and the panic hook.
//!
//! [`Screen`] puts the terminal in raw mode on the alternate screen and
//! restores it when dropped. [`install_panic_hook`] makes a panic restore the
//! terminal first (so the message is readable) and kill QEMU.

use crate::app::App;
use crate::source::QemuKiller;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::{Stdout, stdout};

/// The full-screen terminal; restored on drop.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Switches to raw mode and the alternate screen.
    pub fn enter() -> std::io::Result<Self> {
        enable_raw_mode()?;
        let screen = execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| Terminal::new(CrosstermBackend::new(stdout())));
        match screen {
            Ok(terminal) => Ok(Self { terminal }),
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }

    /// Draws `app` on the whole screen.
    pub fn draw(&mut self, app: &App) -> std::io::Result<()> {
        self.terminal
            .draw(|frame| frame.render_widget(app, frame.area()))?;
        Ok(())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode and the alternate screen; harmless if not in them.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
}

/// Installs a panic hook that restores the terminal, kills QEMU, and then
/// reports the panic as the previous hook would. Without QEMU (an attached
/// session), it only restores the terminal.
pub fn install_panic_hook(qemu: Option<QemuKiller>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        if let Some(qemu) = &qemu {
            qemu.kill();
        }
        previous(info);
    }));
}
