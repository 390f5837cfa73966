//! What is drawn over the view and takes the keys while it is open: the
//! help, the filter line, the signal menu (which says so, and sends
//! nothing, once its process has exited). [`App::perform_key`] sends keys
//! there first, and to the key table ([`super::action_for_key`]) otherwise;
//! [`App::perform_mouse`] turns clicks and the wheel into selection and
//! scrolling.

use super::{Action, App, Pane};
use crate::state::State;
use kernel_abi::Signal;
use protocol::command::Command;
use protocol::message::ProcessState;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};

/// The signals the menu offers, in its order (htop's most used first).
pub const SIGNAL_MENU: [Signal; 10] = [
    Signal::SIGTERM,
    Signal::SIGKILL,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGSTOP,
    Signal::SIGCONT,
    Signal::SIGQUIT,
    Signal::SIGSEGV,
];

/// What is drawn over the view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing: keys go to the key table.
    #[default]
    None,
    /// The help: every key.
    Help,
    /// The filter line, with the text typed so far.
    Filter(String),
    /// An input line for a command to the guest.
    Prompt {
        /// What it asks for.
        kind: PromptKind,
        /// The text typed so far.
        text: String,
        /// Why Enter did not send it, if it did not.
        error: Option<String>,
    },
    /// The signal menu for process `pid`, row `row` selected.
    Signal {
        /// The target.
        pid: u32,
        /// Its name when the menu opened.
        name: String,
        /// The selected row of [`SIGNAL_MENU`].
        row: usize,
    },
}

impl Overlay {
    /// An empty input line for `kind`.
    pub fn prompt(kind: PromptKind) -> Self {
        Overlay::Prompt {
            kind,
            text: String::new(),
            error: None,
        }
    }
}

/// What an input line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// `program args`: start a program of the image.
    Spawn,
    /// The snapshot period in milliseconds.
    SnapshotRate,
}

