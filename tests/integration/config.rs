//! `netrun config backup | diff | push` end to end: against the simulated
//! fleet, and against OpenSSH's sshd whose session is the scripted IOS-like
//! shell keeping its running configuration in a file across logins.

use crate::openssh::{Login, Sshd, run_netrun_in};
use netrun_tests::{TempDir, netrun, output, records_by_device, start_lab, workspace};
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
    let records = records_by_device(&out);
    (records, o)
}

/// A lab of `devices` IOS devices and the persona devices of `platforms`
/// (platform, count), with its inventory in a folder named after `tag`.
async fn lab_of(
    devices: usize,
    platforms: &[(&str, usize)],
    tag: &str,
) -> (netrun_lab::Lab, TempDir) {
    lab_on_releases(devices, platforms, &[], tag).await
}

/// [`lab_of`], the platforms of `releases` on the release given (a version
/// prefix: `("nokia_sros", "B-19.")` is SR OS's classic CLI).
async fn lab_on_releases(
    devices: usize,
    platforms: &[(&str, usize)],
    releases: &[(&str, &str)],
    tag: &str,
) -> (netrun_lab::Lab, TempDir) {
    netrun::resilience::raise_nofile_limit();
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices,
        platforms: platforms.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
        releases: releases
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new(tag);
    lab.write_inventory(inv.path()).expect("inventory written");
    (lab, inv)
}

/// `netrun config backup --dir DIR`, which must succeed: its records.
async fn backup(home: &Path, inv: &Path, dir: &Path) -> Vec<Value> {
    let (records, o) = config(home, inv, &["backup", "--dir", s(dir)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    records
}

/// Push `args` (a template with a line every device refuses): each device
/// fails `rejected-command` naming the line, and is back to its backup in
/// `backups`.
async fn expect_refused_and_unchanged(home: &Path, inv: &Path, args: &[&str], backups: &Path) {
    let (records, o) = config(home, inv, args).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for r in &records {
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains("bogus"), "names the line: {msg}");
        assert!(msg.contains("rolled back"), "{msg}");
    }
    let (records, o) = config(home, inv, &["diff", "--dir", s(backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "back to the backup: {r}");
    }
}

/// What netrun's changes left on the lab's devices: rollback-point and
/// candidate files in flash (IOS), saved copies and checkpoints, and
/// configuration sessions still pending (EOS).
fn leftovers(lab: &netrun_lab::Lab) -> Vec<String> {
    let mut left = Vec::new();
    for (i, d) in lab.devices().iter().enumerate() {
        if let Some(dev) = lab.device_state(i) {
            let files: Vec<String> = dev.files().keys().cloned().collect();
            let texts: Vec<String> = dev.texts().keys().cloned().collect();
            left.extend(
                files
                    .iter()
                    .chain(&texts)
                    .map(|f| format!("{}: file {f}", d.name)),
            );
        }
        if let Some(p) = lab.persona_state(i) {
            let st = p.state();
            left.extend(st.files.keys().map(|f| format!("{}: file {f}", d.name)));
            left.extend(
                st.sessions
                    .keys()
                    .map(|s| format!("{}: pending session {s}", d.name)),
            );
            // Checkpoints the device numbers itself (SR OS), by comment.
            left.extend(
                st.checkpoints
                    .iter()
                    .map(|c| format!("{}: checkpoint {}", d.name, c.comment)),
            );
        }
    }
    left.retain(|l| l.contains("netrun-"));
    left
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
async fn a_device_that_cannot_write_its_rollback_point_is_rolled_back_from_the_configuration_netrun_kept()
 {
    // r002's flash is full: `copy running-config flash:…` answers
    // `%Error opening flash:… (No space left on device)`.
    let (_lab, inv) = start_lab(2, &["flash-full:r002"]).await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    backup(home.path(), inv.path(), &backups).await;
    let t = template(home.path(), "t.j2", "ntp server 192.0.2.10\n");
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        let point = r["data"]["rollback_point"].as_str().unwrap();
        if r["device"] == "r002" {
            assert_eq!(point, "netrun", "{r}");
        } else {
            assert!(point.starts_with("device:"), "{r}");
        }
    }
    assert!(
        text(&o).contains("No space left on device"),
        "the warning says why: {}",
        text(&o)
    );

    // A change the devices refuse halfway: each goes back where it was,
    // r002 from the configuration netrun kept.
    let t = template(
        home.path(),
        "t2.j2",
        "logging host 192.0.2.50\nbogus-command 1\n",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&t)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for r in &records {
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains("rolled back"), "{msg}");
    }
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(records.len(), 2);
    for r in &records {
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(diff.contains("ntp server 192.0.2.10"), "{r}");
        assert!(!diff.contains("logging host"), "{r}");
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
    backup(home.path(), inv.path(), &backups).await;
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

/// A line that quotes a device's error text (a description naming the
/// message a ticket is about) is neither refused by its own echo when
/// pushed, nor makes the configuration that holds it read as refused
/// (backup, `show running-config`): a refusal is what the device answers
/// at the head of its answer, not words further down.
#[test]
fn openssh_ios_shell_a_description_quoting_an_error_message_is_pushed_and_read_back() {
    let state = StateDir::new("quoted-error");
    let args = format!("--config {}", state.file().display());
    let Some(sshd) = Sshd::start_with("config-quoted-error", &args) else {
        return;
    };
    let work = TempDir::new("config-quoted-error");
    let login = Login::default();
    let description = "description CHG0042 boot shows % Invalid input detected";
    let t = template(
        work.path(),
        "t.j2",
        &format!("interface GigabitEthernet0/1\n {description}\n"),
    );
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "push", "--template", s(&t)],
    );
    assert_eq!(r[0]["status"], "ok", "{}\n{}", text(&o), sshd.log());
    assert!(state.running().contains(description), "{}", state.running());

    let backups = work.path().join("backups");
    let (r, o) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["config", "backup", "--dir", s(&backups)],
    );
    assert_eq!(r[0]["status"], "ok", "{}\n{}", text(&o), sshd.log());
    let backup = std::fs::read_to_string(backups.join("sshd-r1.cfg")).unwrap();
    assert!(backup.contains(&format!(" {description}\n")), "{backup}");

    let (r, o) = run_netrun_in(work.path(), &sshd, &login, &["exec", "show running-config"]);
    assert_eq!(r[0]["status"], "ok", "{}\n{}", text(&o), sshd.log());
    // …while a command the device refuses still is one.
    let (r, o) = run_netrun_in(work.path(), &sshd, &login, &["exec", "show runnin-config"]);
    assert_eq!(r[0]["error"]["class"], "rejected-command", "{}", text(&o));
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
    let (_lab, inv) = lab_of(
        0,
        &[("juniper_junos", 1), ("arista_eos", 1), ("cisco_nxos", 1)],
        "mixed-config-inv",
    )
    .await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let good = template(
        home.path(),
        "good.j2",
        "{% if platform == 'juniper_junos' %}set system ntp server 192.0.2.123\n\
         set snmp location \"rack {{ name }}\"\n\
         {% else %}ntp server 192.0.2.123\nsnmp-server location rack {{ name }}\n{% endif %}",
    );
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), 3, "{records:?}");
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
    expect_refused_and_unchanged(
        home.path(),
        inv.path(),
        &["push", "--template", s(&bad)],
        &backups,
    )
    .await;
}

