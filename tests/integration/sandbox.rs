//! Hostile plugins against the sandbox, over the simulated fleet. The
//! `hostile` workflow (tests/plugins/hostile, built by
//! `scripts/build-plugins.sh --tests`) behaves on every device but the one
//! named by `--param victim`, where it runs `--param attack`. Each attack
//! must end in a typed error on that device only, every other device ok,
//! the host's memory bounded and the run inside its deadline.

use netrun_lab::{Lab, LabConfig};
use netrun_tests::{TempDir, netrun_cmd_with_plugins, plugin_dir, target_dir};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const DEVICES: usize = 4;
const VICTIM: &str = "r002";
/// No attack may hold a run of four devices longer than this.
const DEADLINE: Duration = Duration::from_secs(90);
/// The host's peak RSS while a plugin tries to allocate 4 GiB.
const MAX_HOST_RSS_MIB: u64 = 1024;

fn hostile_dir() -> PathBuf {
    let dir = target_dir().join("test-plugins");
    assert!(
        dir.join("hostile").join("netrun-plugin.toml").is_file(),
        "{} has no hostile plugin: run scripts/build-plugins.sh --tests first",
        dir.display()
    );
    dir
}

async fn lab() -> (Lab, TempDir) {
    let lab = Lab::start(LabConfig {
        devices: DEVICES,
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let dir = TempDir::new("sandbox-inv");
    lab.write_inventory(dir.path()).expect("inventory written");
    (lab, dir)
}

struct Run {
    code: Option<i32>,
    records: Vec<Value>,
    stderr: String,
    elapsed: Duration,
    /// Peak RSS of the netrun process, KiB.
    max_rss_kib: u64,
}

/// Run the child and take its peak RSS from `wait4`, so parallel tests do
/// not mix their children's figures.
// `wait4` below reaps the child; clippy only knows `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(mut cmd: Command) -> Run {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("netrun starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own unwaited child; the pointers are valid.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let elapsed = started.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    let stdout = out_reader.join().unwrap();
    let records = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l}: {e}")))
        .collect();
    Run {
        code: status.code(),
        records,
        stderr: err_reader.join().unwrap(),
        elapsed,
        max_rss_kib: usage.ru_maxrss as u64,
    }
}

fn hostile_cmd(home: &TempDir, inv: &TempDir, attack: &str, grants: &[&str]) -> Command {
    let first_party = plugin_dir();
    let hostile = hostile_dir();
    let mut cmd = netrun_cmd_with_plugins(home.path(), &[&first_party, &hostile]);
    cmd.args(["run", "hostile", "-o", "-", "--device-timeout", "60", "-i"])
        .arg(inv.path())
        .arg("--param")
        .arg(format!("victim={VICTIM}"))
        .arg("--param")
        .arg(format!("attack={attack}"));
    for g in grants {
        cmd.arg("--grant").arg(g);
    }
    cmd
}

/// Run `attack` on the victim; check the victim's class and that every
/// other device is ok. Returns the victim's record.
async fn attack(attack: &str, class: &str) -> Value {
    attack_with(attack, class, &[], &[]).await
}

