//! netrun against Dropbear, the SSH server of embedded Linux (OpenWrt, the
//! management plane of many switches, access points and console servers),
//! on 127.0.0.1, its session forced to the scripted IOS-like CLI
//! (tests/sshd/ios-shell.py) for the `netrun-ios` user.
//!
//! Dropbear keeps at most 5 logins in progress from one address and closes
//! any connection over that before its SSH banner, as OpenSSH's MaxStartups
//! and a device with all its vty lines busy do: devices behind one address
//! (a console server's ports) meet it at any useful concurrency.
//!
//! Needs what tests/sshd/setup.sh prepares (root, the user, Dropbear); without
//! it the tests print SKIP and pass, unless `CI` is set, where they fail.

use crate::openssh::{
    ENABLE_SECRET, HOST, MODEL, PASSWORD, SERIAL, SharedDir, USER, VERSION, interface_rows,
    known_hosts_entry, listen_on_free_port, server_dir,
};
use netrun_tests::{TempDir, netrun, output, records_in};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

const DROPBEAR: &str = "/usr/sbin/dropbear";
const DROPBEARKEY: &str = "/usr/bin/dropbearkey";

/// A Dropbear server on a free port of 127.0.0.1, stopped on drop.
struct Dropbear {
    child: Child,
    port: u16,
    dir: SharedDir,
    /// Its host key's public-key line, as `dropbearkey` printed it.
    public_key: String,
}

impl Dropbear {
    /// Start one, or `None` (after printing SKIP) when this machine is not
    /// set up and `CI` is unset.
    fn start(test: &str) -> Option<Dropbear> {
        let (dir, script) = server_dir(&format!("dropbear-{test}"), &[DROPBEAR, DROPBEARKEY])?;
        let key = dir.0.join("hostkey");
        let keygen = output(
            Command::new(DROPBEARKEY)
                .args(["-t", "ed25519", "-f"])
                .arg(&key),
        );
        assert!(
            keygen.status.success(),
            "dropbearkey: {}",
            String::from_utf8_lossy(&keygen.stderr)
        );
        // dropbearkey prints the new key's public-key line among its output.
        let printed = String::from_utf8_lossy(&keygen.stdout);
        let public_key = printed
            .lines()
            .find(|l| l.starts_with("ssh-ed25519 "))
            .unwrap_or_else(|| panic!("no public key in dropbearkey's output:\n{printed}"))
            .to_string();
        let log = dir.0.join("dropbear.log");
        let (child, port) = listen_on_free_port("dropbear", &log, |port| {
            // -F: foreground, -E: log to stderr, -m: no motd, -c: the
            // session's command whatever the client asks.
            let mut dropbear = Command::new(DROPBEAR);
            dropbear
                .args(["-F", "-E", "-m", "-p", &format!("127.0.0.1:{port}"), "-r"])
                .arg(&key)
                .arg("-P")
                .arg(dir.0.join("dropbear.pid"))
                .arg("-c")
                .arg(format!("/usr/bin/python3 {}", script.display()));
            dropbear
        });
        Some(Dropbear {
            child,
            port,
            dir,
            public_key,
        })
    }

    /// What Dropbear logged so far (shown when a test fails).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("dropbear.log")).unwrap_or_default()
    }

    /// The `known_hosts` line for this server's host key.
    fn known_hosts_line(&self) -> String {
        known_hosts_entry(self.port, &self.public_key)
    }

    /// An inventory in `dir` of `devices` devices, all this server.
    fn inventory(&self, dir: &Path, devices: usize, group_extras: Value) -> PathBuf {
        behind_one_address(
            dir,
            self.port,
            &self.known_hosts_line(),
            devices,
            group_extras,
        )
    }

    fn context(&self, records: &BTreeMap<String, Value>, result: &Output) -> String {
        context(records, result, "dropbear", &self.log())
    }
}