impl PromptKind {
    /// The line's label.
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Spawn => "start program (name args)",
            PromptKind::SnapshotRate => "snapshot every (ms, 10..=60000)",
        }
    }

    /// The command `text` asks for, or why it is not one.
    pub fn command(self, text: &str) -> Result<Command<String>, String> {
        match self {
            PromptKind::Spawn => {
                let text = text.trim();
                let (program, args) = text.split_once(' ').unwrap_or((text, ""));
                if program.is_empty() {
                    return Err("type a program name".to_string());
                }
                Ok(Command::Spawn {
                    program: program.to_string(),
                    args: args.trim().to_string(),
                })
            }
            PromptKind::SnapshotRate => {
                let ms: u32 = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{}` is not a whole number of ms", text.trim()))?;
                if !(10..=60_000).contains(&ms) {
                    return Err(format!("{ms} ms is outside 10..=60000"));
                }
                Ok(Command::SetSnapshotInterval { ms })
            }
        }
    }
}

impl App {
    /// Handles a key press: the open overlay takes it, else the key table.
    pub fn perform_key(&mut self, key: KeyEvent) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        match std::mem::take(&mut self.overlay) {
            Overlay::None => {
                let custom = self.appearance.custom_action(key);
                if let Some(action) = custom.or_else(|| super::action_for_key(key)) {
                    self.perform(action);
                }
            }
            // Any key closes the help.
            Overlay::Help => {}
            Overlay::Filter(text) => self.filter_key(text, key.code),
            Overlay::Signal { pid, name, row } => self.signal_key(pid, name, row, key.code),
            Overlay::Prompt { kind, text, .. } => self.prompt_key(kind, text, key.code),
        }
    }

    fn prompt_key(&mut self, kind: PromptKind, mut text: String, code: KeyCode) {
        let mut error = None;
        match code {
            KeyCode::Esc => return,
            KeyCode::Enter => match kind.command(&text) {
                Ok(command) => {
                    let words = describe(&command);
                    self.outbox.send(command, words);
                    return;
                }
                Err(why) => error = Some(why),
            },
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(letter) => text.push(letter),
            _ => {}
        }
        self.overlay = Overlay::Prompt { kind, text, error };
    }

    fn filter_key(&mut self, mut text: String, code: KeyCode) {
        match code {
            KeyCode::Esc => {
                self.processes.clear_filter();
                return;
            }
            KeyCode::Enter if self.processes.filter_error().is_none() => return,
            KeyCode::Enter => {}
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(letter) => text.push(letter),
            _ => {}
        }
        self.processes.filter_typed(&text);
        self.overlay = Overlay::Filter(text);
    }

    /// While the signal menu is open and its process has exited since it
    /// opened: the line that says so (see `target_ended`). Read from the
    /// live model, so a paused view cannot hide it.
    pub fn signal_target_ended(&self) -> Option<String> {
        match &self.overlay {
            Overlay::Signal { pid, name, .. } => target_ended(&self.state, *pid, name),
            _ => None,
        }
    }

    fn signal_key(&mut self, pid: u32, name: String, row: usize, code: KeyCode) {
        let last = SIGNAL_MENU.len() - 1;
        let row = match code {
            KeyCode::Esc | KeyCode::Char('q') => return,
            // The process is gone: nothing to send (the guest would answer
            // ESRCH); the menu keeps saying why until it is closed.
            KeyCode::Enter if target_ended(&self.state, pid, &name).is_some() => row,
            KeyCode::Enter => {
                let signal = SIGNAL_MENU[row].number();
                let label = SIGNAL_MENU[row].name();
                self.outbox.send(
                    Command::Signal { pid, signal },
                    format!("signal {signal} ({label}) -> pid {pid} {name}"),
                );
                return;
            }
            KeyCode::Up | KeyCode::Char('k') => row.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => (row + 1).min(last),
            KeyCode::Home => 0,
            KeyCode::End => last,
            _ => row,
        };
        self.overlay = Overlay::Signal { pid, name, row };
    }

    /// Handles a mouse event: a left click on a process-table row selects
    /// it (and focuses the table; where the table is comes from the last
    /// frame drawn), the wheel scrolls the focused pane.
    pub fn perform_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.perform(Action::Up(3)),
            MouseEventKind::ScrollDown => self.perform(Action::Down(3)),
            MouseEventKind::Down(MouseButton::Left) if self.overlay == Overlay::None => {
                let shown = self.frozen.as_deref().unwrap_or(&self.state);
                if self.view.panes().contains(&Pane::Processes)
                    && self.processes.click(mouse.column, mouse.row, shown)
                {
                    self.focus = Pane::Processes;
                }
            }
            _ => {}
        }
    }
}

/// Whether process `pid`, called `name` when a menu for it opened, has
/// exited: `None` while it lives, else a line saying so, with how it ended
/// when the model saw its exit ("pid 12 (worker) has exited: killed by
/// SIGTERM"). A process that is exiting or a zombie has exited (it can no
/// longer take a signal); pids are never reused within a boot, and a
/// process under the pid with another name (a new boot) is not the one.
pub fn target_ended(state: &State, pid: u32, name: &str) -> Option<String> {
    let system = state.system();
    let alive = system.process(pid).is_some_and(|process| {
        process.name == name
            && !matches!(process.state, ProcessState::Exiting | ProcessState::Zombie)
    });
    if alive {
        return None;
    }
    let how = system
        .exited()
        .rev()
        .find(|exited| exited.pid == pid)
        .and_then(|exited| match (exited.signal, exited.status) {
            (Some(signal), _) => Some(match Signal::from_number(u64::from(signal)) {
                Some(signal) => format!("killed by {}", signal.name()),
                None => format!("killed by signal {signal}"),
            }),
            (None, Some(status)) => Some(format!("exit status {status}")),
            (None, None) => None,
        });
    Some(match how {
        Some(how) => format!("pid {pid} ({name}) has exited: {how}"),
        None => format!("pid {pid} ({name}) has exited"),
    })
}

/// A command to the guest in words, for the status line and the list of
/// commands sent.
fn describe(command: &Command<String>) -> String {
    match command {
        Command::Ping => "ping".to_string(),
        Command::Signal { pid, signal } => format!("signal {signal} -> pid {pid}"),
        Command::Spawn { program, args } if args.is_empty() => format!("spawn {program}"),
        Command::Spawn { program, args } => format!("spawn {program} {args}"),
        Command::SetSnapshotInterval { ms } => format!("snapshot every {ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_read_commands_and_refuse_bad_ones() {
        assert_eq!(
            PromptKind::Spawn.command(" worker 3 fast "),
            Ok(Command::Spawn {
                program: "worker".to_string(),
                args: "3 fast".to_string()
            })
        );
        assert_eq!(
            PromptKind::Spawn.command("hog"),
            Ok(Command::Spawn {
                program: "hog".to_string(),
                args: String::new()
            })
        );
        assert!(PromptKind::Spawn.command("  ").is_err());
        assert_eq!(
            PromptKind::SnapshotRate.command("250"),
            Ok(Command::SetSnapshotInterval { ms: 250 })
        );
        assert_eq!(
            PromptKind::SnapshotRate.command("10"),
            Ok(Command::SetSnapshotInterval { ms: 10 })
        );
        assert_eq!(
            PromptKind::SnapshotRate.command("60000"),
            Ok(Command::SetSnapshotInterval { ms: 60_000 })
        );
        assert!(
            PromptKind::SnapshotRate
                .command("9")
                .unwrap_err()
                .contains("outside")
        );
        assert!(PromptKind::SnapshotRate.command("60001").is_err());
        assert!(
            PromptKind::SnapshotRate
                .command("fast")
                .unwrap_err()
                .contains("whole")
        );
    }
}
