//! Helpers shared by the integration tests: where the built `netrun` binary
//! and plugin bundles are, temporary folders, running the CLI.
//!
//! The tests drive the real binary. Build it and the plugins first
//! (`cargo build --workspace && scripts/build-plugins.sh`; `.ci/run` does).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The cargo target folder this test binary was built into.
pub fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    workspace().join("target")
}

/// The `netrun` binary: `$NETRUN_BIN`, else the debug build beside this test.
pub fn netrun_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("NETRUN_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/integration-… → target/<profile>/netrun
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("netrun"))
        .unwrap_or_default();
    assert!(
        bin.is_file(),
        "{} not found: run `cargo build --workspace` first",
        bin.display()
    );
    bin
}

/// Folder with the first-party plugin bundles.
pub fn plugin_dir() -> PathBuf {
    let dir = target_dir().join("plugins");
    assert!(
        dir.join("cisco-ios").join("netrun-plugin.toml").is_file(),
        "{} has no plugin bundles: run scripts/build-plugins.sh first",
        dir.display()
    );
    dir
}

/// A `netrun` command with the first-party plugins and a private HOME, so
/// the user's own known_hosts and plugins do not leak into tests.
pub fn netrun(home: &Path) -> Command {
    netrun_cmd_with_plugins(home, &[&plugin_dir()])
}

/// Like [`netrun()`], with these plugin folders searched in order.
pub fn netrun_cmd_with_plugins(home: &Path, plugin_dirs: &[&Path]) -> Command {
    let mut c = Command::new(netrun_bin());
    for d in plugin_dirs {
        c.arg("--plugin-dir").arg(d);
    }
    c.env("HOME", home);
    c.env("XDG_DATA_HOME", home.join("data"));
    c.env("XDG_CACHE_HOME", target_dir().join("test-cache"));
    c.env_remove("NETRUN_PLUGIN_PATH");
    c
}

/// Run and capture, with stdout/stderr in the panic message on failure to spawn.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// [`output`] on a blocking thread, for tests whose lab serves from this
/// test's runtime (running the command on a worker would stall the lab).
pub async fn output_off_runtime(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .expect("the command's thread")
}

/// Exit code 0, or the command's stderr in the panic message.
pub fn assert_exit_ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Parse a JSON Lines file.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l}: {e}")))
        .collect()
}

/// A TextFSM template of one row from IOS `show version`: the hostname and
/// uptime of its `NAME uptime is …` line (for `exec --template` tests).
pub const UPTIME_TEMPLATE: &str = "Value HOSTNAME (\\S+)\nValue UPTIME (.+)\n\nStart\n  ^${HOSTNAME} uptime is ${UPTIME} -> Record\n";

/// Check that `command` (a record's `show version` entry) was parsed by
/// [`UPTIME_TEMPLATE`] saved as `uptime.textfsm`: its one row is the
/// output's own `NAME uptime is …` line.
pub fn assert_parsed_by_uptime_template(command: &serde_json::Value) {
    assert_eq!(command["parser"], "textfsm:uptime.textfsm", "{command}");
    let text = command["output"].as_str().unwrap_or_default();
    let line = text
        .lines()
        .find(|l| l.contains(" uptime is "))
        .unwrap_or_else(|| panic!("no uptime line: {text}"));
    let (host, uptime) = line.split_once(" uptime is ").unwrap_or_default();
    assert_eq!(
        command["parsed"],
        serde_json::json!([{"hostname": host, "uptime": uptime.trim_end()}]),
        "{command}"
    );
}

/// The records netrun wrote to `out`; none when it wrote no file.
pub fn records_in(out: &Path) -> Vec<serde_json::Value> {
    if out.is_file() {
        read_jsonl(out)
    } else {
        Vec::new()
    }
}

/// [`records_in`], in device-name order.
pub fn records_by_device(out: &Path) -> Vec<serde_json::Value> {
    let mut records = records_in(out);
    records.sort_by(|a, b| a["device"].as_str().cmp(&b["device"].as_str()));
    records
}

/// A temporary folder removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder under the system temp dir, named after `tag`.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "netrun-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A simulated fleet started in this process, with its Nornir inventory and
/// known_hosts written to a temporary folder. `faults` use `netrun lab
/// --fault` syntax (`auth-reject:r002`).
pub async fn start_lab(devices: usize, faults: &[&str]) -> (netrun_lab::Lab, TempDir) {
    // Large labs need more descriptors than the usual soft limit.
    netrun::resilience::raise_nofile_limit();
    let config = netrun_lab::LabConfig {
        devices,
        faults: faults
            .iter()
            .map(|f| netrun_lab::parse_fault_spec(f).expect("fault spec"))
            .collect(),
        ..Default::default()
    };
    let lab = netrun_lab::Lab::start(config).await.expect("lab starts");
    let dir = TempDir::new("inv");
    lab.write_inventory(dir.path()).expect("inventory written");
    (lab, dir)
}

/// Take the password out of the lab inventory's `defaults.yaml` in `inv`
/// and give host `r001` a `password_command` instead: `command(password)`.
pub fn password_from_command(inv: &Path, command: impl Fn(&str) -> String) {
    let defaults = std::fs::read_to_string(inv.join("defaults.yaml")).unwrap();
    let password = defaults
        .lines()
        .find_map(|l| l.strip_prefix("password:"))
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_string();
    let rewritten: String = defaults
        .lines()
        .filter(|l| !l.starts_with("password:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(inv.join("defaults.yaml"), rewritten).unwrap();
    let hosts = std::fs::read_to_string(inv.join("hosts.yaml")).unwrap();
    let with_command = hosts.replace(
        "r001:\n",
        &format!(
            "r001:\n  connection_options:\n    netrun:\n      extras:\n        password_command: \"{}\"\n",
            command(&password)
        ),
    );
    std::fs::write(inv.join("hosts.yaml"), with_command).unwrap();
}
