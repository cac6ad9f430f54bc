//! Arista EOS driver: the platform as data (modes, prompts, pager, failure
//! indicators) for the CLI over SSH, and parsers for `show` commands that read
//! both the EOS CLI text and the eAPI JSON of the same command.

pub mod getters;
pub mod parsers;

netrun_plugin_netrun_platforms::vendor_driver! {
    /// The driver: platforms from the data files naming "arista-eos", this
    /// crate's parsers and getters.
    AristaEos,
    driver: "arista-eos",
    commands: parsers::COMMANDS,
    parse: parsers::parse,
    getters: getters::table
}

#[cfg(test)]
mod tests {
    use super::*;
    use netrun_guest::driver::Secret;
    use netrun_guest::driver::{Definition, Driver};
    use regex::Regex;

    fn eos() -> Definition {
        let mut defs = <AristaEos as Driver>::platforms();
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
