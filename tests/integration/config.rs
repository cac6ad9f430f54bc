//! `netrun config backup | diff | push` end to end: against the simulated
//! fleet, and against OpenSSH's sshd whose session is the scripted IOS-like
//! shell keeping its running configuration in a file across logins.

use crate::openssh::{Login, Sshd, run_netrun_in};
use netrun_tests::{TempDir, netrun, output, read_jsonl, start_lab, workspace};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A `netrun` command run off the async runtime, so the in-process lab keeps serving.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `netrun config ARGS -i INV -o OUT`: its records by device, and its output.
async fn config(home: &Path, inv: &Path, args: &[&str]) -> (Vec<Value>, Output) {
    let out = home.join(format!("out-{}.jsonl", rand_tag()));
    let mut cmd = netrun(home);
    cmd.arg("config")
        .args(args)
        .arg("-i")
        .arg(inv)
        .arg("-o")
        .arg(&out);
    let o = run(cmd).await;
    let mut records = if out.is_file() {
        read_jsonl(&out)
    } else {
        Vec::new()
    };
    records.sort_by(|a, b| a["device"].as_str().cmp(&b["device"].as_str()));
    (records, o)
}

fn rand_tag() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

fn template(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// The record of device `d`.
fn by(records: &[Value], d: &str) -> Value {
    records
        .iter()
        .find(|r| r["device"] == d)
        .cloned()
        .unwrap_or_else(|| panic!("no record for {d}: {records:?}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_then_dry_run_then_push_then_push_again_changes_nothing_the_second_time() {
    let (_lab, inv) = start_lab(3, &[]).await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let ntp = workspace().join("examples/ntp.j2");

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["backup", "--git", "--dir", s(&backups)],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 3);
    let r1 = std::fs::read_to_string(backups.join("r001.cfg")).unwrap();
    assert!(r1.contains("hostname r001\n"), "{r1}");
    assert!(
        !r1.contains("Current configuration"),
        "volatile lines dropped: {r1}"
    );
    assert!(!r1.contains("Last configuration change"), "{r1}");
    let log = Command::new("git")
        .arg("-C")
        .arg(&backups)
        .args(["log", "--format=%s"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        "netrun config backup: 3 devices changed: r001, r002, r003"
    );
    // Nothing changed: no new commit.
    let (_, o) = config(
        home.path(),
        inv.path(),
        &["backup", "--git", "--dir", s(&backups)],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("nothing to commit"),
        "{}",
        text(&o)
    );

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&ntp), "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert_eq!(r["data"]["dry_run"], true, "{r}");
        assert_eq!(
            r["data"]["commands"],
            serde_json::json!(["ntp server 192.0.2.123", "ntp server 198.51.100.123"]),
            "{r}"
        );
        assert!(
            r["data"]["diff"]
                .as_str()
                .unwrap()
                .contains("+ntp server 192.0.2.123\n"),
            "{r}"
        );
    }
    // The dry run left the devices as they were.
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert!(
        records.iter().all(|r| r["data"]["changed"] == false),
        "{records:?}"
    );

    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&ntp)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(diff.contains("+ntp server 198.51.100.123\n"), "{r}");
    }
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&ntp)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "idempotent: {r}");
        assert_eq!(r["data"]["commands"], serde_json::json!([]), "{r}");
    }
    // Since the backup: the NTP lines.
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(
            r["data"]["diff"]
                .as_str()
                .unwrap()
                .contains("+ntp server 192.0.2.123"),
            "{r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_one_device_refuses_rolls_that_device_back_and_the_nine_others_change() {
    // r004 refuses `logging host …` with IOS's own error (the lab's fault knob).
    let (_lab, inv) = start_lab(10, &["reject-line=^logging host:r004"]).await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let t = template(
        home.path(),
        "t.j2",
        "ntp server 192.0.2.10\nlogging host 192.0.2.50\n",
    );
    let (_, o) = config(home.path(), inv.path(), &["backup", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(records.len(), 10);
    for r in &records {
        if r["device"] == "r004" {
            assert_eq!(r["error"]["class"], "rejected-command", "{r}");
            let msg = r["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains("`logging host 192.0.2.50`"),
                "names the line: {msg}"
            );
            assert!(msg.contains("% Invalid input"), "{msg}");
            assert!(msg.contains("rolled back"), "{msg}");
        } else {
            assert_eq!(r["data"]["changed"], true, "{r}");
        }
    }
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    for r in &records {
        let changed = r["data"]["changed"].as_bool().unwrap();
        assert_eq!(
            changed,
            r["device"] != "r004",
            "r004 is back to its backup: {r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_canary_stops_the_rollout_and_the_rest_are_cancelled_untouched() {
    let (_lab, inv) = start_lab(8, &["reject-line=^logging host:r004"]).await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let t = template(
        home.path(),
        "t.j2",
        "ntp server 192.0.2.20\nlogging host 192.0.2.51\n",
    );
    config(home.path(), inv.path(), &["backup", "--dir", s(&backups)]).await;
    let (records, o) = config(
        home.path(),
        inv.path(),
        &[
            "push",
            "--template",
            s(&t),
            "--canary",
            "1",
            "--wave-size",
            "3",
            "--max-failures",
            "0",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(records.len(), 8, "one record per device: {records:?}");
    let class = |r: &Value| r["error"]["class"].as_str().unwrap_or("ok").to_string();
    let changed = records
        .iter()
        .filter(|r| r["data"]["changed"] == true)
        .count();
    let rejected = records
        .iter()
        .filter(|r| class(r) == "rejected-command")
        .count();
    let cancelled: Vec<&Value> = records.iter().filter(|r| class(r) == "cancelled").collect();
    // Canary (1) and wave 2 (3, one refusing) ran; 4 never did.
    assert_eq!(
        (changed, rejected, cancelled.len()),
        (3, 1, 4),
        "{records:#?}"
    );
    assert!(
        cancelled[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the rollout stopped after wave 2: 1 of 8 devices failed"),
        "{:?}",
        cancelled[0]
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("rollout stopped after 2 wave(s)"),
        "{}",
        text(&o)
    );
    let (after, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    for c in cancelled {
        let d = after.iter().find(|r| r["device"] == c["device"]).unwrap();
        assert_eq!(d["data"]["changed"], false, "untouched: {d}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_masked_in_diffs_and_commands_unless_asked_for() {
    let (_lab, inv) = start_lab(1, &[]).await;
    let home = TempDir::new("home");
    let t = template(
        home.path(),
        "snmp.j2",
        "snmp-server community n0t-publ1c RO\n",
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&t), "--dry-run"],
    )
    .await;
    let all = format!("{records:?}{}", text(&o));
    assert!(!all.contains("n0t-publ1c"), "{all}");
    assert_eq!(
        records[0]["data"]["commands"][0],
        "snmp-server community ******** RO"
    );
    assert!(
        records[0]["data"]["diff"]
            .as_str()
            .unwrap()
            .contains("+snmp-server community ******** RO")
    );
    // The lab's own enable secret is masked in diffs too.
    let (records, _) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&t), "--dry-run", "--show-secrets"],
    )
    .await;
    assert_eq!(
        records[0]["data"]["commands"][0],
        "snmp-server community n0t-publ1c RO"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undefined_template_variable_is_an_error_naming_the_line_and_device() {
    let (_lab, inv) = start_lab(2, &[]).await;
    let home = TempDir::new("home");
    let t = template(
        home.path(),
        "bad.j2",
        "hostname {{ name }}\nntp server {{ ntp_primary }}\n",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for r in &records {
        assert_eq!(r["error"]["class"], "inventory", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        let device = r["device"].as_str().unwrap();
        assert!(
            msg.starts_with(&format!(
                "{device}: template bad.j2 line 2: undefined value"
            )),
            "{msg}"
        );
    }
}

/// A folder the sshd login user may write the shell's state into.
struct StateDir(PathBuf);

impl StateDir {
    fn new(tag: &str) -> StateDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = PathBuf::from("/tmp").join(format!(
            "netrun-config-{tag}-{}-{}",
            std::process::id(),
            rand_tag()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        StateDir(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join("state.json")
    }

    /// The shell's running configuration, as lines.
    fn running(&self) -> String {
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(self.file()).unwrap_or_default())
                .unwrap_or(Value::Null);
        fn lines(nodes: &Value, depth: usize, out: &mut String) {
            for n in nodes.as_array().into_iter().flatten() {
                out.push_str(&" ".repeat(depth));
                out.push_str(n["line"].as_str().unwrap_or(""));
                out.push('\n');
                lines(&n["children"], depth + 1, out);
            }
        }
        let mut out = String::new();
        lines(&state["running"], 0, &mut out);
        out
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn openssh_ios_shell_push_is_idempotent_a_refused_line_is_rolled_back_and_save_writes_startup() {
    let state = StateDir::new("push");
    let args = format!("--config {} --refuse bogus-feature", state.file().display());
    let Some(sshd) = Sshd::start_with("config-push", &args) else {
        return;
    };
    let work = TempDir::new("config-sshd");
    let login = Login::default();
    let t = template(
        work.path(),
        "t.j2",
        "ntp server 192.0.2.1\ninterface GigabitEthernet0/1\n description {{ name }} to core\n no shutdown\n",
    );
    let backups = work.path().join("backups");
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "backup", "--dir", s(&backups)],
    );
    assert_eq!(r[0]["status"], "ok", "{}\n{}", text(&o), sshd.log());
    let backup = std::fs::read_to_string(backups.join("sshd-r1.cfg")).unwrap();
    assert!(
        backup.contains("interface GigabitEthernet0/1\n no ip address\n shutdown\n"),
        "{backup}"
    );

    let before = state.running();
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "push", "--template", s(&t), "--dry-run"],
    );
    assert_eq!(r[0]["data"]["changed"], true, "{}", text(&o));
    assert_eq!(
        r[0]["data"]["commands"],
        serde_json::json!([
            "ntp server 192.0.2.1",
            "interface GigabitEthernet0/1",
            "description sshd-r1 to core",
            "no shutdown",
            "exit"
        ])
    );
    assert_eq!(state.running(), before, "a dry run changes nothing");

    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "push", "--template", s(&t), "--save"],
    );
    assert_eq!(r[0]["status"], "ok", "{}\n{}", text(&o), sshd.log());
    assert_eq!(r[0]["data"]["changed"], true);
    assert_eq!(r[0]["data"]["saved"], true);
    assert!(
        r[0]["data"]["rollback_point"]
            .as_str()
            .unwrap()
            .starts_with("device:netrun-"),
        "{}",
        r[0]
    );
    let after = state.running();
    assert!(
        after.contains(
            "interface GigabitEthernet0/1\n no ip address\n description sshd-r1 to core\n"
        ),
        "{after}"
    );
    assert!(!after.contains(" shutdown\n"), "{after}");
    let diff = r[0]["data"]["diff"].as_str().unwrap();
    assert!(
        diff.contains("- shutdown\n") && diff.contains("+ntp server 192.0.2.1\n"),
        "{diff}"
    );

    let (r, _) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "push", "--template", s(&t)],
    );
    assert_eq!(
        r[0]["data"]["changed"], false,
        "idempotent across logins: {}",
        r[0]
    );

    // A line the device refuses: the change is undone from the device's own rollback point.
    let bad = template(
        work.path(),
        "bad.j2",
        "ntp server 192.0.2.99\nbogus-feature enable\n",
    );
    let before = state.running();
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "push", "--template", s(&bad)],
    );
    assert_eq!(r[0]["error"]["class"], "rejected-command", "{}", text(&o));
    let msg = r[0]["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`bogus-feature enable`") && msg.contains("rolled back (device:netrun-"),
        "{msg}"
    );
    assert_eq!(state.running(), before, "back to the rollback point");
}

#[test]
fn openssh_ios_shell_change_left_unconfirmed_by_a_killed_netrun_is_rolled_back_on_next_contact() {
    let state = StateDir::new("confirm");
    let args = format!("--config {} --hang-on 'show clock'", state.file().display());
    let Some(sshd) = Sshd::start_with("config-confirm", &args) else {
        return;
    };
    let work = TempDir::new("config-confirm");
    let login = Login::default();
    // Write the inventory (and check the device is reachable) with a backup.
    let backups = work.path().join("backups");
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "backup", "--dir", s(&backups)],
    );
    assert_eq!(r[0]["status"], "ok", "{}", text(&o));
    let before = state.running();
    let t = template(work.path(), "t.j2", "ntp server 192.0.2.77\n");
    let home = work.path().join("home");
    let mut cmd = netrun(&home);
    cmd.env_remove("SSH_AUTH_SOCK")
        .args([
            "config",
            "push",
            "--template",
            s(&t),
            "--confirm",
            "4",
            "--verify",
            "show clock",
            "-i",
        ])
        .arg(work.path().join("hosts.yaml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    while !state.running().contains("ntp server 192.0.2.77") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the change never arrived: {}",
            sshd.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Killed after the change, before confirming it.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(state.running().contains("ntp server 192.0.2.77"));
    std::thread::sleep(std::time::Duration::from_secs(5));
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "backup", "--dir", s(&backups)],
    );
    assert_eq!(r[0]["status"], "ok", "{}", text(&o));
    assert_eq!(r[0]["data"]["recovered"]["rolled_back"], true, "{}", r[0]);
    assert_eq!(state.running(), before, "the unconfirmed change is gone");
}

