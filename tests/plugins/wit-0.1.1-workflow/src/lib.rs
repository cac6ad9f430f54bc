//! scaffold-0-1-1: a netrun workflow plugin — hostname and software version of
//! each device, from `show version` parsed by the device's driver.
//!
//! `netrun plugin build` compiles it to a WebAssembly component for
//! `wasm32-wasip2`; `netrun plugin test` runs it against every recorded
//! transcript in tests/transcripts/*.json, with no device.
//!
//! Frozen: this is what `netrun plugin new` wrote for a Rust workflow when
//! the contract was `netrun:plugin@0.1.1` (commit 0cf58e2). Its component was
//! built once and committed as `tests/fixtures/wit-0.1.1-workflow/plugin.wasm`;
//! it is never rebuilt, so it shows that every later host still runs it.
//! Only the vendored SDK (`.netrun/guest-sdk/`) is cut down to the lines
//! this file uses, in `src/netrun_guest.rs`.

mod netrun_guest;

use netrun_guest::workflow::{Device, Error, Session, Workflow};
use netrun_guest::{Level, Value, json, log};

/// The plugin.
struct Plugin;

impl Workflow for Plugin {
    fn run(device: Device, _params: Value) -> Result<Value, Error> {
        // The host logs in, walks modes and answers pagers; this plugin may
        // send only the commands its manifest requests (`show version`).
        let session = Session::open()?;
        let version = session.send_command_parsed("show version")?;
        log(
            Level::Debug,
            &format!("{}: show version parsed", device.name),
        );
        Ok(json!({
            "hostname": version.get("hostname").cloned().unwrap_or(Value::Null),
            "version": version.get("version").cloned().unwrap_or(Value::Null),
        }))
    }
}

netrun_guest::register_workflow!(Plugin);
