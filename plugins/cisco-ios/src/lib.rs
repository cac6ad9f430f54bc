//! Cisco IOS / IOS-XE driver: the platform as data (modes, prompts, pager,
//! failure indicators) and parsers for `show` commands.

pub mod getters;
pub mod parsers;

use netrun_guest::driver::{Definition, Driver, ParseError};
use netrun_guest::{Level, log};
use netrun_plugin_netrun_platforms::getters::{answer_in, commands_in, getters_in};

/// This driver's name in the `driver` field of platform data files.
const DRIVER: &str = "cisco-ios";

/// The platforms of `plugins/netrun-platforms/platforms/{cisco_ios,cisco_xe}.yaml`
/// (`cisco_ios`, `cisco_xe`, `cisco_iosxe`): the data files name this driver.
fn definitions() -> Vec<Definition> {
    let (defs, errors) = netrun_plugin_netrun_platforms::data::definitions_for(DRIVER);
    for e in errors {
        log(Level::Error, &e.to_string());
    }
    defs
}

/// The driver.
pub struct CiscoIos;

impl Driver for CiscoIos {
    fn platforms() -> Vec<Definition> {
        definitions()
    }

    fn parsers(_platform: &str) -> Vec<String> {
        parsers::COMMANDS.iter().map(|c| c.to_string()).collect()
    }

    fn parse(
        _platform: &str,
        command: &str,
        output: &str,
    ) -> Result<serde_json::Value, ParseError> {
        parsers::parse(command, output).map_err(ParseError::from)
    }

    fn getters(platform: &str) -> Vec<String> {
        getters_in(getters::GETTERS, platform)
            .into_iter()
            .map(String::from)
            .collect()
    }

    fn getter_commands(platform: &str, getter: &str) -> Result<Vec<String>, ParseError> {
        commands_in(getters::GETTERS, platform, getter).map_err(ParseError::from)
    }

    fn getter(
        platform: &str,
        getter: &str,
        outputs: &[(String, String)],
    ) -> Result<serde_json::Value, ParseError> {
        answer_in(getters::GETTERS, platform, getter, outputs).map_err(ParseError::from)
    }
}

netrun_guest::register_driver!(CiscoIos);

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn the_data_files_define_every_ios_name() {
        let names: Vec<String> = definitions().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["cisco_ios", "cisco_xe", "cisco_iosxe"]);
    }

    fn prompt(mode: &str) -> Regex {
        let def = definitions().remove(0);
        let m = def.modes.iter().find(|m| m.name == mode).unwrap();
        Regex::new(&m.prompt).unwrap()
    }

    #[test]
    fn prompts_match_their_mode_only() {
        assert!(prompt("exec").is_match("core-sw1.lab>"));
        assert!(prompt("privileged-exec").is_match("R1#"));
        assert!(prompt("privileged-exec").is_match("R1# "));
        assert!(!prompt("privileged-exec").is_match("R1(config)#"));
        assert!(prompt("configuration").is_match("R1(config)#"));
        assert!(prompt("configuration").is_match("R1(config-if)#"));
        assert!(prompt("configuration").is_match("R1(config-router-af)#"));
        // Banner lines with # or > are not prompts.
        assert!(!prompt("privileged-exec").is_match("# Authorized access only #"));
        assert!(!prompt("exec").is_match("violators > prosecuted >"));
    }

    #[test]
    fn pager_matches_ios_more() {
        let def = definitions().remove(0);
        let re = Regex::new(&def.pagers[0].pattern).unwrap();
        assert!(re.is_match(" --More-- "));
        assert!(!re.is_match("more output"));
    }
}