/// Junos (set lines into a candidate, native `commit confirmed`, `rollback 1`),
/// EOS and NX-OS (indented lines, checkpoints), each through the mechanics its
/// platform file declares: change, idempotence, a refused line that leaves
/// every device as it was.
#[tokio::test(flavor = "multi_thread")]
async fn junos_eos_and_nxos_change_through_their_own_mechanics_and_refused_lines_change_nothing() {
    netrun::resilience::raise_nofile_limit();
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices: 0,
        platforms: vec![
            ("juniper_junos".into(), 1),
            ("arista_eos".into(), 1),
            ("cisco_nxos".into(), 1),
        ],
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new("mixed-config-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let good = template(
        home.path(),
        "good.j2",
        "{% if platform == 'juniper_junos' %}set system ntp server 192.0.2.123\n\
         set snmp location \"rack {{ name }}\"\n\
         {% else %}ntp server 192.0.2.123\nsnmp-server location rack {{ name }}\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["backup", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 3, "{}", text(&o));
    let junos = std::fs::read_to_string(backups.join("junos001.cfg")).unwrap();
    assert!(
        junos.lines().all(|l| l.is_empty() || l.starts_with("set ")),
        "Junos is backed up as the set lines netrun compares:\n{junos}"
    );
    assert!(
        !junos.contains("## Last commit"),
        "volatile line kept:\n{junos}"
    );

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&good), "--confirm", "60"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = by(&records, "junos001");
    assert_eq!(j["data"]["changed"], true, "{j}");
    assert_eq!(
        j["data"]["confirmed"], "native",
        "Junos commits confirmed: {j}"
    );
    assert_eq!(
        j["data"]["commands"],
        serde_json::json!([
            "set system ntp server 192.0.2.123",
            "set snmp location \"rack junos001\""
        ])
    );
    for d in ["ceos001", "nxos001"] {
        let r = by(&records, d);
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(
            r["data"]["rollback_point"]
                .as_str()
                .is_some_and(|p| p.starts_with("device:netrun-")),
            "{d} takes its own checkpoint: {r}"
        );
    }

    // Every device now holds the change: nothing left to send.
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&good)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "{r}");
        assert_eq!(r["data"]["commands"], serde_json::json!([]), "{r}");
    }

    // A line each device refuses: each is left as it was before the push.
    let (before, _) = config(home.path(), inv.path(), &["backup", "--dir", s(&backups)]).await;
    assert_eq!(before.len(), 3);
    let bad = template(
        home.path(),
        "bad.j2",
        "{% if platform == 'juniper_junos' %}set system ntp server 192.0.2.124\nset bogus thing\n\
         {% else %}ntp server 192.0.2.124\nbogus line here\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&bad)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for r in &records {
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains("bogus"), "names the line: {msg}");
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "back to the backup: {r}");
    }
}

