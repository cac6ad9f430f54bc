//! Cisco IOS / IOS-XE driver: the platform as data (modes, prompts, pager,
//! failure indicators) and parsers for `show` commands.

pub mod getters;
pub mod parsers;

netrun_plugin_netrun_platforms::vendor_driver! {
    /// The driver: platforms from the data files naming "cisco-ios", this
    /// crate's parsers and getters.
    CiscoIos,
    driver: "cisco-ios",
    commands: parsers::COMMANDS,
    parse: parsers::parse,
    getters: getters::table
}

#[cfg(test)]
mod tests {
    use super::*;
    use netrun_guest::driver::Driver;
    use regex::Regex;

    #[test]
    fn the_data_files_define_every_ios_name() {
        let names: Vec<String> = <CiscoIos as Driver>::platforms()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["cisco_ios", "cisco_xe", "cisco_iosxe"]);
    }

    fn prompt(mode: &str) -> Regex {
        let def = <CiscoIos as Driver>::platforms().remove(0);
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
        let def = <CiscoIos as Driver>::platforms().remove(0);
        let re = Regex::new(&def.pagers[0].pattern).unwrap();
        assert!(re.is_match(" --More-- "));
        assert!(!re.is_match("more output"));
    }
}
