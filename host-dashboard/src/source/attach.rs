//! Attaching to a guest stream that already runs: a unix socket or a TCP
//! address (QEMU's `-serial unix:` / `-serial tcp:`), a pty, or a real
//! serial device, so the dashboard also watches a machine it did not start.
//!
//! A reader thread owns the connection. It connects, forwards what it
//! reads as [`SourceEvent::Serial`], and when the link drops it says so and
//! tries again every [`RETRY_INTERVAL`], for as long as the session lasts:
//! the guest never waits for the host, and the host resyncs on the next
//! frame. Commands are written to the current connection, if there is one.

use super::lock;
use crate::event::{Event, SourceEvent};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long the reader waits between connection attempts.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(500);

/// The baud rate of `serial:PATH` without `@BAUD` (the guest's 16550 runs
/// at 115200).
pub const DEFAULT_BAUD: u32 = 115_200;

/// How long one TCP connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one read blocks before the reader checks whether to stop.
const READ_TIMEOUT: Duration = Duration::from_millis(100);

/// Size of one read.
const READ_CHUNK: usize = 4096;

/// Where a running guest's serial stream can be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// A unix socket (QEMU `-serial unix:PATH,server=on,wait=off`).
    Unix(PathBuf),
    /// A TCP address, `HOST:PORT` (QEMU `-serial tcp::PORT,server=on,wait=off`).
    Tcp(String),
    /// A pseudo-terminal (QEMU `-serial pty` prints its path).
    Pty(PathBuf),
    /// A serial device at a baud rate.
    Serial {
        /// The device, e.g. `/dev/ttyUSB0`.
        path: PathBuf,
        /// Its baud rate.
        baud: u32,
    },
}

/// The forms [`Address::from_str`] accepts, for error messages and help.
pub const ADDRESS_FORMS: &str = "unix:PATH, tcp:HOST:PORT, pty:PATH or serial:PATH[@BAUD]";

impl FromStr for Address {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not an address: use {ADDRESS_FORMS}"))?;
        if rest.is_empty() {
            return Err(format!("`{text}` names no {kind} address"));
        }
        match kind {
            "unix" => Ok(Address::Unix(rest.into())),
            "tcp" => match rest.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(Address::Tcp(rest.to_string()))
                }
                _ => Err(format!("`{text}`: a TCP address is tcp:HOST:PORT")),
            },
            "pty" => Ok(Address::Pty(rest.into())),
            "serial" => {
                let (path, baud) = match rest.rsplit_once('@') {
                    Some((path, baud)) => {
                        let baud = baud
                            .parse::<u32>()
                            .ok()
                            .filter(|&baud| baud > 0)
                            .ok_or_else(|| format!("`{baud}` is not a baud rate"))?;
                        (path, baud)
                    }
                    None => (rest, DEFAULT_BAUD),
                };
                Ok(Address::Serial {
                    path: path.into(),
                    baud,
                })
            }
            other => Err(format!(
                "`{other}:` is not a kind of address: use {ADDRESS_FORMS}"
            )),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(path) => write!(f, "unix:{}", path.display()),
            Address::Tcp(address) => write!(f, "tcp:{address}"),
            Address::Pty(path) => write!(f, "pty:{}", path.display()),
            Address::Serial { path, baud } => write!(f, "serial:{}@{baud}", path.display()),
        }
    }
}

type Writer = Box<dyn Write + Send>;

/// One open connection: its two halves.
struct Connection {
    reader: Box<dyn Read + Send>,
    writer: Writer,
}

impl Address {
    /// Opens one connection.
    fn connect(&self) -> io::Result<Connection> {
        match self {
            Address::Unix(path) => {
                let stream = UnixStream::connect(path)?;
                stream.set_read_timeout(Some(READ_TIMEOUT))?;
                Ok(Connection {
                    writer: Box::new(stream.try_clone()?),
                    reader: Box::new(stream),
                })
            }
            Address::Tcp(address) => {
                let stream = connect_tcp(address)?;
                stream.set_read_timeout(Some(READ_TIMEOUT))?;
                stream.set_nodelay(true)?;
                Ok(Connection {
                    writer: Box::new(stream.try_clone()?),
                    reader: Box::new(stream),
                })
            }
            Address::Pty(path) => open_tty(path, DEFAULT_BAUD),
            Address::Serial { path, baud } => open_tty(path, *baud),
        }
    }
}

