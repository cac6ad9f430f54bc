//! netrun's SSH client against a real OpenSSH sshd on 127.0.0.1 whose login
//! user's session is a scripted IOS-like CLI (tests/sshd/ios-shell.py, run
//! through `ForceCommand` on the PTY sshd allocates).
//!
//! Needs root, `/usr/sbin/sshd` and the user `netrun-ios`: run
//! `tests/sshd/setup.sh` as root once. Without them the tests print SKIP and
//! pass, unless `CI` is set, where they fail.

use netrun_tests::{TempDir, netrun, output, read_jsonl, workspace};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";
const PYTHON: &str = "/usr/bin/python3";
pub(crate) const USER: &str = "netrun-ios";
pub(crate) const PASSWORD: &str = "netrun-ios-pw";
pub(crate) const ENABLE_SECRET: &str = "netrun-ios-enable";
const HOST: &str = "sshd-r1";

/// What tests/sshd/ios-shell.py prints (keep in step with its constants).
const VERSION: &str = "15.7(3)M8";
const MODEL: &str = "CISCO2911/K9";
const SERIAL: &str = "FTX1917AL2K";
const UPTIME: &str = "1 year, 12 weeks, 3 days, 4 hours, 5 minutes";
/// `show ip interface brief`: interface, IP address, status, protocol.
const INTERFACES: [(&str, &str, &str, &str); 8] = [
    (
        "Embedded-Service-Engine0/0",
        "unassigned",
        "administratively down",
        "down",
    ),
    ("GigabitEthernet0/0", "198.51.100.10", "up", "up"),
    ("GigabitEthernet0/1", "unassigned", "up", "up"),
    ("GigabitEthernet0/1.100", "10.100.0.1", "up", "up"),
    ("GigabitEthernet0/1.200", "10.200.0.1", "up", "up"),
    ("GigabitEthernet0/2", "unassigned", "down", "down"),
    ("Loopback0", "10.255.255.1", "up", "up"),
    ("Tunnel10", "172.31.0.1", "up", "down"),
];

