//! A hostile driver for netrun's sandbox tests: platform `hostile_ios`
//! (Cisco IOS's prompts, modes and pager from the platform data files,
//! under another name), whose `facts` getter says it has follow-up
//! commands and then asks for one more after every round, without end.
//! The host must stop it with a typed error, not loop until the device's
//! deadline.

use netrun_guest::driver::{Definition, Driver, ParseError};
use serde_json::Value;

/// The driver.
pub struct HostileDriver;

impl Driver for HostileDriver {
    fn platforms() -> Vec<Definition> {
        let (defs, _) = netrun_plugin_netrun_platforms::data::definitions_for("cisco-ios");
        defs.into_iter()
            .filter(|d| d.name == "cisco_ios")
            .map(|mut d| {
                d.name = "hostile_ios".into();
                d
            })
            .collect()
    }

    fn parsers(_platform: &str) -> Vec<String> {
        Vec::new()
    }

    fn parse(_platform: &str, command: &str, _output: &str) -> Result<Value, ParseError> {
        Err(ParseError::UnsupportedCommand(format!(
            "no parser for {command:?}"
        )))
    }

    fn getters(_platform: &str) -> Vec<String> {
        vec!["facts".into()]
    }

    fn getter_commands(_platform: &str, _getter: &str) -> Result<Vec<String>, ParseError> {
        Ok(vec!["show version".into()])
    }

    fn getter_has_follow_up(_platform: &str, _getter: &str) -> bool {
        true
    }

    fn getter_follow_up(
        _platform: &str,
        _getter: &str,
        outputs: &[(String, String)],
    ) -> Result<Vec<String>, ParseError> {
        // One more, whatever came back: never done.
        Ok(vec![format!("show version | include {}", outputs.len())])
    }

    fn getter(
        _platform: &str,
        _getter: &str,
        _outputs: &[(String, String)],
    ) -> Result<Value, ParseError> {
        Ok(serde_json::json!({"hostname": "never reached"}))
    }
}

netrun_guest::register_driver!(HostileDriver);
