//! netrun's SSH client against a real OpenSSH sshd on 127.0.0.1 whose login
//! user's session is a scripted IOS-like CLI (tests/sshd/ios-shell.py, run
//! through `ForceCommand` on the PTY sshd allocates).
//!
//! Needs root, `/usr/sbin/sshd` and the user `netrun-ios`: run
//! `tests/sshd/setup.sh` as root once. Without them the tests print SKIP and
//! pass, unless `CI` is set, where they fail.

use netrun_tests::{TempDir, netrun, output, read_jsonl, records_in, workspace};
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
pub(crate) const HOST: &str = "sshd-r1";

/// What tests/sshd/ios-shell.py prints (keep in step with its constants).
pub(crate) const VERSION: &str = "15.7(3)M8";
pub(crate) const MODEL: &str = "CISCO2911/K9";
pub(crate) const SERIAL: &str = "FTX1917AL2K";
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

/// The folder a test's server runs from, with ios-shell.py (the second
/// value) copied into it; `None`, after printing SKIP, when this machine is
/// not set up (nor `tools`, the server's own binaries, present) and `CI` is
/// unset.
pub(crate) fn server_dir(test: &str, tools: &[&str]) -> Option<(SharedDir, PathBuf)> {
    let missing = missing_precondition().or_else(|| {
        tools
            .iter()
            .find(|tool| !Path::new(tool).is_file())
            .map(|tool| format!("{tool} is missing"))
    });
    if let Some(why) = missing {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("{test}: {why}; run tests/sshd/setup.sh as root to prepare this machine");
        }
        eprintln!("SKIP {test}: {why} (run tests/sshd/setup.sh as root to enable)");
        return None;
    }
    let dir = SharedDir::new(test);
    let script = dir.0.join("ios-shell.py");
    std::fs::copy(workspace().join("tests/sshd/ios-shell.py"), &script).expect("copy ios-shell.py");
    chmod(&script, 0o755);
    Some((dir, script))
}

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
pub(crate) struct SharedDir(pub(crate) PathBuf);

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
        Sshd::start_opts(test, SshdOptions::default())
    }

    /// Start one whose shell gets `shell_args` (`sh -c` syntax, see
    /// ios-shell.py).
    pub(crate) fn start_with(test: &str, shell_args: &str) -> Option<Sshd> {
        Sshd::start_opts(
            test,
            SshdOptions {
                shell_args: shell_args.to_string(),
                ..SshdOptions::default()
            },
        )
    }

    /// Start one configured by `opts`.
    fn start_opts(test: &str, opts: SshdOptions) -> Option<Sshd> {
        let (dir, script) = server_dir(test, &[])?;
        let key = dir.0.join("hostkey");
        let keygen = output(
            Command::new("ssh-keygen")
                .args(["-q", "-t", opts.host_key, "-N", ""])
                .arg("-f")
                .arg(&key),
        );
        assert!(
            keygen.status.success(),
            "ssh-keygen: {}",
            String::from_utf8_lossy(&keygen.stderr)
        );
        std::fs::write(dir.0.join("authorized_keys"), &opts.authorized_keys)
            .expect("write authorized_keys");

        let (child, port) = listen_on_free_port("sshd", &dir.0.join("sshd.log"), |port| {
            let config = dir.0.join("sshd_config");
            std::fs::write(&config, sshd_config(port, &key, &script, &dir.0, &opts))
                .expect("write sshd_config");
            let mut sshd = Command::new(SSHD);
            sshd.args(["-D", "-e", "-f"]).arg(&config);
            sshd
        });
        Some(Sshd { child, port, dir })
    }

    /// What sshd logged so far (shown when a test fails).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("sshd.log")).unwrap_or_default()
    }

    /// The `known_hosts` line for this server's host key.
    pub(crate) fn known_hosts_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.0.join("hostkey.pub")).expect("hostkey.pub");
        known_hosts_entry(self.port, &public)
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
        let mut host = json!({
            "hostname": "127.0.0.1",
            "port": self.port,
            "platform": login.platform,
            "username": USER,
            "password": login.password,
            "connection_options": { "netrun": { "extras": login.extras } },
        });
        if let Some(alias) = &login.alias {
            host["hostname"] = json!(alias);
            if let Some(h) = host.as_object_mut() {
                h.remove("port");
            }
        }
        let hosts = json!({ HOST: host });
        let defaults = json!({ "connection_options": { "netrun": { "extras": extras } } });
        let hosts_file = dir.join("hosts.yaml");
        std::fs::write(&hosts_file, serde_saphyr::to_string(&hosts).expect("yaml"))
            .expect("write hosts.yaml");
        std::fs::write(
            dir.join("defaults.yaml"),
            serde_saphyr::to_string(&defaults).expect("yaml"),
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

/// The `known_hosts` line for a server on 127.0.0.1:`port` whose host key
/// is `public_key` (a public-key line: algorithm, base64 key, comment).
pub(crate) fn known_hosts_entry(port: u16, public_key: &str) -> String {
    let mut fields = public_key.split_whitespace();
    let (alg, key) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
    format!("[127.0.0.1]:{port} {alg} {key}\n")
}

/// Start the server `command(port)` builds on a free port of 127.0.0.1,
/// its stderr in `log`, and wait until it listens. A port freed just now
/// can be taken by someone else before the server binds it: up to five
/// ports are tried.
pub(crate) fn listen_on_free_port(
    name: &str,
    log: &Path,
    mut command: impl FnMut(u16) -> Command,
) -> (Child, u16) {
    let mut last_log = String::new();
    for _ in 0..5 {
        let port = free_port();
        let log_file = std::fs::File::create(log).expect("create the server's log");
        let mut child = command(port)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        if wait_listening(&mut child, port, Duration::from_secs(10)) {
            return (child, port);
        }
        let _ = child.kill();
        let _ = child.wait();
        last_log = std::fs::read_to_string(log).unwrap_or_default();
    }
    panic!("{name} did not start listening; its log:\n{last_log}");
}

/// A port of 127.0.0.1 free just now (also for foreign.rs's simulator).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Knobs of a test sshd.
struct SshdOptions {
    /// Arguments of ios-shell.py.
    shell_args: String,
    /// Host key type for ssh-keygen (`ed25519`, `rsa`).
    host_key: &'static str,
    /// Lines placed first in sshd_config (sshd keeps the first value).
    extra: String,
    /// `PasswordAuthentication`.
    password: bool,
    /// `KbdInteractiveAuthentication` (through PAM).
    keyboard_interactive: bool,
    /// `PubkeyAuthentication`, with `authorized_keys` in the test's folder.
    pubkey: bool,
    /// Contents of that authorized_keys.
    authorized_keys: String,
    /// Whether the session is the scripted IOS shell (`ForceCommand`); a
    /// jump host has none and allows TCP forwarding.
    ios_shell: bool,
}

impl Default for SshdOptions {
    fn default() -> Self {
        SshdOptions {
            shell_args: String::new(),
            host_key: "ed25519",
            extra: String::new(),
            password: true,
            keyboard_interactive: false,
            pubkey: false,
            authorized_keys: String::new(),
            ios_shell: true,
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn sshd_config(port: u16, host_key: &Path, script: &Path, dir: &Path, o: &SshdOptions) -> String {
    let session = if o.ios_shell {
        format!(
            "ForceCommand {PYTHON} {} {}\nAllowTcpForwarding no\n",
            script.display(),
            o.shell_args
        )
    } else {
        "AllowTcpForwarding yes\n".to_string()
    };
    format!(
        "{extra}Port {port}
ListenAddress 127.0.0.1
HostKey {key}
PidFile none
UsePAM {pam}
PasswordAuthentication {password}
KbdInteractiveAuthentication {kbd}
PubkeyAuthentication {pubkey}
AuthorizedKeysFile {keys}
PermitRootLogin no
AllowUsers {USER}
{session}StrictModes no
LogLevel VERBOSE
",
        extra = o.extra,
        key = host_key.display(),
        pam = yes_no(o.keyboard_interactive),
        password = yes_no(o.password),
        kbd = yes_no(o.keyboard_interactive),
        pubkey = yes_no(o.pubkey),
        keys = dir.join("authorized_keys").display(),
    )
}

/// How the inventory logs in.
pub(crate) struct Login {
    password: &'static str,
    secret: &'static str,
    known_hosts: KnownHosts,
    /// More `connection_options.netrun.extras` for the host.
    extras: Value,
    /// An inventory hostname resolved through ssh_config (no port set);
    /// `None` dials 127.0.0.1 on the server's port.
    alias: Option<String>,
    /// Environment of the netrun process (SSH_AUTH_SOCK is removed unless set here).
    env: Vec<(String, String)>,
    /// The host's platform.
    platform: &'static str,
}

impl Default for Login {
    fn default() -> Self {
        Login {
            password: PASSWORD,
            secret: ENABLE_SECRET,
            known_hosts: KnownHosts::ThisServer,
            extras: json!({}),
            alias: None,
            env: Vec::new(),
            platform: "cisco_ios",
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
    run_netrun_in(work.path(), sshd, login, args)
}

/// [`run_netrun`] with the inventory, results and HOME (`work/home`) in `work`.
pub(crate) fn run_netrun_in(
    work: &Path,
    sshd: &Sshd,
    login: &Login,
    args: &[&str],
) -> (Vec<Value>, Output) {
    let hosts = sshd.inventory(work, login);
    let out = work.join("out.jsonl");
    let home = work.join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let mut cmd = netrun(&home);
    cmd.env_remove("SSH_AUTH_SOCK");
    for (k, v) in &login.env {
        cmd.env(k, v);
    }
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
    let records = records_in(&out);
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

pub(crate) fn interface_rows() -> Value {
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

/// IOS 15 `show version` prints `Device#\t  PID\t\t\tSN` (License UDI
/// table). When a chunk from the device ends right after `Device#`, that
/// line looks like a privileged prompt; it must not end the command, since
/// its stem is not the device's (`sshd-r1`). The shell pauses after
/// `Device#` so that split happens every time.
#[test]
fn prompt_lookalike_at_a_chunk_boundary_does_not_end_the_command() {
    let Some(sshd) = Sshd::start_with("lookalike", "--pause-after 'Device#'") else {
        return;
    };
    let (records, result) = run_netrun(&sshd, &Login::default(), &["run", "collect-facts"]);
    let data = expect_ok(&records[0], &result, &sshd);
    assert_eq!(data["serial"], SERIAL);
    let names: Vec<&str> = INTERFACES.iter().map(|r| r.0).collect();
    assert_eq!(data["interfaces"], json!(names));
}

/// A new key pair `dir/name` of `kind` (ed25519, ecdsa, rsa) protected by
/// `passphrase` ("" for none); returns the private key path and public line.
fn user_key(dir: &Path, name: &str, kind: &str, passphrase: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let keygen = output(
        Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", passphrase, "-C", name])
            .arg("-f")
            .arg(&path),
    );
    assert!(
        keygen.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
    (path, public)
}

/// The sshd settings of a device that speaks only SHA-1 era algorithms.
const LEGACY_ONLY: &str = "KexAlgorithms diffie-hellman-group14-sha1
Ciphers aes128-cbc
HostKeyAlgorithms ssh-rsa
MACs hmac-sha1
";

#[test]
fn legacy_only_device_is_refused_by_default_and_reached_once_the_inventory_enables_legacy() {
    let Some(sshd) = Sshd::start_opts(
        "legacy",
        SshdOptions {
            host_key: "rsa",
            extra: LEGACY_ONLY.into(),
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    let (records, result) = run_netrun(&sshd, &Login::default(), &["exec", "show clock"]);
    let message = expect_error(&records[0], &result, &sshd, "ssh-protocol");
    assert!(message.starts_with(HOST), "{message}");
    assert!(
        message.contains("the device offers diffie-hellman-group14-sha1"),
        "{message}"
    );
    assert!(
        message.contains("connection_options.netrun.extras.legacy_algorithms: true"),
        "{message}"
    );

    let login = Login {
        extras: json!({ "legacy_algorithms": true }),
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
    let log = sshd.log();
    assert!(log.contains("Accepted password"), "sshd log:\n{log}");

    // Explicit lists work too: exactly what this device needs.
    let login = Login {
        extras: json!({
            "kex": ["diffie-hellman-group14-sha1"],
            "host_key_algorithms": ["+ssh-rsa"],
            "ciphers": ["+aes128-cbc"],
            "macs": ["+hmac-sha1"],
        }),
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
}

/// Log in with the default algorithms to an sshd offering the key
/// exchanges `kex` (its `KexAlgorithms`, its own order), run a command, and
/// return sshd's log of it (debug level: it names the key exchange agreed
/// and a group exchange's sizes); `None` where sshd cannot run (SKIP).
fn default_login_log(test: &str, kex: &str) -> Option<String> {
    let sshd = Sshd::start_opts(
        test,
        SshdOptions {
            extra: format!("KexAlgorithms {kex}\nLogLevel DEBUG3\n"),
            ..SshdOptions::default()
        },
    )?;
    let (records, result) = run_netrun(&sshd, &Login::default(), &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
    Some(sshd.log())
}

#[test]
fn a_device_offering_the_nist_curves_is_reached_with_the_default_algorithms() {
    // What many Cisco IOS-XE and NX-OS releases offer: the NIST curves, and
    // Diffie-Hellman only with SHA-1.
    let Some(log) = default_login_log(
        "nist-curves",
        "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha1",
    ) else {
        return;
    };
    assert!(
        log.contains("kex: algorithm: ecdh-sha2-nistp256"),
        "sshd log:\n{log}"
    );
}

#[test]
fn diffie_hellman_takes_the_smallest_group_offered_and_asks_for_3072_bits_in_an_exchange() {
    // The server's own order puts the largest group first: the client's
    // order decides.
    let Some(log) = default_login_log(
        "dh-groups",
        "diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256",
    ) else {
        return;
    };
    assert!(
        log.contains("kex: algorithm: diffie-hellman-group14-sha256"),
        "sshd log:\n{log}"
    );
    // A device with group exchange alone is asked for 2048 to 8192 bits,
    // 3072 preferred (russh's own default prefers 8192).
    let Some(log) = default_login_log("dh-gex", "diffie-hellman-group-exchange-sha256") else {
        return;
    };
    assert!(
        log.contains("kex: algorithm: diffie-hellman-group-exchange-sha256"),
        "sshd log:\n{log}"
    );
    assert!(
        log.contains("got parameters: 2048 3072 8192"),
        "sshd log:\n{log}"
    );
}

#[test]
fn a_linux_host_logged_in_to_as_root_stays_root_instead_of_logging_out() {
    // A root shell as the login shell (the prompt is root's): the linux
    // platform's default mode is the user prompt, and its way down from
    // root, `exit`, would end the session.
    let Some(sshd) = Sshd::start_opts(
        "linux-root",
        SshdOptions {
            extra: "ForceCommand env PS1='root@lab-host:~# ' /bin/sh -i\n".into(),
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    let login = Login {
        platform: "linux",
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "echo netrun-$((6 * 7))"]);
    let record = expect_ok(&records[0], &result, &sshd);
    let text = record.to_string();
    assert!(text.contains("netrun-42"), "{record:#}");
}

#[test]
fn keyboard_interactive_only_device_logs_in_with_the_inventory_password() {
    let Some(sshd) = Sshd::start_opts(
        "kbd-only",
        SshdOptions {
            password: false,
            keyboard_interactive: true,
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    let (records, result) = run_netrun(&sshd, &Login::default(), &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
    let log = sshd.log();
    assert!(
        log.contains("Accepted keyboard-interactive/pam"),
        "sshd log:\n{log}"
    );
}

#[test]
fn key_files_of_every_type_log_in_and_a_protected_key_needs_its_passphrase() {
    let keys = TempDir::new("keys");
    let ed = user_key(keys.path(), "id_ed25519", "ed25519", "");
    let ec = user_key(keys.path(), "id_ecdsa", "ecdsa", "");
    let rsa = user_key(keys.path(), "id_rsa", "rsa", "");
    let locked = user_key(keys.path(), "id_locked", "ed25519", "key-pass-phrase");
    let Some(sshd) = Sshd::start_opts(
        "key-files",
        SshdOptions {
            password: false,
            pubkey: true,
            authorized_keys: [&ed.1, &ec.1, &rsa.1, &locked.1]
                .iter()
                .map(|s| s.as_str())
                .collect(),
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    for (key, sshd_says) in [
        (&ed.0, "ED25519"),
        (&ec.0, "ECDSA"),
        // OpenSSH 8.8+ refuses SHA-1 `ssh-rsa` signatures by default, so
        // this login proves netrun signed with rsa-sha2-256/512.
        (&rsa.0, "RSA "),
    ] {
        let login = Login {
            password: "not-used",
            extras: json!({ "key_file": key }),
            ..Login::default()
        };
        let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
        expect_ok(&records[0], &result, &sshd);
        let log = sshd.log();
        assert!(
            log.lines()
                .any(|l| l.contains("Accepted publickey") && l.contains(sshd_says)),
            "{sshd_says}: sshd log:\n{log}"
        );
    }

    // Without the passphrase: an auth error that says how to give it.
    let login = Login {
        extras: json!({ "key_file": [&locked.0] }),
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    let message = expect_error(&records[0], &result, &sshd, "auth");
    assert!(message.contains("key_passphrase"), "{message}");

    let login = Login {
        extras: json!({ "key_file": [&locked.0], "key_passphrase": "key-pass-phrase" }),
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
}

/// A real ssh-agent on a socket, stopped on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_agent(dir: &Path) -> Agent {
    let socket = dir.join("agent.sock");
    let child = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ssh-agent");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    Agent { child, socket }
}

#[test]
fn ssh_agent_keys_are_tried_first() {
    let keys = TempDir::new("agent");
    let (key, public) = user_key(keys.path(), "id_agent", "ed25519", "");
    let Some(sshd) = Sshd::start_opts(
        "agent",
        SshdOptions {
            password: false,
            pubkey: true,
            authorized_keys: public,
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    let agent = start_agent(keys.path());
    let add = output(
        Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &agent.socket),
    );
    assert!(
        add.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&add.stderr)
    );
    // The key file is gone: only the agent can sign.
    std::fs::remove_file(&key).expect("remove key");
    let login = Login {
        password: "not-used",
        env: vec![("SSH_AUTH_SOCK".into(), agent.socket.display().to_string())],
        ..Login::default()
    };
    let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
    expect_ok(&records[0], &result, &sshd);
    let log = sshd.log();
    assert!(
        log.lines()
            .any(|l| l.contains("Accepted publickey") && l.contains("ED25519")),
        "sshd log:\n{log}"
    );
}

#[test]
fn two_hop_proxy_jump_from_ssh_config_reaches_the_device() {
    let keys = TempDir::new("jump-keys");
    let (key, public) = user_key(keys.path(), "id_jump", "ed25519", "");
    let jump = || SshdOptions {
        password: false,
        pubkey: true,
        authorized_keys: public.clone(),
        ios_shell: false,
        ..SshdOptions::default()
    };
    let (Some(jump1), Some(jump2), Some(sshd)) = (
        Sshd::start_opts("jump1", jump()),
        Sshd::start_opts("jump2", jump()),
        Sshd::start("behind-jumps"),
    ) else {
        return;
    };
    let work = TempDir::new("jump");
    let config = work.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host jump1\n  HostName 127.0.0.1\n  Port {}\nHost jump2\n  HostName 127.0.0.1\n  Port {}\nHost r1-behind-*\n  HostName 127.0.0.1\n  Port {}\n  ProxyJump jump1,jump2\nHost *\n  ConnectTimeout 5\n",
            jump1.port, jump2.port, sshd.port
        ),
    )
    .expect("write ssh_config");
    let login = Login {
        known_hosts: KnownHosts::Line(format!(
            "{}{}{}",
            sshd.known_hosts_line(),
            jump1.known_hosts_line(),
            jump2.known_hosts_line()
        )),
        extras: json!({ "key_file": key }),
        alias: Some("r1-behind-jumps".into()),
        ..Login::default()
    };
    let config_arg = config.display().to_string();
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--ssh-config", &config_arg],
    );
    let why = format!(
        "{}\njump1 log:\n{}\njump2 log:\n{}",
        context(&records[0], &result, &sshd),
        jump1.log(),
        jump2.log()
    );
    assert_eq!(records[0]["status"], "ok", "{why}");
    // Each jump host logged the netrun key in; the device saw a password login.
    for j in [&jump1, &jump2] {
        assert!(j.log().contains("Accepted publickey"), "{why}");
    }
    assert!(sshd.log().contains("Accepted password"), "{why}");

    // Three devices behind the same jumps, one channel at a time through each
    // jump host: every device gets through, over one session per jump host.
    let logins_before: Vec<usize> = [&jump1, &jump2]
        .iter()
        .map(|j| j.log().matches("Accepted publickey").count())
        .collect();
    let hosts: serde_json::Map<String, Value> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            (
                format!("dev-{n}"),
                json!({
                    "hostname": format!("r1-behind-{n}"),
                    "platform": "cisco_ios",
                    "username": USER,
                    "password": PASSWORD,
                    "connection_options": { "netrun": { "extras": { "key_file": key } } },
                }),
            )
        })
        .collect();
    let hosts_file = work.path().join("three.yaml");
    std::fs::write(&hosts_file, serde_saphyr::to_string(&hosts).expect("yaml")).expect("write");
    let out = work.path().join("three.jsonl");
    let result = output(
        netrun(&work.path().join("home"))
            .env_remove("SSH_AUTH_SOCK")
            .args(["exec", "show clock", "--ssh-config", &config_arg])
            .args(["--jump-concurrency", "1", "--device-timeout", "90"])
            .arg("-i")
            .arg(&hosts_file)
            .arg("-o")
            .arg(&out),
    );
    let records = read_jsonl(&out);
    let why = format!(
        "records: {records:#?}\nstderr:\n{}\njump1 log:\n{}",
        String::from_utf8_lossy(&result.stderr),
        jump1.log()
    );
    assert_eq!(records.len(), 3, "{why}");
    assert!(records.iter().all(|r| r["status"] == "ok"), "{why}");
    for (j, before) in [&jump1, &jump2].iter().zip(logins_before) {
        assert_eq!(
            j.log().matches("Accepted publickey").count(),
            before + 1,
            "one shared session per jump host: {why}"
        );
    }
}

#[test]
fn accept_new_records_a_line_that_openssh_ssh_accepts() {
    let Some(sshd) = Sshd::start("accept-new") else {
        return;
    };
    if !Path::new("/usr/bin/sshpass").is_file() {
        eprintln!(
            "SKIP accept-new check with ssh: sshpass missing (tests/sshd/setup.sh installs it)"
        );
        return;
    }
    let work = TempDir::new("accept-new");
    let login = Login {
        known_hosts: KnownHosts::NotNamed,
        ..Login::default()
    };
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--host-key-policy", "accept-new"],
    );
    expect_ok(&records[0], &result, &sshd);
    let recorded = work.path().join("home/.ssh/known_hosts");
    let text = std::fs::read_to_string(&recorded).expect("accept-new wrote known_hosts");
    assert_eq!(text.lines().count(), 1, "{text}");

    let ssh = output(
        Command::new("timeout")
            .args(["30", "sshpass", "-p", PASSWORD, "ssh", "-v"])
            .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=no"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", recorded.display()))
            .args([
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "ConnectTimeout=10",
            ])
            .args(["-o", "PubkeyAuthentication=no", "-F", "/dev/null"])
            .arg("-p")
            .arg(sshd.port.to_string())
            .arg(format!("{USER}@127.0.0.1"))
            .arg("exit")
            .stdin(Stdio::null()),
    );
    let stderr = String::from_utf8_lossy(&ssh.stderr);
    assert!(
        stderr.contains(&format!(
            "Host '[127.0.0.1]:{}' is known and matches the ED25519 host key",
            sshd.port
        )),
        "ssh did not accept the recorded line {text:?}:\n{stderr}"
    );
    assert!(!stderr.contains("Host key verification failed"), "{stderr}");
}

#[test]
fn session_log_has_the_transcript_without_secrets() {
    let Some(sshd) = Sshd::start("session-log") else {
        return;
    };
    let work = TempDir::new("session-log");
    let logs = work.path().join("logs");
    let logs_arg = logs.display().to_string();
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &Login::default(),
        &["exec", "show clock", "--session-log", &logs_arg],
    );
    expect_ok(&records[0], &result, &sshd);
    let text = std::fs::read_to_string(logs.join(format!("{HOST}.log"))).expect("session log");
    assert!(text.contains("show clock"), "{text}");
    assert!(text.contains(" UTC "), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains(ENABLE_SECRET), "{text}");
    assert!(text.contains("********"), "{text}");
}

#[test]
fn ssh_config_strict_host_key_checking_and_user_known_hosts_file_are_honoured() {
    let Some(sshd) = Sshd::start("ssh-config-hostkeys") else {
        return;
    };
    let work = TempDir::new("ssh-config-hostkeys");
    let recorded = work.path().join("kh_from_config");
    let config = work.path().join("ssh_config");
    let write_config = |policy: &str| {
        std::fs::write(
            &config,
            format!(
                "Host 127.0.0.1\n  StrictHostKeyChecking {policy}\n  UserKnownHostsFile {}\n",
                recorded.display()
            ),
        )
        .expect("write ssh_config");
    };
    let config_arg = config.display().to_string();
    let login = Login {
        known_hosts: KnownHosts::NotNamed,
        ..Login::default()
    };
    // accept-new from ssh_config records the key in its UserKnownHostsFile…
    write_config("accept-new");
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--ssh-config", &config_arg],
    );
    expect_ok(&records[0], &result, &sshd);
    let text = std::fs::read_to_string(&recorded).expect("key recorded");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(!work.path().join("home/.ssh/known_hosts").exists());
    // …which a strict run then trusts.
    write_config("yes");
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--ssh-config", &config_arg],
    );
    expect_ok(&records[0], &result, &sshd);
    // Without that file, strict refuses.
    std::fs::remove_file(&recorded).expect("remove");
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--ssh-config", &config_arg],
    );
    expect_error(&records[0], &result, &sshd, "host-key");
}

#[test]
fn jump_host_that_refuses_forwarding_is_reported_with_the_fix() {
    // The default test sshd has `AllowTcpForwarding no`; it logs in with a
    // password (`jump_password`).
    let (Some(jump), Some(sshd)) = (
        Sshd::start("no-forwarding-jump"),
        Sshd::start("behind-no-forwarding"),
    ) else {
        return;
    };
    let work = TempDir::new("no-forwarding");
    let config = work.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host bastion\n  HostName 127.0.0.1\n  Port {}\nHost r1-behind\n  HostName 127.0.0.1\n  Port {}\n  ProxyJump bastion\n",
            jump.port, sshd.port
        ),
    )
    .expect("write ssh_config");
    let login = Login {
        known_hosts: KnownHosts::Line(format!(
            "{}{}",
            sshd.known_hosts_line(),
            jump.known_hosts_line()
        )),
        extras: json!({ "jump_password": PASSWORD }),
        alias: Some("r1-behind".into()),
        ..Login::default()
    };
    let config_arg = config.display().to_string();
    let (records, result) = run_netrun_in(
        work.path(),
        &sshd,
        &login,
        &["exec", "show clock", "--ssh-config", &config_arg],
    );
    let message = expect_error(&records[0], &result, &jump, "connect-refused");
    assert!(message.contains("jump host bastion"), "{message}");
    assert!(message.contains("AllowTcpForwarding"), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");
    assert!(jump.log().contains("Accepted password"), "{}", jump.log());
}

#[test]
fn every_legacy_kex_and_cipher_is_reached_with_legacy_algorithms_enabled() {
    for (kex, cipher) in [
        ("diffie-hellman-group1-sha1", "3des-cbc"),
        ("diffie-hellman-group-exchange-sha1", "aes256-cbc"),
    ] {
        let Some(sshd) = Sshd::start_opts(
            "legacy-variants",
            SshdOptions {
                host_key: "rsa",
                extra: format!(
                    "KexAlgorithms {kex}\nCiphers {cipher}\nHostKeyAlgorithms ssh-rsa\nMACs hmac-sha1\n"
                ),
                ..SshdOptions::default()
            },
        ) else {
            return;
        };
        let (records, result) = run_netrun(&sshd, &Login::default(), &["exec", "show clock"]);
        let message = expect_error(&records[0], &result, &sshd, "ssh-protocol");
        assert!(message.contains(kex), "{message}");
        let login = Login {
            extras: json!({ "legacy_algorithms": true }),
            ..Login::default()
        };
        let (records, result) = run_netrun(&sshd, &login, &["exec", "show clock"]);
        expect_ok(&records[0], &result, &sshd);
    }
}

/// `netrun get` with platform `linux` against OpenSSH's sshd and the login
/// user's own shell (Debian's `/bin/sh`, dash: prompt `$ `): a Linux host
/// as operators reach it, not a simulator. LLDP is `unsupported` (with the
/// reason) where the host runs no lldpd, and the other getters still answer.
#[test]
fn linux_getters_over_openssh_sshd_with_the_users_own_shell() {
    let opts = SshdOptions {
        ios_shell: false,
        ..SshdOptions::default()
    };
    let Some(sshd) = Sshd::start_opts("linux-getters", opts) else {
        return;
    };
    let work = TempDir::new("linux-getters");
    std::fs::write(work.path().join("known_hosts"), sshd.known_hosts_line())
        .expect("write known_hosts");
    let hosts = json!({ HOST: {
        "hostname": "127.0.0.1",
        "port": sshd.port,
        "platform": "linux",
        "username": USER,
        "password": PASSWORD,
        "connection_options": { "netrun": { "extras": { "known_hosts": "known_hosts" } } },
    }});
    let hosts_file = work.path().join("hosts.yaml");
    std::fs::write(&hosts_file, serde_saphyr::to_string(&hosts).expect("yaml"))
        .expect("write hosts.yaml");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let out = work.path().join("out.jsonl");
    let result = output(
        netrun(&home)
            .env_remove("SSH_AUTH_SOCK")
            .args([
                "get",
                "facts,interfaces,interfaces_ip,arp_table,lldp_neighbors,environment",
                "--command-timeout",
                "30",
            ])
            .arg("-i")
            .arg(&hosts_file)
            .arg("-o")
            .arg(&out),
    );
    let records = records_in(&out);
    assert_eq!(
        records.len(),
        1,
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let data = expect_ok(&records[0], &result, &sshd);
    let why = context(&records[0], &result, &sshd);

    // What this machine says of itself, read here without netrun.
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let pretty = std::fs::read_to_string("/etc/os-release")
        .expect("os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .expect("PRETTY_NAME");
    let facts = &data["facts"];
    assert_eq!(facts["hostname"], hostname.trim(), "{why}");
    assert_eq!(facts["vendor"], "Linux", "{why}");
    assert_eq!(facts["os_version"], pretty.as_str(), "{why}");
    assert!(facts["uptime"].as_f64().is_some_and(|u| u > 0.0), "{why}");
    let list = facts["interface_list"].as_array().expect("interface_list");
    assert!(list.iter().any(|i| i == "lo"), "{why}");
    assert_eq!(data["interfaces"]["lo"]["is_up"], true, "{why}");
    assert_eq!(
        data["interfaces_ip"]["lo"]["ipv4"]["127.0.0.1"]["prefix_length"], 8,
        "{why}"
    );
    assert!(data["arp_table"].is_array(), "{why}");
    assert!(
        data["environment"]["memory"]["available_ram"]
            .as_u64()
            .is_some_and(|m| m > 0),
        "{why}"
    );
    let has_lldpd = ["/usr/sbin/lldpctl", "/usr/bin/lldpctl"]
        .iter()
        .any(|p| Path::new(p).exists());
    if !has_lldpd {
        assert_eq!(data["unsupported"], json!(["lldp_neighbors"]), "{why}");
        let reason = data["unsupported_reasons"]["lldp_neighbors"]
            .as_str()
            .unwrap_or_default();
        assert!(reason.contains("lldpd"), "{why}");
    }
}

#[test]
fn logins_over_max_startups_are_retried_and_max_sessions_keeps_under_it() {
    // OpenSSH keeps MaxStartups unauthenticated connections and answers
    // those over it with a line before it closes them.
    let Some(sshd) = Sshd::start_opts(
        "max-startups",
        SshdOptions {
            extra: "MaxStartups 5\n".into(),
            ..SshdOptions::default()
        },
    ) else {
        return;
    };
    let work = TempDir::new("max-startups");
    crate::dropbear::logins_over_a_limit(
        work.path(),
        sshd.port,
        &sshd.known_hosts_line(),
        r#"saying "Exceeded MaxStartups""#,
        &|| sshd.log(),
    );
}
