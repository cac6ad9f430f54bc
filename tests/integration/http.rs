//! HTTP/REST device APIs: `netrun lab --eos` serves Arista-eAPI-style
//! JSON-RPC over HTTPS; collect-facts and interface-counters reach those
//! devices over eAPI and the IOS ones over SSH, in one run. TLS is verified
//! (only against the lab's CA), credentials come from the inventory, and
//! every failure is a classified record on that device only.

use netrun_lab::{Lab, LabConfig};
use netrun_tests::{TempDir, netrun, read_jsonl};
use serde_json::Value as Yaml;
use std::collections::BTreeMap;

async fn mixed_lab(ios: usize, eos: usize) -> (Lab, TempDir) {
    let lab = Lab::start(LabConfig {
        devices: ios,
        eos_devices: eos,
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let dir = TempDir::new("http-inv");
    lab.write_inventory(dir.path()).expect("inventory written");
    (lab, dir)
}

/// Change one host's `connection_options.http` in hosts.yaml.
fn edit_http(inv: &TempDir, host: &str, edit: impl FnOnce(&mut serde_json::Map<String, Yaml>)) {
    let path = inv.path().join("hosts.yaml");
    let mut hosts: Yaml = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let http = hosts[host]["connection_options"]["http"]
        .as_object_mut()
        .expect("host has connection_options.http");
    edit(http);
    std::fs::write(&path, serde_saphyr::to_string(&hosts).unwrap()).unwrap();
}

fn extras(http: &mut serde_json::Map<String, Yaml>) -> &mut serde_json::Map<String, Yaml> {
    http.get_mut("extras").unwrap().as_object_mut().unwrap()
}

fn run(inv: &TempDir, workflow: &str) -> (BTreeMap<String, serde_json::Value>, String) {
    let home = TempDir::new("http-home");
    let out = TempDir::new("http-out");
    let file = out.path().join("r.jsonl");
    let metrics = out.path().join("m.prom");
    let status = netrun(home.path())
        .args(["run", workflow, "-o"])
        .arg(&file)
        .arg("--metrics-file")
        .arg(&metrics)
        .args(["--retries", "1", "--backoff", "0.05", "-i"])
        .arg(inv.path())
        .output()
        .unwrap();
    let records = read_jsonl(&file)
        .into_iter()
        .map(|r| (r["device"].as_str().unwrap().to_string(), r))
        .collect::<BTreeMap<_, _>>();
    assert!(
        !records.is_empty(),
        "no records: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    (
        records,
        std::fs::read_to_string(&metrics).unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_facts_over_ssh_and_eapi_in_one_run_is_ok_for_every_device() {
    let (lab, inv) = mixed_lab(3, 3).await;
    let (records, metrics) = run(&inv, "collect-facts");
    assert_eq!(records.len(), 6);
    for (name, r) in &records {
        assert_eq!(r["status"], "ok", "{name}: {r}");
    }
    for d in lab.eos_devices() {
        let facts = &records[&d.name]["data"];
        assert_eq!(facts["vendor"], "Arista", "{facts}");
        assert_eq!(facts["hostname"], d.name.as_str(), "{facts}");
        assert_eq!(facts["serial"], d.serial.as_str(), "{facts}");
        assert_eq!(facts["model"], d.model.as_str(), "{facts}");
        assert_eq!(facts["os_version"], d.version.as_str(), "{facts}");
        assert!(facts["uptime_seconds"].as_u64().unwrap() > 0, "{facts}");
        let interfaces = facts["interfaces"].as_array().unwrap();
        assert!(interfaces.iter().any(|i| i == "Management1"), "{facts}");
    }
    for d in lab.devices() {
        let facts = &records[&d.name]["data"];
        assert_eq!(facts["vendor"], "Cisco", "{facts}");
        assert_eq!(facts["serial"], d.serial.as_str(), "{facts}");
    }
    assert!(
        metrics.contains("netrun_http_request_seconds_count{platform=\"arista_eos\"} 3"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_failures_are_classified_on_their_device_only() {
    let (lab, inv) = mixed_lab(1, 6).await;
    // eos001 stays healthy. eos002: the API refuses the password. eos003:
    // no CA file, so the lab's certificate is checked against the system
    // roots and refused. eos004: nothing listens on its port. eos005:
    // verification off (lab only) still works.
    edit_http(&inv, "eos002", |h| {
        h.insert("password".into(), "not-the-password".into());
    });
    edit_http(&inv, "eos003", |h| {
        extras(h).remove("ca_file");
    });
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    edit_http(&inv, "eos004", |h| {
        h.insert("port".into(), u64::from(closed_port).into());
    });
    edit_http(&inv, "eos005", |h| {
        extras(h).remove("ca_file");
        extras(h).insert("verify".into(), false.into());
    });
    // eos006: the port of an SSH server (the API port mixed up).
    let ssh_port = lab.devices()[0].port;
    edit_http(&inv, "eos006", |h| {
        h.insert("port".into(), u64::from(ssh_port).into());
    });
    let (records, _) = run(&inv, "collect-facts");
    assert_eq!(records.len(), 7);
    let class = |d: &str| {
        records[d]["error"]["class"]
            .as_str()
            .unwrap_or("ok")
            .to_string()
    };
    let message = |d: &str| {
        records[d]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(records["eos001"]["status"], "ok");
    assert_eq!(records["r001"]["status"], "ok");
    assert_eq!(records["eos005"]["status"], "ok", "{}", records["eos005"]);
    assert_eq!(class("eos002"), "auth", "{}", records["eos002"]);
    assert!(
        message("eos002").contains("HTTP 401"),
        "{}",
        message("eos002")
    );
    assert!(!message("eos002").contains("not-the-password"));
    assert_eq!(class("eos003"), "tls", "{}", records["eos003"]);
    assert!(
        message("eos003").contains("ca_file"),
        "{}",
        message("eos003")
    );
    assert_eq!(class("eos004"), "connect-refused", "{}", records["eos004"]);
    assert_eq!(class("eos006"), "tls", "{}", records["eos006"]);
    assert!(
        message("eos006").contains("does not speak TLS"),
        "{}",
        message("eos006")
    );
    // The connect step was retried (--retries 1) before giving up.
    assert_eq!(records["eos004"]["attempts"], 2, "{}", records["eos004"]);
    drop(lab);
}

#[tokio::test(flavor = "multi_thread")]
async fn interface_counters_come_from_eapi_and_the_cli_with_the_same_fields() {
    let (_lab, inv) = mixed_lab(2, 2).await;
    let (records, metrics) = run(&inv, "interface-counters");
    for (name, r) in &records {
        assert_eq!(r["status"], "ok", "{name}: {r}");
        let rows = r["data"]["interfaces"].as_array().unwrap();
        assert!(!rows.is_empty(), "{name}: {r}");
        // Every platform fills the same counters for a counting interface.
        let counting = rows
            .iter()
            .find(|row| row["input_octets"].as_u64().is_some_and(|v| v > 0))
            .unwrap_or_else(|| panic!("{name}: no interface with traffic: {r}"));
        for key in [
            "output_octets",
            "input_packets",
            "output_packets",
            "input_errors",
            "output_errors",
        ] {
            assert!(counting[key].is_u64(), "{name}: {key} in {counting}");
        }
        assert!(
            metrics.contains(&format!(
                "netrun_plugin_interface_counters_in_octets_total{{device=\"{name}\",interface="
            )),
            "{name} missing from the metrics file"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_password_appears_in_no_output_at_trace_level() {
    let (_lab, inv) = mixed_lab(1, 2).await;
    let home = TempDir::new("http-home");
    let out = TempDir::new("http-out");
    let (records, metrics) = (out.path().join("r.jsonl"), out.path().join("m.prom"));
    let o = netrun(home.path())
        .args([
            "run",
            "collect-facts",
            "--log-format",
            "json",
            "--log-level",
            "trace",
            "-o",
        ])
        .arg(&records)
        .arg("--metrics-file")
        .arg(&metrics)
        .arg("--session-log")
        .arg(out.path().join("logs"))
        .arg("-i")
        .arg(inv.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let everything = format!(
        "{}{}{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        std::fs::read_to_string(&records).unwrap(),
        std::fs::read_to_string(&metrics).unwrap()
    );
    assert!(everything.contains("eos002"), "the run logged its devices");
    // Basic auth carries `user:password` in base64: neither form may leak.
    let basic = base64_of("admin:netrun-lab-pw");
    for secret in ["netrun-lab-pw", basic.as_str()] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
}

/// Standard base64 (RFC 4648, with padding).
fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_the_rfc_examples() {
    assert_eq!(base64_of("foob"), "Zm9vYg==");
    assert_eq!(base64_of("fooba"), "Zm9vYmE=");
    assert_eq!(base64_of("foobar"), "Zm9vYmFy");
}

/// Copy a bundle folder (manifest and component) to `to`.
fn copy_bundle(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["netrun-plugin.toml", "plugin.wasm"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_test_replays_recorded_eapi_exchanges_with_no_device() {
    let workspace = netrun_tests::workspace();
    let fixtures = workspace.join("plugins/arista-eos/tests/fixtures/show_interfaces");
    let raw: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("eapi_dcs7050sx3_4_28_3m.raw")).unwrap(),
    )
    .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("eapi_dcs7050sx3_4_28_3m.json")).unwrap(),
    )
    .unwrap();
    // What interface-counters returns: the counters of every counting row.
    let keys = [
        "input_octets",
        "output_octets",
        "input_packets",
        "output_packets",
        "input_errors",
        "output_errors",
    ];
    let expected: Vec<serde_json::Value> = parsed
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| keys.iter().any(|k| row[*k].is_u64()))
        .map(|row| {
            let mut o = serde_json::Map::new();
            o.insert("interface".into(), row["interface"].clone());
            for k in keys {
                o.insert(k.into(), row[k].clone());
            }
            o.insert(
                "oper_up".into(),
                serde_json::json!(row["protocol_status"] == "up"),
            );
            serde_json::Value::Object(o)
        })
        .collect();
    assert!(expected.len() > 3, "the fixture has counting interfaces");
    let request = serde_json::json!({
        "jsonrpc": "2.0", "method": "runCmds", "id": "netrun",
        "params": {"version": 1, "cmds": ["show interfaces"], "format": "json"},
    });
    let dir = TempDir::new("eapi-replay");
    let bundle = dir.path().join("interface-counters");
    copy_bundle(
        &netrun_tests::plugin_dir().join("interface-counters"),
        &bundle,
    );
    let transcripts = bundle.join("tests").join("transcripts");
    std::fs::create_dir_all(&transcripts).unwrap();
    let device = serde_json::json!({"name": "leaf1", "platform": "arista_eos"});
    std::fs::write(
        transcripts.join("leaf1.json"),
        serde_json::json!({
            "device": device,
            "http": [{"method": "POST", "url": "/command-api", "request": request,
                      "body": {"jsonrpc": "2.0", "id": "netrun", "result": [raw]}}],
            "expect": {"interfaces": expected},
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        transcripts.join("refused.json"),
        serde_json::json!({
            "device": device,
            "http": [{"method": "POST", "url": "/command-api",
                      "body": {"jsonrpc": "2.0", "id": "netrun", "error": {"code": 1002,
                               "message": "CLI command 1 of 1 'show interfaces' failed: invalid command"}}}],
            "expect": {"error": "rejected-command"},
        })
        .to_string(),
    )
    .unwrap();
    let home = TempDir::new("http-home");
    let o = netrun(home.path())
        .args(["plugin", "test"])
        .arg(&bundle)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("ok    run leaf1.json"), "{stdout}");
    assert!(stdout.contains("ok    run refused.json"), "{stdout}");
}

/// The Python of the plugin tools venv, where `scripts/install-plugin-tools.sh`
/// puts pyeapi; None outside CI when it is not installed.
fn tools_python() -> Option<std::path::PathBuf> {
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache/netrun-tools"))
        })?;
    let python = tools.join("venv/bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import pyeapi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "pyeapi must be installed in CI (scripts/install-plugin-tools.sh)"
        );
        eprintln!("SKIP pyeapi check: run scripts/install-plugin-tools.sh");
        return None;
    }
    Some(python)
}

#[tokio::test(flavor = "multi_thread")]
async fn arista_pyeapi_talks_to_the_lab_eapi_devices() {
    let Some(python) = tools_python() else {
        return;
    };
    let (lab, inv) = mixed_lab(1, 1).await;
    let eos = &lab.eos_devices()[0];
    let script = netrun_tests::workspace().join("tests/eapi/pyeapi-check.py");
    let cmd = std::process::Command::new(python)
        .arg(script)
        .arg(eos.https_port.to_string())
        .arg(inv.path().join("ca.pem"))
        .args(["admin", "netrun-lab-pw"])
        .output();
    let o = tokio::task::spawn_blocking(move || cmd)
        .await
        .unwrap()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(seen["model"], eos.model.as_str(), "{seen}");
    assert_eq!(seen["serial"], eos.serial.as_str(), "{seen}");
    assert_eq!(seen["version"], eos.version.as_str(), "{seen}");
    assert!(
        seen["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "Management1"),
        "{seen}"
    );
    assert!(
        seen["text"].as_str().unwrap().contains("Serial number:"),
        "{seen}"
    );
    // pyeapi's enable() runs `enable` first: the bad command is number 2.
    assert_eq!(seen["bogus"]["code"], 1002, "{seen}");
    assert!(
        seen["bogus"]["message"]
            .as_str()
            .unwrap()
            .contains("CLI command 2 of 2 'show bogus' failed"),
        "{seen}"
    );
    assert!(
        seen["wrong_password"]
            .as_str()
            .unwrap()
            .contains("Unauthorized"),
        "{seen}"
    );
}
