//! Arista EOS driver: the platform as data (modes, prompts, pager, failure
//! indicators) for the CLI over SSH, and parsers for `show` commands that read
//! both the EOS CLI text and the eAPI JSON of the same command.

pub mod getters;
pub mod parsers;

use netrun_guest::driver::{Definition, Driver, ParseError};
use netrun_guest::{Level, log};
use netrun_plugin_netrun_platforms::getters::{answer_in, commands_in, getters_in};

/// The platform of `plugins/netrun-platforms/platforms/arista_eos.yaml`,
/// whose `driver` field names this driver.
fn definitions() -> Vec<Definition> {
    let (defs, errors) = netrun_plugin_netrun_platforms::data::definitions_for("arista-eos");
    for e in errors {
        log(Level::Error, &e.to_string());
    }
    defs
}

/// The driver.
pub struct AristaEos;

impl Driver for AristaEos {
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

netrun_guest::register_driver!(AristaEos);

#[cfg(test)]
mod tests {
    use super::*;
    use netrun_guest::driver::Secret;
    use regex::Regex;

    fn eos() -> Definition {
        let mut defs = definitions();
        assert_eq!(defs.len(), 1);
        defs.remove(0)
    }

    fn prompt(mode: &str) -> Regex {
        let def = eos();
        let m = def.modes.iter().find(|m| m.name == mode).unwrap();
        Regex::new(&m.prompt).unwrap()
    }

    #[test]
    fn prompts_match_their_mode_only() {
        assert!(prompt("exec").is_match("leaf-1.dc1>"));
        assert!(prompt("privileged-exec").is_match("leaf-1.dc1#"));
        assert!(prompt("privileged-exec").is_match("spine_2# "));
        assert!(!prompt("privileged-exec").is_match("leaf1(config)#"));
        assert!(prompt("configuration").is_match("leaf1(config)#"));
        assert!(prompt("configuration").is_match("leaf1(config-if-Et1)#"));
        assert!(prompt("configuration").is_match("leaf1(config-if-Et49/1)#"));
        assert!(prompt("configuration").is_match("leaf1(config-s-sess)#"));
        assert!(prompt("configuration").is_match("leaf-1.dc1(config-router-bgp)#"));
        assert!(!prompt("configuration").is_match("leaf1#"));
        // Banner lines with # or > are not prompts.
        assert!(!prompt("privileged-exec").is_match("# Authorized access only #"));
        assert!(!prompt("exec").is_match("violators > prosecuted >"));
    }

    #[test]
    fn enable_answers_the_password_challenge_with_the_enable_secret() {
        let def = eos();
        let exec = def.modes.iter().find(|m| m.name == "exec").unwrap();
        let t = &exec.transitions[0];
        assert_eq!(t.to, "privileged-exec");
        assert_eq!(t.send, "enable");
        let challenge = t.challenge.as_ref().expect("enable has a challenge");
        assert!(Regex::new(&challenge.prompt).unwrap().is_match("Password:"));
        assert!(matches!(challenge.answer, Secret::EnableSecret));
    }

    #[test]
    fn pager_matches_eos_more() {
        let def = eos();
        let re = Regex::new(&def.pagers[0].pattern).unwrap();
        assert!(re.is_match(" --More-- "));
        assert!(!re.is_match("more output"));
    }

    #[test]
    fn session_is_prepared_for_unpaged_wide_output() {
        let def = eos();
        assert_eq!(def.on_open, ["terminal length 0", "terminal width 32767"]);
        assert!(
            def.failure_indicators
                .iter()
                .any(|f| f == "% Invalid input")
        );
    }
}