/// NX-OS prints `interface loopback0` and IOS `interface Loopback0` whatever
/// was typed: a template naming the interface another way (`Loopback0`,
/// `int lo0`) changes the device once, and the second push sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_interface_named_otherwise_than_the_device_prints_it_is_pushed_once() {
    let (_lab, inv) = lab_of(1, &[("cisco_nxos", 1)], "ifname-config-inv").await;
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
    assert_eq!(records.len(), 2, "{records:?}");
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
    workflow_with(home, inv, params, grants, &[]).await
}

/// [`workflow`] with more arguments to `netrun run`.
async fn workflow_with(
    home: &Path,
    inv: &Path,
    params: &[&str],
    grants: &[&str],
    args: &[&str],
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
    cmd.args(args);
    let o = run(cmd).await;
    let records = records_by_device(&out);
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
    let (_lab, inv) = lab_of(
        1,
        &[("cisco_nxos", 1), ("juniper_junos", 1)],
        "workflow-config-inv",
    )
    .await;
    let home = TempDir::new("home");
    let (home, inv) = (home.path(), inv.path());

    // Load, compare, commit.
    let [a, b] = ntp("192.0.2.77", "snmp-server community s3cr3t-c0mm RO\n");
    let (records, o) = workflow(home, inv, &["action=commit", &a, &b], &["config"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 3, "{records:?}");
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

// ---- --replace: each platform's own replace -------------------------------

/// A template that renders, per device, its backup in `dir` with `extra`
/// (per platform) added: a complete configuration, as `--replace` wants.
fn replace_template(home: &Path, name: &str, dir: &Path, extra: &[(&str, &str)]) -> PathBuf {
    let mut body = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "cfg") {
            continue;
        }
        let device = path.file_stem().unwrap().to_str().unwrap().to_string();
        let cfg = std::fs::read_to_string(&path).unwrap();
        let add = extra
            .iter()
            .find(|(prefix, _)| device.starts_with(prefix))
            .map_or("", |(_, line)| line);
        // Before IOS's closing `end`, or at the end.
        let cfg = match cfg.rfind("\nend\n") {
            Some(at) => format!("{}\n{add}{}", &cfg[..at], &cfg[at + 1..]),
            None => format!("{cfg}{add}"),
        };
        body.push_str(&format!(
            "{{% if name == '{device}' %}}{{% raw %}}{cfg}{{% endraw %}}{{% endif %}}"
        ));
    }
    template(home, name, &body)
}

