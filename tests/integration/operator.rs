//! An operator's first hour (issue 17): exec never misfiles output, input
//! that cannot be meant is refused before anything starts (exit 1), errors
//! say what happened, broken plugins look broken, and the conveniences
//! Netmiko and Nornir users reach for.

use netrun_tests::{TempDir, netrun, netrun_cmd_with_plugins, output, plugin_dir, read_jsonl};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netrun_tests::start_lab as lab;

/// A `netrun` command run off the async runtime, so the in-process lab keeps serving.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `netrun exec COMMANDS… -i INV --hosts r001 -o FILE` plus `extra`.
fn exec(home: &TempDir, inv: &Path, out: &Path, commands: &[&str], extra: &[&str]) -> Command {
    let mut c = netrun(home.path());
    c.arg("exec")
        .args(commands)
        .arg("-i")
        .arg(inv)
        .args(["--hosts", "r001", "-o"])
        .arg(out)
        .args(extra);
    c
}

/// A TCP port that counts the connections made to it, and an inventory
/// folder with one host `r001` there: proof that nothing was dialled.
fn counting_endpoint() -> (TempDir, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    let inv = TempDir::new("counting-inv");
    std::fs::write(
        inv.path().join("hosts.yaml"),
        format!("r001:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: cisco_ios\n"),
    )
    .unwrap();
    (inv, count)
}