/// Connects to the first address `address` resolves to that answers
/// within [`CONNECT_TIMEOUT`] (a plain connect to a host that drops the
/// packets could block the reader, and so quitting, for minutes).
fn connect_tcp(address: &str) -> io::Result<TcpStream> {
    let mut last_error = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{address} resolves to no address"),
    );
    for resolved in address.to_socket_addrs()? {
        match TcpStream::connect_timeout(&resolved, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// Opens a tty (a pty or a serial device) raw, 8N1, no flow control: raw
/// matters, since a cooked tty would echo the guest's bytes back to it and
/// rewrite line ends.
fn open_tty(path: &std::path::Path, baud: u32) -> io::Result<Connection> {
    let port = serialport::new(path.to_string_lossy(), baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_TIMEOUT)
        .open_native()
        .map_err(io::Error::from)?;
    let writer = port.try_clone_native().map_err(io::Error::from)?;
    Ok(Connection {
        reader: Box::new(port),
        writer: Box::new(writer),
    })
}

/// A link to a running guest, kept up by a reader thread.
pub struct Attachment {
    address: Address,
    writer: Arc<Mutex<Option<Writer>>>,
    stop: Arc<AtomicBool>,
    reader: Option<thread::JoinHandle<()>>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Attachment {
    /// Starts the reader for `address`; what it reads, and every
    /// connection and disconnection, goes to `events`.
    pub fn start(address: Address, events: Sender<Event>) -> io::Result<Self> {
        let writer = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (address, writer, stop) = (address.clone(), Arc::clone(&writer), Arc::clone(&stop));
            thread::Builder::new()
                .name("attach-reader".into())
                .spawn(move || keep_connected(&address, &writer, &stop, &events))?
        };
        Ok(Self {
            address,
            writer,
            stop,
            reader: Some(reader),
        })
    }

    /// The address this attaches to.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Writes `bytes` (a whole command frame) to the current connection.
    pub fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let mut writer = lock(&self.writer);
        let out = writer.as_mut().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("{} is not connected", self.address),
            )
        })?;
        out.write_all(bytes).and_then(|()| out.flush())
    }

    /// Stops the reader and closes the connection.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        *lock(&self.writer) = None;
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The reader thread: connect, read until the link drops, retry, until
/// `stop` is set or nobody listens.
fn keep_connected(
    address: &Address,
    writer: &Mutex<Option<Writer>>,
    stop: &AtomicBool,
    events: &Sender<Event>,
) {
    let send = |event: SourceEvent| events.send(Event::Source(event)).is_ok();
    let mut last_failure: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        match address.connect() {
            Ok(Connection {
                mut reader,
                writer: out,
            }) => {
                last_failure = None;
                *lock(writer) = Some(out);
                if !send(SourceEvent::Connected { at: Instant::now() }) {
                    return;
                }
                let reason = read_until_down(&mut *reader, stop, &send);
                *lock(writer) = None;
                match reason {
                    Some(reason) => {
                        let event = SourceEvent::Disconnected {
                            at: Instant::now(),
                            reason,
                        };
                        if !send(event) {
                            return;
                        }
                    }
                    None => return,
                }
            }
            Err(error) => {
                let reason = error.to_string();
                if last_failure.as_deref() != Some(reason.as_str()) {
                    let event = SourceEvent::Unreachable {
                        at: Instant::now(),
                        reason: reason.clone(),
                    };
                    if !send(event) {
                        return;
                    }
                    last_failure = Some(reason);
                }
            }
        }
        sleep_unless_stopped(RETRY_INTERVAL, stop);
    }
}