/// `--replace` on IOS (`configure replace` of a file written with `tclsh`),
/// EOS (a configuration session from `rollback clean-config`), Junos
/// (`delete` + the `set` lines, one commit) and NX-OS (by difference behind
/// its checkpoint): the dry run touches nothing, the replace removes what
/// the candidate lacks and adds what it has, a second one changes nothing,
/// a refused line leaves each device as it was, and a platform with no way
/// to replace is refused by name.
#[tokio::test(flavor = "multi_thread")]
async fn replace_goes_through_each_platforms_own_mechanism_and_refused_lines_change_nothing() {
    let (lab, inv) = lab_of(
        1,
        &[
            ("arista_eos", 1),
            ("juniper_junos", 1),
            ("cisco_nxos", 1),
            ("cisco_xr", 1),
        ],
        "replace-config-inv",
    )
    .await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    backup(home.path(), inv.path(), &backups).await;
    // A line the replace must remove: merged in after the backup.
    let merged = template(
        home.path(),
        "ntp.j2",
        "{% if platform == 'juniper_junos' %}set system ntp server 192.0.2.123\n\
         {% else %}ntp server 192.0.2.123\n{% endif %}",
    );
    let (_, o) = config(home.path(), inv.path(), &["push", "--template", s(&merged)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let wanted = replace_template(
        home.path(),
        "replace.j2",
        &backups,
        &[
            ("junos", "set snmp location replaced\n"),
            ("", "snmp-server location replaced\n"),
        ],
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace", "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), 5, "{records:?}");
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.contains("192.0.2.123"),
            "the dry run predicts the removal: {r}"
        );
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.contains("+") && diff.contains("192.0.2.123"),
            "the dry run touched nothing: {r}"
        );
    }

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for (device, how) in [
        ("r001", "native"),
        ("ceos001", "native"),
        ("junos001", "native"),
        ("nxos001", "difference"),
        ("xr001", "native"),
    ] {
        let r = by(&records, device);
        assert_eq!(r["data"]["replace"], how, "{r}");
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(r["data"].get("replace_complete").is_none(), "{r}");
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.lines()
                .any(|l| l.starts_with('-') && l.contains("192.0.2.123")),
            "running before → after: {r}"
        );
        assert!(
            diff.lines()
                .any(|l| l.starts_with('+') && l.contains("location replaced")),
            "{r}"
        );
    }
    // The merge's rollback points, the IOS candidate file, the EOS session:
    // none is left once the change stands.
    assert_eq!(leftovers(&lab), Vec::<String>::new(), "{}", text(&o));
    // The devices now equal their backups plus the one line.
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    for r in &records {
        let diff = r["data"]["diff"].as_str().unwrap();
        let changes: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
                    && !matches!(l[1..].trim(), "" | "!")
            })
            .collect();
        assert_eq!(changes.len(), 1, "{r}");
        assert!(changes[0].contains("location replaced"), "{r}");
    }
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "idempotent: {r}");
    }

    // A candidate with a line each device refuses: each stays as it was.
    backup(home.path(), inv.path(), &backups).await;
    let bad = replace_template(
        home.path(),
        "bad.j2",
        &backups,
        &[("junos", "set bogus thing\n"), ("", "bogus line here\n")],
    );
    expect_refused_and_unchanged(
        home.path(),
        inv.path(),
        &["push", "--template", s(&bad), "--replace"],
        &backups,
    )
    .await;
    // Rolled back (IOS), aborted in its session (EOS): nothing left either.
    assert_eq!(leftovers(&lab), Vec::<String>::new());
}

/// FortiOS (`config`/`edit` blocks closed by `end`/`next`): a push types
/// `set` lines inside their blocks and a second one sends nothing; a
/// replace unsets the settings and deletes the entries the candidate lacks
/// (never a `no …` line FortiOS would refuse) and a second replace changes
/// nothing; a line the FortiGate refuses inside a block leaves the block
/// with `abort`, and netrun restores the configuration it kept by the same
/// difference (FortiOS's own restore reboots the unit).
#[tokio::test(flavor = "multi_thread")]
async fn fortios_push_replace_and_refused_line_use_set_unset_delete_in_blocks() {
    let (_lab, inv) = lab_of(0, &[("fortinet", 1)], "fortios-config-inv").await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let records = backup(home.path(), inv.path(), &backups).await;
    let device = records[0]["device"].as_str().unwrap().to_string();
    let saved = std::fs::read_to_string(backups.join(format!("{device}.cfg"))).unwrap();
    assert!(
        saved.contains("    config ntpserver\n        edit 1\n"),
        "{saved}"
    );

    let merge = template(
        home.path(),
        "ntp.j2",
        "config system ntp\n    config ntpserver\n        edit 2\n            set server 192.0.2.123\n        next\n    end\nend\n\
         config system global\n    set timezone \"Europe/Paris\"\nend\n",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&merge)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = &records[0];
    assert_eq!(r["data"]["changed"], true, "{r}");
    assert_eq!(
        r["data"]["commands"],
        serde_json::json!([
            "config system ntp",
            "config ntpserver",
            "edit 2",
            "set server 192.0.2.123",
            "next",
            "end",
            "end",
            "config system global",
            "set timezone \"Europe/Paris\"",
            "end"
        ]),
        "{r}"
    );
    let diff = r["data"]["diff"].as_str().unwrap();
    assert!(diff.contains("-    set timezone \"Etc/UTC\"\n"), "{r}");
    assert_eq!(r["data"]["rollback_point"], "netrun", "{r}");
    assert!(r["data"].get("resend").is_none(), "{r}");
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&merge)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        records[0]["data"]["changed"], false,
        "idempotent: {}",
        records[0]
    );
    assert_eq!(records[0]["data"]["commands"], serde_json::json!([]));

    // Replace with the backup, less the console block's setting and the
    // static route, plus an SNMP location.
    let wanted = saved
        .replace("config system console\n    set output more\nend\n", "")
        .replace("        set gateway 192.168.0.254\n", "")
        + "config system snmp sysinfo\n    set location \"replaced\"\nend\n";
    assert!(
        !wanted.contains("set output more") && !wanted.contains("set gateway"),
        "the backup holds what the test removes: {wanted}"
    );
    let replace = template(
        home.path(),
        "replace.j2",
        &format!("{{% raw %}}{wanted}{{% endraw %}}"),
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&replace), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = &records[0];
    assert_eq!(r["data"]["replace"], "difference", "{r}");
    assert_eq!(r["data"]["changed"], true, "{r}");
    let commands: Vec<&str> = r["data"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for wanted in [
        "unset output",
        "delete 2",
        "set timezone \"Etc/UTC\"",
        "unset gateway",
        "set location \"replaced\"",
    ] {
        assert!(commands.contains(&wanted), "{wanted}: {commands:?}");
    }
    assert!(
        commands.iter().all(|c| !c.starts_with("no ")),
        "FortiOS has no `no`: {commands:?}"
    );
    assert!(r["data"].get("replace_complete").is_none(), "{r}");
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let diff = records[0]["data"]["diff"].as_str().unwrap();
    assert!(diff.contains("-    set output more\n"), "{diff}");
    assert!(
        diff.contains("-        set gateway 192.168.0.254\n"),
        "{diff}"
    );
    assert!(diff.contains("+    set location \"replaced\"\n"), "{diff}");
    assert!(
        !diff.contains("192.0.2.123"),
        "the merged entry is gone: {diff}"
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&replace), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        records[0]["data"]["changed"], false,
        "idempotent: {}",
        records[0]
    );

    // A line refused in the middle of a block, after a block that applied.
    backup(home.path(), inv.path(), &backups).await;
    let bad = template(
        home.path(),
        "bad.j2",
        "config system global\n    set timezone \"Asia/Tokyo\"\nend\n\
         config system interface\n    edit port1\n        set description \"x\"\n        bogus line here\n    next\nend\n",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&bad)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let msg = records[0]["error"]["message"].as_str().unwrap();
    assert_eq!(records[0]["error"]["class"], "rejected-command", "{msg}");
    assert!(
        msg.contains("`bogus line here`") && msg.contains("command parse error before 'bogus'"),
        "{msg}"
    );
    assert!(msg.contains("rolled back (netrun)"), "{msg}");
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(
        records[0]["data"]["changed"], false,
        "the applied block is undone too: {}",
        records[0]
    );
}