impl Drop for Dropbear {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An inventory in `dir` of `devices` devices (`d01`…), all the IOS-like
/// shell at 127.0.0.1:`port` whose host key is `known_hosts` (a line), in
/// the group `console` with `group_extras`; returns `dir`.
pub(crate) fn behind_one_address(
    dir: &Path,
    port: u16,
    known_hosts: &str,
    devices: usize,
    group_extras: Value,
) -> PathBuf {
    std::fs::write(dir.join("known_hosts"), known_hosts).expect("known_hosts");
    let hosts: serde_json::Map<String, Value> = (1..=devices)
        .map(|i| {
            let host = json!({
                "hostname": "127.0.0.1",
                "port": port,
                "platform": "cisco_ios",
                "groups": ["console"],
            });
            (format!("d{i:02}"), host)
        })
        .collect();
    let groups =
        json!({ "console": { "connection_options": { "netrun": { "extras": group_extras } } } });
    let defaults = json!({
        "username": USER,
        "password": PASSWORD,
        "connection_options": { "netrun": { "extras": {
            "secret": ENABLE_SECRET,
            "known_hosts": "known_hosts",
        } } },
    });
    for (file, value) in [
        ("hosts.yaml", Value::Object(hosts)),
        ("groups.yaml", groups),
        ("defaults.yaml", defaults),
    ] {
        std::fs::write(
            dir.join(file),
            serde_saphyr::to_string(&value).expect("yaml"),
        )
        .expect("write inventory");
    }
    dir.to_path_buf()
}

/// One `netrun` run of `args` over `inventory`: records by device, and the
/// process output.
pub(crate) fn run_over(
    work: &Path,
    inventory: &Path,
    args: &[&str],
) -> (BTreeMap<String, Value>, Output) {
    let out = work.join("out.jsonl");
    let _ = std::fs::remove_file(&out);
    let home = work.join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let result = output(
        netrun(&home)
            .env_remove("SSH_AUTH_SOCK")
            .args(args)
            .arg("-i")
            .arg(inventory)
            .arg("-o")
            .arg(&out),
    );
    let records = records_in(&out)
        .into_iter()
        .map(|r| (r["device"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    (records, result)
}

/// Panic message context: the records, netrun's stderr, the server's log.
pub(crate) fn context(
    records: &BTreeMap<String, Value>,
    result: &Output,
    server: &str,
    log: &str,
) -> String {
    let records: Vec<&Value> = records.values().collect();
    format!(
        "records: {records:#?}\nstderr:\n{}\n{server} log:\n{log}",
        String::from_utf8_lossy(&result.stderr),
    )
}

/// Twelve logins at once to the server at `port`, which closes those over
/// its limit of logins in progress (`limit`, under 12, at least 4) before its
/// banner (saying `says`, if it says anything): without retries those are
/// `connect-refused` naming the limit; with them every device gets in; and a
/// group's `max_sessions` of 4 keeps every login under the limit.
pub(crate) fn logins_over_a_limit(
    work: &Path,
    port: u16,
    known_hosts: &str,
    says: &str,
    log: &dyn Fn() -> String,
) {
    const DEVICES: usize = 12;
    let show = ["exec", "show clock", "--concurrency", "12"];
    let inventory = behind_one_address(work, port, known_hosts, DEVICES, json!({}));
    let attempts = |records: &BTreeMap<String, Value>| -> Vec<u64> {
        records
            .values()
            .map(|r| r["attempts"].as_u64().unwrap_or(0))
            .collect()
    };

    let args = [&show[..], &["--retries", "0"]].concat();
    let (records, result) = run_over(work, &inventory, &args);
    let why = context(&records, &result, "server", &log());
    let refused: Vec<&Value> = records.values().filter(|r| r["status"] != "ok").collect();
    assert!(
        !refused.is_empty(),
        "some logins were over the limit: {why}"
    );
    for r in refused {
        assert_eq!(r["error"]["class"], "connect-refused", "{why}");
        let message = r["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("before its SSH banner")
                && message.contains(says)
                && message.contains("limit of logins in progress")
                && message.contains("max_sessions"),
            "{why}"
        );
    }

    let args = [&show[..], &["--retries", "8", "--backoff", "0.3"]].concat();
    let (records, result) = run_over(work, &inventory, &args);
    let why = context(&records, &result, "server", &log());
    assert_eq!(records.len(), DEVICES, "{why}");
    assert!(records.values().all(|r| r["status"] == "ok"), "{why}");
    assert!(
        attempts(&records).iter().any(|&n| n > 1),
        "some logins were refused and tried again: {why}"
    );

    let inventory = behind_one_address(
        work,
        port,
        known_hosts,
        DEVICES,
        json!({ "max_sessions": 4 }),
    );
    let args = [&show[..], &["--retries", "0"]].concat();
    let (records, result) = run_over(work, &inventory, &args);
    let why = context(&records, &result, "server", &log());
    assert_eq!(records.len(), DEVICES, "{why}");
    assert!(records.values().all(|r| r["status"] == "ok"), "{why}");
    assert!(attempts(&records).iter().all(|&n| n == 1), "{why}");
}

#[test]
fn collect_facts_and_a_parsed_command_over_dropbear() {
    let Some(server) = Dropbear::start("facts") else {
        return;
    };
    let work = TempDir::new("dropbear");
    let inventory = server.inventory(work.path(), 1, json!({}));
    let (records, result) = run_over(work.path(), &inventory, &["run", "collect-facts"]);
    let why = server.context(&records, &result);
    assert_eq!(result.status.code(), Some(0), "{why}");
    let facts = &records["d01"]["data"];
    assert_eq!(facts["hostname"], HOST, "{why}");
    assert_eq!(facts["model"], MODEL, "{why}");
    assert_eq!(facts["serial"], SERIAL, "{why}");
    assert_eq!(facts["os_version"], VERSION, "{why}");

    let (records, result) = run_over(
        work.path(),
        &inventory,
        &["exec", "show ip interface brief"],
    );
    let why = server.context(&records, &result);
    assert_eq!(result.status.code(), Some(0), "{why}");
    let brief = &records["d01"]["data"]["commands"][0];
    assert_eq!(brief["parsed"], interface_rows(), "{why}");
}

#[test]
fn logins_dropbear_closes_over_its_limit_are_retried_and_max_sessions_keeps_under_it() {
    let Some(server) = Dropbear::start("limit") else {
        return;
    };
    // Dropbear keeps 5 logins in progress from one address and closes the
    // connections over that without a word.
    let work = TempDir::new("dropbear");
    logins_over_a_limit(
        work.path(),
        server.port,
        &server.known_hosts_line(),
        "accepted the connection and closed it",
        &|| server.log(),
    );
}
