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
//! line break. scrapli-replay (PyPI, asyncssh's server and its line
//! editor) replays saved IOS-XE outputs and refuses any other line.
//! tools/go-ssh-sim (Go's x/crypto/ssh server and x/term line editor, the
//! stack of cisshgo) answers the same outputs, one of its devices built on
//! an x/term that takes only a carriage return as Enter.
//! Without a simulator's venv its test prints SKIP and passes,
//! unless `CI` is set, where it fails.

use crate::openssh::free_port;
use netrun_tests::{TempDir, netrun, output, records_by_device, workspace};
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

    /// Start `what` listening on the ports `ports()` picks (free ones),
    /// `command(ports)` its command line, its standard error into `log`;
    /// tried again on other ports where one was taken meanwhile.
    fn on_free_ports(
        what: &str,
        log: PathBuf,
        ports: impl Fn() -> Vec<u16>,
        command: impl Fn(&[u16]) -> Command,
    ) -> (Simulator, Vec<u16>) {
        for _ in 0..5 {
            let ports = ports();
            let mut sim = Simulator::spawn(&mut command(&ports), log.clone());
            if sim.listening(&ports) {
                return (sim, ports);
            }
        }
        panic!(
            "{what} did not start listening; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
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
    /// FakeNOS serving `devices` (FakeNOS platform, netrun platform, name)
    /// and an inventory of them under netrun's platform names.
    fn swept(
        bin: &PathBuf,
        dir: &std::path::Path,
        devices: &[(&str, &str, &str)],
    ) -> (FakeNos, Sweep) {
        let served: Vec<(&str, &str)> = devices.iter().map(|d| (d.0, d.2)).collect();
        let fakenos = FakeNos::start(bin, dir, &served);
        let mut hosts = String::new();
        for ((_, platform, name), port) in devices.iter().zip(&fakenos.ports) {
            hosts.push_str(&format!(
                "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: admin\n  password: admin\n"
            ));
        }
        let sweep = Sweep::new(dir, &hosts);
        (fakenos, sweep)
    }

    /// Start it on free ports, tried again with others where one was taken.
    fn start(bin: &PathBuf, dir: &std::path::Path, devices: &[(&str, &str)]) -> FakeNos {
        let log = dir.join("fakenos.log");
        let file = dir.join("fakenos.yaml");
        let (sim, ports) = Simulator::on_free_ports(
            "fakenos",
            log,
            || devices.iter().map(|_| free_port()).collect(),
            |ports| {
                let mut inventory = String::from("hosts:\n");
                for ((platform, name), port) in devices.iter().zip(ports) {
                    inventory.push_str(&format!(
                        "  {name}:\n    username: admin\n    password: admin\n    port: {port}\n    platform: {platform}\n"
                    ));
                }
                std::fs::write(&file, inventory).expect("write fakenos.yaml");
                let mut cmd = Command::new(bin);
                cmd.arg("-i").arg(&file);
                cmd
            },
        );
        FakeNos { sim, ports }
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
        let (sim, ports) = Simulator::on_free_ports(
            "fake-switches",
            log,
            || vec![free_port()],
            |ports| {
                let mut cmd = Command::new(bin);
                cmd.args(["--model", model, "--hostname", hostname])
                    .args(["--listen-host", "127.0.0.1", "--listen-port"])
                    .arg(ports[0].to_string());
                cmd
            },
        );
        FakeSwitch {
            sim,
            port: ports[0],
        }
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
    let devices: Vec<_> = FOREIGN_PROMPTS.iter().map(|d| (d.0, d.1, d.2)).collect();
    let (fakenos, sweep) = FakeNos::swept(&bin, work.path(), &devices);
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

/// Every netrun platform FakeNOS also simulates beyond the swept ones, and
/// `generic` on a device of a vendor it does not name: FakeNOS platform,
/// netrun platform (a file's name or alias), device name, a command its
/// canned outputs answer, a line of that answer. FakeNOS prints its own
/// `name>` / `name#` for most of them, so the run also shows that a
/// platform's prompts never stand in the way of a device that prints others.
/// (Its `yamaha` is left out: it answers `enable` where an RTX router asks
/// `administrator`, which netrun types to reach the administrator's `#`.)
const MORE_PLATFORMS: [(&str, &str, &str, &str, &str); 27] = [
    (
        "extreme_exos",
        "extreme_exos",
        "fn-exos",
        "show ipconfig",
        "Use Redirects : Disabled",
    ),
    (
        "dell_force10",
        "dell_force10",
        "fn-ftos",
        "show version",
        "Dell Real Time Operating System Software",
    ),
    (
        "dell_powerconnect",
        "dell_powerconnect",
        "fn-pc",
        "show interfaces status",
        "Flow Link",
    ),
    (
        "ruckus_fastiron",
        "ruckus_fastiron",
        "fn-icx",
        "show version",
        "Ruckus Networks, Inc.",
    ),
    (
        "brocade_fastiron",
        "brocade_fastiron",
        "fn-fi",
        "show version",
        "Brocade Communications Systems",
    ),
    (
        "brocade_netiron",
        "brocade_netiron",
        "fn-mlx",
        "show interfaces",
        "GigabitEthernet1/1 is up, line protocol is up",
    ),
    (
        "ubiquiti_edgeswitch",
        "ubiquiti_edgeswitch",
        "fn-es",
        "show version",
        "EdgeSwitch",
    ),
    (
        "ubiquiti_edgerouter",
        "ubiquiti_edgerouter",
        "fn-er",
        "show version",
        "v2.0.6",
    ),
    (
        "cisco_s300",
        "cisco_s300",
        "fn-sg",
        "show version",
        "1.3.7.18",
    ),
    (
        "cisco_ftd",
        "cisco_ftd",
        "fn-ftd",
        "show arp",
        "10.86.194.61",
    ),
    (
        "allied_telesis_awplus",
        "allied_telesis_awplus",
        "fn-awp",
        "show lldp neighbors detail",
        "LLDP Detailed Neighbor Information:",
    ),
    ("alcatel_aos", "alcatel_aos", "fn-aos", "show vlan", "stree"),
    (
        "alcatel_sros",
        "alcatel_sros",
        "fn-sros",
        "show router interface",
        "Interface Table (Router: Base)",
    ),
    (
        "ciena_saos",
        "ciena_saos",
        "fn-saos",
        "software show",
        "saos-06-18-00-1848",
    ),
    (
        "juniper_screenos",
        "juniper_screenos",
        "fn-ssg",
        "get route",
        "IPv4 Dest-Routes for <untrust-vr>",
    ),
    (
        "checkpoint_gaia",
        "checkpoint_gaia",
        "fn-gaia",
        "show version all",
        "Check Point Gaia R77.30",
    ),
    (
        "avaya_ers",
        "avaya_ers",
        "fn-ers",
        "show sys-info",
        "Operation Mode:",
    ),
    (
        "avaya_vsp",
        "avaya_vsp",
        "fn-vsp",
        "show software",
        "software releases in",
    ),
    (
        "ericsson_ipos",
        "ericsson_ipos",
        "fn-ipos",
        "show version",
        "Ericsson IPOS Version",
    ),
    (
        "ipinfusion_ocnos",
        "ipinfusion_ocnos",
        "fn-ocnos",
        "show lldp table",
        "Capability codes",
    ),
    (
        "zyxel_os",
        "zyxel_os",
        "fn-zyxel",
        "sys atsh",
        "Firmware Version",
    ),
    (
        "dlink_ds",
        "dlink_ds",
        "fn-dlink",
        "show arpentry",
        "ARP Aging Time : 20",
    ),
    ("eltex", "eltex", "fn-mes", "show vlan", "Tagged ports"),
    (
        "broadcom_icos",
        "broadcom_icos",
        "fn-icos",
        "show version",
        "DNI-3448P",
    ),
    (
        "aruba_os",
        "aruba_os",
        "fn-mc",
        "show arp",
        "Codes: * - Local Addresses",
    ),
    (
        "huawei_smartax",
        "huawei_smartax",
        "fn-olt",
        "display version",
        "AB1234C342A123D23",
    ),
    (
        "dlink_ds",
        "generic",
        "fn-generic",
        "show arpentry",
        "ARP Aging Time : 20",
    ),
];

#[test]
fn exec_runs_on_every_platform_fakenos_also_simulates() {
    let Some(bin) = simulator_bin("fakenos-venv/bin/fakenos") else {
        return;
    };
    let work = TempDir::new("fakenos-more");
    let devices: Vec<_> = MORE_PLATFORMS.iter().map(|d| (d.0, d.1, d.2)).collect();
    let (fakenos, sweep) = FakeNos::swept(&bin, work.path(), &devices);
    // One run per command, over every device it is asked of.
    let mut by_command: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (_, _, name, command, _) in MORE_PLATFORMS {
        by_command.entry(command).or_default().push(name);
    }
    let mut records = std::collections::BTreeMap::new();
    let mut stderrs = String::new();
    for (i, (command, names)) in by_command.iter().enumerate() {
        let (found, stderr) = sweep.run(
            &[
                "exec",
                command,
                "--hosts",
                &names.join(","),
                "--prompt-timeout",
                "20",
                "--concurrency",
                "8",
            ],
            &format!("run-{i}.jsonl"),
        );
        stderrs.push_str(&stderr);
        for r in found {
            records.insert(r["device"].as_str().unwrap_or_default().to_string(), r);
        }
    }
    let mut wrong = Vec::new();
    for (_, platform, name, _, answer) in MORE_PLATFORMS {
        let Some(r) = records.get(name) else {
            wrong.push(format!("{name} ({platform}): no record"));
            continue;
        };
        let output = r["data"]["commands"][0]["output"]
            .as_str()
            .unwrap_or_default();
        let prompt_left = [format!("{name}>"), format!("{name}#")]
            .iter()
            .any(|p| output.trim_end().ends_with(p.as_str()));
        if r["status"] != "ok" || !output.contains(answer) || prompt_left {
            wrong.push(format!("{name} ({platform}): {r}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nstderr:\n{stderrs}\nfakenos log:\n{}",
        wrong.join("\n"),
        fakenos.sim.log()
    );
}

/// DIR/outputs: the saved outputs of a Catalyst 9300 (`show version`,
/// `show ip interface brief`, `show running-config`, `show startup-config`)
/// named as scrapli-replay and tools/go-ssh-sim read them.
fn c9300_outputs(dir: &std::path::Path) -> PathBuf {
    let saved = workspace().join("plugins/cisco-ios/tests/getters/cisco_xe");
    let outputs = dir.join("outputs");
    std::fs::create_dir_all(&outputs).expect("create the outputs folder");
    for (from, to) in [
        (
            "facts/ios_xe_17_3_c9300/show_version.raw",
            "show_version.txt",
        ),
        (
            "facts/ios_xe_17_3_c9300/show_ip_interface_brief.raw",
            "show_ip_interface_brief.txt",
        ),
        (
            "config/ios_xe_17_3_c9300/show_running_config.raw",
            "show_running-config.txt",
        ),
        (
            "config/ios_xe_17_3_c9300/show_startup_config.raw",
            "show_startup-config.txt",
        ),
    ] {
        std::fs::copy(saved.join(from), outputs.join(to)).expect("copy a saved output");
    }
    outputs
}

/// `exec "show version"` on `devices` devices answering [`c9300_outputs`]:
/// each ok and parsed by the cisco-ios driver as ACC-SW-9300 on 17.03.04a.
fn c9300_show_version(records: &[Value], devices: usize, why: &str) {
    assert_eq!(records.len(), devices, "{why}");
    for r in records {
        assert_eq!(r["status"], "ok", "{r}\n{why}");
        let answer = &r["data"]["commands"][0];
        assert_eq!(answer["parser"], "cisco-ios", "{r}");
        assert_eq!(answer["parsed"]["hostname"], "ACC-SW-9300", "{r}");
        assert_eq!(answer["parsed"]["version"], "17.03.04a", "{r}");
    }
}

/// `get facts,config` on `devices` devices answering [`c9300_outputs`]:
/// each ok, its facts the fixtures' expectations and its running
/// configuration the saved one.
fn c9300_facts_and_config(records: &[Value], devices: usize, why: &str) {
    let saved = workspace().join("plugins/cisco-ios/tests/getters/cisco_xe");
    let expected_facts: Value = serde_json::from_str(
        &std::fs::read_to_string(saved.join("facts/ios_xe_17_3_c9300/expected.json"))
            .expect("read the expected facts"),
    )
    .expect("expected facts are JSON");
    let running =
        std::fs::read_to_string(saved.join("config/ios_xe_17_3_c9300/show_running_config.raw"))
            .expect("read the saved running config");
    assert_eq!(records.len(), devices, "{why}");
    for r in records {
        assert_eq!(r["status"], "ok", "{r}\n{why}");
        let data = &r["data"];
        for key in [
            "hostname",
            "model",
            "os_version",
            "serial_number",
            "interface_list",
        ] {
            assert_eq!(data["facts"][key], expected_facts[key], "{key}: {r}");
        }
        let got = data["config"]["running"].as_str().expect("running config");
        assert!(got.contains("\nhostname ACC-SW-9300\n"), "{got}");
        assert_eq!(got.trim_end(), running.trim_end(), "{r}");
    }
}

/// scrapli-replay's devices (`tools/scrapli-replay/serve.py`): one asyncssh
/// server a port, answering the saved outputs of a Catalyst 9300.
struct Replay {
    sim: Simulator,
    ports: Vec<u16>,
}

impl Replay {
    /// `devices` devices on free ports (tried again where one was taken),
    /// answering `show version`, `show ip interface brief`,
    /// `show running-config` and `show startup-config` as ACC-SW-9300 did.
    fn start(python: &PathBuf, dir: &std::path::Path, devices: usize) -> Replay {
        let outputs = c9300_outputs(dir);
        let log = dir.join("replay.log");
        let (sim, ports) = Simulator::on_free_ports(
            "scrapli-replay",
            log,
            // serve.py takes consecutive ports: a free one and the next ones.
            || {
                let base = free_port();
                (0..devices).map(|i| base + i as u16).collect()
            },
            |ports| {
                let mut cmd = Command::new(python);
                cmd.arg(workspace().join("tools/scrapli-replay/serve.py"))
                    .arg("--outputs")
                    .arg(&outputs)
                    .arg("--session")
                    .arg(dir.join("session.yaml"))
                    .args(["--hostname", "ACC-SW-9300", "--base-port"])
                    .arg(ports[0].to_string())
                    .args(["--devices", &ports.len().to_string()]);
                cmd
            },
        );
        Replay { sim, ports }
    }
}

#[test]
fn exec_get_and_a_refused_config_line_against_scrapli_replay() {
    let Some(python) = simulator_bin("scrapli-replay-venv/bin/python") else {
        return;
    };
    let work = TempDir::new("scrapli-replay");
    let replay = Replay::start(&python, work.path(), 2);
    let mut hosts = String::new();
    for (i, (port, platform)) in replay
        .ports
        .iter()
        .zip(["cisco_xe", "cisco_ios"])
        .enumerate()
    {
        hosts.push_str(&format!(
            "sw{i}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n  username: scrapli\n  password: scrapli\n"
        ));
    }
    let sweep = Sweep::new(work.path(), &hosts);
    let run = |args: &[&str], out: &str| -> (Vec<Value>, String) {
        let (records, stderr) = sweep.run(args, out);
        (
            records,
            format!("stderr:\n{stderr}\nreplay log:\n{}", replay.sim.log()),
        )
    };

    let (records, why) = run(&["exec", "show version"], "version.jsonl");
    c9300_show_version(&records, 2, &why);
    // The getters as the saved outputs give them (the fixtures' expectations).
    let (records, why) = run(&["get", "facts,config"], "get.jsonl");
    c9300_facts_and_config(&records, 2, &why);

    // A line the device refuses: the device fails naming the line, and
    // nothing stays applied (the replayed device refuses the rollback point
    // too, so netrun keeps the configuration itself).
    let template = work.path().join("ntp.j2");
    std::fs::write(&template, "ntp server 192.0.2.1\n").expect("write the template");
    let (records, why) = run(
        &[
            "config",
            "push",
            "-t",
            template.to_str().expect("a UTF-8 path"),
        ],
        "push.jsonl",
    );
    assert_eq!(records.len(), 2, "{why}");
    for r in &records {
        assert_eq!(r["status"], "error", "{r}\n{why}");
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let message = r["error"]["message"].as_str().expect("a message");
        assert!(message.contains("`ntp server 192.0.2.1`"), "{message}");
        assert!(message.contains("% Invalid input detected"), "{message}");
        assert!(message.contains("rolled back"), "{message}");
    }
}

/// tools/go-ssh-sim's IOS-like devices on Go's SSH server
/// (`golang.org/x/crypto/ssh`) and line editor (`golang.org/x/term`), the
/// stack cisshgo is built on: `devices` on consecutive free ports (tried
/// again where one was taken), landing in user exec, `enable` asking the
/// secret `cisco`, answering the outputs in `outputs`; `args` more flags.
fn go_ssh_sim(
    bin: &PathBuf,
    dir: &std::path::Path,
    outputs: &std::path::Path,
    devices: usize,
    args: &[&str],
    log: &str,
) -> (Simulator, Vec<u16>) {
    Simulator::on_free_ports(
        "go-ssh-sim",
        dir.join(log),
        || {
            let base = free_port();
            (0..devices).map(|i| base + i as u16).collect()
        },
        |ports| {
            let mut cmd = Command::new(bin);
            cmd.args(["-base-port", &ports[0].to_string()])
                .args(["-devices", &ports.len().to_string()])
                .args(["-secret", "cisco", "-outputs"])
                .arg(outputs)
                .args(args);
            cmd
        },
    )
}

#[test]
fn exec_get_and_backup_against_go_ssh_servers_one_taking_only_cr_as_enter() {
    // Two devices whose line editor takes `\r`, `\n` and `\r\n` as Enter
    // (as IOS and today's x/term do), with an Ed25519 host key; one built
    // on the x/term Debian 12 ships, which takes only `\r` (a bare `\n`,
    // the platform's line ending, is ignored), with an RSA host key.
    let Some(bin) = simulator_bin("go-ssh-sim") else {
        return;
    };
    let work = TempDir::new("go-ssh");
    let outputs = c9300_outputs(work.path());
    let (either, either_ports) = go_ssh_sim(&bin, work.path(), &outputs, 2, &[], "go.log");
    let (cr_only, cr_ports) = go_ssh_sim(
        &bin,
        work.path(),
        &outputs,
        1,
        &["-cr-only", "-host-key", "rsa"],
        "go-cr.log",
    );
    let mut hosts = String::new();
    let named = [
        ("sw0", either_ports[0]),
        ("sw1", either_ports[1]),
        ("cr0", cr_ports[0]),
    ];
    for (name, port) in named {
        hosts.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: cisco_ios\n  username: admin\n  password: admin\n  connection_options:\n    netrun:\n      extras:\n        secret: cisco\n"
        ));
    }
    let sweep = Sweep::new(work.path(), &hosts);
    let run = |args: &[&str], out: &str| -> (Vec<Value>, String) {
        let (records, stderr) = sweep.run(args, out);
        (
            records,
            format!(
                "stderr:\n{stderr}\ngo-ssh-sim logs:\n{}\n{}",
                either.log(),
                cr_only.log()
            ),
        )
    };

    let (records, why) = run(&["exec", "show version"], "version.jsonl");
    c9300_show_version(&records, 3, &why);
    // The getters (privileged exec for the running configuration: `enable`
    // answers x/term's hidden `Password:` read) as the saved outputs give them.
    let (records, why) = run(&["get", "facts,config"], "get.jsonl");
    c9300_facts_and_config(&records, 3, &why);

    let backups = work.path().join("backups");
    let (records, why) = run(
        &[
            "config",
            "backup",
            "--dir",
            backups.to_str().expect("a UTF-8 path"),
        ],
        "backup.jsonl",
    );
    assert_eq!(records.len(), 3, "{why}");
    for (name, _) in named {
        let file = backups.join(format!("{name}.cfg"));
        let cfg = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}\n{why}", file.display()));
        assert!(cfg.contains("\nhostname ACC-SW-9300\n"), "{cfg}");
        assert!(
            !cfg.contains("Current configuration"),
            "volatile line kept: {cfg}"
        );
    }
}