/// ASA (a copy on disk0:), Comware and VRP (a saved `.cfg` file), AOS-CX
/// (a checkpoint) and PAN-OS (a saved snapshot): each takes its rollback
/// point on the device, and its cleanup steps remove it once the change
/// stands (confirmed or not) and once it is rolled back after a refused
/// line: nothing named `netrun-` is left on any of them.
#[tokio::test(flavor = "multi_thread")]
async fn rollback_points_on_asa_comware_vrp_aoscx_and_panos_are_removed_after_each_change() {
    let platforms = [
        ("cisco_asa", "asa"),
        ("hp_comware", "comware"),
        ("huawei_vrp", "vrp"),
        ("aruba_aoscx", "cx"),
        ("paloalto_panos", "pan"),
    ];
    let (lab, inv) = lab_of(0, &platforms.map(|(p, _)| (p, 1)), "cleanup-config-inv").await;
    let home = TempDir::new("home");
    let ntp = template(
        home.path(),
        "ntp.j2",
        "{% if platform in ['hp_comware', 'huawei_vrp'] %}ntp-service unicast-server 192.0.2.55\n\
         {% elif platform == 'paloalto_panos' %}set deviceconfig system ntp-servers primary-ntp-server ntp-server-address 192.0.2.55\n\
         {% else %}ntp server 192.0.2.55\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&ntp)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), platforms.len(), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        let point = r["data"]["rollback_point"].as_str().unwrap();
        assert!(
            point.starts_with("device:netrun-"),
            "the device took its own rollback point: {r}"
        );
        assert!(r["data"].get("leftover").is_none(), "{r}");
    }
    assert_eq!(leftovers(&lab), Vec::<String>::new(), "after a change");

    let backups = home.path().join("backups");
    backup(home.path(), inv.path(), &backups).await;
    let bad = template(
        home.path(),
        "bad.j2",
        "{% if platform == 'paloalto_panos' %}set bogus thing\n{% else %}bogus line here\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&bad)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for r in &records {
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains("rolled back (device:netrun-"), "{msg}");
    }
    assert_eq!(leftovers(&lab), Vec::<String>::new(), "after a rollback");

    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&ntp)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(
            r["data"]["changed"], false,
            "unchanged by the refused push: {r}"
        );
    }
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&ntp), "--confirm", "60"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records.len(), platforms.len());
    assert_eq!(
        leftovers(&lab),
        Vec::<String>::new(),
        "after a confirmed push"
    );
}

/// A platform with neither `replace` steps nor a rollback point on the
/// device cannot replace: refused by name before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn replace_on_a_platform_without_a_way_to_replace_is_refused_naming_it() {
    let (_lab, inv) = lab_of(0, &[("dell_os10", 1)], "replace-refused-inv").await;
    let home = TempDir::new("home");
    let t = template(home.path(), "t.j2", "hostname x\n");
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&t), "--replace", "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r["error"]["class"], "unsupported", "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("platform dell_os10 cannot replace its whole configuration")
            && msg.contains("push without --replace"),
        "{msg}"
    );
}

/// A workflow that commits with commit-confirm and is still running when
/// the device deadline comes: the host stops it a grace early and rolls the
/// commit back in the same run (IOS: netrun's emulated confirm; Junos would
/// also roll back by itself), before the record is closed; no note is left
/// for the next netrun.
#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_still_holding_an_unconfirmed_commit_at_the_device_deadline_is_rolled_back_in_the_run()
 {
    let (_lab, inv) = lab_of(1, &[("cisco_nxos", 1)], "workflow-deadline-inv").await;
    let home = TempDir::new("home");
    let (home, inv) = (home.path(), inv.path());
    let [a, b] = ntp("192.0.2.88", "");
    let started = std::time::Instant::now();
    let (records, o) = workflow_with(
        home,
        inv,
        &[
            "action=unconfirmed-then-wait",
            "confirm=600",
            "wait=3600",
            &a,
            &b,
        ],
        &["config"],
        &["--device-timeout", "12"],
    )
    .await;
    let took = started.elapsed();
    expect_errors(
        &records,
        &o,
        "device-timeout",
        &[
            "awaiting confirmation",
            "the workflow was stopped",
            "rolled back",
        ],
    );
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(
        took < std::time::Duration::from_secs(12),
        "stopped before the deadline, not at it: {took:?}"
    );
    let pending = home.join(".local/state/netrun/pending");
    let left: Vec<_> = std::fs::read_dir(&pending)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "no note left for the next netrun: {left:?}"
    );
    expect_ntp(home, inv, "192.0.2.88", false).await;
}

