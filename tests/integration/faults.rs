//! Resilience against the network: every device gets one classified record
//! within its deadline, whatever the device or the path to it does. The
//! lab's fault knobs, bare TCP endpoints that misbehave, a real OpenSSH
//! sshd, and a shutdown in the middle of a large run.

use netrun_tests::{TempDir, netrun, output, records_in};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use netrun_tests::start_lab as lab;

/// Run `netrun` off the async runtime (so the in-process lab keeps
/// serving); returns the records of `out`, the process output and the
/// wall time.
async fn sweep(mut cmd: Command, out: &Path) -> (Vec<Value>, std::process::Output, Duration) {
    let started = Instant::now();
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .expect("netrun runs");
    let elapsed = started.elapsed();
    let records = records_in(out);
    (records, o, elapsed)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Records by device name; fails when a device has none or more than one.
fn by_device(records: &[Value], expected: usize) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for r in records {
        let name = r["device"].as_str().expect("device name").to_string();
        assert!(
            map.insert(name.clone(), r.clone()).is_none(),
            "two records for {name}"
        );
    }
    assert_eq!(map.len(), expected, "one record per device");
    map
}

fn class(r: &Value) -> &str {
    if r["status"] == "ok" {
        "ok"
    } else {
        r["error"]["class"].as_str().unwrap_or("?")
    }
}

/// Short phase timeouts so faults show quickly.
const QUICK: &[&str] = &[
    "--connect-timeout",
    "2",
    "--handshake-timeout",
    "2",
    "--auth-timeout",
    "2",
    "--prompt-timeout",
    "2",
    "--command-timeout",
    "5",
    "--device-timeout",
    "20",
    "--retries",
    "1",
    "--backoff",
    "0.1",
];

