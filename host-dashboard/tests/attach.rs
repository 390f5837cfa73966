//! Attaching to a guest the dashboard did not start, end to end: QEMU runs
//! the demo with COM1 on a unix socket; the real binary attaches headless
//! through a proxy that cuts the link mid-run; the dashboard reconnects,
//! resyncs and counts what it lost, while the guest never waits for it.
//! Then a command goes to the same guest over a fresh attachment.
//!
//! Needs QEMU (`qemu-system-x86`); without it the test fails, never skips.

mod headless;

use headless::number;
use image_builder::{BuildOutput, QemuOptions};
use protocol::command::{Command, CommandOutcome};
use protocol::message::Message;
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use watchtower::event::{Event, SourceEvent};
use watchtower::source::{Address, Live};
use watchtower::state::Input;

/// Kills QEMU however the test ends.
struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wt-attach-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Boots the demo with COM1 on a unix socket server at `socket`. With
/// `wait=on`, QEMU starts the guest only once the first client connects,
/// so that client sees the boot (the guest's Hello).
fn boot_on_socket(socket: &Path) -> Qemu {
    image_builder::qemu::check_available().expect("QEMU is installed");
    let image = image_builder::build("demo", BuildOutput::Capture).expect("the demo builds");
    let options = QemuOptions {
        serial: Some(format!("unix:{},server=on,wait=on", socket.display())),
        ..QemuOptions::default()
    };
    let mut command = image_builder::qemu::command(&image, &options);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0);
    let qemu = Qemu(command.spawn().expect("QEMU starts"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "QEMU never made {socket:?}");
        thread::sleep(Duration::from_millis(20));
    }
    qemu
}

/// Copies `from` to `to` until either end closes.
fn pump(mut from: UnixStream, mut to: UnixStream) {
    let mut buffer = [0u8; 4096];
    while let Ok(len) = from.read(&mut buffer) {
        if len == 0 || to.write_all(&buffer[..len]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

#[test]
fn an_attached_dashboard_survives_a_cut_link_and_commands_reach_the_guest() {
    let dir = scratch_dir();
    let guest_socket = dir.join("guest.sock");
    let front_socket = dir.join("front.sock");
    let qemu = boot_on_socket(&guest_socket);

    // The proxy: each connection is cut on demand by shutting down a clone
    // of its client stream, which ends both pumps.
    let listener = UnixListener::bind(&front_socket).unwrap();
    let (cut_sender, cut) = mpsc::channel::<()>();
    let back = guest_socket.clone();
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let guest = UnixStream::connect(&back).expect("the guest's socket accepts");
            let (client_in, guest_in) = (client.try_clone().unwrap(), guest.try_clone().unwrap());
            let (client_cut, guest_cut) = (client.try_clone().unwrap(), guest.try_clone().unwrap());
            thread::spawn(move || pump(client_in, guest));
            thread::spawn(move || pump(guest_in, client));
            if cut.recv().is_ok() {
                let _ = client_cut.shutdown(std::net::Shutdown::Both);
                let _ = guest_cut.shutdown(std::net::Shutdown::Both);
            }
        }
    });

    let dashboard = std::process::Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(["--headless", "--seconds", "9", "--attach"])
        .arg(format!("unix:{}", front_socket.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dashboard starts");
    // Let it connect and watch the boot, then pull the cable.
    thread::sleep(Duration::from_secs(4));
    cut_sender.send(()).unwrap();
    let output = dashboard.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)));

    // It saw the boot (the image comes from the guest's Hello).
    assert_eq!(json["image"], "demo", "{json}");
    assert!(json["qemu"]["running"] == false && json["qemu"]["status"].is_null());
    // It reconnected after the cut.
    let attach = &json["attach"];
    assert_eq!(
        attach["address"],
        format!("unix:{}", front_socket.display())
    );
    assert_eq!(number(&json, "/attach/connects"), 2, "{attach}");
    assert_eq!(number(&json, "/attach/disconnects"), 1, "{attach}");
    assert_eq!(attach["up"], true, "{attach}");
    assert_eq!(number(&json, "/warnings/link_down"), 0);
    // It resynced without calling the cut frames corrupt, and counted the
    // frames the guest sent while the link was down as lost.
    assert!(number(&json, "/link/frames") > 50, "{}", json["link"]);
    assert_eq!(number(&json, "/link/crc_errors"), 0, "{}", json["link"]);
    assert_eq!(number(&json, "/link/malformed"), 0, "{}", json["link"]);
    assert!(number(&json, "/link/seq_gaps") > 0, "{}", json["link"]);
    // The picture is whole again: processes with regions from snapshots
    // taken after the reconnection.
    let processes = json["processes"].as_array().unwrap();
    assert!(processes.len() >= 4, "{processes:?}");
    assert!(number(&json, "/snapshots/complete") > 0);
    assert!(json["failure"].is_null(), "{json}");
    let uptime_then = number(&json, "/guest/uptime_ns");

    // Nobody is attached now; the guest runs on. A fresh attachment (the
    // library, straight to QEMU's socket) sends a ping and gets its answer.
    let (sender, events) = mpsc::channel();
    let mut live = Live::attach(Address::Unix(guest_socket.clone()), sender).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = None;
    let mut answered = false;
    let mut uptime_now = 0;
    while !(answered && uptime_now > 0) && Instant::now() < deadline {
        let Ok(Event::Source(event)) = events.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        let connected = matches!(event, SourceEvent::Connected { .. });
        for (_, input) in live.handle(event) {
            let Input::Frame(frame) = input else { continue };
            match frame.message {
                Message::Heartbeat(heartbeat) => uptime_now = heartbeat.uptime_ns,
                Message::CommandResult(result) if Some(result.id) == sent => {
                    assert!(
                        matches!(result.outcome, CommandOutcome::Done(_)),
                        "{:?}",
                        result.outcome
                    );
                    answered = true;
                }
                _ => {}
            }
        }
        if connected {
            sent = Some(live.send_command(Command::Ping).expect("the ping is sent"));
        }
    }
    live.stop();
    assert!(answered, "no answer to the ping over the attached link");
    assert!(
        uptime_now > uptime_then,
        "the guest ran on while detached: {uptime_now} > {uptime_then}"
    );
    drop(qemu);
    let _ = std::fs::remove_dir_all(&dir);
}