// ---- the per-platform table of docs/config.md -----------------------------

/// The `send` of each step a platform file declares under `config.FIELD`.
fn sends_of(config: &Value, field: &str) -> Vec<String> {
    let steps = match &config[field] {
        Value::Array(a) => a.clone(),
        Value::String(s) => vec![Value::String(s.clone())],
        _ => Vec::new(),
    };
    steps
        .iter()
        .map(|s| match s {
            Value::String(s) => s.clone(),
            other => other["send"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// docs/config.md lists, for every platform file, the commands its `config`
/// section declares and how each job runs there (native replace, by
/// difference or refused; native or emulated confirm), so the table cannot
/// drift from the data the host acts on.
#[test]
fn the_per_platform_table_in_the_docs_matches_the_platform_files() {
    let doc = std::fs::read_to_string(workspace().join("docs/config.md")).unwrap();
    let section = doc
        .split("\n## Per platform\n")
        .nth(1)
        .expect("docs/config.md has a `## Per platform` section");
    let rows: Vec<String> = section
        .lines()
        .skip_while(|l| !l.starts_with("| platform"))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.replace("\\|", "|"))
        .collect();
    let dir = workspace().join("plugins/netrun-platforms/platforms");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        files += 1;
        let def: Value = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = def["name"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("| `{name}`")))
            .unwrap_or_else(|| panic!("docs/config.md has no row for platform {name}"));
        let config = &def["config"];
        if config.is_null() {
            assert!(row.contains("no `config` section"), "{name}: {row}");
            continue;
        }
        for field in [
            "show_running",
            "commit",
            "commit_confirmed",
            "confirm",
            "abort",
            "checkpoint",
            "rollback",
            "save",
            "replace",
            "cleanup",
        ] {
            for send in sends_of(config, field) {
                assert!(
                    row.contains(&format!("`{send}`")),
                    "{name}: config.{field} step `{send}` missing from its row: {row}"
                );
            }
        }
        let style = config["style"].as_str().unwrap_or("indented");
        if style == "blocks" {
            assert!(
                row.contains("`unset`") && row.contains("`delete`") && !row.contains("`no"),
                "{name}: a blocks platform removes with unset/delete: {row}"
            );
        }
        if style == "menus" {
            assert!(
                row.contains("`remove [ find … ]`")
                    && row.contains("!property")
                    && !row.contains("`no"),
                "{name}: a menus platform goes back with remove/set/add: {row}"
            );
        }
        let replace = if !sends_of(config, "replace").is_empty() {
            "native: "
        } else if style == "blocks" || (style != "flat" && !sends_of(config, "rollback").is_empty())
        {
            "by difference"
        } else {
            "| refused |"
        };
        assert!(
            row.contains(replace),
            "{name}: replace should read {replace:?}: {row}"
        );
        let confirm = if sends_of(config, "commit_confirmed").is_empty() {
            "emulated"
        } else {
            "native: `"
        };
        assert!(
            row.contains(confirm),
            "{name}: confirm should read {confirm:?}: {row}"
        );
    }
    assert_eq!(
        rows.len(),
        files,
        "one row per platform file, no more: {rows:#?}"
    );
}

/// Push `good`: every device changes, holding the lines as typed; push it
/// again: nothing is sent anywhere. Returns the first push's records.
async fn push_changes_then_nothing(home: &Path, inv: &Path, good: &Path) -> Vec<Value> {
    let (records, o) = config(home, inv, &["push", "--template", s(good)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(r["data"].get("resend").is_none(), "held as typed: {r}");
    }
    let (again, o) = config(home, inv, &["push", "--template", s(good)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &again {
        assert_eq!(r["data"]["changed"], false, "idempotent: {r}");
        assert_eq!(r["data"]["commands"], serde_json::json!([]), "{r}");
    }
    records
}

// ---- RouterOS: the way back without a reboot ------------------------------

/// RouterOS applies each line at once and has no rollback point that does
/// not reboot (`/system backup load`): netrun goes back by difference from
/// the `/export` read before the change. The issue's sequence (backup, dry
/// run, push, push again, a refused line) on two routers, the refused push
/// having changed, removed and added entries before the refused line: each
/// router ends as it was, with no file left and no reboot.
#[tokio::test(flavor = "multi_thread")]
async fn routeros_changes_by_menu_and_a_refused_line_is_undone_without_a_reboot() {
    let (lab, inv) = lab_of(0, &[("mikrotik_routeros", 2)], "routeros-config-inv").await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let good = template(
        home.path(),
        "ntp.j2",
        "/system ntp client servers\nadd address=192.0.2.123\n\
         /ip/dns set servers=192.0.2.53\n\
         /ip firewall filter\nadd action=accept chain=input protocol=icmp\nadd action=drop chain=input in-interface=ether9\n\
         /interface ethernet set [ find default-name=ether3 ] comment=\"netrun {{ name }}\"\n",
    );
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), 2, "{records:?}");
    let saved = std::fs::read_to_string(backups.join("mt001.cfg")).unwrap();
    assert!(
        saved.contains("/system ntp client servers\nadd address=10.0.0.1\n"),
        "{saved}"
    );
    assert!(
        !saved.contains(" by RouterOS "),
        "volatile line kept:\n{saved}"
    );

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&good), "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = by(&records, "mt001");
    assert_eq!(
        r["data"]["commands"],
        serde_json::json!([
            "/system ntp client servers add address=192.0.2.123",
            "/ip/dns set servers=192.0.2.53",
            "/ip firewall filter add action=accept chain=input protocol=icmp",
            "/ip firewall filter add action=drop chain=input in-interface=ether9",
            "/interface ethernet set [ find default-name=ether3 ] comment=\"netrun mt001\""
        ]),
        "{r}"
    );
    assert!(
        r["data"]["diff"]
            .as_str()
            .unwrap()
            .contains("+add address=192.0.2.123"),
        "{r}"
    );
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert!(
        records.iter().all(|r| r["data"]["changed"] == false),
        "dry run changed nothing: {records:?}"
    );

    for r in push_changes_then_nothing(home.path(), inv.path(), &good).await {
        assert_eq!(r["data"]["rollback_point"], "netrun", "{r}");
    }

    // Before the refused line: a property changed, the first firewall rule
    // removed, an entry added, properties of a port changed. All of it is
    // undone, the rule back in its place.
    let (before, _) = config(home.path(), inv.path(), &["backup", "--dir", s(&backups)]).await;
    assert_eq!(before.len(), 2);
    let bad = template(
        home.path(),
        "bad.j2",
        "/ip dns set servers=198.51.100.53\n\
         /ip firewall filter remove [ find protocol=icmp ]\n\
         /ip address add address=198.51.100.1/24 interface=ether9 comment=\"netrun test\"\n\
         /interface ethernet set [ find default-name=ether3 ] !comment disabled=yes\n\
         {% if name == 'mt002' %}/bogus menu add thing=1\n{% endif %}",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&bad)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let ok = by(&records, "mt001");
    assert_eq!(ok["data"]["changed"], true, "{ok}");
    let refused = by(&records, "mt002");
    assert_eq!(refused["error"]["class"], "rejected-command", "{refused}");
    let msg = refused["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("/bogus menu add thing=1"),
        "names the line: {msg}"
    );
    assert!(msg.contains("rolled back (netrun)"), "{msg}");
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(by(&records, "mt001")["data"]["changed"], true);
    let back = by(&records, "mt002");
    assert_eq!(
        back["data"]["changed"], false,
        "back to before the push: {back}"
    );
    assert_eq!(leftovers(&lab), Vec::<String>::new());
}

// ---- the device deadline inside a push ------------------------------------

/// A push whose device deadline comes while the change is in flight (here
/// during its `--verify` commands, each answered 0.2 s late) is stopped a
/// grace before the deadline and rolled back in it: the record is a
/// `device-timeout` saying so, the device is as before, and nothing is
/// left (no rollback file, no note for the next netrun).
#[tokio::test(flavor = "multi_thread")]
async fn a_push_the_device_deadline_stops_after_its_change_is_rolled_back_in_the_grace() {
    netrun::resilience::raise_nofile_limit();
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices: 1,
        faults: vec![netrun_lab::FaultRule {
            fault: netrun_lab::Fault::Latency {
                per_command: std::time::Duration::from_millis(200),
            },
            selector: netrun_lab::FaultSelector::Percent(100.0),
        }],
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new("deadline-config-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), 1);
    let ntp = template(home.path(), "ntp.j2", "ntp server 192.0.2.77\n");
    let mut args = vec!["push", "--template", s(&ntp), "--device-timeout", "24"];
    // 150 checks at 0.2 s each outlast the 18 s before the 6 s grace.
    args.extend(std::iter::repeat_n(["--verify", "show clock"], 150).flatten());
    let started = std::time::Instant::now();
    let (records, o) = config(home.path(), inv.path(), &args).await;
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let r = &records[0];
    assert_eq!(r["error"]["class"], "device-timeout", "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("r001: the device deadline was 6s away while "),
        "{msg}"
    );
    assert!(
        msg.contains("the change was stopped part-way; rolled back (device:netrun-"),
        "{msg}"
    );
    assert!(
        took < std::time::Duration::from_secs(24),
        "undone before the deadline: {took:?}"
    );
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records[0]["data"]["changed"], false, "{}", records[0]);
    assert_eq!(leftovers(&lab), Vec::<String>::new());
    let pending = home.path().join(".local/state/netrun/pending");
    let left: Vec<_> = std::fs::read_dir(&pending)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no note left: {left:?}");
}

// ---- the issue's "Done when" on every platform persona --------------------

/// The issue's sequence on a mixed lab, one device of every platform with a
/// persona that takes a configuration change (SR OS: its lab device runs
/// the classic CLI, 19.10, whose configuration context the platform file's
/// mechanics type into): backup, a dry run
/// that changes nothing, the push, the same push again (`changed: false`
/// everywhere), then a template every device but the IOS one refuses a
/// line of: each refusing device is `rejected-command` and back as it was,
/// through its own platform's way back, the IOS one changed.
#[tokio::test(flavor = "multi_thread")]
async fn the_issues_sequence_holds_on_every_platform_persona_of_a_mixed_lab() {
    let platforms = [
        "arista_eos",
        "juniper_junos",
        "cisco_nxos",
        "cisco_xr",
        "cisco_asa",
        "aruba_aoscx",
        "hp_comware",
        "huawei_vrp",
        "paloalto_panos",
        "dell_os10",
        "hp_procurve",
        "vyos",
        "fortinet",
        "mikrotik_routeros",
        "nokia_sros",
    ];
    let (lab, inv) = lab_on_releases(
        1,
        &platforms.map(|p| (p, 1)),
        &[("nokia_sros", "B-19.")],
        "every-platform-config-inv",
    )
    .await;
    let devices = platforms.len() + 1;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    // NTP server 192.0.2.123 in each platform's own language.
    let ntp = "{% if platform == 'juniper_junos' %}set system ntp server {{ ip }}\n\
         {% elif platform == 'vyos' %}set service ntp server {{ ip }}\n\
         {% elif platform == 'paloalto_panos' %}set deviceconfig system ntp-servers primary-ntp-server ntp-server-address {{ ip }}\n\
         {% elif platform in ['hp_comware', 'huawei_vrp'] %}ntp-service unicast-server {{ ip }}\n\
         {% elif platform == 'cisco_xr' %}ntp\n server {{ ip }}\n\
         {% elif platform == 'fortinet' %}config system ntp\n    config ntpserver\n        edit 7\n            set server {{ ip }}\n        next\n    end\nend\n\
         {% elif platform == 'mikrotik_routeros' %}/system ntp client servers\nadd address={{ ip }}\n\
         {% elif platform == 'nokia_sros' %}system\n    time\n        ntp\n            server {{ ip }}\n        exit\n    exit\nexit\n\
         {% else %}ntp server {{ ip }}\n{% endif %}";
    let good = template(
        home.path(),
        "ntp.j2",
        &format!("{{% set ip = '192.0.2.123' %}}{ntp}"),
    );
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), devices, "{records:?}");

    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&good), "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(
            r["data"]["diff"].as_str().unwrap().contains("192.0.2.123"),
            "{r}"
        );
    }
    let (records, _) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    for r in &records {
        assert_eq!(
            r["data"]["changed"], false,
            "the dry run changed nothing: {r}"
        );
    }

    let records = push_changes_then_nothing(home.path(), inv.path(), &good).await;
    assert_eq!(records.len(), devices);

    backup(home.path(), inv.path(), &backups).await;
    let bad = template(
        home.path(),
        "bad.j2",
        &format!(
            "{{% set ip = '198.51.100.7' %}}{ntp}\
             {{% if name != 'r001' %}}{{% if platform in ['juniper_junos', 'vyos', 'paloalto_panos'] %}}set bogus thing\n\
             {{% elif platform == 'mikrotik_routeros' %}}/bogus menu add thing=1\n\
             {{% elif platform == 'fortinet' %}}config system global\n    bogus line here\nend\n\
             {{% else %}}bogus line here\n{{% endif %}}{{% endif %}}"
        ),
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&bad)]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(records.len(), devices);
    for r in &records {
        if r["device"] == "r001" {
            assert_eq!(r["data"]["changed"], true, "{r}");
            continue;
        }
        assert_eq!(r["error"]["class"], "rejected-command", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("bogus") && msg.contains("rolled back"),
            "{msg}"
        );
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let changed = r["device"] == "r001";
        assert_eq!(r["data"]["changed"], changed, "{r}");
    }
    assert_eq!(leftovers(&lab), Vec::<String>::new());
}

