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
