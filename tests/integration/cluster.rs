//! Past one machine: static shards over the lab, and a real `nats-server
//! -js` on 127.0.0.1 with `netrun worker` processes (the built binary),
//! killed, started late, fed garbage, or missing.

use futures_util::StreamExt as _;
use netrun_tests::{TempDir, netrun, output, read_jsonl, start_lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Long enough for a debug build on a loaded machine; never waited out
/// when things work (every wait ends on an event).
const PATIENCE: Duration = Duration::from_secs(120);

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn devices_of(records: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = records
        .iter()
        .map(|r| r["device"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn four_shards_cover_every_lab_device_exactly_once_and_name_their_shard() {
    let (lab, inv) = start_lab(12, &[]).await;
    let home = TempDir::new("home");
    let mut seen: Vec<String> = Vec::new();
    for i in 0..4 {
        let out = inv.path().join(format!("shard{i}.jsonl"));
        let mut cmd = netrun(home.path());
        cmd.args(["exec", "show clock", "-i"])
            .arg(inv.path())
            .arg("-o")
            .arg(&out);
        if i == 2 {
            // As a Kubernetes Indexed Job runs it.
            cmd.args(["--shard-count", "4"])
                .env("JOB_COMPLETION_INDEX", "2");
        } else {
            cmd.arg("--shard").arg(format!("{i}/4"));
        }
        let o = tokio::task::spawn_blocking(move || output(&mut cmd))
            .await
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "shard {i}: {}", stderr(&o));
        let records = read_jsonl(&out);
        for r in &records {
            assert_eq!(r["status"], "ok", "{r}");
            assert_eq!(r["shard"], format!("{i}/4"), "{r}");
        }
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains(&format!(
                "shard {i}/4: {} of the selected devices",
                records.len()
            )),
            "{stdout}"
        );
        seen.extend(devices_of(&records));
    }
    seen.sort();
    let all: Vec<String> = lab.devices().iter().map(|d| d.name.clone()).collect();
    assert_eq!(seen, all, "every device once, in one shard");
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_host_to_the_inventory_moves_no_other_host_between_shards() {
    use netrun::inventory::{Filter, Inventory};
    use netrun::runner::shard::Shard;
    let (lab, inv) = start_lab(40, &[]).await;
    let placement = |dir: &Path| -> BTreeMap<String, u32> {
        let hosts = Inventory::load(dir).unwrap().select(&Filter::default());
        hosts
            .iter()
            .map(|h| {
                let i = (0..4u64)
                    .find(|i| Shard::new(*i, 4).unwrap().holds(&h.name))
                    .unwrap();
                (h.name.clone(), i as u32)
            })
            .collect()
    };
    let before = placement(inv.path());
    let hosts_yaml = inv.path().join("hosts.yaml");
    let mut text = std::fs::read_to_string(&hosts_yaml).unwrap();
    // A new device at the top of the file: order must not matter either.
    text = format!("aaa-new-edge:\n  hostname: 127.0.0.1\n  port: 1\n{text}");
    std::fs::write(&hosts_yaml, text).unwrap();
    let after = placement(inv.path());
    assert_eq!(after.len(), before.len() + 1);
    for (name, shard) in &before {
        assert_eq!(after[name], *shard, "{name} moved");
    }
    let mut sizes = [0usize; 4];
    for s in before.values() {
        sizes[*s as usize] += 1;
    }
    assert!(
        sizes.iter().all(|n| *n > 0),
        "40 devices fill 4 shards: {sizes:?}"
    );
    lab.shutdown().await;
}

/// A `nats-server -js` on a free port of 127.0.0.1 with its own store;
/// killed on drop.
struct Nats {
    child: Child,
    url: String,
    _store: TempDir,
}

impl Nats {
    /// Start one, or `None` (after printing SKIP) when nats-server is not
    /// installed and `CI` is unset.
    fn start(test: &str) -> Option<Nats> {
        if Command::new("nats-server")
            .arg("--version")
            .output()
            .is_err()
        {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!(
                    "{test}: nats-server is not installed; scripts/test.sh installs it (apt-get install nats-server)"
                );
            }
            eprintln!("SKIP {test}: nats-server is not installed (apt-get install nats-server)");
            return None;
        }
        let store = TempDir::new("nats");
        // A port freed just now can be taken before the server binds it: retry.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("nats-server")
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                .arg(store.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("nats-server starts");
            let lines = lines_of(child.stderr.take().unwrap());
            match wait_for(&lines, "Server is ready") {
                Ok(_) => {
                    return Some(Nats {
                        child,
                        url: format!("nats://127.0.0.1:{port}"),
                        _store: store,
                    });
                }
                Err(seen) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("nats-server on {port} did not start: {seen}");
                }
            }
        }
        panic!("{test}: nats-server did not start");
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed on drop, with its stderr as lines.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let lines = lines_of(child.stderr.take().unwrap());
        // Keep stdout drained too, so a full pipe never blocks the child.
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || for _ in BufReader::new(stdout).lines() {});
        Proc { child, lines }
    }

    /// Wait for a stderr line containing `needle`; panics with what was seen.
    fn wait_for(&self, needle: &str) -> String {
        wait_for(&self.lines, needle).unwrap_or_else(|seen| {
            panic!("no line with `{needle}` within {PATIENCE:?}; seen:\n{seen}")
        })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn lines_of(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line containing `needle`, or everything seen until the
/// stream ended or [`PATIENCE`] ran out.
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> Result<String, String> {
    let until = std::time::Instant::now() + PATIENCE;
    let mut seen = String::new();
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(needle) => return Ok(l),
            Ok(l) => {
                seen.push_str(&l);
                seen.push('\n');
            }
            Err(_) => return Err(seen),
        }
    }
}

/// `netrun worker` against `nats` for the lab inventory in `inv`.
fn worker(home: &Path, nats: &Nats, inv: &Path, name: &str, concurrency: u32) -> Proc {
    let mut cmd = netrun(home);
    cmd.args(["worker", "--log-level", "info", "--log-format", "json"])
        .args(["--nats", &nats.url, "-i"])
        .arg(inv)
        .args(["--name", name, "--ack-wait", "3", "--concurrency"])
        .arg(concurrency.to_string());
    let p = Proc::spawn(cmd);
    p.wait_for("worker ready");
    p
}

/// `netrun run|exec … --nats` writing to `out`; `args` are the job's.
fn nats_run(home: &Path, nats: &Nats, inv: &Path, out: &Path, args: &[&str]) -> Proc {
    let mut cmd = netrun(home);
    cmd.args(args)
        .args(["--log-level", "info", "--log-format", "json"])
        .args(["--nats", &nats.url, "-i"])
        .arg(inv)
        .arg("-o")
        .arg(out);
    Proc::spawn(cmd)
}

/// A field of a JSON log line (`--log-format json`).
fn field(line: &str, name: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    v["fields"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .to_string()
}

/// Wait (off the runtime) for `run` to end, and check that it exited 0;
/// its log lines are shown when not. Returns the lines not yet read.
async fn exits_ok(mut run: Proc) -> Vec<String> {
    let (code, run) = tokio::task::spawn_blocking(move || (wait_exit(&mut run), run))
        .await
        .unwrap();
    let seen: Vec<String> = run.lines.try_iter().collect();
    assert_eq!(code, 0, "{}", seen.join("\n"));
    seen
}

fn wait_exit(p: &mut Proc) -> i32 {
    let until = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(status) = p.child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            std::time::Instant::now() < until,
            "the run did not end within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_one_killed_mid_run_give_one_ok_record_per_device_and_no_secret_on_the_bus() {
    let Some(nats) = Nats::start("three_workers") else {
        return;
    };
    // Every answer takes 300 ms: tasks are in flight when a worker dies.
    let (lab, inv) = start_lab(12, &["latency=300ms:all"]).await;
    let home = TempDir::new("home");

    // Everything anyone publishes, from before the first worker starts.
    let spy = async_nats::connect(&nats.url).await.unwrap();
    let mut everything = spy.subscribe(">").await.unwrap();
    spy.flush().await.unwrap();

    let mut doomed = worker(home.path(), &nats, inv.path(), "w-doomed", 2);
    let _w2 = worker(home.path(), &nats, inv.path(), "w-two", 2);
    let _w3 = worker(home.path(), &nats, inv.path(), "w-three", 2);
    let out = inv.path().join("out.jsonl");
    let run = nats_run(
        home.path(),
        &nats,
        inv.path(),
        &out,
        &["run", "collect-facts"],
    );
    let started = doomed.wait_for("task started");
    doomed.child.kill().unwrap(); // SIGKILL: no goodbye, no ack.
    doomed.child.wait().unwrap();
    let device = field(&started, "device");

    exits_ok(run).await;
    let records = read_jsonl(&out);
    let all: Vec<String> = lab.devices().iter().map(|d| d.name.clone()).collect();
    assert_eq!(devices_of(&records), all, "exactly one record per device");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["data"]["hostname"], r["device"], "{r}");
        assert!(r["worker"] == "w-two" || r["worker"] == "w-three", "{r}");
    }
    let redone = records
        .iter()
        .find(|r| r["device"] == device.as_str())
        .unwrap_or_else(|| panic!("no record for {device} (from `{started}`)"));
    assert!(
        redone["deliveries"].as_u64().unwrap() >= 2,
        "the killed worker's task was handed out again: {redone}"
    );

    // Secrets never travel: look at every message of the run.
    spy.flush().await.unwrap();
    let mut tasks = 0;
    let mut results = 0;
    while let Ok(Some(m)) =
        tokio::time::timeout(Duration::from_millis(500), everything.next()).await
    {
        let mut text = String::from_utf8_lossy(&m.payload).into_owned();
        if let Some(h) = &m.headers {
            text.push_str(&format!("{h:?}"));
        }
        for secret in ["netrun-lab-pw", "netrun-lab-enable"] {
            assert!(
                !text.contains(secret),
                "a secret on subject {}: {text}",
                m.subject
            );
        }
        tasks += usize::from(m.subject.starts_with("netrun.task."));
        results += usize::from(m.subject.starts_with("netrun.result."));
    }
    assert!(
        tasks >= 12 && results >= 12,
        "saw {tasks} tasks, {results} results"
    );
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_started_after_the_run_began_does_the_work_and_garbage_does_not_stop_it() {
    let Some(nats) = Nats::start("late_worker") else {
        return;
    };
    let (lab, inv) = start_lab(6, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let run = nats_run(
        home.path(),
        &nats,
        inv.path(),
        &out,
        &["exec", "show clock"],
    );
    let published = run.wait_for("published tasks");
    let run_id = field(&published, "run_id");

    // Garbage where workers and the run read, before any worker exists.
    let client = async_nats::connect(&nats.url).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    for (subject, payload) in [
        (format!("netrun.task.{run_id}"), &b"\x00\xffnot json"[..]),
        (
            "netrun.task.foreign".to_string(),
            &b"{\"hello\": \"world\"}"[..],
        ),
        (
            "netrun.task.future".to_string(),
            &b"{\"netrun_task\": 99}"[..],
        ),
        (format!("netrun.result.{run_id}"), &b"{]"[..]),
        (
            format!("netrun.result.{run_id}"),
            &b"{\"netrun_result\": 1, \"run\": \"other\"}"[..],
        ),
    ] {
        js.publish(subject, payload.to_vec().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    let mut late = worker(home.path(), &nats, inv.path(), "w-late", 4);
    let seen = exits_ok(run).await;
    let records = read_jsonl(&out);
    let all: Vec<String> = lab.devices().iter().map(|d| d.name.clone()).collect();
    assert_eq!(devices_of(&records), all);
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["worker"], "w-late", "{r}");
        assert_eq!(r["deliveries"], 1, "{r}");
    }
    assert!(
        seen.iter().any(|l| l.contains("ignoring a message")),
        "the run logs the garbage it skips: {seen:?}"
    );
    // The worker dropped the garbage tasks and lives on.
    late.wait_for("dropping a message that is not a task");
    assert!(
        late.child.try_wait().unwrap().is_none(),
        "the worker is still running"
    );
    late.kill();
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_workers_are_gone_ends_at_its_deadline_keeping_what_was_done() {
    let Some(nats) = Nats::start("deadline") else {
        return;
    };
    // r004..r006 answer slowly: the only worker dies on one of them.
    let (lab, inv) = start_lab(6, &["latency=30s:r004,r005,r006"]).await;
    let home = TempDir::new("home");

    // No worker at all: every device cancelled at the deadline.
    let out = inv.path().join("none.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args([
        "exec",
        "show clock",
        "--nats",
        &nats.url,
        "--run-timeout",
        "2",
        "-i",
    ])
    .arg(inv.path())
    .arg("-o")
    .arg(&out);
    let started = std::time::Instant::now();
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 6);
    for r in &records {
        assert_eq!(r["error"]["class"], "cancelled", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("netrun worker"),
            "{r}"
        );
    }

    // One worker, one task at a time, killed on the first slow device.
    let mut only = worker(home.path(), &nats, inv.path(), "w-only", 1);
    let out = inv.path().join("some.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "--nats", &nats.url])
        .args(["--run-timeout", "10", "-i"])
        .arg(inv.path())
        .arg("-o")
        .arg(&out);
    let mut run = Proc::spawn(cmd);
    only.wait_for("\"device\":\"r004\"");
    only.kill();
    let code = tokio::task::spawn_blocking(move || wait_exit(&mut run))
        .await
        .unwrap();
    assert_eq!(code, 2);
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 6);
    for r in &records {
        let slow = ["r004", "r005", "r006"].contains(&r["device"].as_str().unwrap());
        if slow {
            assert_eq!(r["error"]["class"], "cancelled", "{r}");
        } else {
            assert_eq!(r["status"], "ok", "{r}");
        }
    }
    lab.shutdown().await;
}

/// Every YAML document of deploy/kubernetes/, with its file name.
#[tokio::test(flavor = "multi_thread")]
async fn getters_and_exec_templates_cross_the_queue_and_config_refuses_it_with_the_way_out() {
    let Some(nats) = Nats::start("get_over_nats") else {
        return;
    };
    let (lab, inv) = start_lab(4, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut w = worker(home.path(), &nats, inv.path(), "w-get", 4);
    let run = nats_run(home.path(), &nats, inv.path(), &out, &["get", "facts"]);
    exits_ok(run).await;
    let records = read_jsonl(&out);
    let all: Vec<String> = lab.devices().iter().map(|d| d.name.clone()).collect();
    assert_eq!(devices_of(&records), all);
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["worker"], "w-get", "{r}");
        assert_eq!(r["data"]["facts"]["hostname"], r["device"], "{r}");
    }

    // `exec --template`: the template's text travels in the tasks and the
    // worker parses every output with it.
    let template = inv.path().join("uptime.textfsm");
    std::fs::write(&template, netrun_tests::UPTIME_TEMPLATE).unwrap();
    let parsed_out = inv.path().join("parsed.jsonl");
    let template_arg = template.to_str().unwrap();
    let run = nats_run(
        home.path(),
        &nats,
        inv.path(),
        &parsed_out,
        &["exec", "show version", "--template", template_arg],
    );
    exits_ok(run).await;
    let records = read_jsonl(&parsed_out);
    assert_eq!(devices_of(&records), all);
    for r in &records {
        assert_eq!(r["worker"], "w-get", "{r}");
        netrun_tests::assert_parsed_by_uptime_template(&r["data"]["commands"][0]);
    }
    // A template that does not compile stops the run before any task is
    // queued, naming the file.
    std::fs::write(&template, "Value X (\\S+\n\nStart\n  ^${X} -> Record\n").unwrap();
    let o = output(
        netrun(home.path())
            .args(["exec", "show version", "--template", template_arg])
            .args(["--nats", &nats.url, "-i"])
            .arg(inv.path()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("uptime.textfsm"), "{}", stderr(&o));
    w.kill();

    // Config runs (waves, rollbacks, local backups) stay on one machine.
    let backups = inv.path().join("backups");
    let o = output(
        netrun(home.path())
            .args(["config", "backup", "--dir"])
            .arg(&backups)
            .args(["--nats", &nats.url, "-i"])
            .arg(inv.path()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not run over --nats") && stderr(&o).contains("--shard I/N"),
        "{}",
        stderr(&o)
    );
    assert!(!backups.exists(), "nothing was backed up");
    lab.shutdown().await;
}

fn manifests() -> Vec<(String, Value)> {
    let dir = netrun_tests::workspace().join("deploy/kubernetes");
    let mut docs = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for doc in text.split("\n---\n") {
            let v: Value =
                serde_saphyr::from_str(doc).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            docs.push((f.file_name().unwrap().to_string_lossy().into_owned(), v));
        }
    }
    docs
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|s| {
            s.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn kubernetes_manifests_parse_and_give_netrun_only_flags_it_has() {
    let docs = manifests();
    let kinds: Vec<&str> = docs
        .iter()
        .map(|(_, d)| d["kind"].as_str().unwrap_or_default())
        .collect();
    for k in [
        "Job",
        "StatefulSet",
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
    ] {
        assert!(kinds.contains(&k), "no {k} in deploy/kubernetes: {kinds:?}");
    }
    let named = |kind: &str| -> Vec<String> {
        docs.iter()
            .filter(|(_, d)| d["kind"] == kind)
            .map(|(_, d)| d["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (config_maps, secrets) = (named("ConfigMap"), named("Secret"));
    let home = TempDir::new("home");
    let mut checked = 0;
    for (file, d) in &docs {
        let kind = d["kind"].as_str().unwrap_or_default();
        if !["Job", "StatefulSet", "Deployment"].contains(&kind) {
            continue;
        }
        let pod = &d["spec"]["template"]["spec"];
        for c in pod["containers"].as_array().unwrap() {
            let args = strs(&c["args"]);
            let sub = args[0].as_str();
            // Every flag given must be one `netrun SUB --help` lists.
            let help = output(netrun(home.path()).args([sub, "--help"]));
            assert!(help.status.success(), "{file}: netrun {sub} --help");
            let help = String::from_utf8_lossy(&help.stdout).into_owned();
            for a in args.iter().filter(|a| a.starts_with("--")) {
                let flag = a.split('=').next().unwrap();
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{file}: netrun {sub} has no flag {flag}"
                );
            }
            match kind {
                "Job" => {
                    assert_eq!(d["spec"]["completionMode"], "Indexed", "{file}");
                    assert_eq!(sub, "run");
                    let i = args.iter().position(|a| a == "--shard-count").unwrap();
                    assert_eq!(
                        args[i + 1],
                        d["spec"]["completions"].as_u64().unwrap().to_string(),
                        "{file}: one shard per completion index"
                    );
                }
                "StatefulSet" => {
                    assert_eq!(sub, "serve");
                    assert!(args.contains(&"--shard-from-hostname".to_string()));
                    let shards = c["env"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|e| e["name"] == "NETRUN_SHARDS")
                        .unwrap();
                    assert_eq!(
                        shards["value"].as_str().unwrap(),
                        d["spec"]["replicas"].as_u64().unwrap().to_string(),
                        "{file}: one shard per replica"
                    );
                    let notes = &d["spec"]["template"]["metadata"]["annotations"];
                    assert_eq!(notes["prometheus.io/scrape"], "true");
                    let service = docs
                        .iter()
                        .find(|(_, s)| {
                            s["kind"] == "Service"
                                && s["metadata"]["name"] == d["spec"]["serviceName"]
                        })
                        .expect("the StatefulSet's service");
                    assert_eq!(service.1["spec"]["clusterIP"], "None", "headless");
                }
                _ => {
                    assert_eq!(sub, "worker");
                    assert!(args.contains(&"--nats".to_string()));
                }
            }
            checked += 1;
        }
        // Volumes name ConfigMaps and Secrets the manifests define.
        for v in pod["volumes"].as_array().unwrap() {
            let mut refs = vec![v.clone()];
            refs.extend(
                v["projected"]["sources"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            for r in refs {
                if let Some(n) = r["configMap"]["name"].as_str() {
                    assert!(config_maps.contains(&n.to_string()), "{file}: {n}");
                }
                if let Some(n) = r["secret"]["name"].as_str() {
                    assert!(secrets.contains(&n.to_string()), "{file}: {n}");
                }
            }
        }
    }
    assert_eq!(checked, 3);

    // The example inventory (ConfigMap + Secret in one folder) loads.
    let inv = TempDir::new("k8s-inv");
    for (_, d) in &docs {
        let data = match d["kind"].as_str() {
            Some("ConfigMap") if d["metadata"]["name"] == "netrun-inventory" => &d["data"],
            Some("Secret") => &d["stringData"],
            _ => continue,
        };
        for (k, v) in data.as_object().unwrap() {
            std::fs::write(inv.path().join(k), v.as_str().unwrap()).unwrap();
        }
    }
    let inventory = netrun::inventory::Inventory::load(inv.path()).unwrap();
    assert_eq!(inventory.hosts.len(), 3);
    assert!(inventory.hosts.iter().all(|h| h.password.is_some()));

    // kubectl's own parser, when this machine has it (no cluster needed).
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok()
    {
        let o = output(
            Command::new("kubectl")
                .arg("kustomize")
                .arg(netrun_tests::workspace().join("deploy/kubernetes")),
        );
        assert!(o.status.success(), "kubectl kustomize: {}", stderr(&o));
    }
}

/// The container image's contents, without a container engine: the
/// Dockerfile's `deploy/image/layout.sh` lays out binary and plugins, then
/// netrun is started from that layout as the image starts it (another user
/// when the tests run as root, as the image's `nonroot`; nothing of the
/// layout writable) and sweeps a lab, compiling nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_image_layout_sweeps_a_lab_as_another_user_and_compiles_nothing() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let image = TempDir::new("image");
    let opt = image.path().join("opt");
    let o = output(
        Command::new("bash")
            .arg(netrun_tests::workspace().join("deploy/image/layout.sh"))
            .arg(&opt)
            .arg(netrun_tests::netrun_bin())
            .arg(netrun_tests::target_dir()),
    );
    assert!(o.status.success(), "layout.sh: {}", stderr(&o));
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    // Read-only for its owner too when the tests cannot change user.
    let lock = |writable: bool| {
        let o = output(
            Command::new("chmod")
                .arg("-R")
                .arg(if writable { "u+w" } else { "a-w" })
                .arg(&opt),
        );
        assert!(o.status.success(), "chmod: {}", stderr(&o));
    };
    if !root {
        lock(false);
    }
    let (_lab, inv) = start_lab(4, &[]).await;
    let home = TempDir::new("home");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65532", "--regid=65532", "--clear-groups", "--"]);
        c.arg(opt.join("bin/netrun"));
        c
    } else {
        Command::new(opt.join("bin/netrun"))
    };
    cmd.args(["run", "collect-facts", "-o", "-", "-i"])
        .arg(inv.path())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env_remove("NETRUN_PLUGIN_PATH");
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    if !root {
        lock(true);
    }
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "ok", "{r}");
    }
    let compiled: Vec<_> = walk(&home.path().join("cache"))
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".cwasm") || name.ends_with(".platforms.json")
        })
        .collect();
    assert!(
        compiled.is_empty(),
        "the run compiled or asked the drivers what the layout holds: {compiled:?}"
    );
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