/// NX-OS prints `interface loopback0` and IOS `interface Loopback0` whatever
/// was typed: a template naming the interface another way (`Loopback0`,
/// `int lo0`) changes the device once, and the second push sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_interface_named_otherwise_than_the_device_prints_it_is_pushed_once() {
    netrun::resilience::raise_nofile_limit();
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices: 1,
        platforms: vec![("cisco_nxos".into(), 1)],
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new("ifname-config-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    let home = TempDir::new("home");
    let t = template(
        home.path(),
        "loopback.j2",
        "{% if platform == 'cisco_nxos' %}interface Loopback0\n  description netrun {{ name }}\n\
         interface ethernet 1/2\n  description to-spine\n\
         {% else %}int lo0\n description netrun {{ name }}\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 2, "{}", text(&o));
    let nx = by(&records, "nxos001");
    assert_eq!(nx["data"]["changed"], true, "{nx}");
    let commands = nx["data"]["commands"].as_array().unwrap();
    assert!(
        commands.contains(&"interface loopback0".into())
            && commands.contains(&"interface Ethernet1/2".into()),
        "sent in the switch's form: {nx}"
    );
    assert!(
        nx["data"]["diff"]
            .as_str()
            .unwrap()
            .contains("+  description netrun nxos001"),
        "{nx}"
    );
    let ios = by(&records, "r001");
    assert_eq!(ios["data"]["changed"], true, "{ios}");
    assert_eq!(ios["data"]["commands"][0], "interface Loopback0", "{ios}");

    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "idempotent: {r}");
        assert_eq!(r["data"]["commands"], serde_json::json!([]), "{r}");
        assert!(r["data"].get("no_effect").is_none(), "{r}");
        assert!(r["data"].get("resend").is_none(), "{r}");
    }
}

