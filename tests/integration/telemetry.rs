//! Metrics, logs and the long-lived poller.

use netrun_tests::{TempDir, netrun, output, read_jsonl};
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use netrun_tests::start_lab as lab;

/// `promtool check metrics` on `text`; None when promtool is not installed
/// outside CI (scripts/test.sh installs it).
fn promtool(text: &str) -> Option<String> {
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool must be installed in CI"
        );
        eprintln!("SKIP promtool checks: promtool not installed");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool rejected the metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn run_writes_a_metrics_file_promtool_accepts_and_no_secret_appears_in_any_output() {
    let (_lab, inv) = lab(3, &["auth-reject:r003"]).await;
    let home = TempDir::new("home");
    let out = TempDir::new("out");
    let (records, metrics_file, logs) = (
        out.path().join("r.jsonl"),
        out.path().join("m.prom"),
        out.path().join("logs"),
    );
    let mut cmd = netrun(home.path());
    cmd.args([
        "run",
        "collect-facts",
        "--log-format",
        "json",
        "--log-level",
        "trace",
        "-i",
    ])
    .arg(inv.path())
    .arg("-o")
    .arg(&records)
    .arg("--metrics-file")
    .arg(&metrics_file)
    .arg("--session-log")
    .arg(&logs);
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "r003 rejects the password");
    let recs = read_jsonl(&records);
    assert_eq!(recs.len(), 3);

    let prom = std::fs::read_to_string(&metrics_file).unwrap();
    for needle in [
        "netrun_command_seconds_bucket{",
        "netrun_connect_seconds_bucket{",
        "netrun_device_results_total{job=\"collect-facts\",status=\"ok\",class=\"\"} 2",
        "netrun_device_results_total{job=\"collect-facts\",status=\"error\",class=\"auth\"} 1",
        "netrun_sessions_opened_total 2",
    ] {
        assert!(prom.contains(needle), "missing {needle} in:\n{prom}");
    }
    promtool(&prom);

    // JSON logs: every line parses.
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    for line in stderr.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("bad log line {line}: {e}"));
    }
    // A device's records carry the run id and the device name.
    let story: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("\"device\":\"r001\"") && l.contains("\"run_id\""))
        .collect();
    assert!(
        story.iter().any(|l| l.contains("collected facts of r001")),
        "r001's plugin log is not in its span: {} lines",
        story.len()
    );
    let mut everything = format!(
        "{}{}{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr,
        prom,
        std::fs::read_to_string(&records).unwrap()
    );
    for entry in std::fs::read_dir(&logs).unwrap() {
        let mut text = String::new();
        std::fs::File::open(entry.unwrap().path())
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        everything.push_str(&text);
    }
    assert!(
        everything.contains("show version"),
        "session logs hold the transcripts"
    );
    for secret in ["netrun-lab-pw", "netrun-lab-enable"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn counter(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Write a serve.yaml at `config` with one job over the inventory beside it
/// (no retries, a breaker that opens after 2 failures and cools down in
/// 1 s), and start `netrun serve` on a free port.
fn spawn_serve(
    home: &TempDir,
    config: &std::path::Path,
    job: &str,
    workflow: &str,
    interval: &str,
) -> (u16, std::process::Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        config,
        format!(
            "listen: 127.0.0.1:{port}\nretries: 0\nbreaker:\n  threshold: 2\n  cool_down: 1s\njobs:\n  - name: {job}\n    workflow: {workflow}\n    inventory: .\n    interval: {interval}\n    timeout: 10s\n"
        ),
    )
    .unwrap();
    let child = netrun(home.path())
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (port, child)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_polling_healthy_devices_while_one_flaps_and_reloads_on_sighup() {
    let (_lab, inv) = lab(4, &["flap=2s:r004"]).await;
    let home = TempDir::new("home");
    let config = inv.path().join("serve.yaml");
    let (port, mut child) = spawn_serve(&home, &config, "facts", "collect-facts", "500ms");

    let ready = tokio::task::spawn_blocking(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if let Some((200, _)) = http_get(port, "/readyz") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    })
    .await
    .unwrap();
    assert!(ready, "serve never became ready");

    let scrape = move || http_get(port, "/metrics").expect("scrape");
    let first = tokio::task::spawn_blocking(scrape).await.unwrap();
    assert_eq!(first.0, 200);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let second = tokio::task::spawn_blocking(scrape).await.unwrap();
    let ok = "netrun_device_results_total{job=\"facts\",status=\"ok\"";
    let (ok1, ok2) = (counter(&first.1, ok), counter(&second.1, ok));
    // Three healthy devices polled every 500 ms for 8 s: far more than a few rounds.
    assert!(
        ok2 - ok1 >= 3.0 * 6.0,
        "healthy devices not polled on time: {ok1} -> {ok2}\n{}",
        second.1
    );
    assert!(
        second.1.contains("status=\"error\""),
        "the flapping device fails some polls:\n{}",
        second.1
    );
    // Its breaker opened, and after the cool-down a probe closed it again.
    for transition in [
        "from=\"closed\",to=\"open\"",
        "from=\"open\",to=\"half-open\"",
        "from=\"half-open\",to=\"closed\"",
    ] {
        assert!(
            second.1.contains(transition),
            "no breaker transition {transition}:\n{}",
            second.1
        );
    }
    promtool(&second.1);

    // A broken config on SIGHUP keeps the running one.
    std::fs::write(&config, "jobs: [this is not a job]\n").unwrap();
    send_signal(child.id(), "HUP");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let third = tokio::task::spawn_blocking(scrape).await.unwrap();
    assert_eq!(third.0, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fourth = tokio::task::spawn_blocking(scrape).await.unwrap();
    assert!(
        counter(&fourth.1, ok) > counter(&third.1, ok),
        "polling continues after a bad reload"
    );

    send_signal(child.id(), "TERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "serve exits cleanly on SIGTERM: {status:?}"
    );
}

/// Send a signal with the `kill` command (no libc in this crate).
fn send_signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{signal} {pid}");
}

/// The value of the one sample whose line starts with `prefix`.
fn sample(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_exports_device_metrics_from_a_plugin_and_survives_a_flapping_device() {
    let (_lab, inv) = lab(3, &["flap=2s:r003"]).await;
    let home = TempDir::new("home");
    let config = inv.path().join("serve.yaml");
    let (port, mut child) = spawn_serve(&home, &config, "counters", "interface-counters", "1s");
    let scrape = move || http_get(port, "/metrics");
    // Wait until both healthy devices have reported their interfaces.
    let series = "netrun_plugin_interface_counters_in_octets_total{device=\"r00";
    let first = tokio::task::spawn_blocking(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if let Some((200, body)) = scrape()
                && body.contains(&series.replace("r00", "r001"))
                && body.contains(&series.replace("r00", "r002"))
            {
                return Some(body);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    })
    .await
    .unwrap()
    .expect("serve never exported both healthy devices' interface counters");
    for name in [
        "in_octets_total",
        "out_octets_total",
        "in_packets_total",
        "out_packets_total",
        "in_errors_total",
        "out_errors_total",
        "oper_up",
    ] {
        assert!(
            first.contains(&format!("# TYPE netrun_plugin_interface_counters_{name} ")),
            "no {name}:\n{first}"
        );
    }
    promtool(&first);

    // An interface that carries traffic: its octets grow between polls.
    let line = first
        .lines()
        .filter(|l| {
            l.starts_with("netrun_plugin_interface_counters_in_octets_total{device=\"r001\"")
        })
        .max_by(|a, b| {
            let v = |l: &str| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap();
            v(a).total_cmp(&v(b))
        })
        .expect("r001 has interfaces")
        .to_string();
    let key = line.rsplit_once(' ').unwrap().0.to_string();
    let before: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let later = tokio::task::spawn_blocking(move || http_get(port, "/metrics"))
        .await
        .unwrap()
        .expect("scrape after 10 s");
    assert_eq!(later.0, 200);
    let after = sample(&later.1, &format!("{key} ")).expect("series still exported");
    assert!(after > before, "{key}: {before} -> {after}");
    // The flapping device's breaker opened and closed again meanwhile.
    assert!(
        later.1.contains("from=\"closed\",to=\"open\""),
        "{}",
        later.1
    );
    assert!(
        later.1.contains("from=\"half-open\",to=\"closed\""),
        "{}",
        later.1
    );
    send_signal(child.id(), "TERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