/// Why the tests cannot run here, if they cannot.
fn missing_precondition() -> Option<String> {
    if !is_root() {
        return Some("not running as root (sshd must start as root to log users in)".into());
    }
    for tool in [SSHD, PYTHON, "/usr/bin/ssh-keygen"] {
        if !Path::new(tool).is_file() {
            return Some(format!("{tool} is missing"));
        }
    }
    let user = Command::new("getent").args(["passwd", USER]).output();
    if !user.is_ok_and(|o| o.status.success()) {
        return Some(format!("user {USER} does not exist"));
    }
    None
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// A folder under /tmp that the sshd user can read (the system temp dir may
/// be private), removed on drop.
struct SharedDir(PathBuf);

impl SharedDir {
    fn new(tag: &str) -> SharedDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = PathBuf::from("/tmp").join(format!(
            "netrun-sshd-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create sshd dir");
        chmod(&dir, 0o755);
        SharedDir(dir)
    }
}

impl Drop for SharedDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// An OpenSSH sshd on a free port of 127.0.0.1, stopped on drop. Also used
/// by the mixed-inventory resilience test (faults.rs).
pub(crate) struct Sshd {
    child: Child,
    pub(crate) port: u16,
    dir: SharedDir,
}

impl Sshd {
    /// Start one, or `None` (after printing SKIP) when this machine is not
    /// set up and `CI` is unset.
    pub(crate) fn start(test: &str) -> Option<Sshd> {
        if let Some(why) = missing_precondition() {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("{test}: {why}; run tests/sshd/setup.sh as root to prepare this machine");
            }
            eprintln!("SKIP {test}: {why} (run tests/sshd/setup.sh as root to enable)");
            return None;
        }
        let dir = SharedDir::new(test);
        let script = dir.0.join("ios-shell.py");
        std::fs::copy(workspace().join("tests/sshd/ios-shell.py"), &script)
            .expect("copy ios-shell.py");
        chmod(&script, 0o755);
        let key = dir.0.join("hostkey");
        let keygen = output(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", ""])
                .arg("-f")
                .arg(&key),
        );
        assert!(
            keygen.status.success(),
            "ssh-keygen: {}",
            String::from_utf8_lossy(&keygen.stderr)
        );

        // A port freed just now can be taken by someone else before sshd
        // binds it: try again with another.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let config = dir.0.join("sshd_config");
            std::fs::write(&config, sshd_config(port, &key, &script)).expect("write sshd_config");
            let log = dir.0.join("sshd.log");
            let log_file = std::fs::File::create(&log).expect("create sshd.log");
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
            if wait_listening(&mut child, port, Duration::from_secs(10)) {
                return Some(Sshd { child, port, dir });
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
        }
        panic!("sshd did not start listening; its log:\n{last_log}");
    }

    /// What sshd logged so far (shown when a test fails).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("sshd.log")).unwrap_or_default()
    }

    /// The `known_hosts` line for this server's host key.
    pub(crate) fn known_hosts_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.0.join("hostkey.pub")).expect("hostkey.pub");
        let mut fields = public.split_whitespace();
        let (alg, key) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        format!("[127.0.0.1]:{} {alg} {key}\n", self.port)
    }

    /// Write an inventory for this server into `dir`; returns hosts.yaml.
    fn inventory(&self, dir: &Path, login: &Login) -> PathBuf {
        let known_hosts = match &login.known_hosts {
            KnownHosts::ThisServer => Some(self.known_hosts_line()),
            KnownHosts::Line(line) => Some(line.clone()),
            KnownHosts::Empty => Some(String::new()),
            KnownHosts::NotNamed => None,
        };
        let mut extras = json!({ "secret": login.secret });
        if let Some(text) = known_hosts {
            std::fs::write(dir.join("known_hosts"), text).expect("write known_hosts");
            extras["known_hosts"] = json!("known_hosts");
        }
        let hosts = json!({
            HOST: {
                "hostname": "127.0.0.1",
                "port": self.port,
                "platform": "cisco_ios",
                "username": USER,
                "password": login.password,
            }
        });
        let defaults = json!({ "connection_options": { "netrun": { "extras": extras } } });
        let hosts_file = dir.join("hosts.yaml");
        std::fs::write(&hosts_file, serde_yaml::to_string(&hosts).expect("yaml"))
            .expect("write hosts.yaml");
        std::fs::write(
            dir.join("defaults.yaml"),
            serde_yaml::to_string(&defaults).expect("yaml"),
        )
        .expect("write defaults.yaml");
        hosts_file
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `port` accepts TCP before `limit`; false if sshd exited.
fn wait_listening(child: &mut Child, port: u16, limit: Duration) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

fn sshd_config(port: u16, host_key: &Path, script: &Path) -> String {
    format!(
        "Port {port}
ListenAddress 127.0.0.1
HostKey {key}
PidFile none
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
AllowUsers {USER}
ForceCommand {PYTHON} {script}
StrictModes no
LogLevel VERBOSE
",
        key = host_key.display(),
        script = script.display(),
    )
}

/// How the inventory logs in.
struct Login {
    password: &'static str,
    secret: &'static str,
    known_hosts: KnownHosts,
}

impl Default for Login {
    fn default() -> Self {
        Login {
            password: PASSWORD,
            secret: ENABLE_SECRET,
            known_hosts: KnownHosts::ThisServer,
        }
    }
}

/// The known_hosts file the inventory names.
enum KnownHosts {
    /// This server's key.
    ThisServer,
    /// This text.
    Line(String),
    /// An empty file.
    Empty,
    /// None named (and the private HOME has no ~/.ssh/known_hosts).
    NotNamed,
}

/// One `netrun` run against `sshd` with the inventory `login` describes:
/// its records and its process output.
fn run_netrun(sshd: &Sshd, login: &Login, args: &[&str]) -> (Vec<Value>, Output) {
    let work = TempDir::new("openssh");
    let hosts = sshd.inventory(work.path(), login);
    let out = work.path().join("out.jsonl");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let mut cmd = netrun(&home);
    cmd.args(args)
        .arg("-i")
        .arg(&hosts)
        .arg("-o")
        .arg(&out)
        .args([
            "--connect-timeout",
            "10",
            "--command-timeout",
            "30",
            "--device-timeout",
            "90",
        ]);
    let result = output(&mut cmd);
    let records = if out.is_file() {
        read_jsonl(&out)
    } else {
        Vec::new()
    };
    assert_eq!(
        records.len(),
        1,
        "expected one record; stdout:\n{}\nstderr:\n{}\nsshd log:\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr),
        sshd.log()
    );
    (records, result)
}

/// Panic message context for a record.
fn context(record: &Value, result: &Output, sshd: &Sshd) -> String {
    format!(
        "record: {record:#}\nstderr:\n{}\nsshd log:\n{}",
        String::from_utf8_lossy(&result.stderr),
        sshd.log()
    )
}

fn expect_ok<'a>(record: &'a Value, result: &Output, sshd: &Sshd) -> &'a Value {
    let why = context(record, result, sshd);
    assert_eq!(record["device"], HOST, "{why}");
    assert_eq!(record["status"], "ok", "{why}");
    assert_eq!(result.status.code(), Some(0), "{why}");
    &record["data"]
}