fn commands_of(record: &Value) -> &Vec<Value> {
    record["data"]["commands"]
        .as_array()
        .expect("commands list")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_with_a_line_break_is_refused_before_anything_is_sent_or_split_on_request() {
    let home = TempDir::new("home");
    let (counting, dialled) = counting_endpoint();
    let out = counting.path().join("r.jsonl");
    let o = run(exec(
        &home,
        counting.path(),
        &out,
        &["show clock\nshow ip interface brief", "show version"],
        &[],
    ))
    .await;
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("line break") && stderr(&o).contains("--split-lines"),
        "{}",
        stderr(&o)
    );
    assert_eq!(dialled.load(Ordering::SeqCst), 0, "nothing was sent");

    let (_lab, inv) = lab(1, &[]).await;
    let out = inv.path().join("r.jsonl");

    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock\nshow ip interface brief", "show version"],
        &["--split-lines"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let records = read_jsonl(&out);
    let cmds = commands_of(&records[0]);
    let names: Vec<&str> = cmds
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["show clock", "show ip interface brief", "show version"]
    );
    // Each output is that command's own.
    assert!(
        cmds[1]["output"].as_str().unwrap().contains("Interface"),
        "{}",
        cmds[1]
    );
    assert!(
        cmds[2]["output"].as_str().unwrap().contains("Cisco IOS"),
        "{}",
        cmds[2]
    );
    assert!(
        !cmds[2]["output"].as_str().unwrap().contains("Interface"),
        "{}",
        cmds[2]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_command_keeps_the_outputs_before_it_and_marks_itself() {
    let (_lab, inv) = lab(1, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    let cmds = ["show clock", "show bogus", "show version"];
    let o = run(exec(&home, inv.path(), &out, &cmds, &[])).await;
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let r = &read_jsonl(&out)[0];
    assert_eq!(r["status"], "error");
    assert_eq!(r["error"]["class"], "rejected-command");
    let c = commands_of(r);
    assert!(c[0]["output"].as_str().unwrap().contains("UTC"), "{}", c[0]);
    assert_eq!(c[1]["error"]["class"], "rejected-command", "{}", c[1]);
    assert_eq!(
        c[2]["sent"], false,
        "stop on error is the default: {}",
        c[2]
    );

    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &cmds,
        &["--continue-on-error"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let r = &read_jsonl(&out)[0];
    let c = commands_of(r);
    assert!(
        c[2]["output"].as_str().unwrap().contains("Cisco IOS"),
        "{}",
        c[2]
    );
    assert_eq!(r["error"]["class"], "rejected-command");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_output_is_delimited_by_its_own_prompt_on_dripping_and_late_echoing_devices() {
    // r001 prints ~100-byte pieces 50 ms apart, so every prompt arrives
    // split across reads; r002 answers (its echo included) 300 ms late.
    let (_lab, inv) = lab(3, &["drip=2000:r001", "latency=300ms:r002"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    let cmds = [
        "show clock",
        "show version",
        "show ip interface brief",
        "show clock",
    ];
    let mut c = netrun(home.path());
    c.arg("exec")
        .args(cmds)
        .arg("-i")
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .args(["--command-timeout", "60"]);
    let o = run(c).await;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 3);
    for r in &records {
        let device = r["device"].as_str().unwrap();
        let c = commands_of(r);
        let text = |i: usize| c[i]["output"].as_str().unwrap_or_default().to_string();
        for (i, want) in [
            (0, "UTC"),
            (1, "Cisco IOS Software"),
            (2, "IP-Address"),
            (3, "UTC"),
        ] {
            let t = text(i);
            assert_eq!(c[i]["command"], cmds[i], "{device}");
            assert!(t.contains(want), "{device} `{}` got: {t:?}", cmds[i]);
            assert!(
                !t.contains(&format!("{device}#")) && !t.contains("show "),
                "{device} `{}` holds a prompt or an echo: {t:?}",
                cmds[i]
            );
        }
        assert!(!text(0).contains("Cisco IOS") && !text(1).contains("IP-Address"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn timing_mode_returns_a_question_no_prompt_pattern_matches_and_then_its_answer() {
    let (_lab, inv) = lab(1, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    // `Destination filename [startup-config]?` is no prompt of cisco_ios:
    // waiting for a prompt, the command can only time out.
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["copy running-config startup-config"],
        &["--command-timeout", "2"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert_eq!(read_jsonl(&out)[0]["error"]["class"], "command-timeout");

    let cmds = ["copy running-config startup-config", "", "show clock"];
    let started = Instant::now();
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &cmds,
        &["--timing", "--settle", "400"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let r = &read_jsonl(&out)[0];
    let c = commands_of(r);
    assert_eq!(
        c[0]["output"], "Destination filename [startup-config]?",
        "{r}"
    );
    assert_eq!(c[1]["output"], "Building configuration...\n[OK]", "{r}");
    let clock = c[2]["output"].as_str().unwrap();
    assert!(
        clock.contains("UTC") && !clock.contains("r001#"),
        "{clock:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(3 * 400));

    // A settle time that cannot end a command, or timing flags that
    // contradict each other, stop the run before it starts.
    for bad in [
        &["--timing", "--settle", "0"][..],
        &["--settle", "300"],
        &["--timing", "--settle", "5000", "--command-timeout", "2"],
        &["--timing", "--expect", "x", "--answer", "y"],
    ] {
        let o = run(exec(&home, inv.path(), &out, &["show clock"], bad)).await;
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_goes_over_eapi_for_an_arista_device_with_an_http_endpoint() {
    let lab = netrun_lab::Lab::start(netrun_lab::LabConfig {
        devices: 0,
        eos_devices: 1,
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let inv = TempDir::new("eapi-inv");
    lab.write_inventory(inv.path()).unwrap();
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    let mut c = netrun(home.path());
    c.args(["exec", "show version", "show bogus", "-i"])
        .arg(inv.path())
        .args(["--continue-on-error", "-o"])
        .arg(&out);
    let o = run(c).await;
    let r = &read_jsonl(&out)[0];
    assert_eq!(r["device"], "eos001");
    let c = commands_of(r);
    assert!(
        c[0]["output"].as_str().unwrap().contains("Arista"),
        "{r}\n{}",
        stderr(&o)
    );
    assert_eq!(c[1]["error"]["class"], "rejected-command", "{r}");
    assert_eq!(o.status.code(), Some(2));
}

/// Run `netrun ARGS` (no devices needed) and return its output.
fn cli(home: &TempDir, args: &[&str]) -> Output {
    output(netrun(home.path()).args(args))
}

#[test]
fn argument_errors_exit_1_and_help_exits_0() {
    let home = TempDir::new("home");
    for args in [
        &["exec"][..],
        &["run"],
        &["exec", "show clock", "--bogus-flag"],
        &["nosuchcommand"],
    ] {
        let o = cli(&home, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(cli(&home, &["--help"]).status.code(), Some(0));
    assert_eq!(cli(&home, &["--version"]).status.code(), Some(0));
}

/// A one-host inventory in `dir` pointing at a closed port.
fn small_inventory(dir: &Path, hosts_yaml: &str) {
    std::fs::write(dir.join("hosts.yaml"), hosts_yaml).unwrap();
    std::fs::write(dir.join("groups.yaml"), "core: {}\n").unwrap();
}

#[test]
fn values_that_cannot_be_meant_are_refused_before_the_run_starts() {
    let home = TempDir::new("home");
    let inv = TempDir::new("strict-inv");
    small_inventory(
        inv.path(),
        "r1:\n  hostname: 127.0.0.1\n  port: 1\n  groups: [core]\n",
    );
    let i = inv.path().to_str().unwrap();
    for (flags, words) in [
        (&["--concurrency", "0"][..], "at least 1"),
        (&["--sessions-per-device", "0"], "at least 1"),
        (&["--breaker-threshold", "0"], "at least 1"),
        (&["--jump-concurrency", "0"], "at least 1"),
        (&["--device-timeout", "0"], "positive"),
        (&["--log-level", "degub"], "did you mean `debug`"),
        (&["--group-limit", "nogroup=3"], "no group `nogroup`"),
        (&["--filter", "role>=3"], "bad filter"),
    ] {
        let mut args = vec!["exec", "show clock", "-i", i];
        args.extend_from_slice(flags);
        let o = cli(&home, &args);
        assert_eq!(o.status.code(), Some(1), "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(words), "{flags:?}: {}", stderr(&o));
    }

    small_inventory(inv.path(), "r1:\n  port: 1\nr2: {}\nr1:\n  port: 2\n");
    let o = cli(&home, &["exec", "show clock", "-i", i]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 1") && stderr(&o).contains("line 4"),
        "{}",
        stderr(&o)
    );

    small_inventory(
        inv.path(),
        "r1:\n  connection_options:\n    netrun:\n      extras: {legacy_algoritms: true}\n",
    );
    let o = cli(&home, &["exec", "show clock", "-i", i]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `legacy_algorithms`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn filters_with_not_equal_regex_globs_and_host_files_select_the_right_hosts() {
    let home = TempDir::new("home");
    let inv = TempDir::new("filter-inv");
    std::fs::write(
        inv.path().join("hosts.yaml"),
        "spine1: {data: {role: core}}\nspine2: {data: {role: edge}}\nleaf1: {data: {role: access}}\n",
    )
    .unwrap();
    let list = |extra: &[&str]| {
        let mut args = vec!["inventory", "list", "-i", inv.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = cli(&home, &args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&["--filter", "role!=core"]), ["leaf1", "spine2"]);
    assert_eq!(
        list(&["--filter", "role~=^(core|edge)$"]),
        ["spine1", "spine2"]
    );
    assert_eq!(list(&["--hosts", "spine*"]), ["spine1", "spine2"]);
    let file = inv.path().join("some.txt");
    std::fs::write(&file, "# the leaves\nleaf1\nspine2\n").unwrap();
    assert_eq!(
        list(&["--hosts", &format!("@{}", file.display())]),
        ["leaf1", "spine2"]
    );
}

#[test]
fn a_serve_yaml_that_cannot_be_meant_is_refused_naming_the_file_and_job() {
    let home = TempDir::new("home");
    let dir = TempDir::new("serve-strict");
    std::fs::write(dir.path().join("hosts.yaml"), "r1: {}\n").unwrap();
    let config = dir.path().join("serve.yaml");
    let job = "  - name: facts\n    workflow: collect-facts\n    inventory: .\n";
    for (body, words) in [
        (
            format!("jobs:\n{job}    interval: fast\n"),
            "job `facts`: interval: `fast` is not a duration",
        ),
        (
            format!("jobs:\n{job}    interval: 5s\n{job}    interval: 5s\n"),
            "`facts` is defined twice",
        ),
        (
            format!("jobs:\n{job}    interval: 5s\n    concurrency: 0\n"),
            "concurrency must be at least 1",
        ),
        (
            format!("jobs:\n{job}    interval: 5s\n    timeout: 0s\n"),
            "job `facts`: timeout",
        ),
        (
            format!("jobs:\n{job}    interval: 5s\n    jitter: 10s\n"),
            "not shorter than the interval",
        ),
        (
            format!("jobs:\n{job}    interval: 5s\n    intervall: 3s\n"),
            "did you mean `interval`",
        ),
    ] {
        std::fs::write(&config, &body).unwrap();
        let o = cli(&home, &["serve", "--config", config.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{body}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("serve.yaml") && e.contains(words), "{body}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_past_its_deadline_is_device_timeout_not_cancelled() {
    let (_lab, inv) = lab(1, &["hang-after-login:r001"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock"],
        &[
            "--device-timeout",
            "1",
            "--prompt-timeout",
            "30",
            "--retries",
            "0",
        ],
    ))
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let r = &read_jsonl(&out)[0];
    assert_eq!(r["error"]["class"], "device-timeout", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deadline of 1s passed while"),
        "{r}"
    );
    // The step it hung in, not "connecting".
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("after login"), "{r}");
}

/// A copy of first-party bundle `name` in a folder of its own.
fn copy_bundle(name: &str, into: &Path) -> std::path::PathBuf {
    let from = plugin_dir().join(name);
    let to = into.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    to
}

#[test]
fn broken_plugins_look_broken_and_never_fall_back_silently() {
    let home = TempDir::new("home");
    let user = TempDir::new("user-plugins");
    // sha256 mismatch: one byte of the component flipped.
    let tampered = copy_bundle("interface-counters", user.path());
    let wasm = tampered.join("plugin.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&wasm, &bytes).unwrap();
    // Garbage with a matching sha256: not a component.
    let garbage = copy_bundle("arista-eos", user.path());
    std::fs::write(garbage.join("plugin.wasm"), b"garbage").unwrap();
    let manifest = std::fs::read_to_string(garbage.join("netrun-plugin.toml")).unwrap();
    let sha = netrun::runtime::bundle::sha256_hex(b"garbage");
    let manifest: String = manifest
        .lines()
        .map(|l| {
            if l.starts_with("sha256") {
                format!("sha256 = \"{sha}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(garbage.join("netrun-plugin.toml"), manifest).unwrap();

    let list = |check: bool| {
        let mut c = netrun_cmd_with_plugins(home.path(), &[user.path(), &plugin_dir()]);
        c.args(["plugin", "list"]);
        if check {
            c.arg("--check");
        }
        output(&mut c)
    };
    let o = list(false);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}:\n{text}"))
            .to_string()
    };
    assert!(
        row("interface-counters").contains("sha256 mismatch"),
        "{text}"
    );
    assert!(row("arista-eos").contains("not a component"), "{text}");
    assert!(row("cisco-ios").contains(" ok "), "{text}");
    assert_eq!(list(true).status.code(), Some(1));

    // A tampered third-party workflow is refused for what it is, before any grant is asked for.
    let inv = TempDir::new("plugins-inv");
    std::fs::write(
        inv.path().join("hosts.yaml"),
        "r1: {hostname: 127.0.0.1, port: 1, platform: cisco_ios}\n",
    )
    .unwrap();
    let mut c = netrun_cmd_with_plugins(home.path(), &[user.path(), &plugin_dir()]);
    c.args(["run", "interface-counters", "-i"]).arg(inv.path());
    let o = output(&mut c);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("sha256 mismatch") && !stderr(&o).contains("--grant"),
        "{}",
        stderr(&o)
    );

    // A broken collect-facts in a user folder does not fall back to the first-party one.
    let broken = user.path().join("collect-facts");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("netrun-plugin.toml"), "name = [oops\n").unwrap();
    let mut c = netrun_cmd_with_plugins(home.path(), &[user.path(), &plugin_dir()]);
    c.args(["run", "collect-facts", "-i"]).arg(inv.path());
    let o = output(&mut c);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("shadows"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_carry_no_colour_off_a_terminal_and_a_bad_output_path_stops_the_run_before_dialling() {
    let (_lab, inv) = lab(1, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock"],
        &["--log-level", "info"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("run started"),
        "info logs shown: {}",
        stderr(&o)
    );
    assert!(
        !stderr(&o).contains('\u{1b}'),
        "no ANSI codes in a pipe: {:?}",
        stderr(&o)
    );
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock"],
        &["--log-level", "info", "--color", "always"],
    ))
    .await;
    assert!(stderr(&o).contains('\u{1b}'), "colour when asked");

    let (counting, dialled) = counting_endpoint();
    let started = Instant::now();
    let o = run(exec(
        &home,
        counting.path(),
        &out,
        &["show clock"],
        &["--metrics-file", "/nonexistent-dir/m.prom"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--metrics-file"), "{}", stderr(&o));
    assert_eq!(dialled.load(Ordering::SeqCst), 0, "no device was dialled");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn formats_failed_from_credentials_and_commands_from_a_file() {
    let (_lab, inv) = lab(3, &["auth-reject:r002"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("r.jsonl");
    // Raw: each device's output under a header.
    let mut c = netrun(home.path());
    c.args(["exec", "show clock", "-i"])
        .arg(inv.path())
        .args(["--format", "raw", "-o"])
        .arg(&out);
    let o = run(c).await;
    assert_eq!(o.status.code(), Some(2));
    let text = stdout(&o);
    assert!(
        text.contains("* r001 ** ok") && text.contains("---- show clock"),
        "{text}"
    );
    assert!(text.contains("* r002 ** error: auth"), "{text}");
    // Re-run exactly the devices that failed.
    let again = inv.path().join("again.jsonl");
    let mut c = netrun(home.path());
    c.args(["exec", "show clock", "-i"])
        .arg(inv.path())
        .arg("--failed-from")
        .arg(&out)
        .arg("-o")
        .arg(&again);
    let o = run(c).await;
    let names: Vec<String> = read_jsonl(&again)
        .iter()
        .map(|r| r["device"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["r002"], "{}", stderr(&o));
    // JSON and YAML carry every record.
    let mut c = netrun(home.path());
    c.args(["exec", "show clock", "-i"]).arg(inv.path()).args([
        "--hosts",
        "r001,r003",
        "--format",
        "json",
    ]);
    let o = run(c).await;
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json on stdout");
    assert_eq!(v.as_array().unwrap().len(), 2);
    // Commands from a file; the password from a command (never the command line).
    let file = inv.path().join("cmds.txt");
    std::fs::write(&file, "# check the clock\nshow clock\n\nshow version\n").unwrap();
    netrun_tests::password_from_command(inv.path(), |password| format!("echo {password}"));
    let mut c = netrun(home.path());
    c.args(["exec", "-f"])
        .arg(&file)
        .arg("-i")
        .arg(inv.path())
        .args(["--hosts", "r001", "-o"])
        .arg(&out);
    let o = run(c).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = &read_jsonl(&out)[0];
    let names: Vec<&str> = commands_of(r)
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["show clock", "show version"]);
}

/// GET `path` from 127.0.0.1:`port`: status and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n")?.1.to_string()))
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// The short, CI-sized version of `scripts/soak.sh` with reloads: a reload
/// keeps the runtime, compiled plugins and platforms, and the pool (no
/// device logs in twice, memory stays flat), and restarts only the job that
/// changed. Before platforms were cached, each reload compiled the
/// platform's regexes again (~10 MB of automata in a debug build) and RSS
/// grew ~25 % over 8 reloads.
#[tokio::test(flavor = "multi_thread")]
async fn serve_reloads_keep_sessions_and_memory() {
    let (lab, inv) = lab(20, &[]).await;
    let home = TempDir::new("home");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = inv.path().join("serve.yaml");
    let first: Vec<String> = (1..=10).map(|i| format!("r{i:03}")).collect();
    let second: Vec<String> = (11..=20).map(|i| format!("r{i:03}")).collect();
    let write = |round: usize| {
        std::fs::write(
            &config,
            format!(
                "listen: 127.0.0.1:{port}\njobs:\n  - name: steady\n    workflow: collect-facts\n    inventory: .\n    hosts: [{}]\n    interval: 500ms\n  - name: edited\n    workflow: collect-facts\n    inventory: .\n    hosts: [{}]\n    interval: 500ms\n    params: {{round: {round}}}\n",
                first.join(", "),
                second.join(", ")
            ),
        )
        .unwrap();
    };
    write(0);
    let child = netrun(home.path())
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(child);
    let pid = child.0.id();
    let scrape = move || tokio::task::spawn_blocking(move || http_get(port, "/metrics"));
    let until = Instant::now() + Duration::from_secs(60);
    while scrape().await.unwrap().is_none_or(|(s, _)| s != 200) {
        assert!(Instant::now() < until, "serve never answered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Warm up: every device polled a few times.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, before) = scrape().await.unwrap().unwrap();
    let opened = metric(&before, "netrun_sessions_opened_total");
    assert!(opened >= 20.0, "{before}");
    let reload = |round: usize| {
        write(round);
        let _ = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status();
    };
    // The first reload may still grow the heap to its working size.
    reload(1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_first = rss_kib(pid);
    for round in 2..=8 {
        reload(round);
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, after) = scrape().await.unwrap().unwrap();
    let rss_after = rss_kib(pid);
    let ok = |m: &str, job: &str| {
        metric(
            m,
            &format!("netrun_device_results_total{{job=\"{job}\",status=\"ok\""),
        )
    };
    assert!(
        ok(&after, "steady") > ok(&before, "steady") + 20.0,
        "the unchanged job kept polling\n{after}"
    );
    assert!(
        ok(&after, "edited") > ok(&before, "edited") + 20.0,
        "the edited job restarted and polls\n{after}"
    );
    assert_eq!(
        metric(&after, "netrun_sessions_opened_total"),
        opened,
        "no session was reopened by the reloads\n{after}"
    );
    for d in first.iter().chain(&second) {
        assert_eq!(lab.logins(d), 1, "{d} logged in once, kept over 8 reloads");
    }
    // Seven more reloads keep RSS within 10 % of what it was after the first.
    assert!(
        rss_after <= rss_first + rss_first / 10,
        "RSS {rss_first} KiB after the first reload, {rss_after} KiB after 7 more"
    );
    // A device whose settings change logs in afresh; one no longer polled
    // has its session closed; the others keep theirs.
    let hosts = inv.path().join("hosts.yaml");
    let text = std::fs::read_to_string(&hosts).unwrap();
    let changed = text.replacen(
        "r019:\n",
        "r019:\n  connection_options:\n    netrun:\n      extras:\n        timeouts: {command: 61}\n",
        1,
    );
    assert_ne!(changed, text, "r019 is in hosts.yaml");
    std::fs::write(&hosts, changed).unwrap();
    let second = &second[..9];
    std::fs::write(
        &config,
        format!(
            "listen: 127.0.0.1:{port}\njobs:\n  - name: steady\n    workflow: collect-facts\n    inventory: .\n    hosts: [{}]\n    interval: 500ms\n  - name: edited\n    workflow: collect-facts\n    inventory: .\n    hosts: [{}]\n    interval: 500ms\n",
            first.join(", "),
            second.join(", ")
        ),
    )
    .unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, last) = scrape().await.unwrap().unwrap();
    // A poll of the replaced job that had started r019 or r020 just
    // before the reload (and not yet logged in) finishes with the old
    // settings: one more login then, never more, and never a ping-pong
    // between old and new settings.
    let r019 = lab.logins("r019");
    assert!(
        (2..=3).contains(&r019),
        "r019's settings changed: it logs in afresh once, {r019} logins\n{last}"
    );
    for d in first.iter().chain(&second[..8]) {
        assert_eq!(lab.logins(d), 1, "{d} kept its session");
    }
    assert!((1..=2).contains(&lab.logins("r020")));
    assert_eq!(
        metric(&last, "netrun_sessions_open "),
        19.0,
        "r020's session closed, r019's old one replaced\n{last}"
    );
}

/// Start `cmd` with its stdout a pipe, read the first line, close the
/// pipe (as `| head -1` does), and wait: the first line and the output.
fn first_line_then_close(mut cmd: Command) -> (String, Output) {
    use std::io::BufRead as _;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("netrun starts");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a first line");
    // The reader (and the pipe's read end) is dropped here.
    (first, child.wait_with_output().expect("netrun ends"))
}

#[test]
fn a_reader_that_goes_away_ends_a_listing_quietly_with_141() {
    // More than a pipe holds (64 KiB), so netrun is still writing when the
    // reader goes: `print!` panicked there with a stack trace.
    let home = TempDir::new("home");
    let inv = TempDir::new("big-inv");
    let hosts: String = (0..4000)
        .map(|i| {
            format!(
                "edge-{i:05}:\n  hostname: 10.{}.{}.1\n  platform: cisco_ios\n",
                i / 250,
                i % 250
            )
        })
        .collect();
    small_inventory(inv.path(), &hosts);
    let mut cmd = netrun(home.path());
    cmd.args(["inventory", "list", "-i"]).arg(inv.path());
    let (first, o) = first_line_then_close(cmd);
    assert!(first.starts_with("HOST"), "{first}");
    assert_eq!(o.status.code(), Some(141), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing to tell anyone");
}

#[tokio::test(flavor = "multi_thread")]
async fn records_on_stdout_whose_reader_goes_away_start_no_more_devices() {
    let (_lab, inv) = lab(30, &[]).await;
    let home = TempDir::new("home");
    let mut cmd = netrun(home.path());
    cmd.args([
        "run",
        "collect-facts",
        "--concurrency",
        "1",
        "-o",
        "-",
        "-i",
    ])
    .arg(inv.path());
    let (first, o) = tokio::task::spawn_blocking(move || first_line_then_close(cmd))
        .await
        .unwrap();
    let record: Value = serde_json::from_str(&first).expect("a whole record");
    assert_eq!(record["status"], "ok", "{first}");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The summary (on stderr) counts every device: the ones never started
    // are `cancelled`, as after a SIGINT.
    let summary = err
        .lines()
        .find(|l| l.starts_with("30 devices:"))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let ok: usize = summary
        .split(", ")
        .next()
        .and_then(|s| s.rsplit(' ').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ok count in {summary}"));
    assert!(ok < 10, "the run went on without a reader: {summary}");
    assert!(err.contains("cancelled="), "{err}");
}

#[test]
fn config_refuses_a_templates_folder_it_would_not_use() {
    let home = TempDir::new("home");
    let (inv, dialled) = counting_endpoint();
    let backups = inv.path().join("backups");
    let o = output(
        netrun(home.path())
            .args(["config", "backup", "--dir"])
            .arg(&backups)
            .args(["--templates"])
            .arg(inv.path())
            .arg("-i")
            .arg(inv.path()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--templates") && stderr(&o).contains("exec, run and get"),
        "{}",
        stderr(&o)
    );
    assert_eq!(dialled.load(Ordering::SeqCst), 0, "nothing was dialled");
    assert!(!backups.exists(), "nothing was backed up");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prompt_the_platform_does_not_know_is_learned_at_login_as_netmiko_does() {
    // The lab speaks IOS (`r001>` at login); the inventory says Huawei VRP,
    // whose prompts are `<r001>` and `[r001]`: no prompt of the platform
    // matches. The session takes the prompt the device showed at login
    // (and says so) instead of waiting for one until the prompt timeout.
    let (_lab, inv) = lab(2, &[]).await;
    let hosts_file = inv.path().join("hosts.yaml");
    let hosts = std::fs::read_to_string(&hosts_file).unwrap();
    std::fs::write(
        &hosts_file,
        hosts.replacen("platform: cisco_ios", "platform: huawei_vrp", 1),
    )
    .unwrap();
    let home = TempDir::new("home");
    let out = inv.path().join("learned.jsonl");
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock", "show clock"],
        &["--prompt-timeout", "20", "--retries", "0"],
    ))
    .await;
    let records = read_jsonl(&out);
    let r = &records[0];
    assert_eq!(r["status"], "ok", "{r}\n{}", stderr(&o));
    for c in commands_of(r) {
        let output = c["output"].as_str().unwrap_or_default();
        assert!(output.contains("UTC"), "{c}");
        assert!(!output.contains("r001>"), "the prompt ends no output: {c}");
    }
    assert!(
        stderr(&o).contains("no prompt of the platform matches the device's prompt")
            && stderr(&o).contains("prompt=r001>"),
        "{}",
        stderr(&o)
    );
    // Well before the 20 s a prompt-timeout would take.
    assert!(r["elapsed_ms"].as_u64().unwrap_or(u64::MAX) < 15_000, "{r}");
}

/// A record of `show clock`, `show version`, `show clock` that ran in step:
/// ok, each output the command's own, and no prompt inside any.
fn clock_version_clock_in_step(r: &Value) {
    assert_eq!(r["status"], "ok", "{r}");
    let outputs: Vec<&str> = commands_of(r)
        .iter()
        .map(|c| c["output"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(outputs.len(), 3, "{r}");
    assert!(
        outputs[0].contains("UTC") && outputs[2].contains("UTC"),
        "{r}"
    );
    assert!(outputs[1].contains("Cisco IOS"), "{r}");
    for output in &outputs {
        let prompt = |l: &str| l.starts_with("r00") && l.trim_end().ends_with(['#', '>']);
        assert!(!output.lines().any(prompt), "no prompt in the output: {r}");
    }
}

/// `show clock`, `show version`, `show clock` on `devices` lab devices
/// with `faults`, each in step; the debug log's lines that say a device's
/// lines now end with a carriage return.
async fn clock_version_clock_with(devices: usize, faults: &[&str]) -> Vec<String> {
    let (_lab, inv) = lab(devices, faults).await;
    let home = TempDir::new("home");
    let out = inv.path().join("clock.jsonl");
    let hosts: Vec<String> = (1..=devices).map(|i| format!("r{i:03}")).collect();
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock", "show version", "show clock"],
        &[
            "--hosts",
            &hosts.join(","),
            "--prompt-timeout",
            "10",
            "--retries",
            "0",
            "--log-level",
            "netrun=debug",
        ],
    ))
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = read_jsonl(&out);
    assert_eq!(records.len(), devices, "{records:?}");
    records.iter().for_each(clock_version_clock_in_step);
    stderr(&o)
        .lines()
        .filter(|l| l.contains("the device answered a carriage return"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_that_prints_nothing_until_enter_is_sent_enter_as_netmiko_does() {
    // r001 shows no banner and no prompt until it receives a line (a
    // console behind a terminal server). It answers every command in step:
    // the Enter sent at login leaves no extra prompt behind to end a later
    // command's output early; the line feed it answered stays the line end.
    let switched = clock_version_clock_with(1, &["wait-for-enter:r001"]).await;
    assert!(switched.is_empty(), "{switched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_that_takes_only_a_carriage_return_as_enter_is_sent_one() {
    // r001's line editor ignores a bare line feed (the platform's line
    // ending), as linenoise and Go's older x/term do: the Enter sent after
    // its first prompt gets no answer, so netrun sends `\r`, and every
    // command of the session then ends with it and runs in step. r002
    // answers the line feed and keeps it.
    let switched = clock_version_clock_with(2, &["enter-is-cr:r001"]).await;
    assert_eq!(switched.len(), 1, "{switched:?}");
    assert!(switched[0].contains("r001"), "{switched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_that_waits_for_a_key_and_reads_only_a_carriage_return_gets_one() {
    // r001 prints nothing until a line is typed, and its line editor
    // ignores a bare line feed: the Enter sent after 1.5 s of quiet (the
    // platform's `\n`) is not a key to it, the second one (`\r`) is, and
    // the session's lines end with `\r` from then on.
    let switched = clock_version_clock_with(1, &["wait-for-enter:r001", "enter-is-cr:r001"]).await;
    assert_eq!(switched.len(), 1, "{switched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_that_asks_for_the_user_name_itself_and_reads_only_a_carriage_return_logs_in() {
    // r001's shell asks `User Name:` and `Password:` itself, and its line
    // editor ignores a bare line feed: it echoes the user name typed with
    // the platform's `\n` and waits. Seeing the echo with no line break
    // after it, netrun sends `\r`, and the password and every command after
    // it end with `\r`. r002 asks nothing and keeps the line feed.
    let switched = clock_version_clock_with(2, &["login-in-shell:r001", "enter-is-cr:r001"]).await;
    assert_eq!(switched.len(), 1, "{switched:?}");
    assert!(switched[0].contains("r001"), "{switched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_that_asks_for_a_password_alone_is_answered_whichever_enter_it_reads() {
    // r001 and r002 ask only `Password:` after SSH login (a console line's
    // password behind a terminal server); r001 takes the platform's `\n`,
    // r002's line editor reads only `\r`. The password is not echoed, so
    // r002 shows nothing at all after it: after 1.5 s of that netrun sends
    // `\r`, and every later line of r002's session ends with it. r001 keeps
    // the line feed; r003 asks nothing. All run the commands in step.
    let switched =
        clock_version_clock_with(3, &["password-in-shell:r001,r002", "enter-is-cr:r002"]).await;
    assert_eq!(switched.len(), 1, "{switched:?}");
    assert!(switched[0].contains("r002"), "{switched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_that_asks_for_the_user_name_and_password_itself_is_answered() {
    // r001's SSH lets anyone in, then its shell asks `User Name:` and
    // `Password:` (a Cisco SG300 or Dell PowerConnect whose SSH login is
    // not its user table's): the inventory's credentials are typed there,
    // and commands run in step after it.
    let (_lab, inv) = lab(1, &["login-in-shell:r001"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("in-shell.jsonl");
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock", "show version"],
        &["--prompt-timeout", "8", "--retries", "0"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 1, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        let outputs: Vec<&str> = commands_of(r)
            .iter()
            .map(|c| c["output"].as_str().unwrap_or_default())
            .collect();
        assert!(outputs[0].contains("UTC"), "{r}");
        assert!(outputs[1].contains("Cisco IOS"), "{r}");
        for output in &outputs {
            assert!(
                !output.contains("User Name:") && !output.contains("Password:"),
                "{r}"
            );
        }
    }

    // A password the shell refuses is an authentication error that names
    // the device's own login, not a prompt timeout; the secret is not shown.
    let defaults = inv.path().join("defaults.yaml");
    let text = std::fs::read_to_string(&defaults).unwrap();
    let (before, after) = text
        .split_once("password:")
        .expect("defaults hold the password");
    let rest = after.split_once('\n').map(|(_, r)| r).unwrap_or("");
    std::fs::write(
        &defaults,
        format!("{before}password: not-the-password\n{rest}"),
    )
    .unwrap();
    let out = inv.path().join("in-shell-wrong.jsonl");
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock"],
        &["--prompt-timeout", "8", "--retries", "0"],
    ))
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let records = read_jsonl(&out);
    let r = &records[0];
    assert_eq!(r["status"], "error", "{r}");
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(r["error"]["class"], "auth", "{r}");
    assert!(message.contains("own login prompt"), "{r}");
    assert!(!r.to_string().contains("not-the-password"), "{r}");
}

/// A first-party driver's digest is recorded beside its bundle by a run
/// that had to hash it (its compiled-code cache empty), so later runs with
/// an empty cache take it from there instead of hashing megabytes again;
/// the record names the manifest's digest.
#[test]
fn a_run_with_an_empty_cache_records_the_drivers_digest_beside_its_bundle() {
    use std::os::unix::fs::MetadataExt as _;
    let bundle = plugin_dir().join("cisco-ios");
    // Recorded only once the file has been left alone for a few seconds.
    let changed = std::fs::metadata(bundle.join("plugin.wasm"))
        .unwrap()
        .ctime();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if now - changed < 5 {
        std::thread::sleep(Duration::from_secs((5 - (now - changed)) as u64));
    }
    let record = bundle.join(".verified");
    let _ = std::fs::remove_file(&record);
    let home = TempDir::new("verified-beside");
    let mut c = netrun(home.path());
    c.env("XDG_CACHE_HOME", home.path().join("empty-cache"));
    c.arg("platforms");
    let o = output(&mut c);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = std::fs::read_to_string(bundle.join("netrun-plugin.toml")).unwrap();
    let sha = manifest
        .lines()
        .find_map(|l| l.strip_prefix("sha256 = "))
        .unwrap()
        .trim_matches('"');
    let text = std::fs::read_to_string(&record)
        .unwrap_or_else(|e| panic!("no record at {}: {e}", record.display()));
    assert!(text.starts_with("v1 "), "{text}");
    assert!(text.trim_end().ends_with(sha), "{text} names {sha}?");
}

/// Devices that ask a question after login and wait (Huawei VRP's "Change
/// now? [Y/N]:" on an initial or ageing password, RouterOS's software
/// licence on a first login, FortiOS's post-login banner) get the answer
/// their platform gives, as Netmiko's drivers do, and their facts are
/// collected; the lab ends a session given any other answer.
#[tokio::test(flavor = "multi_thread")]
async fn questions_devices_ask_after_login_are_answered_by_their_platform() {
    netrun::resilience::raise_nofile_limit();
    let mut config = netrun_lab::LabConfig::default();
    config
        .set_platforms("huawei_vrp=1,mikrotik_routeros=1,fortinet=1")
        .expect("a platform spec");
    config.faults = vec![netrun_lab::parse_fault_spec("login-question:all").unwrap()];
    let lab = netrun_lab::Lab::start(config).await.expect("lab starts");
    let inv = TempDir::new("question-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    let home = TempDir::new("home");
    let out = inv.path().join("facts.jsonl");
    let mut c = netrun(home.path());
    c.args(["run", "collect-facts", "-i"])
        .arg(inv.path())
        .args(["--prompt-timeout", "8", "--retries", "0", "-o"])
        .arg(&out);
    let o = run(c).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 3, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["data"]["hostname"], r["device"], "{r}");
    }
    drop(lab);
}

/// An account whose password has expired is asked for a new one after
/// login: that is an `auth` error at once, saying what the device asked
/// and what to do, not a prompt timeout; netrun types nothing there.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_password_is_an_auth_error_naming_the_fix_not_a_timeout() {
    let (_lab, inv) = lab(1, &["password-expired:r001"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("expired.jsonl");
    let started = Instant::now();
    let o = run(exec(
        &home,
        inv.path(),
        &out,
        &["show clock"],
        &["--prompt-timeout", "20", "--retries", "0"],
    ))
    .await;
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "no timeout wait"
    );
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r["error"]["class"], "auth", "{r}");
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Enter new password:") && message.contains("expired"),
        "{message}"
    );
    assert!(message.contains("change it on the device"), "{message}");
}
