//! Golden-file tests for the Arista EOS parsers (eAPI JSON and CLI text):
//! every `tests/fixtures/<command>/<case>.raw` parses to the `.json` beside
//! it (the harness is `netrun_guest::fixtures`; `OVERWRITE=1` rewrites the
//! `.json` files, review the diff before keeping it).

use netrun_guest::fixtures::Suite;
use netrun_plugin_arista_eos::parsers::{COMMANDS, ParseError, parse};
use serde_json::Value;

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

/// Parses `tests/fixtures/<dir>/<case>.raw` as its folder's command.
fn case(dir: &str, name: &str) -> Value {
    suite().parse_case(dir, name).unwrap()
}

#[test]
fn eapi_json_and_cli_text_of_one_switch_parse_alike() {
    // The same CCS-720XP on 4.31.2F, polled over eAPI and over SSH.
    let sort = |v: Value| {
        let mut rows = v.as_array().unwrap().clone();
        rows.sort_by_key(|r| r["interface"].as_str().unwrap().to_string());
        rows
    };
    assert_eq!(
        sort(case("show_interfaces", "eapi_ccs720xp_4_31_2f")),
        sort(case("show_interfaces", "cli_ccs720xp_4_31_2f"))
    );
    let mut json = case("show_version", "eapi_ccs720xp_4_31_2f");
    let mut text = case("show_version", "cli_ccs720xp_4_31_2f");
    // eAPI gives the uptime to the second, the CLI to the minute.
    let (a, b) = (
        json["uptime_seconds"].take().as_u64().unwrap(),
        text["uptime_seconds"].take().as_u64().unwrap(),
    );
    assert!(a.abs_diff(b) < 60, "{a} vs {b}");
    assert_eq!(json, text);
}
mod getters {
    use netrun_guest::fixtures::{GetterSuite, Getters};
    use netrun_plugin_arista_eos::getters::GETTERS;
    use netrun_plugin_arista_eos::parsers::ParseError;
    use netrun_plugin_netrun_platforms::getters::{
        answer_in, commands_in, follow_up_in, getters_in,
    };

    fn suite() -> GetterSuite<ParseError> {
        GetterSuite::new(
            env!("CARGO_MANIFEST_DIR"),
            env!("CARGO_PKG_NAME"),
            Getters {
                getters: |p| {
                    getters_in(GETTERS, p)
                        .into_iter()
                        .map(String::from)
                        .collect()
                },
                commands: |p, g| commands_in(GETTERS, p, g),
                follow_up: |p, g, o| follow_up_in(GETTERS, p, g, o),
                answer: |p, g, o| answer_in(GETTERS, p, g, o),
            },
        )
    }

    #[test]
    fn getter_fixtures_match_golden_json() {
        suite().golden();
    }

    #[test]
    fn every_getter_has_fixtures() {
        suite().every_getter_has_fixtures(&["arista_eos"]);
    }

    #[test]
    fn truncated_getter_outputs_never_panic() {
        suite().truncated_outputs_never_panic();
    }
}