fn expect_error(record: &Value, result: &Output, sshd: &Sshd, class: &str) -> String {
    let why = context(record, result, sshd);
    assert_eq!(record["device"], HOST, "{why}");
    assert_eq!(record["status"], "error", "{why}");
    assert_eq!(record["error"]["class"], class, "{why}");
    assert_eq!(result.status.code(), Some(2), "{why}");
    record["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn interface_rows() -> Value {
    INTERFACES
        .iter()
        .map(|(interface, ip, status, proto)| {
            json!({"interface": interface, "ip_address": ip, "status": status, "proto": proto})
        })
        .collect()
}

#[test]
fn collect_facts_over_openssh_sshd_with_scripted_ios_shell() {
    let Some(sshd) = Sshd::start("collect-facts") else {
        return;
    };
    let (records, result) = run_netrun(&sshd, &Login::default(), &["run", "collect-facts"]);
    let data = expect_ok(&records[0], &result, &sshd);
    let why = context(&records[0], &result, &sshd);
    assert_eq!(data["hostname"], HOST, "{why}");
    assert_eq!(data["vendor"], "Cisco", "{why}");
    assert_eq!(data["model"], MODEL, "{why}");
    assert_eq!(data["serial"], SERIAL, "{why}");
    assert_eq!(data["os_version"], VERSION, "{why}");
    assert_eq!(data["uptime"], UPTIME, "{why}");
    let seconds = 365 * 86_400 + 12 * 7 * 86_400 + 3 * 86_400 + 4 * 3_600 + 5 * 60;
    assert_eq!(data["uptime_seconds"], seconds, "{why}");
    let names: Vec<&str> = INTERFACES.iter().map(|r| r.0).collect();
    assert_eq!(data["interfaces"], json!(names), "{why}");
}

#[test]
fn exec_parses_show_ip_interface_brief_from_openssh() {
    let Some(sshd) = Sshd::start("exec-brief") else {
        return;
    };
    let (records, result) = run_netrun(
        &sshd,
        &Login::default(),
        &["exec", "show ip interface brief", "show clock"],
    );
    let data = expect_ok(&records[0], &result, &sshd);
    let why = context(&records[0], &result, &sshd);
    let commands = data["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 2, "{why}");

    let brief = &commands[0];
    assert_eq!(brief["command"], "show ip interface brief", "{why}");
    assert_eq!(brief["parsed"], interface_rows(), "{why}");
    // The text is the table alone: no echo of the command, no prompt.
    let text = brief["output"].as_str().unwrap_or_default();
    assert!(text.starts_with("Interface "), "{why}");
    assert!(
        text.trim_end().ends_with("up                    down"),
        "{why}"
    );
    assert!(!text.contains(HOST), "{why}");

    // No parser for `show clock`: the output alone, e.g.
    // `*08:17:49.943 UTC Wed Nov 25 2026`.
    let clock = commands[1]["output"].as_str().unwrap_or_default();
    assert!(clock.starts_with('*') && clock.contains(" UTC "), "{why}");
    assert_eq!(clock.lines().count(), 1, "{why}");
}

#[test]
fn wrong_password_against_openssh_is_classified_auth() {
    let Some(sshd) = Sshd::start("wrong-password") else {
        return;
    };
    let login = Login {
        password: "not-the-password",
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    let message = expect_error(&records[0], &result, &sshd, "auth");
    assert!(message.contains(USER), "{message}");
    assert!(
        !message.contains("not-the-password"),
        "the password leaked: {message}"
    );
    // sshd saw the failed attempt (and no session ran).
    let log = sshd.log();
    assert!(
        log.contains(&format!("Failed password for {USER}")),
        "sshd log:\n{log}"
    );
}

#[test]
fn wrong_enable_secret_is_classified_auth() {
    let Some(sshd) = Sshd::start("wrong-enable") else {
        return;
    };
    let login = Login {
        secret: "not-the-secret",
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    let message = expect_error(&records[0], &result, &sshd, "auth");
    assert!(message.contains("enable"), "{message}");
    assert!(
        !message.contains("not-the-secret"),
        "the secret leaked: {message}"
    );
}

#[test]
fn unknown_host_key_is_refused_by_default() {
    let Some(sshd) = Sshd::start("unknown-key") else {
        return;
    };
    let fingerprint = output(
        Command::new("ssh-keygen")
            .arg("-lf")
            .arg(sshd.dir.0.join("hostkey.pub")),
    );
    let fingerprint = String::from_utf8_lossy(&fingerprint.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        fingerprint.starts_with("SHA256:"),
        "ssh-keygen -l: {fingerprint}"
    );

    for known_hosts in [KnownHosts::Empty, KnownHosts::NotNamed] {
        let login = Login {
            known_hosts,
            ..Login::default()
        };
        let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
        let message = expect_error(&records[0], &result, &sshd, "host-key");
        // The message names the key the server offered, as ssh-keygen -l does.
        assert!(message.contains("SHA256:"), "{message}");
        assert!(
            message.contains(&fingerprint),
            "{message} lacks {fingerprint}"
        );
    }
    // Nothing past key exchange: no login was attempted.
    let log = sshd.log();
    assert!(!log.contains("password for"), "sshd log:\n{log}");
}

#[test]
fn changed_host_key_is_refused() {
    let Some(sshd) = Sshd::start("changed-key") else {
        return;
    };
    // Another ed25519 key recorded for this host:port.
    let other = sshd.dir.0.join("other");
    let keygen = output(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&other),
    );
    assert!(keygen.status.success());
    let public = std::fs::read_to_string(other.with_extension("pub")).expect("other.pub");
    let mut fields = public.split_whitespace();
    let line = format!(
        "[127.0.0.1]:{} {} {}\n",
        sshd.port,
        fields.next().unwrap_or(""),
        fields.next().unwrap_or("")
    );
    let login = Login {
        known_hosts: KnownHosts::Line(line),
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    let message = expect_error(&records[0], &result, &sshd, "host-key");
    assert!(message.contains("CHANGED"), "{message}");
}

#[test]
fn invalid_command_is_rejected_command() {
    let Some(sshd) = Sshd::start("invalid-command") else {
        return;
    };
    let (records, result) = run_netrun(&sshd, &Login::default(), &["exec", "show foo"]);
    let message = expect_error(&records[0], &result, &sshd, "rejected-command");
    assert!(message.contains("show foo"), "{message}");
    assert!(message.contains("% Invalid input detected"), "{message}");
}
