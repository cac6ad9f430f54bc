//! `show hostname`.
//!
//! Output: `{"hostname": "leaf1", "fqdn": "leaf1.dc1.example.net"}`, from eAPI
//! JSON or the CLI's `Hostname: leaf1` / `FQDN:     leaf1.dc1.example.net`.

use serde_json::{Map, Value, json};

use super::{Output, ParseError, excerpt, json_str, lines};

const COMMAND: &str = "show hostname";

pub(crate) fn parse(output: Output<'_>) -> Result<Value, ParseError> {
    match output {
        Output::Json(map) => from_json(&map),
        Output::Text(text) => from_text(&text),
    }
}

fn from_json(map: &Map<String, Value>) -> Result<Value, ParseError> {
    let hostname = json_str(map, COMMAND, "hostname")?;
    let fqdn = json_str(map, COMMAND, "fqdn")?;
    Ok(json!({"hostname": hostname, "fqdn": fqdn}))
}

fn from_text(text: &str) -> Result<Value, ParseError> {
    let mut hostname = None;
    let mut fqdn = String::new();
    for line in lines(text).filter(|l| !l.trim().is_empty()) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Hostname:") {
            hostname = Some(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("FQDN:") {
            fqdn = rest.trim().to_string();
        } else {
            return Err(ParseError::Unexpected(format!(
                "expected {COMMAND:?} output (\"Hostname:\" and \"FQDN:\" lines), got {:?}",
                excerpt(line)
            )));
        }
    }
    let hostname = hostname.ok_or_else(|| {
        ParseError::Unexpected(format!(
            "expected a \"Hostname:\" line in {COMMAND:?} output"
        ))
    })?;
    Ok(json!({"hostname": hostname, "fqdn": fqdn}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_line_is_named() {
        let err = from_text("Hostname: a\nUptime: 3 days\n").unwrap_err();
        assert!(matches!(err, ParseError::Unexpected(ref m) if m.contains("Uptime")));
    }
}