/// [`attack`] with extra `--param`s and `--grant`s.
async fn attack_with(attack: &str, class: &str, params: &[&str], grants: &[&str]) -> Value {
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let mut all_grants = vec!["command=show version"];
    all_grants.extend_from_slice(grants);
    let mut cmd = hostile_cmd(&home, &inv, attack, &all_grants);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(2), "attack {attack}: stderr: {}", r.stderr);
    assert_eq!(r.records.len(), DEVICES, "one record per device");
    let mut victim = Value::Null;
    for rec in &r.records {
        if rec["device"] == VICTIM {
            assert_eq!(rec["status"], "error", "attack {attack}: {rec}");
            assert_eq!(rec["error"]["class"], class, "attack {attack}: {rec}");
            victim = rec.clone();
        } else {
            assert_eq!(rec["status"], "ok", "attack {attack}: {rec}");
        }
    }
    assert!(
        r.elapsed < DEADLINE,
        "attack {attack}: run took {:?}",
        r.elapsed
    );
    assert!(
        r.max_rss_kib < MAX_HOST_RSS_MIB << 10,
        "attack {attack}: host peak RSS {} MiB",
        r.max_rss_kib >> 10
    );
    victim
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_that_loops_forever_is_stopped_by_its_cpu_budget_on_that_device_only() {
    let v = attack("loop", "plugin-limit").await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CPU budget"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_that_allocates_4_gib_is_stopped_at_its_memory_limit_and_the_host_stays_small() {
    let v = attack("alloc", "plugin-limit").await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("memory limit"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_that_panics_is_a_plugin_trap_on_that_device_only() {
    attack("trap", "plugin-trap").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn command_outside_the_granted_patterns_is_denied_before_reaching_the_device() {
    let v = attack("command", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("show running-config"), "{m}");
    assert!(m.contains("never reached the device"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn timing_mode_is_held_to_the_same_command_grants() {
    let v = attack("command-timing", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("show running-config"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_reads_a_command_in_timing_mode_without_echo_or_prompt() {
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let mut cmd = hostile_cmd(&home, &inv, "none", &["command=show version"]);
    cmd.args(["--param", "settle_ms=300"]);
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_eq!(r.records.len(), DEVICES);
    for rec in &r.records {
        let lines: Vec<&str> = rec["data"]["lines"]
            .as_array()
            .unwrap_or_else(|| panic!("{rec}"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let device = rec["device"].as_str().unwrap();
        assert!(lines[0].starts_with("Cisco IOS"), "{device}: {lines:?}");
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("show version") || l.trim() == format!("{device}#")),
            "echo or prompt left in: {lines:?}"
        );
        assert_eq!(rec["data"]["mode"], "privileged-exec", "{rec}");
    }
}

/// A local HTTP server that counts the connections it accepts.
fn counting_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread")]
async fn http_to_a_host_the_plugin_never_requested_is_denied_without_connecting() {
    let (port, hits) = counting_listener();
    let url = format!("url=http://127.0.0.1:{port}/exfiltrate");
    // Even an operator's grant does not widen what the manifest requested.
    let v = attack_with("http", "denied", &[&url], &["http=127.0.0.1"]).await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("HTTP to host 127.0.0.1"), "{m}");
    assert!(m.contains("no connection was made"), "{m}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_to_the_device_api_without_requesting_it_is_denied() {
    let v = attack("http-device", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("the device's own API"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metric_label_sets_are_capped_per_plugin() {
    let v = attack("metrics-flood", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("limits.metric_series"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_cannot_report_metrics_for_another_device() {
    let v = attack("metrics-spoof", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("`device` is set by the host"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_mode_without_a_grant_is_denied() {
    let v = attack("config", "denied").await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("configuration mode"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_that_floods_the_log_is_stopped_at_its_log_limit() {
    attack("log-flood", "plugin-limit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_larger_than_the_output_limit_is_refused() {
    let v = attack("output", "plugin-limit").await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limits.output_kib"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_sees_no_files_no_environment_and_no_arguments() {
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let mut cmd = hostile_cmd(&home, &inv, "snoop", &["command=show version"]);
    cmd.env("NETRUN_SECRET_PROBE", "must-not-leak");
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let v = r
        .records
        .iter()
        .find(|rec| rec["device"] == VICTIM)
        .unwrap();
    let seen = &v["data"];
    assert_eq!(seen["files"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["env"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["home"], Value::Null, "{seen}");
    assert_eq!(seen["args"], serde_json::json!([]), "{seen}");
    assert!(!r.stderr.contains("must-not-leak"));
}

#[tokio::test(flavor = "multi_thread")]
async fn third_party_workflow_without_grants_is_refused_at_load_with_the_grant_to_add() {
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let cmd = hostile_cmd(&home, &inv, "none", &[]);
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(1), "nothing runs: {}", r.stderr);
    assert!(r.records.is_empty());
    assert!(
        r.stderr.contains("--grant 'command=show version'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("[plugin.hostile]"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_file_grants_like_the_command_line() {
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let policy = home.path().join("policy.toml");
    std::fs::write(&policy, "[plugin.hostile]\ncommands = [\"show *\"]\n").unwrap();
    let mut cmd = hostile_cmd(&home, &inv, "none", &[]);
    cmd.arg("--policy").arg(&policy);
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.records.len(), DEVICES);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_class_a_workflow_returns_reaches_its_device_record_unchanged() {
    // Contract 0.2 carries the class itself across the boundary: no side
    // channel, no guess from the message. One short run per class.
    let (_lab, inv) = lab().await;
    let home = TempDir::new("sandbox-home");
    let classes: Vec<&str> = netrun::error::ErrorClass::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    for class in classes {
        let mut cmd = hostile_cmd(&home, &inv, "error", &["command=show version"]);
        cmd.arg("--param").arg(format!("class={class}"));
        let r = tokio::task::spawn_blocking(move || run_measured(cmd))
            .await
            .unwrap();
        let victim = r
            .records
            .iter()
            .find(|rec| rec["device"] == VICTIM)
            .unwrap_or_else(|| panic!("no record of {VICTIM}: {}", r.stderr));
        assert_eq!(victim["error"]["class"], class, "{victim}");
        assert!(
            victim["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("hostile returns {class}")),
            "{victim}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn config_interface_without_requesting_it_is_denied_and_nothing_is_sent() {
    let v = attack("config-api", "denied").await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("configuration mode") && m.contains("nothing was sent"),
        "{v}"
    );
}

/// A driver whose getter asks for follow-up commands without end (the
/// `hostile-driver` test plugin, IOS prompts under the name `hostile_ios`)
/// is stopped after the host's rounds with a typed error naming it, long
/// before the device's deadline; the other devices are not touched by it.
#[tokio::test(flavor = "multi_thread")]
async fn a_driver_asking_for_follow_up_commands_without_end_is_stopped() {
    let (_lab, inv) = lab().await;
    // Every lab device on the hostile driver's platform.
    for file in ["hosts.yaml", "groups.yaml"] {
        let path = inv.path().join(file);
        if let Ok(text) = std::fs::read_to_string(&path) {
            std::fs::write(&path, text.replace("cisco_ios", "hostile_ios")).unwrap();
        }
    }
    let home = TempDir::new("sandbox-home");
    let mut cmd = netrun_cmd_with_plugins(home.path(), &[&hostile_dir()]);
    cmd.args(["get", "facts", "-o", "-", "--device-timeout", "60", "-i"])
        .arg(inv.path());
    // A third-party driver sends only the commands granted to it.
    for c in [
        "terminal length 0",
        "terminal width 511",
        "exit",
        "enable",
        "disable",
        "configure terminal",
        "end",
        "show version*",
    ] {
        cmd.arg("--grant")
            .arg(format!("hostile-driver:command={c}"));
    }
    let r = tokio::task::spawn_blocking(move || run_measured(cmd))
        .await
        .unwrap();
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert_eq!(r.records.len(), DEVICES, "stderr: {}", r.stderr);
    for rec in &r.records {
        assert_eq!(rec["error"]["class"], "plugin-limit", "{rec}");
        let msg = rec["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("hostile-driver") && msg.contains("follow-up") && msg.contains("facts"),
            "{msg}"
        );
    }
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
}
