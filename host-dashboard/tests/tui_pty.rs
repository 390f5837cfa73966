//! The real dashboard binary in a real terminal (a pseudo-terminal read
//! through a VT100 emulator): it boots the demo image, the test starts a
//! program from the dashboard (F7/n), filters the table to it, sends it
//! SIGKILL from the signal menu, sees the guest's answers and the process
//! gone, quits, and checks that no QEMU process is left behind.
//!
//! Needs QEMU; fails (never skips) without it. Nothing else: the terminal is
//! this test's own.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant};

const ROWS: u16 = 45;
const COLUMNS: u16 = 140;

/// The dashboard on a pseudo-terminal; killed when the test ends, however
/// it ends.
struct Terminal {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    /// Kept open so the child's terminal stays alive.
    _master: Box<dyn MasterPty + Send>,
}

impl Terminal {
    fn start(program: &str, args: &[&str]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLUMNS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.cwd(std::env::current_dir().expect("current directory"));
        command.env("TERM", "xterm-256color");
        let child = pty
            .slave
            .spawn_command(command)
            .expect("start the dashboard on the pseudo-terminal");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(ROWS).expect("rows"),
            NonZeroU16::new(COLUMNS).expect("columns"),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .process(&buffer[..read]);
            }
        });
        let writer = pty.master.take_writer().expect("pty writer");
        Self {
            child,
            writer,
            screen,
            _master: pty.master,
        }
    }

    fn screen(&self) -> String {
        self.screen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .screen()
            .contents()
    }

    /// Types `keys`: a named key (`Enter`, `Down`, `F9`) or text.
    fn keys(&mut self, keys: &[&str]) {
        for key in keys {
            let bytes: &[u8] = match *key {
                "Enter" => b"\r",
                "Down" => b"\x1b[B",
                "Up" => b"\x1b[A",
                "F9" => b"\x1b[20~",
                text => text.as_bytes(),
            };
            self.writer
                .write_all(bytes)
                .expect("type into the terminal");
            self.writer.flush().expect("type into the terminal");
            sleep(Duration::from_millis(100));
        }
        sleep(Duration::from_millis(200));
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for `ready` to hold on the screen.
    fn wait_for(&self, what: &str, timeout: Duration, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "no {what} after {timeout:?}; the screen:\n{screen}"
            );
            sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The number after `marker` on the screen.
fn number_after(screen: &str, marker: &str) -> Option<u32> {
    let at = screen.find(marker)? + marker.len();
    let digits: String = screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The pid of the selected row (the one marked `▶`).
fn selected_pid(screen: &str) -> Option<u32> {
    let line = screen.lines().find(|line| line.contains('▶'))?;
    let after = &line[line.find('▶')? + '▶'.len_utf8()..];
    after.split_whitespace().next()?.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.contains(") Z "))
}

#[test]
fn start_a_program_kill_it_from_the_signal_menu_see_it_exit_then_quit_leaves_no_qemu() {
    let mut terminal = Terminal::start(env!("CARGO_BIN_EXE_watchtower"), &["--image", "demo"]);
    // The build runs first, then the table fills.
    let screen = terminal.wait_for("process table", Duration::from_secs(300), |screen| {
        screen.contains("PID") && screen.contains("worker")
    });
    let qemu = number_after(&screen, "QEMU running (pid ").expect("the title names QEMU's pid");
    assert!(process_alive(qemu), "QEMU {qemu} runs");

    // Start a program that lives until it is killed; its pid is the
    // answer.
    terminal.keys(&["n"]);
    terminal.keys(&["spinner", "Enter"]);
    let screen = terminal.wait_for("the spawn's answer", Duration::from_secs(20), |screen| {
        screen.contains("#1 spawn spinner") && screen.contains("command 1: done (")
    });
    let victim = number_after(&screen, "command 1: done (").expect("the spawn answers a pid");
    terminal.keys(&["/", &format!("pid={victim}"), "Enter"]);
    terminal.wait_for("filtered table", Duration::from_secs(10), |screen| {
        screen.contains(&format!("filter: pid={victim}")) && selected_pid(screen) == Some(victim)
    });

    // F9, then SIGKILL (the second signal), Enter.
    terminal.keys(&["F9"]);
    terminal.wait_for("signal menu", Duration::from_secs(5), |screen| {
        screen.contains(&format!("Send signal to {victim}"))
    });
    terminal.keys(&["Down", "Enter"]);
    terminal.wait_for("the guest's answer", Duration::from_secs(20), |screen| {
        screen.contains(&format!("#2 signal 9 (SIGKILL) -> pid {victim}"))
            && screen.contains("command 2: done")
    });
    // Its row goes once it is reaped (or shows it exiting until then).
    terminal.wait_for("the worker's exit", Duration::from_secs(20), |screen| {
        !screen.lines().any(|line| {
            let mut fields = line
                .trim_start_matches(['┃', '│', ' ', '▶'])
                .split_whitespace();
            fields.next() == Some(&victim.to_string()) && !line.contains("exiting")
        })
    });

    terminal.keys(&["q"]);
    let start = Instant::now();
    while terminal.alive() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(100));
    }
    assert!(!terminal.alive(), "the dashboard did not quit on q");
    let status = terminal.child.wait().expect("the dashboard's status");
    assert!(status.success(), "the dashboard exited with {status:?}");
    let start = Instant::now();
    while process_alive(qemu) && start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(100));
    }
    assert!(!process_alive(qemu), "QEMU {qemu} is still running after q");
}
