//! The CLI against the simulated fleet over loopback.

use netrun_tests::{TempDir, netrun, output, read_jsonl};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use netrun_tests::start_lab as lab;

/// A `netrun` command run off the async runtime, so the in-process lab keeps serving.
async fn run(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn lab_of_200_devices_then_collect_facts_gives_200_ok_records_named_after_the_devices() {
    let home = TempDir::new("home");
    let inv = TempDir::new("lab200");
    let mut lab = netrun(home.path());
    lab.args(["lab", "--devices", "200", "--inventory-dir"])
        .arg(inv.path())
        .stdout(Stdio::piped());
    let mut child = KillOnDrop(lab.spawn().expect("netrun lab starts"));
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines.next().expect("lab prints a line").unwrap();
    assert!(ready.contains("ready"), "first line: {ready}");

    let out_file = inv.path().join("r.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-i"])
        .arg(inv.path().join("hosts.yaml"))
        .arg("-o")
        .arg(&out_file);
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let records = read_jsonl(&out_file);
    assert_eq!(records.len(), 200);
    let mut names: Vec<&str> = records
        .iter()
        .map(|r| r["device"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 200, "one record per device");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["data"]["hostname"], r["device"], "{r}");
    }
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("200 devices: 200 ok, 0 failed"),
        "{summary}"
    );
}