#[tokio::test(flavor = "multi_thread")]
async fn each_lab_fault_yields_its_error_class_within_the_deadline_and_healthy_devices_are_ok() {
    let (_lab, inv) = lab(
        12,
        &[
            "refuse:r001",
            "auth-reject:r002",
            "hang-before-banner:r003",
            "garbage-banner:r004",
            "hang-after-login:r005",
            "drop-mid-output:r006",
            "latency=200ms:r007",
        ],
    )
    .await;
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .args(QUICK);
    let (records, o, elapsed) = sweep(cmd, &out).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let records = by_device(&records, 12);
    let expect = [
        ("r001", "connect-refused"),
        ("r002", "auth"),
        ("r003", "connect-timeout"),
        ("r004", "ssh-protocol"),
        ("r005", "prompt-timeout"),
        ("r006", "session-closed"),
        ("r007", "ok"),
    ];
    for (device, want) in expect {
        let r = &records[device];
        assert_eq!(class(r), want, "{device}: {r}");
        if want != "ok" {
            let message = r["error"]["message"].as_str().unwrap_or("");
            assert!(message.starts_with(&format!("{device}: ")), "{r}");
        }
    }
    // A peer that is not SSH is named by what it sent.
    let m = records["r004"]["error"]["message"].as_str().unwrap_or("");
    assert!(
        m.contains(r#"is not an SSH server: it sent "HTTP/1.1 400 Bad Request""#),
        "{m}"
    );
    for i in 8..=12 {
        let r = &records[&format!("r{i:03}")];
        assert_eq!(class(r), "ok", "{r}");
        assert_eq!(r["attempts"], 1, "{r}");
    }
    // Retried: what may pass (refused, hung, no prompt), once with --retries 1.
    for device in ["r001", "r003", "r005"] {
        assert_eq!(records[device]["attempts"], 2, "{}", records[device]);
    }
    // Not retried: a wrong password (account lockout), a non-SSH service,
    // and a session dropped mid-command (the command is never re-sent).
    for device in ["r002", "r004", "r006"] {
        assert_eq!(records[device]["attempts"], 1, "{}", records[device]);
    }
    // Worst device: 2 attempts × 2 s + backoff, far below the 20 s deadline.
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_echoing_a_character_a_packet_has_its_echoes_read_whole_and_its_answers_clean() {
    // r003 echoes so too but sends the line end with the answer, in one
    // packet (its prompt, after the set-up commands); so does r004, over a
    // cipher and MAC that make that packet the size of a character's
    // (AES-CTR pads the whole packet to 16 bytes; an HMAC not
    // encrypt-then-MAC adds the same to both).
    let (_lab, inv) = lab(
        4,
        &[
            "slow-echo=5ms:r001",
            "slow-echo-joined=5ms:r003",
            "slow-echo-joined=5ms:r004",
        ],
    )
    .await;
    let hosts = std::fs::read_to_string(inv.path().join("hosts.yaml")).expect("hosts");
    let ctr = "r004:\n  connection_options:\n    netrun:\n      extras:\n        ciphers: [aes128-ctr]\n        macs: [hmac-sha2-256]\n";
    std::fs::write(inv.path().join("hosts.yaml"), hosts.replace("r004:\n", ctr)).expect("hosts");
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show version", "show ip interface brief", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .args(["--retries", "0", "--log-level", "netrun::transport=debug"]);
    let (records, o, _) = sweep(cmd, &out).await;
    let records = by_device(&records, 4);
    let log = stderr(&o);
    let outputs = |device: &str| -> Vec<String> {
        let r = &records[device];
        assert_eq!(class(r), "ok", "{device}: {r} {log}");
        r["data"]["commands"]
            .as_array()
            .expect("commands")
            .iter()
            .map(|c| c["output"].as_str().expect("output").to_string())
            .collect()
    };
    // Whole answers, with neither echo nor prompt left in them.
    for device in ["r001", "r002", "r003", "r004"] {
        let answers = outputs(device);
        assert!(answers[0].starts_with("Cisco IOS"), "{}", answers[0]);
        assert!(
            answers[0].contains(&format!("{device} uptime is")),
            "{}",
            answers[0]
        );
        assert!(answers[1].starts_with("Interface "), "{}", answers[1]);
        for a in &answers {
            assert!(
                !a.contains("show ") && !a.contains(&format!("{device}#")),
                "{a}"
            );
        }
    }
    let lines = |device: &str, what: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("device={device}")) && l.contains(what))
            .count()
    };
    // The lab's devices land in user mode: `enable`'s echo, followed as a
    // command's, came a character a packet, so every command after it
    // (the paging and width set-up, then the two asked for) is waited for
    // whole from the start, and never less than waited for.
    for device in ["r001", "r003", "r004"] {
        assert!(
            lines(device, "reading this one's echo in one wake-up") >= 4,
            "{log}"
        );
    }
    for device in ["r001", "r003"] {
        assert_eq!(lines(device, "less came than waited for"), 0, "{log}");
    }
    // The first command's wait (its echo, line end and a byte more) finds
    // the line end and the prompt in one character-sized packet and gives
    // up; the next ones are waited for to their line end and are met (none
    // gives up when the smallest read seen was less than a packet: the
    // device's writes split one).
    assert!(lines("r004", "less came than waited for") <= 1, "{log}");
    // Its echoes are read as they come (its shell's replies, like every
    // device's, in one wake-up).
    assert_eq!(lines("r002", "echo in one wake-up"), 0, "{log}");
    assert_eq!(
        lines("r002", "the shell's replies in one wake-up"),
        1,
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dripping_device_is_ok_with_patient_timeouts_and_command_timeout_with_tight_ones() {
    let (_lab, inv) = lab(1, &["drip=400:r001"]).await;
    let home = TempDir::new("home");
    let run = |extra: &[&str]| {
        let out = inv.path().join(format!("out-{}.jsonl", extra.len()));
        let mut cmd = netrun(home.path());
        cmd.args(["exec", "show version", "-i"])
            .arg(inv.path())
            .arg("-o")
            .arg(&out)
            .args(["--retries", "0"])
            .args(extra);
        (cmd, out)
    };
    let (cmd, out) = run(&["--prompt-timeout", "30", "--command-timeout", "60"]);
    let (records, o, _) = sweep(cmd, &out).await;
    let records = by_device(&records, 1);
    assert_eq!(class(&records["r001"]), "ok", "{}", stderr(&o));

    let (cmd, out) = run(&[
        "--prompt-timeout",
        "30",
        "--command-timeout",
        "0.5",
        "--device-timeout",
        "60",
    ]);
    let (records, o, elapsed) = sweep(cmd, &out).await;
    let records = by_device(&records, 1);
    let r = &records["r001"];
    assert_eq!(class(r), "command-timeout", "{r} {}", stderr(&o));
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--command-timeout")),
        "the message names the fix: {r}"
    );
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flapping_device_is_retried_until_its_breaker_opens() {
    // Up for 6 s, then down (refusing) for 6 s.
    let (_lab, inv) = lab(2, &["flap=6s:r001"]).await;
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .args([
            "--retries",
            "5",
            "--backoff",
            "0.05",
            "--breaker-threshold",
            "3",
            "--breaker-cool-down",
            "60",
        ]);
    let (records, o, elapsed) = sweep(cmd, &out).await;
    let records = by_device(&records, 2);
    let r = &records["r001"];
    assert!(
        matches!(class(r), "connect-refused" | "breaker-open"),
        "{r} {}",
        stderr(&o)
    );
    assert_eq!(r["attempts"], 3, "the breaker stops the retries: {r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("circuit breaker now open")),
        "{r}"
    );
    assert_eq!(class(&records["r002"]), "ok", "{}", records["r002"]);
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

/// The complete lines of `path` (those ending in a newline), each of
/// which must be a record. A line still being written while the run goes
/// on is not counted yet.
fn parseable_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l}: {e}")))
        .collect()
}

