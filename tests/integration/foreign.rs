//! netrun against a device simulator that is not netrun's own: FakeNOS
//! (PyPI `fakenos`, paramiko), installed by `scripts/install-plugin-tools.sh`
//! into `$NETRUN_TOOLS_DIR/fakenos-venv`. Its platforms that show real
//! prompts and answer the commands a getter sends are swept with
//! `collect-facts` and `get`; hostnames, models and versions are what its
//! canned outputs print. Without the venv the test prints SKIP and passes,
//! unless `CI` is set, where it fails.

use crate::openssh::free_port;
use netrun_tests::{TempDir, netrun, output, records_by_device};
use serde_json::Value;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// FakeNOS platform, netrun platform, hostname, model, os_version.
const DEVICES: [(&str, &str, &str, &str, &str); 4] = [
    ("cisco_ios", "cisco_ios", "fn-ios", "CSR1000V", "17.03.01a"),
    (
        "cisco_nxos",
        "cisco_nxos",
        "IEDP02-N5K-SW01",
        "Nexus 5596",
        "7.1(4)N1(1)",
    ),
    ("cisco_asa", "cisco_asa", "fw002", "FPR4K-SM-12", "9.8(3)21"),
    (
        "hp_procurve",
        "hp_procurve",
        "HP_Procurve-01",
        "",
        "K.15.06.0017",
    ),
];

fn fakenos_bin() -> Option<PathBuf> {
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/netrun-tools"))
        })?;
    let bin = tools.join("fakenos-venv/bin/fakenos");
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "fakenos must be installed in CI (scripts/install-plugin-tools.sh)"
    );
    eprintln!("SKIP fakenos: run scripts/install-plugin-tools.sh");
    None
}

/// FakeNOS serving [`DEVICES`], stopped on drop.
struct FakeNos {
    child: Child,
    ports: Vec<u16>,
    log: PathBuf,
}

impl FakeNos {
    /// Start it on free ports; a port taken by another test between its
    /// choice and FakeNOS's bind (`Address already in use`, it exits) is
    /// tried again with others.
    fn start(bin: &PathBuf, dir: &std::path::Path) -> FakeNos {
        let mut last_log = String::new();
        for _ in 0..5 {
            if let Some(fakenos) = FakeNos::try_start(bin, dir) {
                return fakenos;
            }
            last_log = std::fs::read_to_string(dir.join("fakenos.log")).unwrap_or_default();
        }
        panic!("fakenos did not start listening; its log:\n{last_log}");
    }

    /// `None` when it exited before listening on every port.
    fn try_start(bin: &PathBuf, dir: &std::path::Path) -> Option<FakeNos> {
        let ports: Vec<u16> = DEVICES.iter().map(|_| free_port()).collect();
        let mut inventory = String::from("hosts:\n");
        for ((platform, _, name, _, _), port) in DEVICES.iter().zip(&ports) {
            inventory.push_str(&format!(
                "  {name}:\n    username: admin\n    password: admin\n    port: {port}\n    platform: {platform}\n"
            ));
        }
        let file = dir.join("fakenos.yaml");
        std::fs::write(&file, inventory).expect("write fakenos.yaml");
        let log = dir.join("fakenos.log");
        let child = Command::new(bin)
            .arg("-i")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create fakenos.log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut fakenos = FakeNos { child, ports, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        for port in fakenos.ports.clone() {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if fakenos.child.try_wait().ok().flatten().is_some() {
                    return None;
                }
                assert!(
                    Instant::now() < deadline,
                    "fakenos did not listen on {port} within 60 s; its log:\n{}",
                    fakenos.log()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Some(fakenos)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for FakeNos {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn collect_facts_and_get_against_fakenos() {
    let Some(bin) = fakenos_bin() else {
        return;
    };
    let work = TempDir::new("fakenos");
    let fakenos = FakeNos::start(&bin, work.path());
    let mut hosts = String::new();
    for ((_, platform, name, _, _), port) in DEVICES.iter().zip(&fakenos.ports) {
        hosts.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: admin\n  password: admin\n"
        ));
    }
    let hosts_file = work.path().join("hosts.yaml");
    std::fs::write(&hosts_file, hosts).expect("write hosts.yaml");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let run = |args: &[&str], out: &str| -> (Vec<Value>, String) {
        let out = work.path().join(out);
        let result = output(
            netrun(&home)
                .args(args)
                .arg("-i")
                .arg(&hosts_file)
                .arg("-o")
                .arg(&out)
                // Its keys are made at start: trusted on first use here.
                .args(["--host-key-policy", "accept-new", "--prompt-timeout", "20"]),
        );
        let why = format!(
            "stderr:\n{}\nfakenos log:\n{}",
            String::from_utf8_lossy(&result.stderr),
            fakenos.log()
        );
        let records = records_by_device(&out);
        (records, why)
    };

    let (records, why) = run(&["run", "collect-facts"], "facts.jsonl");
    assert_eq!(records.len(), DEVICES.len(), "{why}");
    for (_, _, name, model, version) in DEVICES {
        let r = records
            .iter()
            .find(|r| r["device"] == name)
            .unwrap_or_else(|| panic!("{name}: no record; {why}"));
        assert_eq!(r["status"], "ok", "{r}\n{why}");
        assert_eq!(r["data"]["hostname"], name, "{r}");
        assert_eq!(r["data"]["os_version"], version, "{r}");
        if !model.is_empty() {
            assert_eq!(r["data"]["model"], model, "{r}");
        }
    }

    let (records, why) = run(&["get", "facts,interfaces,lldp_neighbors"], "get.jsonl");
    assert_eq!(records.len(), DEVICES.len(), "{why}");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}\n{why}");
        let data = &r["data"];
        assert!(data["facts"]["hostname"].is_string(), "{r}");
        let interfaces = data["interfaces"].as_object().expect("interfaces");
        assert!(!interfaces.is_empty(), "{r}");
        // The ASA runs no LLDP: unsupported, the rest answered.
        if r["device"] == "fw002" {
            assert_eq!(
                data["unsupported"],
                serde_json::json!(["lldp_neighbors"]),
                "{r}"
            );
        } else {
            assert!(
                data["lldp_neighbors"]
                    .as_object()
                    .is_some_and(|n| !n.is_empty()),
                "{r}"
            );
        }
    }
}
