//! Runs wider than the host's own defaults: more devices in flight at once
//! than wasmtime's stock pool holds (1,000 fibers and instances), so every
//! limit of the pooling allocator must follow the run's concurrency.

use std::os::unix::process::CommandExt;

use netrun_tests::{TempDir, netrun, output, read_jsonl, start_lab};

/// Devices in flight at once, each holding a workflow call open (one fiber
/// stack) while it waits for its slow device, and a driver to parse with.
const CONCURRENCY: usize = 1_100;
/// More devices than slots: instances go back to the pool and are reused.
const DEVICES: usize = 1_250;

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_beyond_a_thousand_gives_every_device_an_ok_record() {
    // Each command answers after 3 s, so the devices overlap in flight.
    let (_lab, inv) = start_lab(DEVICES, &["latency=3s"]).await;
    let home = TempDir::new("home");
    let out = inv.path().join("records.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["run", "collect-facts", "--concurrency"])
        .arg(CONCURRENCY.to_string())
        .arg("-o")
        .arg(&out)
        .arg("-i")
        .arg(inv.path());
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
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