/// `netrun bench` runs every sweep `--rounds` times (in its own lab, with
/// the plugins of `--plugin-dir`) and reports each sweep's median run, with
/// the CPU of every run and the ratios taken from the median runs.
#[test]
fn bench_reports_each_sweeps_median_run_of_its_rounds() {
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args(["bench", "--devices", "12", "--concurrency", "6"])
        .args(["--rounds", "2", "--json"]);
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    assert_eq!(report["rounds"], 2);
    let cpu = |key: &str| report[key]["cpu_s"].as_f64().unwrap();
    for key in ["cold", "warm", "floor", "floor_same_work"] {
        let row = &report[key];
        assert_eq!(row["ok"], 12, "{key}: {row}");
        assert_eq!(row["failed"], 0, "{key}: {row}");
        let runs: Vec<f64> = row["cpu_s_runs"]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {row}"))
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        assert_eq!(runs.len(), 2, "{key}: {row}");
        assert!(runs.iter().all(|&c| c > 0.0), "{key}: {row}");
        // The lower middle of two runs: the one with less CPU.
        assert_eq!(cpu(key), runs[0].min(runs[1]), "{key}: {row}");
    }
    let ratio = report["floor_same_work_ratio_cpu"].as_f64().unwrap();
    assert!(
        (ratio - cpu("warm") / cpu("floor_same_work")).abs() < 1e-9,
        "{report}"
    );
    let ratio = report["floor_ratio_cpu"].as_f64().unwrap();
    assert!(
        (ratio - cpu("warm") / cpu("floor")).abs() < 1e-9,
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_facts_returns_each_devices_serial_model_and_interfaces() {
    let (lab, inv) = lab(4, &[]).await;
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-o", "-", "-i"])
        .arg(inv.path());
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    for d in lab.devices() {
        let r = records
            .iter()
            .find(|r| r["device"] == d.name.as_str())
            .unwrap();
        assert_eq!(r["data"]["serial"], d.serial.as_str(), "{r}");
        assert_eq!(r["data"]["model"], d.model.as_str(), "{r}");
        assert_eq!(r["data"]["vendor"], "Cisco");
        let interfaces = r["data"]["interfaces"].as_array().unwrap();
        assert!(interfaces.len() >= 4, "{r}");
        assert!(r["data"]["uptime_seconds"].as_u64().unwrap() > 0);
    }
    // The summary goes to stderr when records go to stdout.
    assert!(stderr(&o).contains("4 devices: 4 ok"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_parses_output_when_the_driver_has_a_parser_and_keeps_raw_text_otherwise() {
    let (_lab, inv) = lab(3, &[]).await;
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args([
        "exec",
        "show ip interface brief",
        "show clock",
        "--hosts",
        "r001,r003",
        "-o",
        "-",
        "-i",
    ])
    .arg(inv.path())
    // No TextFSM templates anywhere: the clock stays unparsed.
    .env_remove("NET_TEXTFSM")
    .env_remove("XDG_CONFIG_HOME");
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut devices: Vec<&str> = records
        .iter()
        .map(|r| r["device"].as_str().unwrap())
        .collect();
    devices.sort();
    assert_eq!(devices, vec!["r001", "r003"]);
    for r in &records {
        let commands = r["data"]["commands"].as_array().unwrap();
        let brief = &commands[0];
        assert!(
            brief["output"].as_str().unwrap().starts_with("Interface"),
            "{brief}"
        );
        let rows = brief["parsed"].as_array().expect("parsed rows");
        assert!(
            rows.iter().any(|row| row["interface"] == "Loopback0"),
            "{brief}"
        );
        assert_eq!(
            rows.len(),
            brief["output"].as_str().unwrap().lines().count() - 1
        );
        let clock = &commands[1];
        assert_eq!(brief["parser"], "cisco-ios", "{brief}");
        assert_eq!(clock["parsed"], Value::Null, "{clock}");
        let why = clock["parse_reason"].as_str().expect("parse_reason");
        assert!(why.contains("TextFSM: no TextFSM templates"), "{why}");
        assert!(clock["output"].as_str().unwrap().contains("UTC"), "{clock}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_command_and_wrong_password_are_classified_and_exit_code_is_2() {
    let (_lab, inv) = lab(3, &["auth-reject:r002"]).await;
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show foo", "-o", "-", "-i"])
        .arg(inv.path());
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let records: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    let class = |d: &str| {
        let r = records.iter().find(|r| r["device"] == d).unwrap();
        assert_eq!(r["status"], "error");
        r["error"]["class"].as_str().unwrap().to_string()
    };
    assert_eq!(class("r001"), "rejected-command");
    assert_eq!(class("r002"), "auth");
    assert_eq!(class("r003"), "rejected-command");
    let r1 = records.iter().find(|r| r["device"] == "r001").unwrap();
    assert!(
        r1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("% Invalid input detected")
    );
    // The password never appears in results or logs.
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!all.contains("netrun-lab-pw") && !all.contains("netrun-lab-enable"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_host_key_is_refused_and_accept_new_records_it_for_later_strict_runs() {
    let (lab, inv) = lab(1, &[]).await;
    std::fs::write(inv.path().join("known_hosts"), "").unwrap();
    let home = TempDir::new("home");
    let strict = || {
        let mut cmd = netrun(home.path());
        cmd.args(["exec", "show clock", "-o", "-", "-i"])
            .arg(inv.path());
        cmd
    };
    let o = run(strict()).await;
    assert_eq!(o.status.code(), Some(2));
    let r: Value = serde_json::from_slice(o.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(r["error"]["class"], "host-key", "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("SHA256:") && msg.contains("not known"),
        "{msg}"
    );

    let mut accept = strict();
    accept.args(["--host-key-policy", "accept-new"]);
    let o = run(accept).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recorded = std::fs::read_to_string(home.path().join(".ssh/known_hosts")).unwrap();
    let port = lab.devices()[0].port;
    assert!(
        recorded.starts_with(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
        "{recorded}"
    );

    let o = run(strict()).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "strict run trusts the recorded key: {}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_host_key_is_refused_naming_the_known_hosts_line() {
    let (lab, inv) = lab(2, &[]).await;
    // Record r002's key under r001's address: r001 now presents a "changed" key.
    let d = lab.devices();
    std::fs::write(
        inv.path().join("known_hosts"),
        format!("[127.0.0.1]:{} {}\n", d[0].port, d[1].host_key_openssh),
    )
    .unwrap();
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "--hosts", "r001", "-o", "-", "-i"])
        .arg(inv.path());
    let o = run(cmd).await;
    let r: Value = serde_json::from_slice(o.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(r["error"]["class"], "host-key", "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("HOST KEY CHANGED") && msg.contains("known_hosts:1"),
        "{msg}"
    );
}

#[test]
fn bad_inventory_and_unknown_hosts_are_clear_errors_with_exit_code_1() {
    let home = TempDir::new("home");
    let inv = TempDir::new("badinv");
    std::fs::write(inv.path().join("hosts.yaml"), "r1:\n  port: [oops\n").unwrap();
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-i"]).arg(inv.path());
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("hosts.yaml") && e.contains("malformed") && e.contains("line"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");

    std::fs::write(
        inv.path().join("hosts.yaml"),
        "r1:\n  hostname: 127.0.0.1\n",
    )
    .unwrap();
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "--hosts", "r1,r9", "-i"])
        .arg(inv.path());
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("r9"), "{}", stderr(&o));

    let mut cmd = netrun(home.path());
    cmd.args(["run", "no-such-workflow", "-i"]).arg(inv.path());
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("collect-facts"),
        "lists installed workflows: {}",
        stderr(&o)
    );
}

#[test]
fn a_known_hosts_file_named_in_the_inventory_that_is_missing_stops_the_run_naming_file_and_host() {
    let home = TempDir::new("home");
    let inv = TempDir::new("kh-missing");
    std::fs::write(
        inv.path().join("hosts.yaml"),
        "r1:\n  hostname: 127.0.0.1\n  platform: cisco_ios\n  username: admin\n  connection_options:\n    netrun:\n      extras: {known_hosts: lab_known_hosts}\n",
    )
    .unwrap();
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "-i"]).arg(inv.path());
    let o = output(&mut cmd);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a plan error, not a device failure"
    );
    let e = stderr(&o);
    let file = inv.path().join("lab_known_hosts");
    assert!(
        e.contains("r1: ")
            && e.contains(&file.display().to_string())
            && e.contains("does not exist"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn device_without_platform_gets_an_inventory_error_record_not_a_crash() {
    let (_lab, inv) = lab(2, &[]).await;
    let hosts = std::fs::read_to_string(inv.path().join("hosts.yaml")).unwrap();
    // r002 names a platform no installed driver defines.
    let (before, r002) = hosts.split_once("r002:\n").expect("r002 in hosts.yaml");
    let hosts = format!(
        "{before}r002:\n{}",
        r002.replacen("platform: cisco_ios", "platform: cisco_iso", 1)
    );
    std::fs::write(inv.path().join("hosts.yaml"), hosts).unwrap();
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "-o", "-", "-i"])
        .arg(inv.path());
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2));
    let records: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    let r2 = records.iter().find(|r| r["device"] == "r002").unwrap();
    assert_eq!(r2["error"]["class"], "inventory", "{r2}");
    assert!(
        r2["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`cisco_iso` (did you mean `cisco_ios`?)"),
        "names the platform and the closest installed one: {r2}"
    );
    let r1 = records.iter().find(|r| r["device"] == "r001").unwrap();
    assert_eq!(r1["status"], "ok");
}

#[test]
fn plugin_list_shows_the_bundled_plugins_with_kind_version_and_platforms() {
    let home = TempDir::new("home");
    let o = output(netrun(home.path()).args(["plugin", "list"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .to_string()
    };
    let ios = line("cisco-ios");
    assert!(
        ios.contains("driver") && ios.contains("cisco_ios") && ios.contains("0.1.0"),
        "{ios}"
    );
    assert!(line("collect-facts").contains("workflow"));
}

/// The first-party cisco-ios bundle (manifest and component) copied into
/// `dir`, where netrun keeps no compiled code beside it.
fn cisco_ios_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let src = netrun_tests::plugin_dir().join("cisco-ios");
    let dst = dir.join("cisco-ios");
    std::fs::create_dir_all(&dst).unwrap();
    for f in ["netrun-plugin.toml", "plugin.wasm"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    dst
}

#[test]
fn verify_keeps_its_compile_in_the_cache_for_install_and_runs() {
    let home = TempDir::new("home");
    let copy = TempDir::new("verified");
    let dst = cisco_ios_copy(copy.path());
    let cache = home.path().join("own-cache");
    let o = output(
        netrun(home.path())
            .env("XDG_CACHE_HOME", &cache)
            .args(["plugin", "verify"])
            .arg(&dst),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Named by the component's sha256 (the manifest's) and the engine.
    let manifest = std::fs::read_to_string(dst.join("netrun-plugin.toml")).unwrap();
    let compiled: Vec<String> = std::fs::read_dir(cache.join("netrun").join("components"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".cwasm"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(compiled.len(), 1, "{compiled:?}");
    let sha256 = compiled[0].split('-').next().unwrap();
    assert_eq!(sha256.len(), 64, "{compiled:?}");
    assert!(manifest.contains(sha256), "{sha256} not in\n{manifest}");
}

#[test]
fn tampered_component_is_refused_by_verify_and_by_runs_naming_the_sha256_mismatch() {
    let home = TempDir::new("home");
    let copy = TempDir::new("tampered");
    let dst = cisco_ios_copy(copy.path());
    let o = output(netrun(home.path()).args(["plugin", "verify"]).arg(&dst));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let mut bytes = std::fs::read(dst.join("plugin.wasm")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(dst.join("plugin.wasm"), bytes).unwrap();
    let o = output(netrun(home.path()).args(["plugin", "verify"]).arg(&dst));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("sha256 mismatch"), "{}", stderr(&o));

    // A run that needs the driver refuses to start. The tampered copy comes
    // first in the search path, so it is the one chosen.
    let inv = TempDir::new("inv");
    std::fs::write(
        inv.path().join("hosts.yaml"),
        "r1:\n  hostname: 127.0.0.1\n  platform: cisco_ios\n",
    )
    .unwrap();
    let mut cmd = netrun_tests::netrun_cmd_with_plugins(
        home.path(),
        &[copy.path(), &netrun_tests::plugin_dir()],
    );
    cmd.args(["run", "collect-facts", "-i"]).arg(inv.path());
    let o = output(&mut cmd);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("sha256 mismatch"), "{}", stderr(&o));
}