// ---- the workflow API (contract 0.2 `config` interface) -------------------

/// `netrun run config-change -i INV --param …` (tests/plugins/config-change,
/// built by `scripts/build-plugins.sh --tests`): its records by device.
async fn workflow(
    home: &Path,
    inv: &Path,
    params: &[&str],
    grants: &[&str],
) -> (Vec<Value>, Output) {
    let test_plugins = netrun_tests::target_dir().join("test-plugins");
    assert!(
        test_plugins
            .join("config-change/netrun-plugin.toml")
            .is_file(),
        "no config-change plugin in {}: run scripts/build-plugins.sh --tests first",
        test_plugins.display()
    );
    let out = home.join(format!("out-{}.jsonl", rand_tag()));
    let mut cmd =
        netrun_tests::netrun_cmd_with_plugins(home, &[&netrun_tests::plugin_dir(), &test_plugins]);
    cmd.args(["run", "config-change", "-i"])
        .arg(inv)
        .arg("-o")
        .arg(&out);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    for g in grants {
        cmd.arg("--grant").arg(g);
    }
    let o = run(cmd).await;
    let mut records = if out.is_file() {
        read_jsonl(&out)
    } else {
        Vec::new()
    };
    records.sort_by(|a, b| a["device"].as_str().cmp(&b["device"].as_str()));
    (records, o)
}