/// Run collect-facts over 500 slow devices (each answer takes 1 s), 50 at a
/// time — well over a minute — and send SIGINT `signals` times (1 s apart)
/// once the first records are in. Returns the records by device, the
/// process output, and the time from the first signal to the exit.
async fn interrupted_run(
    grace: &str,
    signals: usize,
) -> (BTreeMap<String, Value>, std::process::Output, Duration) {
    let (_lab, inv) = lab(500, &["latency=1s:all"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .args(["--concurrency", "50", "--grace", grace])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("netrun starts");
    let pid = child.id().to_string();
    let started = Instant::now();
    let watched = out.clone();
    let (o, after_signal) = tokio::task::spawn_blocking(move || {
        // Wait for the first records, so devices are in flight.
        while parseable_records(&watched).is_empty() && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        let signalled = Instant::now();
        for n in 0..signals {
            if n > 0 {
                std::thread::sleep(Duration::from_secs(1));
            }
            let kill = Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .expect("kill runs");
            assert!(kill.success());
        }
        let o = child.wait_with_output().expect("netrun exits");
        (o, signalled.elapsed())
    })
    .await
    .expect("waiter");
    let records = by_device(&parseable_records(&out), 500);
    (records, o, after_signal)
}

fn class_counts(records: &BTreeMap<String, Value>) -> BTreeMap<&str, usize> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records.values() {
        *counts.entry(class(r)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_in_the_middle_of_a_500_device_run_leaves_500_records() {
    let (records, o, after_signal) = interrupted_run("2", 1).await;
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    // Grace of 2 s, then cancellation: the process ends soon after.
    assert!(
        after_signal < Duration::from_secs(20),
        "took {after_signal:?}"
    );
    let counts = class_counts(&records);
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        ["cancelled", "ok"],
        "{counts:?}"
    );
    assert!(counts["cancelled"] >= 300, "most never started: {counts:?}");
    let message = |r: &Value| r["error"]["message"].as_str().unwrap_or("").to_string();
    assert!(
        records.values().any(|r| message(r).contains("not started")),
        "queued devices say they were not started"
    );
    assert!(
        records
            .values()
            .any(|r| message(r).contains("run interrupted while")),
        "devices in flight when the grace ended say what they were doing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_cancels_devices_in_flight_without_waiting_for_the_grace_period() {
    let (records, o, after_signal) = interrupted_run("600", 2).await;
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        after_signal < Duration::from_secs(20),
        "took {after_signal:?}"
    );
    let counts = class_counts(&records);
    assert!(counts["cancelled"] >= 300, "{counts:?}");
}

/// A TCP endpoint that misbehaves in one way: the test's stand-ins for
/// broken devices and services that are not SSH.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    /// Accepts and never says anything.
    Hang,
    /// Accepts and closes at once.
    Close,
    /// Answers like a web server.
    NotSsh,
    /// Sends an SSH banner one byte per second.
    DripBanner,
}

/// Serve `kind` on a free port of 127.0.0.1 until the test ends.
async fn endpoint(kind: Endpoint) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            match kind {
                Endpoint::Hang => held.push(sock),
                Endpoint::Close => drop(sock),
                Endpoint::NotSsh => {
                    tokio::spawn(async move {
                        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                        let _ = sock.shutdown().await;
                    });
                }
                Endpoint::DripBanner => {
                    tokio::spawn(async move {
                        for b in b"SSH-2.0-OpenSSH_9.2\r\n" {
                            if sock.write_all(&[*b]).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        tokio::time::sleep(Duration::from_secs(600)).await;
                    });
                }
            }
        }
    });
    port
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_inventory_of_lab_openssh_and_broken_endpoints_ends_in_time_with_one_fitting_record_each()
 {
    let (_lab, inv) = lab(20, &[]).await;
    let mut extra = String::new();
    let mut expected: BTreeMap<String, &str> =
        (1..=20).map(|i| (format!("r{i:03}"), "ok")).collect();
    let mut host = |name: &str, port: u16, class: &'static str, more: &str| {
        extra.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  groups: [lab]\n{more}"
        ));
        expected.insert(name.to_string(), class);
    };
    host(
        "tcp-hang",
        endpoint(Endpoint::Hang).await,
        "connect-timeout",
        "",
    );
    host(
        "tcp-close",
        endpoint(Endpoint::Close).await,
        "connect-refused",
        "",
    );
    host(
        "tcp-http",
        endpoint(Endpoint::NotSsh).await,
        "ssh-protocol",
        "",
    );
    host(
        "tcp-drip",
        endpoint(Endpoint::DripBanner).await,
        "connect-timeout",
        "",
    );
    host("closed-port", closed_port(), "connect-refused", "");
    let lab_port = _lab.devices()[0].port;
    host(
        "wrong-password",
        lab_port,
        "auth",
        "  password: not-the-password\n",
    );
    // OpenSSH sshd with the scripted IOS shell: started when this machine
    // is set up for it (tests/sshd/setup.sh as root), else left out.
    let sshd = crate::openssh::Sshd::start("mixed_inventory");
    if let Some(sshd) = &sshd {
        host(
            "openssh",
            sshd.port,
            "ok",
            &format!(
                "  username: {}\n  password: {}\n  connection_options:\n    netrun:\n      extras: {{secret: {}, known_hosts: known_hosts}}\n",
                crate::openssh::USER,
                crate::openssh::PASSWORD,
                crate::openssh::ENABLE_SECRET
            ),
        );
        let known = inv.path().join("known_hosts");
        let mut text = std::fs::read_to_string(&known).expect("known_hosts");
        text.push_str(&sshd.known_hosts_line());
        std::fs::write(&known, text).expect("write known_hosts");
    }
    let hosts_file = inv.path().join("hosts.yaml");
    let mut hosts = std::fs::read_to_string(&hosts_file).expect("hosts.yaml");
    hosts.push_str(&extra);
    std::fs::write(&hosts_file, hosts).expect("write hosts.yaml");

    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    // Default timeouts and retries: the deadline promise holds as shipped.
    cmd.args(["run", "collect-facts", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out);
    let (records, o, elapsed) = sweep(cmd, &out).await;
    let records = by_device(&records, expected.len());
    let log = sshd.as_ref().map(|s| s.log()).unwrap_or_default();
    for (device, want) in &expected {
        let r = &records[device];
        assert_eq!(class(r), *want, "{device}: {r}\n{}\n{log}", stderr(&o));
    }
    // Closed before its banner, as a server at its limit of logins in
    // progress does: tried again, as often as the default allows.
    assert_eq!(
        records["tcp-close"]["attempts"], 3,
        "{}",
        records["tcp-close"]
    );
    assert!(elapsed < Duration::from_secs(150), "took {elapsed:?}");
}

