//! A small HTTP/1.1 server for `/metrics` on std::net (one thread, one
//! request per connection): scrapes are rare and small, so no async
//! runtime.
//!
//! The session publishes its state now and then ([`MetricsServer::update`],
//! at most every [`PUBLISH_EVERY`], and [`MetricsServer::finish`] at the
//! end); every scrape renders the latest published state with
//! [`super::render`].

use crate::state::State;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a running session hands its state to the server at most.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server shows: the latest state the session published.
#[derive(Debug, Default)]
pub struct Published {
    state: Option<Arc<State>>,
    /// Whether that state is the session's last.
    last: bool,
    /// Scrapes of `/metrics` served so far.
    scrapes: u64,
    /// Scrapes served since the last state was published.
    scrapes_of_last: u64,
}

impl Published {
    /// The body of `/metrics` for the latest state (an empty exposition
    /// before the first), counting the scrape.
    fn scrape(&mut self) -> Option<Arc<State>> {
        self.scrapes += 1;
        if self.last {
            self.scrapes_of_last += 1;
        }
        self.state.clone()
    }
}

/// Serves `/metrics` on a bound address from a background thread.
pub struct MetricsServer {
    address: SocketAddr,
    shared: Arc<Mutex<Published>>,
    published_at: Option<Instant>,
}

impl MetricsServer {
    /// Binds `address` (e.g. `127.0.0.1:9100`; port 0 picks a free one) and
    /// starts serving.
    pub fn bind(address: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(address).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("--metrics-addr {address}: cannot listen: {error}"),
            )
        })?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(Published::default()));
        let served = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    match stream {
                        // A client that misbehaves only loses its own answer.
                        Ok(stream) => {
                            let _ = answer(stream, &served);
                        }
                        // Out of descriptors, say: wait instead of spinning.
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })?;
        Ok(Self {
            address,
            shared,
            published_at: None,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Hands `state` to the server if the last hand-over is older than
    /// `PUBLISH_EVERY` (a copy: the session goes on with its own).
    pub fn update(&mut self, state: &State) {
        let now = Instant::now();
        if self
            .published_at
            .is_some_and(|at| now.duration_since(at) < PUBLISH_EVERY)
        {
            return;
        }
        self.published_at = Some(now);
        self.publish(state, false);
    }

    /// Hands the session's final state to the server: scrapes from now on
    /// show exactly what the summary reports.
    pub fn finish(&mut self, state: &State) {
        self.publish(state, true);
    }

    /// Scrapes served since [`MetricsServer::finish`].
    pub fn scrapes_of_final(&self) -> u64 {
        self.lock().scrapes_of_last
    }

    fn publish(&mut self, state: &State, last: bool) {
        let state = Arc::new(state.clone());
        let mut shared = self.lock();
        shared.state = Some(state);
        shared.last = last;
        shared.scrapes_of_last = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Published> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads one request and answers it.
fn answer(stream: TcpStream, shared: &Mutex<Published>) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers: read to the blank line, ignored.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            let state = shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .scrape();
            let body = match state {
                Some(state) => super::render(&state),
                None => "# EOF\n".to_string(),
            };
            ("200 OK", super::CONTENT_TYPE, body)
        }
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "watchtower: metrics at /metrics\n".to_string(),
        ),
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found: try /metrics\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_string(),
        ),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(address: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    #[test]
    fn serves_the_latest_published_state_and_counts_scrapes_of_the_last() {
        let mut server = MetricsServer::bind("127.0.0.1:0").unwrap();
        let empty = get(server.address(), "/metrics");
        assert!(empty.starts_with("HTTP/1.1 200 OK\r\n"), "{empty}");
        assert!(empty.ends_with("\r\n\r\n# EOF\n"), "{empty}");
        server.update(&State::new("smoke"));
        let response = get(server.address(), "/metrics");
        assert!(
            response.contains("application/openmetrics-text"),
            "{response}"
        );
        assert!(
            response.contains("watchtower_link_frames_total{image=\"smoke\",boot_id=\"\"} 0"),
            "{response}"
        );
        let length: usize = response
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(length, response.split("\r\n\r\n").nth(1).unwrap().len());
        assert_eq!(server.scrapes_of_final(), 0);
        server.finish(&State::new("smoke"));
        get(server.address(), "/metrics");
        assert_eq!(server.scrapes_of_final(), 1);
        assert!(get(server.address(), "/nope").starts_with("HTTP/1.1 404"));
    }

    #[test]
    fn a_busy_address_is_an_error_naming_the_flag() {
        let server = MetricsServer::bind("127.0.0.1:0").unwrap();
        let taken = server.address().to_string();
        let error = MetricsServer::bind(&taken).err().unwrap();
        assert!(error.to_string().contains("--metrics-addr"), "{error}");
    }
}