/// A candidate holding NTP server `ip`: IOS-like lines, Junos `set` lines.
fn ntp(ip: &str, extra: &str) -> [String; 2] {
    [
        format!("text=ntp server {ip}\n{extra}"),
        format!("text_juniper_junos=set system ntp server {ip}\n"),
    ]
}

/// Check through `compare` that every device holds NTP server `ip`
/// (`held`), or that none does.
async fn expect_ntp(home: &Path, inv: &Path, ip: &str, held: bool) {
    let [a, b] = ntp(ip, "");
    let (records, o) = workflow(home, inv, &["action=compare", &a, &b], &["config"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!records.is_empty(), "{}", text(&o));
    for r in &records {
        let holds = r["data"]["compare"] == "" && r["data"]["commands"] == serde_json::json!([]);
        assert_eq!(holds, held, "ntp server {ip} held: {r}");
    }
}

/// Every device failed with `class`, its message holding each of `needles`.
fn expect_errors(records: &[Value], o: &Output, class: &str, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    assert!(!records.is_empty(), "{}", text(o));
    for r in records {
        assert_eq!(r["error"]["class"], class, "{r}");
        let m = r["error"]["message"].as_str().unwrap();
        assert!(needles.iter().all(|n| m.contains(n)), "{m}");
    }
}

/// A workflow loads a candidate, compares (secrets masked), commits, and
/// the device holds it; a second one commits and rolls back; a refused line
/// and a commit left unconfirmed leave every device as it was — on IOS,
/// NX-OS (checkpoints) and Junos (native commit confirmed).
#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_loads_compares_commits_confirms_and_rolls_back_through_the_contract() {
    netrun::resilience::raise_nofile_limit();
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices: 1,
        platforms: vec![("cisco_nxos".into(), 1), ("juniper_junos".into(), 1)],
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new("workflow-config-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    let home = TempDir::new("home");
    let (home, inv) = (home.path(), inv.path());

    // Load, compare, commit.
    let [a, b] = ntp("192.0.2.77", "snmp-server community s3cr3t-c0mm RO\n");
    let (records, o) = workflow(home, inv, &["action=commit", &a, &b], &["config"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 3, "{}", text(&o));
    for r in &records {
        let compare = r["data"]["compare"].as_str().unwrap();
        assert!(compare.contains("ntp server 192.0.2.77"), "{r}");
        assert!(!r.to_string().contains("s3cr3t-c0mm"), "secret masked: {r}");
        assert_eq!(r["data"]["commit"]["changed"], true, "{r}");
        assert_eq!(r["data"]["commit"]["resend"], serde_json::json!([]), "{r}");
        assert!(
            r["data"]["commit"]["diff"]
                .as_str()
                .unwrap()
                .contains("ntp server 192.0.2.77"),
            "{r}"
        );
    }
    assert_eq!(
        by(&records, "r001")["data"]["commands"][0],
        "ntp server 192.0.2.77"
    );
    expect_ntp(home, inv, "192.0.2.77", true).await;

    // Commit, then roll back: the device is as before.
    let [a, b] = ntp("192.0.2.78", "");
    let (records, o) = workflow(home, inv, &["action=rollback", &a, &b], &["config"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["commit"]["changed"], true, "{r}");
        assert_eq!(r["data"]["rolled_back"], true, "{r}");
    }
    expect_ntp(home, inv, "192.0.2.78", false).await;
    expect_ntp(home, inv, "192.0.2.77", true).await;

    // A line the device refuses: rejected-command naming it, nothing kept.
    let (records, o) = workflow(
        home,
        inv,
        &[
            "action=commit",
            "text=ntp server 192.0.2.79\nbogus line here\n",
            "text_juniper_junos=set system ntp server 192.0.2.79\nset bogus thing\n",
        ],
        &["config"],
    )
    .await;
    expect_errors(&records, &o, "rejected-command", &["bogus", "rolled back"]);
    expect_ntp(home, inv, "192.0.2.79", false).await;

    // Commit-confirm, confirmed: kept. Left unconfirmed: rolled back.
    let [a, b] = ntp("192.0.2.80", "");
    let (records, o) = workflow(
        home,
        inv,
        &["action=commit", "confirm=120", &a, &b],
        &["config"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["commit"]["awaiting_confirm"], true, "{r}");
        assert_eq!(r["data"]["confirmed"], true, "{r}");
    }
    assert_eq!(
        by(&records, "junos001")["data"]["commit"]["rollback_point"],
        "device",
        "Junos rolls back through its own commits"
    );
    expect_ntp(home, inv, "192.0.2.80", true).await;
    let [a, b] = ntp("192.0.2.81", "");
    let (records, o) = workflow(
        home,
        inv,
        &["action=unconfirmed", "confirm=120", &a, &b],
        &["config"],
    )
    .await;
    expect_errors(
        &records,
        &o,
        "command-timeout",
        &["without confirming", "rolled back"],
    );
    expect_ntp(home, inv, "192.0.2.81", false).await;
    expect_ntp(home, inv, "192.0.2.80", true).await;

    // Calls out of order fail with a message saying what to do instead.
    let [a, b] = ntp("192.0.2.82", "");
    let (records, o) = workflow(home, inv, &["action=misuse", &a, &b], &["config"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let d = &r["data"];
        let says = |k: &str, what: &str| {
            let m = d[k].as_str().unwrap_or_default();
            assert!(m.starts_with("internal: ") && m.contains(what), "{k}: {r}");
        };
        says("rollback_first", "not committed");
        says("confirm_first", "commit with confirm-seconds first");
        says("confirm_unasked", "commit with confirm-seconds first");
        says("commit_again", "already committed");
        says("discard_committed", "use rollback");
        assert_eq!(d["rolled_back"], true, "{r}");
    }
    expect_ntp(home, inv, "192.0.2.82", false).await;
}

/// The config interface needs the config grant: a run without it is
/// refused before any device is touched, with the flag to add.
#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_using_the_config_interface_without_the_grant_is_refused() {
    let (_lab, inv) = start_lab(1, &[]).await;
    let home = TempDir::new("home");
    let [a, b] = ntp("192.0.2.90", "");
    let (records, o) = workflow(home.path(), inv.path(), &["action=commit", &a, &b], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(records.is_empty(), "{records:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--grant config"), "{err}");
}