/// SR OS routers under the one `nokia_sros` name, as Netmiko users list
/// them: one whose first prompt carries the user (MD-CLI) is driven as
/// `nokia_sros_mdcli` (the platform file's variant), so backup, diff and a
/// change work on it as on a device named so; `get config` still answers
/// through `nokia_sros`'s getters (the braces configuration).
#[tokio::test(flavor = "multi_thread")]
async fn sros_md_cli_under_nokia_sros_is_driven_as_nokia_sros_mdcli() {
    let (_lab, inv) = lab_on_releases(
        0,
        &[("nokia_sros", 2)],
        &[("nokia_sros", "B-23.")],
        "mdcli-inv",
    )
    .await;
    let hosts = std::fs::read_to_string(inv.path().join("hosts.yaml")).unwrap();
    assert!(hosts.contains("platform: nokia_sros\n"), "{hosts}");
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        let device = r["device"].as_str().unwrap();
        let saved = std::fs::read_to_string(backups.join(format!("{device}.cfg"))).unwrap();
        assert!(
            saved.contains(&format!("    /configure system name \"{device}\"")),
            "read as nokia_sros_mdcli reads it: {saved}"
        );
    }
    let t = template(
        home.path(),
        "ntp.j2",
        "/configure system time ntp server 192.0.2.99 router-instance \"Base\"\n",
    );
    for (extra, code) in [(&["--dry-run"][..], 0), (&[][..], 0)] {
        let mut args = vec!["push", "--template", s(&t)];
        args.extend_from_slice(extra);
        let (records, o) = config(home.path(), inv.path(), &args).await;
        assert_eq!(o.status.code(), Some(code), "{}", text(&o));
        for r in &records {
            assert_eq!(r["data"]["changed"], true, "{r}");
        }
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.contains("+    /configure { system time ntp server 192.0.2.99"),
            "{r}"
        );
    }
    // `get config` reads through nokia_sros's getters.
    let out = home.path().join("get.jsonl");
    let o = output(
        netrun(home.path())
            .args(["get", "config", "-i"])
            .arg(inv.path())
            .arg("-o")
            .arg(&out),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let records = records_by_device(&out);
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        let running = r["data"]["config"]["running"].as_str().unwrap_or_default();
        assert!(running.contains("configure {"), "{r}");
        assert!(running.contains("192.0.2.99"), "{r}");
    }
}

