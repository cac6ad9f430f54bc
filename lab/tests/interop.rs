//! Lab personas checked with clients netrun did not write: Netmiko (from the
//! plugin tools venv, `scripts/install-plugin-tools.sh`) drives every platform's
//! devices with its own device_type, scrapli (same venv, with scrapli-community)
//! opens every persona it has a platform for, and OpenSSH `ssh` (through `sshpass`,
//! installed by `tests/sshd/setup.sh`) runs a command on one device of each.
//! Outside CI the checks print SKIP when a tool is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use netrun_lab::{Lab, LabConfig};

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("netrun-lab-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every platform with `n` devices each, its inventory written.
async fn all_platforms(n: usize) -> (Lab, TempDir) {
    let mut config = LabConfig {
        seed: 11,
        ..Default::default()
    };
    config
        .set_platforms(&format!("all={n}"))
        .expect("all=N is valid");
    let lab = Lab::start(config).await.expect("lab starts");
    let dir = TempDir::new("interop");
    lab.write_inventory(&dir.0).expect("inventory written");
    (lab, dir)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The tools venv's Python when it can import `module`; None (SKIP) outside CI.
fn tools_python(module: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/netrun-tools")))?;
    let python = tools.join("venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{module} must be installed in CI (scripts/install-plugin-tools.sh)"
        );
        eprintln!("SKIP {module} check: run scripts/install-plugin-tools.sh");
        return None;
    }
    Some(python)
}

/// Runs `tests/lab/<script>` with the venv's `python` on the inventory in `inv`.
async fn lab_script(python: PathBuf, script: &str, inv: &Path) -> std::process::Output {
    let mut cmd = Command::new(python);
    cmd.arg(workspace().join("tests/lab").join(script)).arg(inv);
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn netmiko_drives_every_persona_with_its_own_device_type() {
    let Some(python) = tools_python("netmiko") else {
        return;
    };
    // One device per platform keeps the sweep short (Netmiko waits for each).
    let (lab, inv) = all_platforms(1).await;
    let o = lab_script(python, "netmiko-personas.py", &inv.0).await;
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(records.len(), lab.devices().len(), "{stdout}");
    // The pushed line is in every configurable device's running configuration.
    for (i, d) in lab.devices().iter().enumerate() {
        if d.platform != "linux" {
            let cfg = lab.running_config(i).unwrap();
            assert!(cfg.contains("192.0.2.77"), "{}: {cfg}", d.name);
        }
    }
}

/// The lab platforms scrapli (core or scrapli-community) has a platform for,
/// as `tests/lab/scrapli-personas.py` maps them.
const SCRAPLI_PLATFORMS: &[&str] = &[
    "cisco_ios",
    "cisco_xe",
    "cisco_nxos",
    "cisco_xr",
    "arista_eos",
    "juniper_junos",
    "cisco_asa",
    "huawei_vrp",
    "hp_comware",
    "mikrotik_routeros",
    "fortinet",
    "paloalto_panos",
    "aruba_aoscx",
    "nokia_sros",
    "vyos",
];

#[tokio::test(flavor = "multi_thread")]
async fn scrapli_opens_every_persona_with_its_own_platform() {
    let Some(python) = tools_python("scrapli_community") else {
        return;
    };
    // Two devices per platform: both models or releases of most personas.
    let (lab, inv) = all_platforms(2).await;
    let o = lab_script(python, "scrapli-personas.py", &inv.0).await;
    let stdout = String::from_utf8_lossy(&o.stdout);
    let records: std::collections::BTreeMap<String, serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON object per line"))
        .map(|r| (r["device"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    let failed: Vec<String> = records
        .values()
        .filter(|r| r["ok"] != true)
        .map(|r| {
            let mut r = r.clone();
            r["long"] = serde_json::Value::Null;
            r.to_string()
        })
        .collect();
    assert!(
        o.status.success() && failed.is_empty(),
        "{failed:#?}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut problems = Vec::new();
    for (i, d) in lab.devices().iter().enumerate() {
        let driven = SCRAPLI_PLATFORMS.contains(&d.platform.as_str());
        let Some(r) = records.get(&d.name) else {
            assert!(!driven, "{} ({}) was not driven", d.name, d.platform);
            continue;
        };
        assert!(driven, "{} ({}) driven: {r}", d.name, d.platform);
        // The long output came back whole: past every pager page, with the
        // configuration's first and last lines.
        let long = r["long"].as_str().unwrap_or_default();
        let config = lab.running_config(i).unwrap();
        let lines: Vec<&str> = config
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !["!", "#", "}", "exit", "end"].contains(l))
            .collect();
        for line in [lines.first(), lines.last()].into_iter().flatten() {
            if !long.contains(line) {
                problems.push(format!(
                    "{} ({}): {line:?} missing from:\n{long}",
                    d.name, d.platform
                ));
            }
        }
        if long.lines().count() <= 24 {
            problems.push(format!(
                "{} ({}): one page only: {long}",
                d.name, d.platform
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The command that prints a platform's software version.
fn version_command(platform: &str) -> &'static str {
    match platform {
        "huawei_vrp" | "hp_comware" => "display version",
        "mikrotik_routeros" => "/system resource print",
        "linux" => "cat /etc/os-release",
        "fortinet" => "get system status",
        "paloalto_panos" => "show system info",
        "nokia_sros" => "show system information",
        _ => "show version",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn openssh_runs_a_command_on_every_persona() {
    if !Path::new("/usr/bin/sshpass").is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "sshpass must be installed in CI (tests/sshd/setup.sh)"
        );
        eprintln!("SKIP OpenSSH persona check: sshpass missing (tests/sshd/setup.sh installs it)");
        return;
    }
    let (lab, inv) = all_platforms(1).await;
    let known = inv.0.join("known_hosts");
    for d in lab.devices() {
        let mut cmd = Command::new("timeout");
        cmd.args(["30", "sshpass", "-p", "netrun-lab-pw", "ssh"])
            .args(["-o", "StrictHostKeyChecking=yes", "-o"])
            .arg(format!("UserKnownHostsFile={}", known.display()))
            .args([
                "-o",
                "PubkeyAuthentication=no",
                "-o",
                "PreferredAuthentications=password,keyboard-interactive",
            ])
            .args(["-p", &d.port.to_string(), "admin@127.0.0.1"])
            .arg(version_command(&d.platform));
        let o = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{} ({}): {out}\n{}",
            d.name,
            d.platform,
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            out.contains(&d.os_version),
            "{} ({}): {out}",
            d.name,
            d.platform
        );
    }
}

#[tokio::test]
async fn platforms_lab_writes_one_host_per_device_with_its_platform() {
    let (lab, inv) = all_platforms(2).await;
    let hosts: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(inv.0.join("hosts.yaml")).unwrap())
            .unwrap();
    let mut names = std::collections::HashSet::new();
    for d in lab.devices() {
        assert!(names.insert(d.name.clone()), "duplicate {}", d.name);
        let h = &hosts[d.name.as_str()];
        assert_eq!(h["platform"].as_str(), Some(d.platform.as_str()), "{h:?}");
        assert_eq!(h["data"]["serial"].as_str(), Some(d.serial.as_str()));
        assert_eq!(
            h["data"]["os_version"].as_str(),
            Some(d.os_version.as_str())
        );
    }
    assert_eq!(lab.devices().len(), 2 * netrun_lab::platforms().len());
}
