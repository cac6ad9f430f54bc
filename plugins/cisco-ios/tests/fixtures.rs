//! Golden-file tests for the Cisco IOS parsers: every
//! `tests/fixtures/<command>/<case>.raw` parses to the `.json` beside it
//! (the harness is `netrun_guest::fixtures`; `OVERWRITE=1` rewrites the
//! `.json` files, review the diff before keeping it).

use netrun_guest::fixtures::Suite;
use netrun_plugin_cisco_ios::parsers::{COMMANDS, ParseError, parse};

fn suite() -> Suite<ParseError> {
    Suite::new(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_PKG_NAME"),
        COMMANDS,
        parse,
    )
}

#[test]
fn fixtures_match_golden_json() {
    suite().golden();
}

#[test]
fn every_command_has_fixtures() {
    suite().every_command_has_fixtures();
}

#[test]
fn no_fixture_parses_to_nothing() {
    suite().no_fixture_parses_to_nothing();
}

#[test]
fn another_commands_output_is_rejected() {
    suite().another_commands_output_is_rejected(|e| match e {
        ParseError::Unexpected(m) => Some(m),
        _ => None,
    });
}

#[test]
fn truncated_output_never_panics() {
    suite().truncated_output_never_panics();
}

mod getters {
    use netrun_guest::fixtures::{GetterSuite, Getters};
    use netrun_plugin_cisco_ios::getters::table;
    use netrun_plugin_cisco_ios::parsers::ParseError;
    use netrun_plugin_netrun_platforms::getters::{
        answer_in, commands_in, follow_up_in, getters_in,
    };

    fn suite() -> GetterSuite<ParseError> {
        GetterSuite::new(
            env!("CARGO_MANIFEST_DIR"),
            env!("CARGO_PKG_NAME"),
            Getters {
                getters: |p| {
                    getters_in(table(p), p)
                        .into_iter()
                        .map(String::from)
                        .collect()
                },
                commands: |p, g| commands_in(table(p), p, g),
                follow_up: |p, g, o| follow_up_in(table(p), p, g, o),
                answer: |p, g, o| answer_in(table(p), p, g, o),
            },
        )
    }

    #[test]
    fn getter_fixtures_match_golden_json() {
        suite().golden();
    }

    #[test]
    fn every_getter_has_fixtures() {
        suite().every_getter_has_fixtures(&["cisco_ios", "cisco_xe"]);
    }

    #[test]
    fn environment_is_answered_on_ios_and_ios_xe() {
        for p in ["cisco_ios", "cisco_xe"] {
            assert!(getters_in(table(p), p).contains(&"environment"), "{p}");
        }
    }

    #[test]
    fn a_router_without_switch_ports_has_no_mac_address_table() {
        let refusal = "show mac address-table\n                   ^\n% Invalid input detected at '^' marker.\n";
        let outputs = vec![("show mac address-table".to_string(), refusal.to_string())];
        let err = answer_in(
            table("cisco_ios"),
            "cisco_ios",
            "mac_address_table",
            &outputs,
        )
        .unwrap_err();
        assert!(
            matches!(err, ParseError::Unsupported(ref m) if m.contains("MAC address table")),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_getter_outputs_never_panic() {
        suite().truncated_outputs_never_panic();
    }
}
