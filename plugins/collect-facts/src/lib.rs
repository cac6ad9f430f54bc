//! collect-facts: the facts NAPALM's `get_facts` returns (hostname, vendor,
//! OS version, model, serial, uptime, interfaces), from the `facts` getter
//! of the device's driver (so every platform with a driver answers), or —
//! for Arista devices with an API endpoint in the inventory — `show
//! version`, `show hostname` and `show interfaces` over eAPI, each parsed
//! by the driver.

use netrun_guest::workflow::{Device, Error, Workflow, get, http, parse};
use netrun_guest::{Level, Value, json, log};

/// The workflow.
pub struct CollectFacts;

/// Vendor by `device_type` prefix, as Netmiko names platforms.
fn vendor(platform: &str) -> &'static str {
    match platform.split('_').next().unwrap_or("") {
        "cisco" => "Cisco",
        "arista" => "Arista",
        "juniper" => "Juniper",
        "nokia" => "Nokia",
        "huawei" => "Huawei",
        "hp" | "aruba" => "HPE",
        _ => "unknown",
    }
}

/// The `interface` of every row of a parsed interface table.
fn interface_names(interfaces: &Value) -> Vec<Value> {
    interfaces
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.get("interface").cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// The record from the driver's NAPALM `get_facts` answer: NAPALM's
/// fields under the names this workflow has always used, the uptime also
/// in words.
pub fn facts_from_getter(facts: &Value) -> Value {
    let uptime_seconds = facts
        .get("uptime")
        .and_then(Value::as_f64)
        .filter(|s| *s >= 0.0)
        .map(|s| s as u64);
    json!({
        "hostname": facts.get("hostname").cloned().unwrap_or(Value::Null),
        "fqdn": facts.get("fqdn").cloned().unwrap_or(Value::Null),
        "vendor": facts.get("vendor").cloned().unwrap_or(Value::Null),
        "os_version": facts.get("os_version").cloned().unwrap_or(Value::Null),
        "model": facts.get("model").cloned().unwrap_or(Value::Null),
        "serial": facts.get("serial_number").cloned().unwrap_or(Value::Null),
        "uptime": uptime_seconds.map(uptime_text),
        "uptime_seconds": uptime_seconds,
        "interfaces": facts.get("interface_list").cloned().unwrap_or_else(|| json!([])),
    })
}

/// Facts from eAPI answers parsed by the arista-eos driver.
pub fn facts_from_api(
    platform: &str,
    version: &Value,
    hostname: &Value,
    interfaces: &Value,
) -> Value {
    let interface_list = interface_names(interfaces);
    let uptime_seconds = version.get("uptime_seconds").and_then(Value::as_u64);
    json!({
        "hostname": hostname.get("hostname").cloned().unwrap_or(Value::Null),
        "fqdn": hostname.get("fqdn").cloned().unwrap_or(Value::Null),
        "vendor": vendor(platform),
        "os_version": version.get("version").cloned().unwrap_or(Value::Null),
        "model": version.get("model").cloned().unwrap_or(Value::Null),
        "serial": version.get("serial").cloned().unwrap_or(Value::Null),
        "uptime": uptime_seconds.map(uptime_text),
        "uptime_seconds": uptime_seconds,
        "interfaces": interface_list,
    })
}

/// `1 week, 2 days, 3 hours, 4 minutes`, as IOS words it.
pub fn uptime_text(secs: u64) -> String {
    let parts = [
        ("year", 365 * 86_400),
        ("week", 7 * 86_400),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
    ];
    let mut left = secs;
    let mut words = Vec::new();
    for (name, size) in parts {
        let n = left / size;
        left %= size;
        if n > 0 {
            words.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if words.is_empty() {
        "0 minutes".into()
    } else {
        words.join(", ")
    }
}

/// eAPI commands answered in JSON, each parsed by the device's driver.
const API_COMMANDS: [&str; 3] = ["show version", "show hostname", "show interfaces"];

/// Run `API_COMMANDS` in one eAPI `runCmds` call.
fn over_api(device: &Device) -> Result<Value, Error> {
    let request = json!({
        "jsonrpc": "2.0",
        "method": "runCmds",
        "params": {"version": 1, "cmds": API_COMMANDS, "format": "json"},
        "id": format!("netrun-{}", device.name),
    });
    let answer = http::post_json("/command-api", &request)?;
    if let Some(e) = answer.get("error") {
        return Err(Error::rejected(API_COMMANDS.join("; "), e.to_string()));
    }
    let results = answer
        .get("result")
        .and_then(Value::as_array)
        .filter(|r| r.len() == API_COMMANDS.len())
        .ok_or_else(|| {
            Error::parse(format!(
                "eAPI answer has no result list of {} entries: {}",
                API_COMMANDS.len(),
                answer.to_string().chars().take(200).collect::<String>()
            ))
        })?;
    let mut parsed = Vec::with_capacity(results.len());
    for (command, result) in API_COMMANDS.iter().zip(results) {
        parsed.push(parse(command, &result.to_string())?);
    }
    log(
        Level::Debug,
        &format!("collected facts of {} over eAPI", device.name),
    );
    Ok(facts_from_api(
        &device.platform,
        &parsed[0],
        &parsed[1],
        &parsed[2],
    ))
}

impl Workflow for CollectFacts {
    fn run(device: Device, _params: Value) -> Result<Value, Error> {
        if device.platform == "arista_eos" && http::endpoint().is_some() {
            return over_api(&device);
        }
        let facts = get("facts")?;
        log(Level::Debug, &format!("collected facts of {}", device.name));
        Ok(facts_from_getter(&facts))
    }
}

netrun_guest::register_workflow!(CollectFacts);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getter_facts_keep_the_workflows_field_names_and_word_the_uptime() {
        let napalm = json!({
            "hostname": "r1", "fqdn": "r1.lab", "vendor": "Cisco", "os_version": "17.03.04a",
            "model": "C9300-48P", "serial_number": "FOC1", "uptime": 612_000.0,
            "interface_list": ["Gi1/0/1", "Vlan1"]
        });
        let f = facts_from_getter(&napalm);
        assert_eq!(f["model"], "C9300-48P");
        assert_eq!(f["serial"], "FOC1");
        assert_eq!(f["vendor"], "Cisco");
        assert_eq!(f["uptime_seconds"], 612_000);
        assert_eq!(f["uptime"], "1 week, 2 hours");
        assert_eq!(f["interfaces"], json!(["Gi1/0/1", "Vlan1"]));
        // NAPALM's -1 for an unknown uptime is no uptime, not a huge one.
        let f = facts_from_getter(&json!({"uptime": -1.0}));
        assert_eq!(f["uptime_seconds"], Value::Null);
        assert_eq!(f["interfaces"], json!([]));
    }

    #[test]
    fn api_facts_take_hostname_and_words_the_uptime() {
        let version = json!({"model": "DCS-7050SX3-48YC8", "serial": "JPE1", "version": "4.30.1F",
                             "uptime_seconds": 8 * 86_400 + 3_660});
        let host = json!({"hostname": "leaf1", "fqdn": "leaf1.lab"});
        let intf = json!([{"interface": "Ethernet1"}]);
        let f = facts_from_api("arista_eos", &version, &host, &intf);
        assert_eq!(f["hostname"], "leaf1");
        assert_eq!(f["vendor"], "Arista");
        assert_eq!(f["uptime"], "1 week, 1 day, 1 hour, 1 minute");
        assert_eq!(f["interfaces"], json!(["Ethernet1"]));
    }
}