/// `--replace` on SR OS's classic CLI (by difference, behind its own
/// rollback point): the backup taken before an NTP server was merged in,
/// pushed back as the whole configuration, removes that server and only
/// it; a second replace changes nothing, and no checkpoint netrun saved
/// is left in the device's rollback list.
#[tokio::test(flavor = "multi_thread")]
async fn sros_classic_replace_removes_what_the_candidate_lacks_and_leaves_no_checkpoint() {
    let (lab, inv) = lab_on_releases(
        0,
        &[("nokia_sros", 1)],
        &[("nokia_sros", "B-19.")],
        "sros-replace-inv",
    )
    .await;
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    backup(home.path(), inv.path(), &backups).await;
    let merged = template(
        home.path(),
        "ntp.j2",
        "system\n    time\n        ntp\n            server 192.0.2.123\n        exit\n    exit\nexit\n",
    );
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&merged)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records[0]["data"]["changed"], true, "{}", records[0]);
    let wanted = replace_template(home.path(), "whole.j2", &backups, &[]);
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = &records[0];
    assert_eq!(r["data"]["changed"], true, "{r}");
    let diff = r["data"]["diff"].as_str().unwrap();
    assert!(diff.contains("-") && diff.contains("192.0.2.123"), "{r}");
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        records[0]["data"]["changed"], false,
        "back to the backup: {}",
        records[0]
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(records[0]["data"]["changed"], false, "{}", records[0]);
    assert!(leftovers(&lab).is_empty(), "{:?}", leftovers(&lab));
}

