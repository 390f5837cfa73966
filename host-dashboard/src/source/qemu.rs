//! The QEMU child process: spawning, the stream readers, and never leaking it.
//!
//! QEMU's stdout is the guest's serial output: a reader thread sends it into
//! the event channel in chunks. Its stderr is kept as a short tail for error
//! messages. Its stdin stays open for host-to-guest commands. Whatever
//! happens (quit, error, panic), QEMU is killed and reaped: [`QemuProcess`]
//! does it on drop, and a [`QemuKiller`] lets a panic hook do it too.

use super::lock;
use crate::event::{Event, SourceEvent};
use crate::state::QemuExit;
use image_builder::{BuiltImage, QemuOptions};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How many of QEMU's last stderr lines are kept.
pub const STDERR_TAIL_LINES: usize = 20;

/// Size of one read from QEMU's stdout.
const READ_CHUNK: usize = 4096;

/// How often [`QemuProcess::wait_for_exit`] polls.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A running QEMU whose serial output feeds the event channel.
#[derive(Debug)]
pub struct QemuProcess {
    child: Arc<Mutex<Child>>,
    pid: u32,
    /// The guest's serial input; kept open (closing it would be an EOF on
    /// the guest's receive line) for host-to-guest commands.
    stdin: Option<ChildStdin>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_reader: Option<JoinHandle<()>>,
    exit: Option<QemuExit>,
}

/// Kills QEMU from anywhere, for example from a panic hook.
#[derive(Clone, Debug)]
pub struct QemuKiller(Arc<Mutex<Child>>);

impl QemuProcess {
    /// Starts QEMU for `image`. Its serial output goes to `events` as
    /// [`SourceEvent`]s, ending with [`SourceEvent::Closed`].
    ///
    /// QEMU runs in its own process group, so a Ctrl-C in the terminal
    /// reaches only the dashboard, which then stops QEMU itself.
    pub fn spawn(
        image: &BuiltImage,
        options: &QemuOptions,
        events: Sender<Event>,
    ) -> std::io::Result<Self> {
        Self::spawn_command(image_builder::qemu::command(image, options), events)
    }

    /// Starts `command` as if it were QEMU: its stdout is the serial stream.
    pub fn spawn_command(mut command: Command, events: Sender<Event>) -> std::io::Result<Self> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn()?;
        let pid = child.id();
        let stdin = child.stdin.take();
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let mut process = Self {
            child: Arc::new(Mutex::new(child)),
            pid,
            stdin,
            stderr_tail: Arc::default(),
            stderr_reader: None,
            exit: None,
        };
        // From here on, dropping `process` on an error kills QEMU.
        let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
            return Err(std::io::Error::other(
                "QEMU's stdout or stderr was not piped",
            ));
        };
        thread::Builder::new()
            .name("qemu-serial".into())
            .spawn(move || read_serial(stdout, events))?;
        let tail = Arc::clone(&process.stderr_tail);
        process.stderr_reader = Some(
            thread::Builder::new()
                .name("qemu-stderr".into())
                .spawn(move || keep_stderr_tail(stderr, &tail))?,
        );
        Ok(process)
    }

    /// QEMU's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A handle that can kill QEMU from elsewhere.
    pub fn killer(&self) -> QemuKiller {
        QemuKiller(Arc::clone(&self.child))
    }

    /// The guest's serial input, for host-to-guest commands.
    pub fn serial_input(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// Waits up to `grace` for QEMU to exit (call it once its stdout
    /// closed), killing it if it does not; returns how it exited.
    pub fn wait_for_exit(&mut self, grace: Duration) -> QemuExit {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let deadline = Instant::now() + grace;
        let status = loop {
            match lock(&self.child).try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {}
                Ok(None) | Err(_) => break None,
            }
            thread::sleep(POLL_INTERVAL);
        };
        let status = status.or_else(|| kill_and_reap(&mut lock(&self.child)));
        self.finish(status)
    }

    /// Kills QEMU (if it still runs) and reaps it. Safe to call repeatedly.
    pub fn stop(&mut self) {
        if self.exit.is_none() {
            let status = kill_and_reap(&mut lock(&self.child));
            self.finish(status);
        }
    }

    fn finish(&mut self, status: Option<ExitStatus>) -> QemuExit {
        self.stdin = None;
        // QEMU is gone, so its stderr is at end of file: collect every line.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        let exit = QemuExit {
            status: status.and_then(|status| status.code()),
            signal: status.and_then(|status| status.signal()),
            stderr_tail: lock(&self.stderr_tail).iter().cloned().collect(),
        };
        self.exit = Some(exit.clone());
        exit
    }
}

