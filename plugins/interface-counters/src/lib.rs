//! interface-counters: per-interface octets, packets and errors from
//! `show interfaces` (CLI, or eAPI for Arista devices with an API endpoint),
//! parsed by the device's driver, exported as Prometheus metrics
//! (`netrun_plugin_interface_counters_*`) and returned as the device's data.
//!
//! Counters are the device's own running totals; Prometheus' `rate()` turns
//! them into bits per second and handles a device's counter reset.

use netrun_guest::workflow::{Device, Error, Session, Workflow, http, metrics, parse};
use netrun_guest::{Value, json};

/// The workflow.
pub struct InterfaceCounters;

/// Counters exported, as (key in the parsed row, metric name, help).
pub const COUNTERS: [(&str, &str, &str); 6] = [
    (
        "input_octets",
        "in_octets_total",
        "Octets received on the interface, as the device counts them",
    ),
    (
        "output_octets",
        "out_octets_total",
        "Octets sent on the interface, as the device counts them",
    ),
    (
        "input_packets",
        "in_packets_total",
        "Packets received on the interface",
    ),
    (
        "output_packets",
        "out_packets_total",
        "Packets sent on the interface",
    ),
    (
        "input_errors",
        "in_errors_total",
        "Receive errors on the interface",
    ),
    (
        "output_errors",
        "out_errors_total",
        "Transmit errors on the interface",
    ),
];

/// One interface's counters out of a parsed `show interfaces` row, or None
/// when the row carries no counters (a tunnel the platform does not count).
pub fn counters(row: &Value) -> Option<Value> {
    let name = row.get("interface")?.as_str()?;
    let mut out = serde_json::Map::new();
    out.insert("interface".into(), json!(name));
    let mut any = false;
    for (key, _, _) in COUNTERS {
        let v = row.get(key).and_then(Value::as_u64);
        any |= v.is_some();
        out.insert(key.into(), json!(v));
    }
    let up = row
        .get("protocol_status")
        .and_then(Value::as_str)
        .map(|s| s.trim().eq_ignore_ascii_case("up") || s.starts_with("up "));
    out.insert("oper_up".into(), json!(up));
    any.then_some(Value::Object(out))
}

/// Export one interface's counters.
fn export(c: &Value) -> Result<(), Error> {
    let name = c["interface"].as_str().unwrap_or_default();
    let labels = [("interface", name)];
    for (key, metric, help) in COUNTERS {
        if let Some(v) = c[key].as_u64() {
            metrics::counter(metric, help, &labels, v as f64)?;
        }
    }
    if let Some(up) = c["oper_up"].as_bool() {
        metrics::gauge(
            "oper_up",
            "1 when the interface's line protocol is up",
            &labels,
            if up { 1.0 } else { 0.0 },
        )?;
    }
    Ok(())
}

/// `show interfaces` parsed, over eAPI or the CLI.
fn show_interfaces(device: &Device) -> Result<Value, Error> {
    if device.platform == "arista_eos" && http::endpoint().is_some() {
        let request = json!({
            "jsonrpc": "2.0", "method": "runCmds", "id": "netrun",
            "params": {"version": 1, "cmds": ["show interfaces"], "format": "json"},
        });
        let answer = http::post_json("/command-api", &request)?;
        if let Some(e) = answer.get("error") {
            return Err(Error::rejected("show interfaces", e.to_string()));
        }
        let first = answer
            .pointer("/result/0")
            .ok_or_else(|| Error::parse("eAPI answer has no result"))?;
        return parse("show interfaces", &first.to_string());
    }
    Session::open()?.send_command_parsed("show interfaces")
}

impl Workflow for InterfaceCounters {
    fn run(device: Device, _params: Value) -> Result<Value, Error> {
        let parsed = show_interfaces(&device)?;
        let rows = parsed
            .as_array()
            .ok_or_else(|| Error::parse("show interfaces did not parse to a list of interfaces"))?;
        let list: Vec<Value> = rows.iter().filter_map(counters).collect();
        for c in &list {
            export(c)?;
        }
        Ok(json!({ "interfaces": list }))
    }
}

netrun_guest::register_workflow!(InterfaceCounters);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_come_from_the_shared_row_keys() {
        let row = json!({"interface": "Gi0/1", "input_octets": 10, "output_octets": 20,
                         "input_packets": 1, "output_packets": 2, "input_errors": 0,
                         "output_errors": 3, "protocol_status": "up"});
        let c = counters(&row).unwrap();
        assert_eq!(c["input_octets"], 10);
        assert_eq!(c["output_errors"], 3);
        assert_eq!(c["oper_up"], true);
    }

    #[test]
    fn rows_without_counters_are_skipped_and_down_is_false() {
        assert!(counters(&json!({"interface": "Tunnel0"})).is_none());
        let c = counters(&json!({"interface": "Gi0/2", "input_octets": 0,
                                 "protocol_status": "down"}))
        .unwrap();
        assert_eq!(c["oper_up"], false);
        assert_eq!(c["output_octets"], Value::Null);
    }
}
