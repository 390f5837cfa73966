//! The real dashboard binary in a real terminal (tmux): it boots the demo
//! image, the test starts a program from the dashboard (F7/n), filters the
//! table to it, sends it SIGKILL from the signal menu, sees the guest's
//! answers and the process gone, quits, and checks that no QEMU process is
//! left behind.
//!
//! Needs tmux and QEMU; fails (never skips) without them.
//!

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A tmux session that is killed when the test ends, however it ends.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(command: &str) -> Self {
        let name = format!("watchtower-test-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "140", "-y", "45"])
            .arg(command)
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        Self { name }
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
        sleep(Duration::from_millis(300));
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.name])
            .status()
            .is_ok_and(|status| status.success())
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

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
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
    let binary = env!("CARGO_BIN_EXE_watchtower");
    let tmux = Tmux::start(&format!("{binary} --image demo"));
    // The build runs first, then the table fills.
    let screen = tmux.wait_for("process table", Duration::from_secs(300), |screen| {
        screen.contains("PID") && screen.contains("worker")
    });
    let qemu = number_after(&screen, "QEMU running (pid ").expect("the title names QEMU's pid");
    assert!(process_alive(qemu), "QEMU {qemu} runs");

    // Start a program that lives until it is killed (the demo's own
    // programs come and go within a second or two); its pid is the answer.
    tmux.keys(&["n"]);
    tmux.keys(&["spinner", "Enter"]);
    let screen = tmux.wait_for("the spawn's answer", Duration::from_secs(20), |screen| {
        screen.contains("#1 spawn spinner") && screen.contains("command 1: done (")
    });
    let victim = number_after(&screen, "command 1: done (").expect("the spawn answers a pid");
    tmux.keys(&["/", &format!("pid={victim}"), "Enter"]);
    tmux.wait_for("filtered table", Duration::from_secs(10), |screen| {
        screen.contains(&format!("filter: pid={victim}")) && selected_pid(screen) == Some(victim)
    });

    // F9, then SIGKILL (the second signal), Enter.
    tmux.keys(&["F9"]);
    tmux.wait_for("signal menu", Duration::from_secs(5), |screen| {
        screen.contains(&format!("Send signal to {victim}"))
    });
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("the guest's answer", Duration::from_secs(20), |screen| {
        screen.contains(&format!("#2 signal 9 (SIGKILL) -> pid {victim}"))
            && screen.contains("command 2: done")
    });
    // Its row goes once it is reaped (or shows it exiting until then).
    tmux.wait_for("the worker's exit", Duration::from_secs(20), |screen| {
        !screen.lines().any(|line| {
            let mut fields = line
                .trim_start_matches(['┃', '│', ' ', '▶'])
                .split_whitespace();
            fields.next() == Some(&victim.to_string()) && !line.contains("exiting")
        })
    });

    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(100));
    }
    assert!(!tmux.alive(), "the dashboard did not quit on q");
    let start = Instant::now();
    while process_alive(qemu) && start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(100));
    }
    assert!(!process_alive(qemu), "QEMU {qemu} is still running after q");
}
