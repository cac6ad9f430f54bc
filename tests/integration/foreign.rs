//! netrun against device simulators that are not netrun's own, installed
//! by `scripts/install-plugin-tools.sh` under `$NETRUN_TOOLS_DIR`: FakeNOS
//! (PyPI `fakenos`, paramiko) and fake-switches (PyPI `fake-switches`,
//! Twisted Conch). FakeNOS's platforms that show real prompts and answer
//! the commands a getter sends are swept with `collect-facts` and `get`;
//! hostnames, models and versions are what its canned outputs print; on
//! the platforms where FakeNOS prints its own `name>` instead of the
//! vendor's prompt, `exec` learns that prompt at login.
//! fake-switches' Cisco answers `show version` and `show running-config`,
//! its Arista prints its prompt right after `Pagination disabled.` with no
//! line break. Without a simulator's venv its test prints SKIP and passes,
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

/// A simulator's program under the tools folder (`fakenos-venv/bin/fakenos`).
fn simulator_bin(path: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/netrun-tools"))
        })?;
    let bin = tools.join(path);
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{path} must be installed in CI (scripts/install-plugin-tools.sh)"
    );
    eprintln!("SKIP {path}: run scripts/install-plugin-tools.sh");
    None
}

/// An inventory in a folder of its own and netrun run on it, host keys
/// trusted on first use (the simulators make theirs at start).
struct Sweep {
    dir: PathBuf,
    hosts_file: PathBuf,
    home: PathBuf,
}

impl Sweep {
    fn new(dir: &std::path::Path, hosts: &str) -> Sweep {
        let hosts_file = dir.join("hosts.yaml");
        std::fs::write(&hosts_file, hosts).expect("write hosts.yaml");
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("create home");
        Sweep {
            dir: dir.to_path_buf(),
            hosts_file,
            home,
        }
    }

    /// `netrun ARGS -i hosts.yaml -o OUT`: its records and standard error.
    fn run(&self, args: &[&str], out: &str) -> (Vec<Value>, String) {
        let out = self.dir.join(out);
        let result = output(
            netrun(&self.home)
                .args(args)
                .arg("-i")
                .arg(&self.hosts_file)
                .arg("-o")
                .arg(&out)
                .args(["--host-key-policy", "accept-new"]),
        );
        let records = if out.exists() {
            records_by_device(&out)
        } else {
            Vec::new()
        };
        (
            records,
            String::from_utf8_lossy(&result.stderr).into_owned(),
        )
    }
}

/// A simulator's process, stopped on drop.
struct Simulator {
    child: Child,
    log: PathBuf,
}

impl Simulator {
    /// Start `cmd`, its standard error into `log`.
    fn spawn(cmd: &mut Command, log: PathBuf) -> Simulator {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create the simulator's log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Simulator { child, log }
    }

