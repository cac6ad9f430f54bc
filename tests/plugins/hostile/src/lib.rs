//! A hostile workflow for netrun's sandbox tests. On every device it sends
//! `show version` like a well-behaved plugin, except on the device named by
//! the `victim` parameter, where it runs the `attack` parameter:
//!
//! - `loop`: spins forever (stopped by the CPU budget);
//! - `alloc`: allocates up to 4 GiB (stopped by the memory limit);
//! - `trap`: panics;
//! - `command`: sends a command its manifest does not request;
//! - `config`: enters configuration mode without requesting it;
//! - `config-api`: commits a candidate through the `config` interface
//!   without requesting it;
//! - `snoop`: looks for files, folders, environment variables and arguments,
//!   and returns what it saw (WASI gives it none);
//! - `log-flood`: logs without end;
//! - `output`: returns a result larger than its output limit;
//! - `http`: GETs the URL in the `url` parameter (a host it never requested);
//! - `http-device`: calls the device's own API, which it never requested;
//! - `metrics-flood`: creates metric series without end (capped by the host);
//! - `metrics-spoof`: reports a metric for another device;
//! - `error`: returns an error of the class named by the `class` parameter.
//! - `command-timing`: sends a command its manifest does not request, in
//!   timing mode.
//!
//! With the `settle_ms` parameter, the well-behaved `show version` goes in
//! timing mode (`send_command_timing`) and the output's lines come back.

use netrun_guest::workflow::config::{Candidate, Mode};
use netrun_guest::workflow::{Device, Error, Session, Workflow, http, metrics};
use netrun_guest::{Level, Value, json, log};

struct Hostile;

fn snoop() -> Value {
    let mut files = Vec::new();
    for path in [
        "/etc/passwd",
        "/proc/self/environ",
        "netrun-plugin.toml",
        "./plugin.wasm",
        "/",
    ] {
        if let Ok(text) = std::fs::read_to_string(path) {
            files.push(json!({ "path": path, "bytes": text.len() }));
        }
        if let Ok(entries) = std::fs::read_dir(path) {
            files.push(json!({ "path": path, "entries": entries.count() }));
        }
    }
    let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    let home = std::env::var("HOME").ok();
    let args: Vec<String> = std::env::args().collect();
    let cwd = std::env::current_dir()
        .ok()
        .map(|p| p.display().to_string());
    json!({ "files": files, "env": env, "home": home, "args": args, "cwd": cwd })
}

impl Workflow for Hostile {
    fn run(device: Device, params: Value) -> Result<Value, Error> {
        let victim = params.get("victim").and_then(Value::as_str).unwrap_or("");
        let attack = params.get("attack").and_then(Value::as_str).unwrap_or("");
        if device.name == victim {
            match attack {
                "loop" => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                "alloc" => {
                    let mut held: Vec<Vec<u8>> = Vec::new();
                    for _ in 0..64 {
                        let mut chunk = vec![0u8; 64 << 20];
                        chunk[4096] = 1;
                        held.push(chunk);
                    }
                    return Ok(json!({ "held_mib": held.len() * 64 }));
                }
                "trap" => panic!("hostile plugin panics on purpose"),
                "command" => {
                    let s = Session::open()?;
                    s.send_command("show running-config")?;
                }
                "command-timing" => {
                    let s = Session::open()?;
                    s.send_command_timing("show running-config", Some(200))?;
                }
                "config" => {
                    let s = Session::open()?;
                    s.send_config(&["hostname pwned"])?;
                }
                "config-api" => {
                    let c = Candidate::load_lines(&["hostname pwned"], Mode::Merge)?;
                    c.commit(None)?;
                }
                "snoop" => return Ok(snoop()),
                "log-flood" => loop {
                    log(Level::Error, &"flood ".repeat(1_000));
                },
                "output" => return Ok(Value::String("x".repeat(2 << 20))),
                "http" => {
                    let url = params.get("url").and_then(Value::as_str).unwrap_or("");
                    let r = http::send("GET", url, &[], None)?;
                    return Ok(json!({ "status": r.status, "body": r.body }));
                }
                "http-device" => {
                    let r = http::send("GET", "/command-api", &[], None)?;
                    return Ok(json!({ "status": r.status }));
                }
                "metrics-flood" => {
                    let mut made = 0u64;
                    loop {
                        let label = made.to_string();
                        metrics::gauge("flood", "flood", &[("n", &label)], 1.0)?;
                        made += 1;
                    }
                }
                "error" => {
                    // Returns the error class named in `class`: the record
                    // must carry it unchanged.
                    let name = params.get("class").and_then(Value::as_str).unwrap_or("");
                    let class = netrun_guest::ErrorClass::from_name(name)
                        .unwrap_or(netrun_guest::ErrorClass::Internal);
                    return Err(Error::new(class, format!("hostile returns {name}")));
                }
                "metrics-spoof" => {
                    metrics::gauge("up", "up", &[("device", "someone-else")], 1.0)?;
                }
                _ => {}
            }
        }
        let s = Session::open()?;
        if let Some(settle) = params.get("settle_ms").and_then(Value::as_u64) {
            let out = s.send_command_timing("show version", Some(settle as u32))?;
            let lines: Vec<&str> = out.lines().collect();
            return Ok(json!({ "bytes": out.len(), "lines": lines, "mode": s.mode() }));
        }
        let out = s.send_command("show version")?;
        Ok(json!({ "bytes": out.len() }))
    }
}

netrun_guest::register_workflow!(Hostile);