impl Drop for QemuProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

impl QemuKiller {
    /// Kills and reaps QEMU unless someone else holds it right now (a panic
    /// hook must never block).
    pub fn kill(&self) {
        let mut child = match self.0.try_lock() {
            Ok(child) => child,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        kill_and_reap(&mut child);
    }
}

/// Kills the child if it still runs and waits for it; its exit status, if
/// it could be collected.
fn kill_and_reap(child: &mut Child) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    // Fails only if it already exited, which `wait` then reports.
    let _ = child.kill();
    child.wait().ok()
}

/// Forwards QEMU's stdout to the event channel until end of file.
fn read_serial(mut stdout: ChildStdout, events: Sender<Event>) {
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        let event = match stdout.read(&mut buffer) {
            Ok(0) => SourceEvent::Closed { at: Instant::now() },
            Ok(len) => SourceEvent::Serial {
                bytes: buffer[..len].to_vec(),
                at: Instant::now(),
            },
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => SourceEvent::Closed { at: Instant::now() },
        };
        let closed = matches!(event, SourceEvent::Closed { .. });
        if events.send(Event::Source(event)).is_err() || closed {
            return;
        }
    }
}

/// Keeps the last [`STDERR_TAIL_LINES`] lines of QEMU's stderr.
fn keep_stderr_tail(stderr: ChildStderr, tail: &Mutex<VecDeque<String>>) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    while matches!(reader.read_until(b'\n', &mut line), Ok(len) if len > 0) {
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let mut tail = lock(tail);
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
        line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, Receiver};

    /// Long enough never to matter: the children below exit at once or are
    /// killed.
    const GENEROUS: Duration = Duration::from_secs(60);

    fn shell(script: &str) -> (QemuProcess, Receiver<Event>) {
        let (sender, receiver) = mpsc::channel();
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        (
            QemuProcess::spawn_command(command, sender).expect("sh starts"),
            receiver,
        )
    }

    /// Serial bytes received until the stream closed.
    fn serial_until_closed(events: &Receiver<Event>) -> Vec<u8> {
        let mut bytes = Vec::new();
        loop {
            match events.recv_timeout(GENEROUS).expect("the stream closes") {
                Event::Source(SourceEvent::Serial { bytes: chunk, .. }) => bytes.extend(chunk),
                Event::Source(SourceEvent::Closed { .. }) => return bytes,
                other => panic!("unexpected event {other:?}"),
            }
        }
    }

    fn is_alive(pid: u32) -> bool {
        Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    #[test]
    fn forwards_stdout_keeps_stderr_and_reports_the_exit_status() {
        let (mut process, events) =
            shell("printf 'ab\\001\\000'; echo first >&2; echo last >&2; exit 3");
        assert_eq!(serial_until_closed(&events), b"ab\x01\x00");
        let exit = process.wait_for_exit(GENEROUS);
        assert_eq!((exit.status, exit.signal), (Some(3), None));
        assert_eq!(exit.stderr_tail, ["first", "last"]);
        // Asking again gives the same answer.
        assert_eq!(process.wait_for_exit(GENEROUS), exit);
    }

    #[test]
    fn the_stderr_tail_is_bounded() {
        let (mut process, events) =
            shell("i=0; while [ $i -lt 50 ]; do echo line$i >&2; i=$((i+1)); done");
        serial_until_closed(&events);
        let exit = process.wait_for_exit(GENEROUS);
        assert_eq!(exit.stderr_tail.len(), STDERR_TAIL_LINES);
        assert_eq!(exit.stderr_tail.last().map(String::as_str), Some("line49"));
    }

    #[test]
    fn dropping_the_process_kills_and_reaps_it() {
        let (process, _events) = shell("exec sleep 600");
        let pid = process.pid();
        assert!(is_alive(pid));
        drop(process);
        assert!(!is_alive(pid), "QEMU stand-in {pid} survived the drop");
    }

    #[test]
    fn stop_reports_the_kill_and_the_killer_is_harmless_afterwards() {
        let (mut process, _events) = shell("exec sleep 600");
        let killer = process.killer();
        process.stop();
        assert!(!is_alive(process.pid()));
        killer.kill();
        assert_eq!(process.wait_for_exit(GENEROUS).signal, Some(9));
    }

    #[test]
    fn the_killer_stops_a_running_process() {
        let (mut process, events) = shell("exec sleep 600");
        process.killer().kill();
        serial_until_closed(&events);
        assert_eq!(process.wait_for_exit(GENEROUS).signal, Some(9));
    }
}
