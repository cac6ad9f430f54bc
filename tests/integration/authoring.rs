//! Plugin authoring end to end, in a scratch folder outside the repository:
//! `plugin new` → `plugin build` → `plugin test` for Rust, Python and
//! JavaScript; a flipped byte refused by `verify` and by `run`; install,
//! list and remove of the built archive.
//!
//! Python and JavaScript need the pinned tools of
//! `scripts/install-plugin-tools.sh` (in `$NETRUN_TOOLS_DIR`, default
//! `~/.cache/netrun-tools`); `scripts/test.sh` installs them.

use netrun_tests::{TempDir, netrun_bin, plugin_dir, target_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn real_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

/// `netrun` with a private data folder (installs go there), the real
/// toolchains (cargo, rustup, the plugin build tools) and the first-party
/// plugins.
fn netrun(data: &Path, cwd: &Path) -> Command {
    let home = real_home();
    let mut c = Command::new(netrun_bin());
    c.current_dir(cwd);
    c.arg("--plugin-dir").arg(plugin_dir());
    c.env("XDG_DATA_HOME", data);
    c.env("XDG_CACHE_HOME", target_dir().join("test-cache"));
    c.env_remove("NETRUN_PLUGIN_PATH");
    if std::env::var_os("CARGO_HOME").is_none() {
        c.env("CARGO_HOME", home.join(".cargo"));
    }
    if std::env::var_os("RUSTUP_HOME").is_none() {
        c.env("RUSTUP_HOME", home.join(".rustup"));
    }
    if std::env::var_os("NETRUN_TOOLS_DIR").is_none() {
        c.env("NETRUN_TOOLS_DIR", home.join(".cache").join("netrun-tools"));
    }
    // A scaffolded plugin builds in its own target folder, kept across runs.
    c.env("CARGO_TARGET_DIR", target_dir().join("scaffold-target"));
    // Cargo's variables of this test build must not leak into the plugin's.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO_") && k != "CARGO_HOME" && !k.starts_with("CARGO_TARGET_DIR") {
            c.env_remove(&k);
        }
    }
    c
}

fn ok(o: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

fn out(mut c: Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"))
}

/// New → build → test → verify; then a flipped byte must fail verify and test.
fn scaffold_build_test(lang: &str, kind: &str) {
    let scratch = TempDir::new(&format!("author-{lang}-{kind}"));
    let data = scratch.path().join("data");
    let name = format!("demo-{lang}-{kind}");
    let mut c = netrun(&data, scratch.path());
    c.args(["plugin", "new", &name, "--kind", kind, "--lang", lang]);
    ok(&out(c), "plugin new");
    let dir = scratch.path().join(&name);

    let mut c = netrun(&data, &dir);
    c.args(["plugin", "build"]);
    let built = ok(&out(c), "plugin build");
    println!("{lang} {kind}: {built}");

    let mut c = netrun(&data, &dir);
    c.args(["plugin", "test"]);
    let tested = ok(&out(c), "plugin test");
    assert!(tested.contains("1 passed, 0 failed"), "{tested}");

    let mut c = netrun(&data, &dir);
    c.args(["plugin", "verify"]);
    ok(&out(c), "plugin verify");

    // Install the archive, see it listed as third-party, remove it.
    let archive = dir.join("dist").join(format!("{name}-0.1.0.tar.gz"));
    let mut c = netrun(&data, scratch.path());
    c.args(["plugin", "install"]).arg(&archive);
    ok(&out(c), "plugin install");
    let mut c = netrun(&data, scratch.path());
    c.args(["plugin", "list"]);
    let listed = ok(&out(c), "plugin list");
    let line = listed
        .lines()
        .find(|l| l.starts_with(&name))
        .unwrap_or_else(|| panic!("{name} not listed:\n{listed}"));
    assert!(line.contains("third-party"), "{line}");
    let mut c = netrun(&data, scratch.path());
    c.args(["plugin", "remove", &name]);
    ok(&out(c), "plugin remove");

    // Flip one byte of the component.
    let wasm = dir.join("plugin.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&wasm, &bytes).unwrap();
    for cmd in ["verify", "test"] {
        let mut c = netrun(&data, &dir);
        c.args(["plugin", cmd]);
        let o = out(c);
        assert_eq!(o.status.code(), Some(1), "{cmd} after tampering");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("sha256 mismatch"), "{cmd}: {err}");
        assert!(err.contains("plugin.wasm"), "{cmd}: {err}");
    }
}

#[test]
fn rust_driver_scaffold_builds_and_passes_its_fixture_test_outside_the_repository() {
    scaffold_build_test("rust", "driver");
}

#[test]
fn rust_workflow_scaffold_builds_and_passes_its_recorded_transcript() {
    scaffold_build_test("rust", "workflow");
}

#[test]
fn python_driver_scaffold_builds_with_componentize_py_and_passes_its_fixture_test() {
    scaffold_build_test("python", "driver");
}

#[test]
fn python_workflow_scaffold_builds_and_passes_its_recorded_transcript() {
    scaffold_build_test("python", "workflow");
}

#[test]
fn js_driver_scaffold_builds_with_componentize_js_and_passes_its_fixture_test() {
    scaffold_build_test("js", "driver");
}

#[test]
fn js_workflow_scaffold_builds_and_passes_its_recorded_transcript() {
    scaffold_build_test("js", "workflow");
}
