//! A fleet scraped by a real Prometheus: three headless demo guests, each
//! with its own `--metrics-addr`, found by Prometheus through file-based
//! service discovery; the test reads Prometheus's HTTP API and finds every
//! guest's series by boot id, with the values of that guest's JSON summary.
//!
//! Needs Debian's `prometheus` package (`.ci/run` installs it) and QEMU;
//! without either it fails, never skips. Prometheus's own `promtool check
//! metrics` reads only the older text format, so the real server's scrape
//! is the check of the OpenMetrics exposition: a body it cannot parse
//! marks the target down with a `lastError`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Guests in the fleet.
const GUESTS: usize = 3;
/// How long each guest runs before its summary.
const RUN_SECONDS: &str = "8";
/// How long the test waits for Prometheus to hold every guest's final
/// values (its first scrape comes about 5 s after it starts).
const CONVERGE: Duration = Duration::from_secs(40);

/// Kills what it holds when the test ends, however it ends.
struct Reaper(Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn prometheus() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("prometheus"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "prometheus not found: install Debian's `prometheus` package (apt-get install -y --no-install-recommends prometheus)"
        )
    })
}

/// A port nobody listens on now (the kernel's pick for port 0).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// GET `path` from 127.0.0.1:`port` (HTTP/1.0: the body ends with the
/// connection, never chunked); the status code and the body.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// Prometheus's answer to instant query `query`: the result vector.
fn query(port: u16, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/query?query={}", percent_encode(query));
    let Ok((200, body)) = http_get(port, &path) else {
        return Vec::new();
    };
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    value["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The samples of `query` as label `key` → value.
fn by_label(port: u16, promql: &str, key: &str) -> BTreeMap<String, f64> {
    query(port, promql)
        .iter()
        .filter_map(|sample| {
            let label = sample["metric"][key].as_str()?.to_string();
            let value = sample["value"][1].as_str()?.parse().ok()?;
            Some((label, value))
        })
        .collect()
}

/// A guest: its summary, and what its series must say.
struct Guest {
    name: String,
    port: u16,
    summary: Value,
}

impl Guest {
    fn boot_id(&self) -> String {
        self.summary["guest"]["boot_id"]
            .as_u64()
            .expect("a boot id")
            .to_string()
    }

    /// What Prometheus says that differs from the summary, or why it
    /// cannot tell yet; `None` when everything matches.
    fn mismatch(&self, prom: u16) -> Option<String> {
        let boot = self.boot_id();
        let one = |metric: &str, extra: &str| -> Option<(f64, Value)> {
            let results = query(prom, &format!("{metric}{{boot_id=\"{boot}\"{extra}}}"));
            let sample = results.first()?;
            Some((
                sample["value"][1].as_str()?.parse().ok()?,
                sample["metric"].clone(),
            ))
        };
        let s = &self.summary;
        let (frames, labels) = one("watchtower_link_frames_total", "")?;
        if labels["guest"] != self.name.as_str() || labels["image"] != "demo" {
            return Some(format!("{}: labels {labels}", self.name));
        }
        let mut checks = vec![(
            "link frames".to_string(),
            frames,
            s["link"]["frames"].as_f64()?,
        )];
        for kind in ["spawn", "exit", "signal"] {
            let (value, _) = one("watchtower_events_total", &format!(",kind=\"{kind}\""))?;
            checks.push((format!("{kind} events"), value, s["events"][kind].as_f64()?));
        }
        // Every live process of the summary, and no other.
        let faults = by_label(
            prom,
            &format!("watchtower_process_minor_faults_total{{boot_id=\"{boot}\"}}"),
            "pid",
        );
        let expected: BTreeMap<String, f64> = s["processes"]
            .as_array()?
            .iter()
            .map(|process| {
                (
                    process["pid"].to_string(),
                    process["minor_faults"].as_f64().unwrap(),
                )
            })
            .collect();
        if faults != expected {
            return Some(format!(
                "{}: minor faults by pid {faults:?}, summary {expected:?}",
                self.name
            ));
        }
        let acks = by_label(
            prom,
            &format!("watchtower_subscriber_acks_total{{boot_id=\"{boot}\"}}"),
            "endpoint",
        );
        let latency_counts = by_label(
            prom,
            &format!("watchtower_subscriber_ack_latency_seconds_count{{boot_id=\"{boot}\"}}"),
            "endpoint",
        );
        for subscriber in s["subscribers"].as_array()? {
            let endpoint = subscriber["endpoint"].to_string();
            checks.push((
                format!("acks of {endpoint}"),
                *acks.get(&endpoint)?,
                subscriber["acks"].as_f64()?,
            ));
            if let Some(count) = subscriber["ack_latency_histogram"]["count"].as_f64() {
                checks.push((
                    format!("latency histogram count of {endpoint}"),
                    *latency_counts.get(&endpoint)?,
                    count,
                ));
            }
        }
        checks
            .into_iter()
            .find(|(_, got, want)| got != want)
            .map(|(what, got, want)| {
                format!("{}: {what}: Prometheus {got}, summary {want}", self.name)
            })
    }
}

#[test]
fn three_guests_are_scraped_by_a_real_prometheus_and_match_their_summaries() {
    let prometheus = prometheus();
    image_builder::build("demo", image_builder::BuildOutput::Capture).expect("the demo builds");
    let dir = std::env::temp_dir().join(format!("wt-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sd")).unwrap();
    let mut reaper = Reaper(Vec::new());

    // The guests first: each exporter listens before its guest boots.
    let ports: Vec<u16> = (0..GUESTS).map(|_| free_port()).collect();
    for &port in &ports {
        let child = Command::new(env!("CARGO_BIN_EXE_watchtower"))
            .args(["--headless", "--seconds", RUN_SECONDS, "--image", "demo"])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(["--metrics-linger", "120"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the dashboard runs");
        reaper.0.push(child);
    }
    for &port in &ports {
        wait_for_port(port, Duration::from_secs(20));
    }

    // Prometheus, with file-based service discovery (one label per guest).
    let targets: Vec<Value> = ports
        .iter()
        .enumerate()
        .map(|(index, port)| {
            serde_json::json!({"targets": [format!("127.0.0.1:{port}")],
                               "labels": {"guest": format!("g{index}")}})
        })
        .collect();
    std::fs::write(
        dir.join("sd/fleet.json"),
        serde_json::to_string(&targets).unwrap(),
    )
    .unwrap();
    let config = format!(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
         scrape_configs:\n  - job_name: fleet\n    file_sd_configs: [{{files: ['{}/sd/*.json']}}]\n",
        dir.display()
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let prom_port = free_port();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let prom = Command::new(&prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus starts");
    reaper.0.push(prom);
    let ready = Instant::now() + Duration::from_secs(20);
    while !matches!(http_get(prom_port, "/-/ready"), Ok((200, _))) {
        assert!(
            Instant::now() < ready,
            "prometheus never got ready: {}",
            read_log(&dir)
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Each guest's summary: printed when its run ends; its exporter then
    // keeps serving the final values (--metrics-linger).
    let mut guests = Vec::new();
    for (index, child) in reaper.0.iter_mut().take(GUESTS).enumerate() {
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let summary: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            let mut stderr = String::new();
            let _ = child.stderr.as_mut().unwrap().read_to_string(&mut stderr);
            panic!("guest {index} printed no summary: {line:?} {stderr}")
        });
        assert_eq!(summary["failure"], Value::Null, "guest {index}: {summary}");
        guests.push(Guest {
            name: format!("g{index}"),
            port: ports[index],
            summary,
        });
    }
    let boot_ids: std::collections::BTreeSet<String> = guests.iter().map(Guest::boot_id).collect();
    assert_eq!(boot_ids.len(), GUESTS, "every boot has its own id");
    assert!(
        guests.iter().any(|guest| guest.summary["subscribers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|subscriber| subscriber["ack_latency_histogram"].is_object())),
        "the demo's subscribers acked, so a latency histogram was sent"
    );

    // Prometheus converges on every guest's final values.
    let deadline = Instant::now() + CONVERGE;
    loop {
        let problem = guests.iter().find_map(|guest| guest.mismatch(prom_port));
        match problem {
            None => break,
            Some(problem) => assert!(
                Instant::now() < deadline,
                "Prometheus never matched the summaries: {problem}\n{}",
                read_log(&dir)
            ),
        }
        std::thread::sleep(Duration::from_millis(500));
    }

    // Every target up, never a failed scrape, no scrape error.
    let (status, body) = http_get(prom_port, "/api/v1/targets").unwrap();
    assert_eq!(status, 200, "{body}");
    let targets: Value = serde_json::from_str(&body).unwrap();
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), GUESTS, "{body}");
    for target in active {
        assert_eq!(target["health"], "up", "{target}");
        assert_eq!(target["lastError"], "", "{target}");
    }
    let worst = by_label(prom_port, "min_over_time(up[5m])", "guest");
    assert_eq!(worst.len(), GUESTS, "{worst:?}");
    assert!(
        worst.values().all(|&up| up == 1.0),
        "a failed scrape: {worst:?}"
    );
    // The exposition has the metadata of a histogram.
    let (_, body) = http_get(
        prom_port,
        "/api/v1/metadata?metric=watchtower_subscriber_ack_latency_seconds",
    )
    .unwrap();
    assert!(body.contains("\"type\":\"histogram\""), "{body}");
    assert!(body.contains("\"unit\":\"seconds\""), "{body}");

    // A termination signal ends the linger; the run's own status stands.
    for (guest, child) in guests.iter().zip(reaper.0.iter_mut()) {
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "{} ({}): {status:?}",
            guest.name,
            guest.port
        );
    }
    drop(reaper);
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_log(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