#[test]
fn lab_help_documents_every_fault_knob() {
    let home = TempDir::new("home");
    let o = output(netrun(home.path()).args(["lab", "--help"]));
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    for fault in [
        "refuse",
        "auth-reject",
        "hang-before-banner",
        "hang-after-login",
        "drop-mid-output",
        "garbage-banner",
        "drip=BYTES_PER_SEC",
        "flap=DURATION",
        "latency=DURATION",
        "slow-echo=DURATION",
        "slow-echo-joined=DURATION",
    ] {
        assert!(help.contains(fault), "`{fault}` missing from:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_timeouts_apply_per_host_and_command_line_flags_win() {
    let (_lab, inv) = lab(2, &["hang-after-login:all"]).await;
    // r001 has a 1 s prompt timeout from the inventory; r002 the default.
    let hosts_file = inv.path().join("hosts.yaml");
    let hosts = std::fs::read_to_string(&hosts_file).expect("hosts.yaml");
    let hosts = hosts.replacen(
        "r001:\n",
        "r001:\n  connection_options:\n    netrun:\n      extras:\n        timeouts: {prompt: 1, device: 30}\n",
        1,
    );
    std::fs::write(&hosts_file, hosts).expect("write hosts.yaml");
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "--retries", "0", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out);
    let (records, _, _) = sweep(cmd, &out).await;
    let records = by_device(&records, 2);
    assert_eq!(class(&records["r001"]), "prompt-timeout");
    assert_eq!(class(&records["r002"]), "prompt-timeout");
    assert!(
        (1000..5000).contains(&elapsed_ms(&records, "r001")),
        "{}",
        records["r001"]
    );
    assert!(
        elapsed_ms(&records, "r002") >= 10_000,
        "default 10 s: {}",
        records["r002"]
    );

    // --prompt-timeout wins over the inventory for every host.
    let mut cmd = netrun(home.path());
    cmd.args([
        "exec",
        "show clock",
        "--retries",
        "0",
        "--prompt-timeout",
        "2",
        "-i",
    ])
    .arg(inv.path())
    .arg("-o")
    .arg(&out);
    let (records, _, _) = sweep(cmd, &out).await;
    let records = by_device(&records, 2);
    for d in ["r001", "r002"] {
        assert!(
            (2000..5000).contains(&elapsed_ms(&records, d)),
            "{}",
            records[d]
        );
    }
}

fn elapsed_ms(records: &BTreeMap<String, Value>, device: &str) -> u64 {
    records[device]["elapsed_ms"].as_u64().unwrap_or(0)
}

/// The runner's environment for the lab inventory at `inventory`, built in
/// this process (as `netrun serve` keeps one), and its hosts.
async fn in_process_env(
    inventory: &Path,
    connectivity: std::sync::Arc<netrun::runtime::device::Connectivity>,
) -> (
    std::sync::Arc<netrun::runner::Env>,
    Vec<netrun::inventory::Host>,
) {
    let (env, hosts, _) = in_process_env_with(inventory, connectivity, None).await;
    (std::sync::Arc::new(env), hosts)
}

/// [`in_process_env`] with `workflow` loaded too (granted what it asks).
async fn in_process_env_with(
    inventory: &Path,
    connectivity: std::sync::Arc<netrun::runtime::device::Connectivity>,
    workflow: Option<&str>,
) -> (
    netrun::runner::Env,
    Vec<netrun::inventory::Host>,
    Option<std::sync::Arc<netrun::runtime::Plugin>>,
) {
    let inventory = netrun::inventory::Inventory::load(inventory).expect("inventory");
    let hosts = inventory.hosts;
    // In this test process the bundles are not beside the executable, so
    // the plugins count as third-party and need what they ask granted.
    let grants = ["cisco-ios:command=*", "collect-facts:http=device"].map(String::from);
    let policy = netrun::runtime::policy::Policy::load(None, &grants).expect("policy");
    let loaded = netrun::cli::load_plugins(
        &[netrun_tests::plugin_dir()],
        workflow,
        &policy,
        &["cisco_ios".to_string()],
        16,
    )
    .await
    .expect("plugins load");
    let env = netrun::runner::Env {
        runtime: loaded.runtime,
        platforms: loaded.platforms,
        known_platforms: loaded.known_platforms,
        known_hosts: std::sync::Arc::new(netrun::runner::load_known_hosts(&hosts)),
        connectivity,
    };
    (env, hosts, loaded.workflow)
}

/// Two runs in one process over the same pool and breakers, as a
/// long-lived `netrun serve` does: healthy devices reuse their sessions
/// (no new connection), and a device whose breaker opened in the first run
/// is not dialled in the second.
#[tokio::test(flavor = "multi_thread")]
async fn sessions_and_breakers_outlive_a_run_in_one_process() {
    use netrun::resilience::breaker::BreakerConfig;
    use netrun::runner::{self, ConnectivityConfig, Job, Settings, Shutdown};
    use netrun::runtime::device::Connectivity;
    use std::sync::Arc;

    let (_lab, inv) = lab(3, &["refuse:r003"]).await;
    let connectivity = Arc::new(Connectivity::new(&ConnectivityConfig {
        breaker: BreakerConfig {
            failure_threshold: 1,
            cool_down: Duration::from_secs(600),
            half_open_probes: 1,
        },
        ..Default::default()
    }));
    let (env, hosts) = in_process_env(inv.path(), connectivity.clone()).await;
    let sweep = || async {
        let mut records = BTreeMap::new();
        runner::run(
            env.clone(),
            Job::Exec {
                commands: vec!["show clock".into()],
                options: Default::default(),
            },
            hosts.clone(),
            Settings {
                accept_new_file: None,
                ..Default::default()
            },
            Shutdown::default(),
            |r| {
                records.insert(r.device.clone(), serde_json::to_value(&r).expect("json"));
            },
        )
        .await;
        records
    };
    let first = sweep().await;
    assert_eq!(class(&first["r001"]), "ok", "{}", first["r001"]);
    assert_eq!(first["r001"]["attempts"], 1);
    assert_eq!(
        class(&first["r003"]),
        "connect-refused",
        "{}",
        first["r003"]
    );
    assert_eq!(connectivity.pool.stats().idle, 2, "healthy sessions kept");

    let second = sweep().await;
    for d in ["r001", "r002"] {
        assert_eq!(class(&second[d]), "ok", "{}", second[d]);
        assert_eq!(second[d]["attempts"], 0, "session reused: {}", second[d]);
    }
    assert_eq!(class(&second["r003"]), "breaker-open", "{}", second["r003"]);
    assert_eq!(second["r003"]["attempts"], 0, "not dialled");
    connectivity.pool.close_all().await;
    assert_eq!(connectivity.pool.stats().idle, 0);
}

/// A device waiting for one of the run's slots holds no task (no host
/// copy, span or future): a 10,000-device run at concurrency 1,000 keeps
/// about 1,000 devices' state, not 10,000. The run goes on a runtime of its
/// own, whose task gauge then counts the run's tasks and not the lab's.
#[tokio::test(flavor = "multi_thread")]
async fn devices_waiting_for_their_turn_hold_no_task() {
    use netrun::runner::{self, Job, Settings, Shutdown};
    use netrun::runtime::device::Connectivity;
    use std::sync::{Arc, Mutex};

    const DEVICES: usize = 60;
    let (_lab, inv) = lab(DEVICES, &[]).await;
    // As a one-shot run has it: a finished device's session is closed, not
    // kept idle (its task would count).
    let connectivity = Arc::new(Connectivity::new(&runner::ConnectivityConfig {
        pool: netrun::resilience::pool::PoolConfig {
            max_idle: 0,
            ..Default::default()
        },
        ..Default::default()
    }));
    let (env, hosts) = in_process_env(inv.path(), connectivity).await;
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let metrics = client.metrics();
    // (devices ok, most tasks alive at a record)
    let seen = Arc::new(Mutex::new((0usize, 0usize)));
    let tally = seen.clone();
    let run = client.spawn(async move {
        runner::run(
            env,
            Job::Exec {
                commands: vec!["show clock".into()],
                options: Default::default(),
            },
            hosts,
            Settings {
                concurrency: 2,
                accept_new_file: None,
                ..Default::default()
            },
            Shutdown::default(),
            |r| {
                let alive = tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks();
                let mut t = tally.lock().expect("tally");
                t.0 += usize::from(r.error.is_none());
                t.1 = t.1.max(alive);
            },
        )
        .await
    });
    run.await.expect("run");
    let (ok, most) = *seen.lock().expect("tally");
    drop(metrics);
    client.shutdown_background();
    assert_eq!(ok, DEVICES, "every device answers");
    // Two devices in flight (each with its login and SSH session tasks),
    // against one task per device queued.
    assert!(
        most < DEVICES / 3,
        "{most} tasks alive at once for {DEVICES} devices at concurrency 2"
    );
}

/// collect-facts over `inv`, at `concurrency`, its manifest as shipped
/// (`prefetch = ["facts"]`: login and facts before it starts) or set back
/// to on demand; with the records, the most workflow instances seen alive
/// at once and their sum over the samples (one every 25 ms, for the first
/// `watch` of the run, or all of it).
async fn collect_facts_watching_instances(
    inv: &Path,
    concurrency: usize,
    before_start: bool,
    timeouts: netrun::transport::Timeouts,
    watch: Option<Duration>,
) -> (Vec<netrun::results::Record>, usize, usize) {
    use netrun::runner::{self, Job, Settings, Shutdown};
    use netrun::runtime::bundle::Connect;
    use netrun::runtime::device::Connectivity;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    let connectivity = Arc::new(Connectivity::new(&runner::ConnectivityConfig {
        retry: netrun::resilience::retry::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
        ..Default::default()
    }));
    let (env, hosts, workflow) =
        in_process_env_with(inv, connectivity, Some("collect-facts")).await;
    let mut plugin = workflow.expect("collect-facts loads");
    let manifest = &mut Arc::get_mut(&mut plugin)
        .expect("one owner")
        .bundle
        .manifest;
    assert_eq!(manifest.prefetch, ["facts"], "collect-facts's manifest");
    if !before_start {
        manifest.prefetch.clear();
        manifest.connect = Connect::OnDemand;
    }
    let env = Arc::new(env);
    let runtime = env.runtime.clone();
    let (most, sum, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (w_most, w_sum, w_done, seen) = (most.clone(), sum.clone(), done.clone(), runtime.clone());
    let watcher = tokio::spawn(async move {
        let until = watch.map(|w| tokio::time::Instant::now() + w);
        while !w_done.load(Ordering::Relaxed)
            && until.is_none_or(|u| tokio::time::Instant::now() < u)
        {
            tokio::time::sleep(Duration::from_millis(25)).await;
            let alive = seen.workflow_instances();
            w_most.fetch_max(alive, Ordering::Relaxed);
            w_sum.fetch_add(alive, Ordering::Relaxed);
        }
    });
    let records = Arc::new(Mutex::new(Vec::new()));
    let kept = records.clone();
    runner::run(
        env,
        Job::Workflow {
            plugin,
            params: "{}".into(),
        },
        hosts,
        Settings {
            concurrency,
            timeouts,
            accept_new_file: None,
            ..Default::default()
        },
        Shutdown::default(),
        move |r| kept.lock().expect("records").push(r),
    )
    .await;
    done.store(true, Ordering::Relaxed);
    watcher.await.expect("watcher");
    assert_eq!(runtime.workflow_instances(), 0, "every instance ended");
    let records = std::mem::take(&mut *records.lock().expect("records"));
    (
        records,
        most.load(Ordering::Relaxed),
        sum.load(Ordering::Relaxed),
    )
}

/// collect-facts (`prefetch = ["facts"]`) logs its devices in before it is
/// instantiated: ten devices that never send their SSH banner, worked on
/// all at once, hold no workflow instance while they hang; each workflow
/// then gets its device's login failure at its first use of the session
/// (one attempt, not a second login). The same fleet with the workflow
/// set to log in on demand holds an instance per hanging device.
#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_that_connects_before_start_holds_no_instance_while_its_devices_log_in() {
    const DEVICES: usize = 10;
    let (_lab, inv) = lab(DEVICES, &["hang-before-banner:all"]).await;
    let timeouts = netrun::transport::Timeouts {
        handshake: Duration::from_secs(2),
        ..Default::default()
    };
    // Watched while the devices hang (the first 1.5 s of the 2 s timeout):
    // afterwards each workflow runs, briefly, to take its device's failure.
    let watch = Some(Duration::from_millis(1500));
    for before_start in [true, false] {
        let (records, most, _) =
            collect_facts_watching_instances(inv.path(), DEVICES, before_start, timeouts, watch)
                .await;
        assert_eq!(records.len(), DEVICES);
        for r in &records {
            let e = r.error.as_ref().expect("a hanging device fails");
            assert_eq!(e.class.as_str(), "connect-timeout", "{before_start}: {e:?}");
            assert!(e.message.starts_with(&format!("{}: ", r.device)), "{e:?}");
            assert_eq!(r.attempts, 1, "{before_start}: one login per device: {e:?}");
        }
        let want = if before_start { 0 } else { DEVICES };
        assert_eq!(
            most, want,
            "before start: {before_start}: instances alive during the logins"
        );
    }
}

/// collect-facts's facts getter is answered before the workflow starts:
/// devices slow to answer each command (300 ms) hold no instance while
/// they answer, and the records are those of a workflow that asked itself.
#[tokio::test(flavor = "multi_thread")]
async fn prefetched_facts_give_the_same_records_with_instances_alive_a_fraction_of_the_time() {
    const DEVICES: usize = 8;
    let (_lab, inv) = lab(DEVICES, &["latency=300ms:all"]).await;
    let (prefetched, _, alive_prefetched) =
        collect_facts_watching_instances(inv.path(), DEVICES, true, Default::default(), None).await;
    let (asked, most_asked, alive_asked) =
        collect_facts_watching_instances(inv.path(), DEVICES, false, Default::default(), None)
            .await;
    let by_device = |records: &[netrun::results::Record]| {
        records
            .iter()
            .map(|r| {
                assert!(r.error.is_none(), "{r:?}");
                let mut facts = r.data.clone().expect("facts");
                // The lab's clock runs on between the two runs.
                let uptime = facts["uptime_seconds"].as_u64().expect("uptime");
                let facts_map = facts.as_object_mut().expect("an object");
                facts_map.remove("uptime");
                facts_map.remove("uptime_seconds");
                (r.device.clone(), (facts, uptime))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (prefetched, asked) = (by_device(&prefetched), by_device(&asked));
    assert_eq!(prefetched.len(), DEVICES);
    for (device, (facts, uptime)) in &prefetched {
        let (asked_facts, asked_uptime) = &asked[device];
        assert_eq!(facts, asked_facts, "{device}: the same facts either way");
        assert!(
            asked_uptime.abs_diff(*uptime) < 600,
            "{device}: {uptime} {asked_uptime}"
        );
        assert_eq!(facts["hostname"], device.as_str(), "{facts}");
    }
    // Asked by the workflow, every instance waits out its commands.
    assert_eq!(most_asked, DEVICES);
    assert!(
        alive_prefetched * 10 < alive_asked,
        "instance samples: {alive_prefetched} prefetched against {alive_asked} asked"
    );
}