    /// Wait until it listens on every one of `ports`; `false` when it
    /// exited first (a port another test took between its choice and the
    /// bind: `Address already in use`).
    fn listening(&mut self, ports: &[u16]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        for &port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if self.child.try_wait().ok().flatten().is_some() {
                    return false;
                }
                assert!(
                    Instant::now() < deadline,
                    "the simulator did not listen on {port} within 60 s; its log:\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        true
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// FakeNOS serving its `devices` (FakeNOS platform, name) on `ports`.
struct FakeNos {
    sim: Simulator,
    ports: Vec<u16>,
}

impl FakeNos {
    /// Start it on free ports, tried again with others where one was taken.
    fn start(bin: &PathBuf, dir: &std::path::Path, devices: &[(&str, &str)]) -> FakeNos {
        let log = dir.join("fakenos.log");
        for _ in 0..5 {
            let ports: Vec<u16> = devices.iter().map(|_| free_port()).collect();
            let mut inventory = String::from("hosts:\n");
            for ((platform, name), port) in devices.iter().zip(&ports) {
                inventory.push_str(&format!(
                    "  {name}:\n    username: admin\n    password: admin\n    port: {port}\n    platform: {platform}\n"
                ));
            }
            let file = dir.join("fakenos.yaml");
            std::fs::write(&file, inventory).expect("write fakenos.yaml");
            let mut sim = Simulator::spawn(Command::new(bin).arg("-i").arg(&file), log.clone());
            if sim.listening(&ports) {
                return FakeNos { sim, ports };
            }
        }
        panic!(
            "fakenos did not start listening; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

#[test]
fn collect_facts_and_get_against_fakenos() {
    let Some(bin) = simulator_bin("fakenos-venv/bin/fakenos") else {
        return;
    };
    let work = TempDir::new("fakenos");
    let devices: Vec<(&str, &str)> = DEVICES.iter().map(|d| (d.0, d.2)).collect();
    let fakenos = FakeNos::start(&bin, work.path(), &devices);
    let mut hosts = String::new();
    for ((_, platform, name, _, _), port) in DEVICES.iter().zip(&fakenos.ports) {
        hosts.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: admin\n  password: admin\n"
        ));
    }
    let sweep = Sweep::new(work.path(), &hosts);
    let run = |args: &[&str], out: &str| -> (Vec<Value>, String) {
        let mut args = args.to_vec();
        args.extend(["--prompt-timeout", "20"]);
        let (records, stderr) = sweep.run(&args, out);
        let why = format!("stderr:\n{stderr}\nfakenos log:\n{}", fakenos.sim.log());
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

/// One fake-switches device (a process each).
struct FakeSwitch {
    sim: Simulator,
    port: u16,
}

impl FakeSwitch {
    /// `model` named `hostname` on a free port, tried again with another
    /// where it was taken.
    fn start(bin: &PathBuf, dir: &std::path::Path, model: &str, hostname: &str) -> FakeSwitch {
        let log = dir.join(format!("{hostname}.log"));
        for _ in 0..5 {
            let port = free_port();
            let mut sim = Simulator::spawn(
                Command::new(bin)
                    .args(["--model", model, "--hostname", hostname])
                    .args(["--listen-host", "127.0.0.1", "--listen-port"])
                    .arg(port.to_string()),
                log.clone(),
            );
            if sim.listening(&[port]) {
                return FakeSwitch { sim, port };
            }
        }
        panic!(
            "fake-switches did not start listening; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

#[test]
fn exec_and_backup_against_fake_switches() {
    let Some(bin) = simulator_bin("fake-switches-venv/bin/fake-switches") else {
        return;
    };
    let work = TempDir::new("fake-switches");
    let ios = FakeSwitch::start(&bin, work.path(), "cisco_generic", "fs-ios");
    let eos = FakeSwitch::start(&bin, work.path(), "arista_generic", "fs-eos");
    // Both land in user mode; `enable` takes an empty secret.
    let mut hosts = String::new();
    for (name, platform, port) in [
        ("fs-ios", "cisco_ios", ios.port),
        ("fs-eos", "arista_eos", eos.port),
    ] {
        hosts.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: root\n  password: root\n  connection_options:\n    netrun:\n      extras:\n        secret: \"\"\n"
        ));
    }
    let sweep = Sweep::new(work.path(), &hosts);
    let run = |args: &[&str], out: &str| -> (Vec<Value>, String) {
        let (records, stderr) = sweep.run(args, out);
        let why = format!(
            "stderr:\n{stderr}\nfs-ios log:\n{}\nfs-eos log:\n{}",
            ios.sim.log(),
            eos.sim.log()
        );
        (records, why)
    };

    let (records, why) = run(
        &["exec", "show version", "--filter", "platform=cisco_ios"],
        "version.jsonl",
    );
    assert_eq!(records.len(), 1, "{why}");
    let r = &records[0];
    assert_eq!(r["status"], "ok", "{r}\n{why}");
    let answer = &r["data"]["commands"][0];
    assert_eq!(answer["parser"], "cisco-ios", "{r}");
    assert_eq!(answer["parsed"]["hostname"], "fs-ios", "{r}");
    assert_eq!(answer["parsed"]["version"], "12.2(58)SE2", "{r}");

    // `terminal length 0` answers `Pagination disabled.fs-eos#`.
    let (records, why) = run(
        &[
            "exec",
            "show running-config all",
            "--filter",
            "platform=arista_eos",
        ],
        "running.jsonl",
    );
    assert_eq!(records.len(), 1, "{why}");
    let r = &records[0];
    assert_eq!(r["status"], "ok", "{r}\n{why}");
    let text = r["data"]["commands"][0]["output"].as_str().expect("output");
    assert!(
        text.starts_with("! Command: show running-config all\n! device: fs-eos (vEOS"),
        "{r}"
    );
    assert!(text.ends_with("\nend"), "{r}");

    let backups = work.path().join("backups");
    let dir = backups.to_str().expect("a UTF-8 path");
    let (_, why) = run(
        &[
            "config",
            "backup",
            "--dir",
            dir,
            "--filter",
            "platform=cisco_ios",
        ],
        "backup.jsonl",
    );
    let saved = std::fs::read_to_string(backups.join("fs-ios.cfg"))
        .unwrap_or_else(|e| panic!("no backup of fs-ios ({e}); stderr:\n{why}"));
    assert!(saved.contains("\nhostname fs-ios\n"), "{saved}");
    assert!(saved.contains("\ninterface FastEthernet0/1\n"), "{saved}");
}

/// FakeNOS platforms whose prompt is FakeNOS's own (`name>`, `name~$`)
/// rather than the vendor's (`RP/0/RP0/CPU0:name#`, `<name>`,
/// `vyos@name:~$`): FakeNOS platform, netrun platform, name, the prompt, a
/// command its canned outputs answer, a line of that answer.
const FOREIGN_PROMPTS: [(&str, &str, &str, &str, &str, &str); 3] = [
    (
        "cisco_xr",
        "cisco_xr",
        "fn-xr",
        "fn-xr>",
        "show version brief",
        "Cisco IOS XR Software",
    ),
    (
        "huawei_vrp",
        "huawei_vrp",
        "fn-vrp",
        "fn-vrp>",
        "display version",
        "Huawei Versatile Routing Platform",
    ),
    (
        "vyatta_vyos",
        "vyos",
        "fn-vyos",
        "fn-vyos~$",
        "show interfaces",
        "eth0",
    ),
];

#[test]
fn exec_learns_the_prompts_fakenos_prints_where_the_platform_has_others() {
    let Some(bin) = simulator_bin("fakenos-venv/bin/fakenos") else {
        return;
    };
    let work = TempDir::new("fakenos-prompts");
    let devices: Vec<(&str, &str)> = FOREIGN_PROMPTS.iter().map(|d| (d.0, d.2)).collect();
    let fakenos = FakeNos::start(&bin, work.path(), &devices);
    let mut hosts = String::new();
    for ((_, platform, name, ..), port) in FOREIGN_PROMPTS.iter().zip(&fakenos.ports) {
        hosts.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: admin\n  password: admin\n"
        ));
    }
    let sweep = Sweep::new(work.path(), &hosts);
    for (_, _, name, prompt, command, answer) in FOREIGN_PROMPTS {
        let (records, stderr) = sweep.run(
            &["exec", command, "--hosts", name, "--prompt-timeout", "20"],
            &format!("{name}.jsonl"),
        );
        let why = format!("stderr:\n{stderr}\nfakenos log:\n{}", fakenos.sim.log());
        let r = records
            .first()
            .unwrap_or_else(|| panic!("{name}: no record; {why}"));
        assert_eq!(r["status"], "ok", "{r}\n{why}");
        let output = r["data"]["commands"][0]["output"]
            .as_str()
            .unwrap_or_default();
        assert!(output.contains(answer), "{name}: {r}");
        assert!(!output.contains(prompt), "the prompt ends no output: {r}");
        assert!(stderr.contains(&format!("prompt={prompt}")), "{stderr}");
    }
}
