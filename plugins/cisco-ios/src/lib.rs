//! Cisco IOS / IOS-XE driver: the platform as data (modes, prompts, pager,
//! failure indicators) and parsers for `show` commands.

pub mod parsers;

use netrun_guest::driver::{
    ConfigMechanics, ConfigStyle, Definition, Driver, Mode, Pager, ParseError, Secret, Step,
};

/// Hostname characters IOS allows in a prompt.
const HOST: &str = r"[\w.\-@/:+]{1,63}";

/// The IOS platform, shared by the `device_type` names users know it by.
fn ios(name: &str) -> Definition {
    Definition {
        name: name.to_string(),
        default_mode: "privileged-exec".into(),
        configuration_mode: "configuration".into(),
        modes: vec![
            Mode::new("exec", &format!(r"^{HOST}>\s*$")).to_with_secret(
                "privileged-exec",
                "enable",
                r"(?i)^\s*password:\s*$",
                Secret::EnableSecret,
            ),
            Mode::new("privileged-exec", &format!(r"^{HOST}#\s*$"))
                .to("exec", "disable")
                .to("configuration", "configure terminal"),
            Mode::new(
                "configuration",
                &format!(r"^{HOST}\(conf[\w.\-@/:+]{{0,32}}\)#\s*$"),
            )
            .to("privileged-exec", "end"),
        ],
        on_open: vec!["terminal length 0".into(), "terminal width 511".into()],
        on_close: vec!["exit".into()],
        pagers: vec![Pager::new(r"^\s*--\s?More\s?--\s*$", " ")],
        failure_indicators: vec![
            "% Invalid input detected".into(),
            "% Ambiguous command".into(),
            "% Incomplete command".into(),
            "% Unknown command".into(),
            "% Bad secret".into(),
        ],
        line_ending: "\n".into(),
        config: Some(config()),
    }
}

/// `copy` asks for the destination file name; Enter accepts the one given.
const DESTINATION: &str = r"Destination filename \[[^\]]*\]\?\s*$";

/// How IOS configuration is read, saved and rolled back: a copy of the
/// running configuration in flash is the rollback point, `configure
/// replace` restores it (needs IOS 12.3(7)T / 12.2(25)S or later).
fn config() -> ConfigMechanics {
    ConfigMechanics {
        show_running: "show running-config".into(),
        show_startup: Some("show startup-config".into()),
        volatile: vec![
            r"^Building configuration\.\.\.".into(),
            r"^Current configuration : \d+ bytes".into(),
            r"^! Last configuration change at ".into(),
            r"^! NVRAM config last updated at ".into(),
            r"^! No configuration change since last restart".into(),
            r"^ntp clock-period \d+".into(),
        ],
        style: ConfigStyle::Indented,
        checkpoint: vec![Step::send("copy running-config flash:{name}").answer(DESTINATION, "")],
        rollback: vec![Step::send("configure replace flash:{name} force")],
        save: vec![Step::send("copy running-config startup-config").answer(DESTINATION, "")],
        replace: vec![Step::send("configure replace flash:{name} force")],
        ..Default::default()
    }
}

/// The driver.
pub struct CiscoIos;

impl Driver for CiscoIos {
    fn platforms() -> Vec<Definition> {
        ["cisco_ios", "cisco_xe", "cisco_iosxe"]
            .into_iter()
            .map(ios)
            .collect()
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
}

netrun_guest::register_driver!(CiscoIos);

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn prompt(mode: &str) -> Regex {
        let def = ios("cisco_ios");
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
        let def = ios("cisco_ios");
        let re = Regex::new(&def.pagers[0].pattern).unwrap();
        assert!(re.is_match(" --More-- "));
        assert!(!re.is_match("more output"));
    }
}
