//! `show version`.
//!
//! Output: one JSON object:
//!
//! ```json
//! {"vendor": "Arista", "model": "DCS-7050SX3-48YC8", "hardware_revision": "11.00",
//!  "serial": "JPE19181234", "system_mac": "001c.7312.3456", "version": "4.28.3M",
//!  "architecture": "i686", "image": "4.28.3M-28837868.4283M",
//!  "uptime_seconds": 1650120, "memory_total_kib": 8098984, "memory_free_kib": 5432112}
//! ```
//!
//! * `image` is the internal build version (`internalVersion`).
//! * `uptime_seconds` is whole seconds from eAPI's `uptime`, minutes-precise from
//!   the CLI's `Uptime: 2 weeks, 5 days, 2 hours and 22 minutes`.
//! * `model` and `version` must be present; the other fields are `""` / `null`
//!   when the output lacks them (vEOS prints an empty serial number).

use std::sync::LazyLock;

use netrun_guest::text::re;
use regex::Regex;
use serde_json::{Map, Value, json};

use super::{Output, ParseError, excerpt, json_opt_str, json_str, json_u64, lines, mac_dotted};

const COMMAND: &str = "show version";

static FIELD: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*([A-Za-z][A-Za-z ]*?):\s*(.*?)\s*$"));
static UPTIME_PART: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\d+)\s+(week|day|hour|minute|second)s?\b"));
static KB: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d+)\s*kB$"));

pub(crate) fn parse(output: Output<'_>) -> Result<Value, ParseError> {
    match output {
        Output::Json(map) => from_json(&map),
        Output::Text(text) => from_text(&text),
    }
}

fn from_json(map: &Map<String, Value>) -> Result<Value, ParseError> {
    let model = json_str(map, COMMAND, "modelName")?;
    let version = json_str(map, COMMAND, "version")?;
    Ok(json!({
        "vendor": "Arista",
        "model": model,
        "hardware_revision": json_opt_str(map, "hardwareRevision"),
        "serial": json_opt_str(map, "serialNumber"),
        "system_mac": mac_dotted(&json_opt_str(map, "systemMacAddress")),
        "version": version,
        "architecture": json_opt_str(map, "architecture"),
        "image": json_opt_str(map, "internalVersion"),
        "uptime_seconds": json_u64(map, "uptime"),
        "memory_total_kib": json_u64(map, "memTotal"),
        "memory_free_kib": json_u64(map, "memFree"),
    }))
}

/// `2 weeks, 5 days, 2 hours and 22 minutes` -> seconds.
fn uptime_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut found = false;
    for caps in UPTIME_PART.captures_iter(text) {
        let n: u64 = caps[1].parse().ok()?;
        let unit = match &caps[2] {
            "week" => 604_800,
            "day" => 86_400,
            "hour" => 3_600,
            "minute" => 60,
            _ => 1,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        found = true;
    }
    found.then_some(total)
}

fn kib(text: &str) -> Option<u64> {
    KB.captures(text).and_then(|c| c[1].parse().ok())
}

fn from_text(text: &str) -> Result<Value, ParseError> {
    let mut model = String::new();
    let mut fields = Map::new();
    let mut seen_first = false;
    for line in lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if !seen_first {
            seen_first = true;
            // `Arista DCS-7050SX3-48YC8` (`Arista vEOS-lab` on the virtual
            // switch); cEOS-lab before 4.26 prints ` cEOSLab` alone.
            let first = line.trim();
            if let Some(rest) = first.strip_prefix("Arista ") {
                model = rest.trim().to_string();
                continue;
            }
            if !first.contains(':') && !first.contains(char::is_whitespace) {
                model = first.to_string();
                continue;
            }
        }
        if let Some(caps) = FIELD.captures(line) {
            fields
                .entry(caps[1].to_string())
                .or_insert_with(|| Value::String(caps[2].to_string()));
        }
    }
    let get = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let version = get("Software image version");
    if version.is_empty() {
        let first = lines(text)
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        return Err(ParseError::Unexpected(format!(
            "expected {COMMAND:?} output with a \"Software image version:\" line, first line is {:?}",
            excerpt(first)
        )));
    }
    if model.is_empty() {
        return Err(ParseError::Unexpected(format!(
            "expected {COMMAND:?} output starting with the model (\"Arista <model>\")"
        )));
    }
    let mut mac = get("System MAC address");
    if mac.is_empty() {
        mac = get("Hardware MAC address");
    }
    Ok(json!({
        "vendor": "Arista",
        "model": model,
        "hardware_revision": get("Hardware version"),
        "serial": get("Serial number"),
        "system_mac": mac_dotted(&mac),
        "version": version,
        "architecture": get("Architecture"),
        "image": get("Internal build version"),
        "uptime_seconds": uptime_seconds(&get("Uptime")),
        "memory_total_kib": kib(&get("Total memory")),
        "memory_free_kib": kib(&get("Free memory")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_compile() {
        LazyLock::force(&FIELD);
        LazyLock::force(&UPTIME_PART);
        LazyLock::force(&KB);
    }

    #[test]
    fn uptime_words_become_seconds() {
        assert_eq!(
            uptime_seconds("2 weeks, 5 days, 2 hours and 22 minutes"),
            Some(2 * 604_800 + 5 * 86_400 + 2 * 3_600 + 22 * 60)
        );
        assert_eq!(uptime_seconds("1 day, 1 hour and 1 minute"), Some(90_060));
        assert_eq!(
            uptime_seconds("0 weeks, 0 days, 0 hours and 4 minutes"),
            Some(240)
        );
        assert_eq!(uptime_seconds("unknown"), None);
    }

    #[test]
    fn text_without_version_line_names_it() {
        let err = from_text("Hostname: leaf1\nFQDN: leaf1\n").unwrap_err();
        assert!(
            matches!(err, ParseError::Unexpected(ref m) if m.contains("Software image version")),
            "{err:?}"
        );
    }

    #[test]
    fn json_without_model_names_the_field() {
        let map = serde_json::from_str::<Map<String, Value>>(r#"{"version": "4.30.1F"}"#).unwrap();
        let err = from_json(&map).unwrap_err();
        assert!(matches!(err, ParseError::Unexpected(ref m) if m.contains("modelName")));
    }
}
