//! Arista EOS driver: the platform as data (modes, prompts, pager, failure
//! indicators) for the CLI over SSH, and parsers for `show` commands that read
//! both the EOS CLI text and the eAPI JSON of the same command.

pub mod parsers;

use netrun_guest::driver::{
    ConfigMechanics, ConfigStyle, Definition, Driver, Mode, Pager, ParseError, Secret, Step,
};

/// Hostname characters EOS allows in a prompt (letters, digits, `.`, `-`, `_`).
const HOST: &str = r"[\w.\-]{1,63}";

/// The EOS platform definition.
fn eos() -> Definition {
    Definition {
        name: "arista_eos".into(),
        default_mode: "privileged-exec".into(),
        configuration_mode: "configuration".into(),
        modes: vec![
            // `enable` asks for a password only when an enable secret is set.
            Mode::new("exec", &format!(r"^{HOST}>\s*$")).to_with_secret(
                "privileged-exec",
                "enable",
                r"(?i)^\s*password:\s*$",
                Secret::EnableSecret,
            ),
            Mode::new("privileged-exec", &format!(r"^{HOST}#\s*$"))
                .to("exec", "disable")
                .to("configuration", "configure terminal"),
            // `(config)`, `(config-if-Et1/1)`, `(config-s-sess)`, `(config-router-bgp)` …
            Mode::new(
                "configuration",
                &format!(r"^{HOST}\(config[\w.\-/:]{{0,48}}\)#\s*$"),
            )
            .to("privileged-exec", "end"),
        ],
        on_open: vec!["terminal length 0".into(), "terminal width 32767".into()],
        on_close: vec!["exit".into()],
        pagers: vec![Pager::new(r"^\s*--More--\s*$", " ")],
        failure_indicators: vec![
            "% Invalid input".into(),
            "% Incomplete command".into(),
            "% Ambiguous command".into(),
            "% Unrecognized command".into(),
        ],
        line_ending: "\n".into(),
        config: Some(config()),
    }
}

/// How EOS configuration is read, saved and rolled back: a copy of the
/// running configuration in flash is the rollback point, `configure
/// replace` restores it atomically.
fn config() -> ConfigMechanics {
    ConfigMechanics {
        show_running: "show running-config".into(),
        show_startup: Some("show startup-config".into()),
        volatile: vec![
            r"^! Command: show (running|startup)-config".into(),
            r"^! Startup-config last modified at ".into(),
            r"^! device: ".into(),
            r"^! Time: ".into(),
        ],
        style: ConfigStyle::Indented,
        checkpoint: vec![Step::send("copy running-config flash:{name}")],
        rollback: vec![Step::send("configure replace flash:{name}")],
        save: vec![Step::send("copy running-config startup-config")],
        replace: vec![Step::send("configure replace flash:{name}")],
        ..Default::default()
    }
}

/// The driver.
pub struct AristaEos;

impl Driver for AristaEos {
    fn platforms() -> Vec<Definition> {
        vec![eos()]
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

netrun_guest::register_driver!(AristaEos);

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

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
