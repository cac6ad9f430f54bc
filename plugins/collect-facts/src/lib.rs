//! collect-facts: the facts NAPALM's `get_facts` returns (hostname, vendor,
//! OS version, model, serial, uptime, interfaces), from `show version` and
//! `show ip interface brief` parsed by the device's driver.

use netrun_guest::workflow::{Device, Error, Session, Workflow};
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

fn first(v: &Value, key: &str) -> Value {
    match v.get(key) {
        Some(Value::Array(a)) => a.first().cloned().unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// Uptime in seconds from the parsed parts (years, weeks, days, hours, minutes).
pub fn uptime_seconds(version: &Value) -> Option<u64> {
    let part = |k: &str| version.get(k).and_then(Value::as_u64);
    let parts = [
        ("uptime_years", 365 * 86_400),
        ("uptime_weeks", 7 * 86_400),
        ("uptime_days", 86_400),
        ("uptime_hours", 3_600),
        ("uptime_minutes", 60),
    ];
    if parts.iter().all(|(k, _)| part(k).is_none()) {
        return None;
    }
    Some(parts.iter().map(|(k, s)| part(k).unwrap_or(0) * s).sum())
}

/// Facts from parsed `show version` and `show ip interface brief`.
pub fn facts(platform: &str, version: &Value, interfaces: &Value) -> Value {
    let interface_list: Vec<Value> = interfaces
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.get("interface").cloned())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "hostname": version.get("hostname").cloned().unwrap_or(Value::Null),
        "vendor": vendor(platform),
        "os_version": version.get("version").cloned().unwrap_or(Value::Null),
        "model": first(version, "hardware"),
        "serial": first(version, "serial"),
        "uptime": version.get("uptime").cloned().unwrap_or(Value::Null),
        "uptime_seconds": uptime_seconds(version),
        "interfaces": interface_list,
    })
}

impl Workflow for CollectFacts {
    fn run(device: Device, _params: Value) -> Result<Value, Error> {
        let session = Session::open()?;
        let version = session.send_command_parsed("show version")?;
        let interfaces = session.send_command_parsed("show ip interface brief")?;
        log(Level::Debug, &format!("collected facts of {}", device.name));
        Ok(facts(&device.platform, &version, &interfaces))
    }
}

netrun_guest::register_workflow!(CollectFacts);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_pick_first_chassis_and_sum_uptime() {
        let version = json!({
            "hostname": "r1", "version": "17.03.04a", "hardware": ["C9300-48P", "C9300-24P"],
            "serial": ["FOC1", "FOC2"], "uptime": "1 week, 2 hours",
            "uptime_weeks": 1, "uptime_hours": 2
        });
        let intf = json!([{"interface": "Gi1/0/1"}, {"interface": "Vlan1"}]);
        let f = facts("cisco_ios", &version, &intf);
        assert_eq!(f["model"], "C9300-48P");
        assert_eq!(f["serial"], "FOC1");
        assert_eq!(f["vendor"], "Cisco");
        assert_eq!(f["uptime_seconds"], 7 * 86_400 + 7_200);
        assert_eq!(f["interfaces"], json!(["Gi1/0/1", "Vlan1"]));
    }

    #[test]
    fn missing_uptime_is_null_not_zero() {
        assert_eq!(uptime_seconds(&json!({})), None);
    }
}
