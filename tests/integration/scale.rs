//! Runs wider than the host's own defaults: more devices in flight at once
//! than wasmtime's stock pool holds (1,000 fibers and instances), so every
//! limit of the pooling allocator must follow the run's concurrency.

use std::os::unix::process::CommandExt;

use netrun_tests::{TempDir, netrun, output, read_jsonl, start_lab};

/// Devices in flight at once, each holding a workflow call open (one fiber
/// stack) while it waits for its slow device, and a driver to parse with:
/// twice what wasmtime's stock pool holds.
const CONCURRENCY: usize = 2_000;
/// More devices than slots, two and a half times over: instances go back
/// to the pool and are reused.
const DEVICES: usize = 5_000;

/// Open files the test's process needs: the lab's listeners and the
/// sessions it accepts (netrun, which inherits the limit, needs fewer),
/// with room for what the tests running alongside hold.
const OPEN_FILES: libc::rlim_t = 8_192;

/// Make sure the open-files hard limit allows `need`, raising it where the
/// process may (root with CAP_SYS_RESOURCE); `start_lab` then raises the
/// soft limit to it. A limit that stays lower fails the test here, saying
/// so, instead of deep in the lab's start.
fn ensure_open_files_hard_limit(need: libc::rlim_t) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write only the structs passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_max < need {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_cur,
                rlim_max: need,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    assert!(
        lim.rlim_max >= need,
        "this test needs {need} open files and the hard limit is {} (raise it: ulimit -Hn {need}, or LimitNOFILE= for a service)",
        lim.rlim_max
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_2000_over_5000_devices_gives_every_device_an_ok_record() {
    ensure_open_files_hard_limit(OPEN_FILES);
    // Each command answers after 2 s, so the devices overlap in flight.
    let (_lab, inv) = start_lab(DEVICES, &["latency=2s"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("records.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "--concurrency"])
        .arg(CONCURRENCY.to_string())
        .arg("-o")
        .arg(&out)
        .arg("-i")
        .arg(inv.path());
    let started = std::time::Instant::now();
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    let wall_ms = started.elapsed().as_millis() as u64;
    let records = read_jsonl(&out);
    assert_eq!(records.len(), DEVICES);
    let failed: Vec<_> = records.iter().filter(|r| r["status"] != "ok").collect();
    assert!(
        failed.is_empty(),
        "{} devices failed, e.g. {}; stderr: {}",
        failed.len(),
        failed[0],
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0));
    // The devices in flight on average over the run (the devices' time
    // summed over the run's): at some moment at least this many were, past
    // the 1,000 a stock pool holds.
    let device_ms: u64 = records
        .iter()
        .map(|r| r["elapsed_ms"].as_u64().unwrap())
        .sum();
    let in_flight = device_ms / wall_ms.max(1);
    assert!(
        in_flight > 1_000,
        "{in_flight} devices in flight on average ({device_ms} ms of devices over {wall_ms} ms)"
    );
}

/// Under an address-space limit (`ulimit -v`) too small for full 4 GiB
/// reservations but not for 1 GiB ones, a run still works every device,
/// and says why plugin code runs slower.
#[tokio::test(flavor = "multi_thread")]
async fn an_address_space_limit_gives_smaller_reservations_not_a_failed_run() {
    let (_lab, inv) = start_lab(3, &[]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("records.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show version", "--concurrency", "1", "-o"])
        .arg(&out)
        .arg("-i")
        .arg(inv.path());
    // 100 GiB: a run of one device at a time pools a few dozen memories,
    // ~4 GiB each in full (refused) or 1 GiB each (taken).
    const LIMIT: libc::rlim_t = 100 << 30;
    // SAFETY: setrlimit is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 3, "stderr: {stderr}");
    assert!(
        records.iter().all(|r| r["status"] == "ok"),
        "{records:?}; stderr: {stderr}"
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("reserving 1 GiB a memory") && stderr.contains("ulimit -v"),
        "stderr: {stderr}"
    );
}

/// The most memory (`VmLck`, kB) `child` had locked, read from /proc every
/// 20 ms until it exits.
fn peak_locked_kb(child: &mut std::process::Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let kb = text
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        peak = peak.max(kb);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    peak
}

/// russh locks every packet buffer of a session (`mlock`/`munlock` on each
/// allocation; 2.7 % of a wide sweep's CPU samples as root): the netrun binary
/// turns that off unless NETRUN_LOCK_MEMORY=1, and a password command it
/// runs gets the memory-lock limit netrun started with back.
#[tokio::test(flavor = "multi_thread")]
async fn session_buffers_are_not_locked_unless_asked_and_password_commands_keep_the_limit() {
    // Logged in, then no prompt: the session stays open until the prompt
    // timeout, its buffers allocated.
    let (_lab, inv) = start_lab(1, &["hang-after-login:r001"]).await;
    let limit_file = inv.path().join("memlock-limit");
    netrun_tests::password_from_command(inv.path(), |password| {
        format!("ulimit -l > {}; echo {password}", limit_file.display())
    });
    let home = TempDir::new("home");
    let out = inv.path().join("records.jsonl");
    let inv_path = inv.path().to_path_buf();
    let run = move |keep: bool| {
        let mut cmd = netrun(home.path());
        cmd.args([
            "exec",
            "show version",
            "--prompt-timeout",
            "2",
            "--retries",
            "0",
        ])
        .arg("-o")
        .arg(&out)
        .arg("-i")
        .arg(&inv_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
        if keep {
            cmd.env("NETRUN_LOCK_MEMORY", "1");
        } else {
            cmd.env_remove("NETRUN_LOCK_MEMORY");
        }
        let mut child = cmd.spawn().unwrap();
        let peak = peak_locked_kb(&mut child);
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        // It did log in and wait: the prompt never came.
        let records = read_jsonl(&out);
        assert_eq!(
            records[0]["error"]["class"], "prompt-timeout",
            "{records:?}"
        );
        // No warning about the buffers it was told not to lock.
        assert!(
            keep || !stderr.contains("cryptographic buffer"),
            "stderr: {stderr}"
        );
        peak
    };
    let (kept, stopped) = tokio::task::spawn_blocking(move || (run(true), run(false)))
        .await
        .unwrap();
    // The measurement sees locked buffers when russh may lock them.
    assert!(kept > 0, "NETRUN_LOCK_MEMORY=1: no memory locked");
    assert_eq!(stopped, 0, "session buffers locked: {stopped} kB");
    // The password command ran with the limit this test process has.
    let mut own = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only the struct we pass.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut own) },
        0
    );
    let expected = if own.rlim_cur == libc::RLIM_INFINITY {
        "unlimited".to_string()
    } else {
        (own.rlim_cur / 1024).to_string()
    };
    let seen = std::fs::read_to_string(&limit_file).unwrap();
    assert_eq!(seen.trim(), expected);
}