/// Forwards reads until the link drops (returns why) or the session stops
/// (returns `None`).
fn read_until_down(
    reader: &mut dyn Read,
    stop: &AtomicBool,
    send: &impl Fn(SourceEvent) -> bool,
) -> Option<String> {
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match reader.read(&mut buffer) {
            Ok(0) => return Some("closed by the other end".to_string()),
            Ok(len) => {
                let event = SourceEvent::Serial {
                    bytes: buffer[..len].to_vec(),
                    at: Instant::now(),
                };
                if !send(event) {
                    return None;
                }
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => return Some(error.to_string()),
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let deadline = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        thread::sleep(left.min(step));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;
    use std::sync::mpsc;

    #[test]
    fn addresses_parse_and_print_back() {
        for text in [
            "unix:/tmp/guest.sock",
            "tcp:localhost:4555",
            "tcp:[::1]:4555",
            "pty:/dev/pts/3",
            "serial:/dev/ttyUSB0@9600",
        ] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
        assert_eq!(
            "serial:/dev/ttyS1".parse::<Address>().unwrap(),
            Address::Serial {
                path: "/dev/ttyS1".into(),
                baud: DEFAULT_BAUD
            }
        );
    }

    #[test]
    fn bad_addresses_say_what_is_expected() {
        for (text, expected) in [
            ("/tmp/guest.sock", "unix:PATH"),
            ("http:x", "not a kind of address"),
            ("unix:", "names no unix address"),
            ("tcp:localhost", "tcp:HOST:PORT"),
            ("tcp:localhost:http", "tcp:HOST:PORT"),
            ("serial:/dev/ttyS0@fast", "not a baud rate"),
        ] {
            let error = text.parse::<Address>().unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    fn next_source_event(events: &mpsc::Receiver<Event>) -> SourceEvent {
        match events.recv_timeout(Duration::from_secs(5)) {
            Ok(Event::Source(event)) => event,
            other => panic!("expected a source event, got {other:?}"),
        }
    }

    #[test]
    fn a_unix_link_reads_writes_and_reconnects_after_the_other_end_goes() {
        let dir = std::env::temp_dir().join(format!("wt-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("guest.sock");
        let _ = std::fs::remove_file(&path);
        let (sender, events) = mpsc::channel();
        let mut attachment = Attachment::start(Address::Unix(path.clone()), sender).unwrap();
        // Nothing listens yet: unreachable, once.
        assert!(matches!(
            next_source_event(&events),
            SourceEvent::Unreachable { .. }
        ));
        assert!(attachment.send(b"x").is_err(), "not connected yet");
        let listener = UnixListener::bind(&path).unwrap();
        for round in 0..2u8 {
            let (mut guest, _) = listener.accept().unwrap();
            assert!(matches!(
                next_source_event(&events),
                SourceEvent::Connected { .. }
            ));
            guest.write_all(&[round, 1, 2]).unwrap();
            match next_source_event(&events) {
                SourceEvent::Serial { bytes, .. } => assert_eq!(bytes, [round, 1, 2]),
                other => panic!("expected bytes, got {other:?}"),
            }
            attachment.send(b"command").unwrap();
            let mut received = [0u8; 7];
            guest.read_exact(&mut received).unwrap();
            assert_eq!(&received, b"command");
            drop(guest);
            assert!(matches!(
                next_source_event(&events),
                SourceEvent::Disconnected { .. }
            ));
        }
        attachment.stop();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_pty_link_is_raw_both_ways() {
        let (mut master, slave) = serialport::TTYPort::pair().unwrap();
        let path = serialport::SerialPort::name(&slave).unwrap();
        let (sender, events) = mpsc::channel();
        let mut attachment = Attachment::start(Address::Pty(path.into()), sender).unwrap();
        assert!(matches!(
            next_source_event(&events),
            SourceEvent::Connected { .. }
        ));
        // Bytes a cooked tty would change or echo: CR, LF, 0x00, ^C, ^D.
        let raw = [b'\r', b'\n', 0, 3, 4, 0xff];
        master.write_all(&raw).unwrap();
        let mut got = Vec::new();
        while got.len() < raw.len() {
            match next_source_event(&events) {
                SourceEvent::Serial { bytes, .. } => got.extend(bytes),
                other => panic!("expected bytes, got {other:?}"),
            }
        }
        assert_eq!(got, raw);
        attachment.send(&raw).unwrap();
        let mut back = [0u8; 6];
        master.read_exact(&mut back).unwrap();
        assert_eq!(back, raw);
        attachment.stop();
        drop(slave);
    }
}