/// SR OS MD-CLI as its own platform (`nokia_sros_mdcli`, the two-line
/// prompt whose context line tells configuration mode apart): statements
/// as absolute paths into a private candidate, one commit; idempotent
/// (an entry the device prints in braces, typed without them, holds);
/// commit confirmed natively; a refused line is discarded before any
/// commit; `--replace` empties the candidate and types the whole
/// configuration, one commit.
#[tokio::test(flavor = "multi_thread")]
async fn sros_md_cli_changes_in_a_private_candidate_with_one_commit() {
    let (_lab, inv) = lab_on_releases(
        0,
        &[("nokia_sros", 2)],
        &[("nokia_sros", "B-23.")],
        "mdcli-push-inv",
    )
    .await;
    // The inventory names the CLI, as Scrapli's `nokia_sros` (MD-CLI) does.
    let hosts = inv.path().join("hosts.yaml");
    let named = std::fs::read_to_string(&hosts)
        .unwrap()
        .replace("platform: nokia_sros", "platform: nokia_sros_mdcli");
    std::fs::write(&hosts, named).unwrap();
    let home = TempDir::new("home");
    let backups = home.path().join("backups");
    let records = backup(home.path(), inv.path(), &backups).await;
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        let device = r["device"].as_str().unwrap();
        let saved = std::fs::read_to_string(backups.join(format!("{device}.cfg"))).unwrap();
        assert!(
            saved.contains(&format!("    /configure system name \"{device}\"")),
            "full-context statements:\n{saved}"
        );
        assert!(
            saved.contains("/configure { system time ntp server 10.0.0.1"),
            "a list entry with no leaves in braces:\n{saved}"
        );
        assert!(!saved.contains("# Generated"), "{saved}");
    }
    // Kept for the replace at the end.
    let first = home.path().join("first");
    std::fs::create_dir_all(&first).unwrap();
    for r in &records {
        let f = format!("{}.cfg", r["device"].as_str().unwrap());
        std::fs::copy(backups.join(&f), first.join(&f)).unwrap();
    }
    let good = template(
        home.path(),
        "good.j2",
        "/configure system time ntp server 10.0.0.1 router-instance \"management\"\n\
         /configure system time ntp server 192.0.2.99 router-instance \"Base\"\n\
         /configure system location \"rack {{ name }}\"\n",
    );
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&good), "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert!(
            r["data"]["diff"].as_str().unwrap().contains("192.0.2.99"),
            "{r}"
        );
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&backups)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(
            r["data"]["changed"], false,
            "the dry run changed nothing: {r}"
        );
    }
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&good), "--confirm", "60"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let device = r["device"].as_str().unwrap();
        assert_eq!(r["data"]["changed"], true, "{r}");
        assert_eq!(r["data"]["confirmed"], "native", "commit confirmed: {r}");
        assert_eq!(
            r["data"]["commands"],
            serde_json::json!([
                "/configure system time ntp server 192.0.2.99 router-instance \"Base\"",
                format!("/configure system location \"rack {device}\""),
            ]),
            "only what is missing: {r}"
        );
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.contains("+    /configure { system time ntp server 192.0.2.99"),
            "read back from the device: {diff}"
        );
    }
    let (records, o) = config(home.path(), inv.path(), &["push", "--template", s(&good)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "{r}");
    }
    // A refused line: the candidate is discarded, nothing was committed.
    backup(home.path(), inv.path(), &backups).await;
    let bad = template(
        home.path(),
        "bad.j2",
        "/configure system contact \"noc\"\n/configure bogus thing\n",
    );
    expect_refused_and_unchanged(
        home.path(),
        inv.path(),
        &["push", "--template", s(&bad)],
        &backups,
    )
    .await;
    // Replace with the configuration from before the first push: the NTP
    // server and the location go, in one commit; a second replace and a
    // diff against it find nothing.
    let wanted = replace_template(home.path(), "replace.j2", &first, &[]);
    let (records, o) = config(
        home.path(),
        inv.path(),
        &["push", "--template", s(&wanted), "--replace", "--dry-run"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        let diff = r["data"]["diff"].as_str().unwrap();
        assert!(
            diff.contains("-    /configure system location"),
            "the dry run predicts the removal: {diff}"
        );
    }
    for changed in [true, false] {
        let (records, o) = config(
            home.path(),
            inv.path(),
            &[
                "push",
                "--template",
                s(&wanted),
                "--replace",
                "--confirm",
                "60",
            ],
        )
        .await;
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        for r in &records {
            assert_eq!(r["data"]["changed"], changed, "{r}");
            if changed {
                assert_eq!(r["data"]["replace"], "native", "{r}");
                assert_eq!(r["data"]["confirmed"], "native", "{r}");
            }
        }
    }
    let (records, o) = config(home.path(), inv.path(), &["diff", "--dir", s(&first)]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in &records {
        assert_eq!(r["data"]["changed"], false, "back to the first backup: {r}");
    }
}
