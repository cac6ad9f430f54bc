//! Each feature of the TextFSM language on a small template, against what
//! Python textfsm 2.1.0 gave on the same input (`features/NAME.json`,
//! recorded by `tests/regen.py`; these tests need no Python): the
//! `ParseText` rows, and the same rows as ntc-templates' `parse_output`
//! records.

use netrun_textfsm::{Cell, Item, Limits, Table, Template};
use serde_json::{Value, json};
use std::path::Path;

fn item_json(i: &Item) -> Value {
    match i {
        Item::Str(s) => json!(s),
        Item::Null => Value::Null,
        Item::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
    }
}

/// The table as Python's `ParseText` rows (None stays null here).
fn table_json(t: &Table) -> Value {
    let rows: Vec<Value> = t
        .rows
        .iter()
        .map(|r| {
            Value::Array(
                r.iter()
                    .map(|c| match c {
                        Cell::Str(s) => json!(s),
                        Cell::List(l) => Value::Array(l.iter().map(item_json).collect()),
                    })
                    .collect(),
            )
        })
        .collect();
    json!({ "header": t.header, "rows": rows })
}

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/features");
    let template = std::fs::read_to_string(dir.join(format!("{name}.textfsm"))).unwrap();
    let raw = std::fs::read_to_string(dir.join(format!("{name}.raw"))).unwrap_or_default();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    let compiled = Template::compile(&template, &Limits::default());
    if let Some(why) = expected.get("template_error") {
        let e = compiled.expect_err(&format!(
            "Python refused the template ({why}); we compiled it"
        ));
        eprintln!("refused as Python does: {e} (Python: {why})");
        return;
    }
    let t = compiled.unwrap_or_else(|e| panic!("Python compiled the template; we refused: {e}"));
    let parsed = t.parse_text(&raw, &Limits::default());
    if let Some(why) = expected.get("parse_error") {
        let e = parsed.expect_err(&format!("Python stopped ({why}); we parsed"));
        eprintln!("stopped as Python does: {e} (Python: {why})");
        return;
    }
    let table = parsed.unwrap_or_else(|e| panic!("Python parsed; we stopped: {e}"));
    let mut expected = expected;
    // The rows again as parse_output gives them, owned and as
    // `netrun parse` writes them.
    let records = expected
        .as_object_mut()
        .and_then(|o| o.remove("records"))
        .expect("records in the fixture");
    assert_eq!(table_json(&table), expected, "{name}");
    assert_eq!(
        serde_json::to_value(table.records()).unwrap(),
        records,
        "{name}: records"
    );
    let mut written = Vec::new();
    t.parse_records(&raw, &Limits::default())
        .unwrap()
        .write_json(&mut written)
        .unwrap();
    let written: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(written, records, "{name}: records as written");
}

macro_rules! features {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check(stringify!($name)); })*

        #[test]
        fn every_feature_fixture_has_a_test() {
            let listed = [$(stringify!($name)),*];
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/features");
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "textfsm") {
                    let stem = p.file_stem().unwrap().to_string_lossy().to_string();
                    assert!(listed.contains(&stem.as_str()), "features/{stem}.textfsm has no test: add it to features!()");
                }
            }
        }
    };
}

features!(
    ascii_flag_classes_on_unicode_text,
    basic_record_and_implicit_eof,
    clear_keeps_filldown_clearall_does_not,
    comments_everywhere,
    conditional_groups_test_an_earlier_group,
    continue_lets_later_rules_see_the_line,
    continue_record_then_next_rule,
    empty_match_counts_as_a_value,
    end_state_stops_without_a_record,
    eof_record_of_pending_values,
    eof_state_suppresses_the_implicit_record,
    error_action_with_message,
    error_action_without_message,
    error_ascii_and_unicode_flags_together,
    error_ascii_flag_turned_off,
    error_backreference_to_a_missing_group,
    error_bad_action,
    error_bad_regex,
    error_bare_dollar,
    error_character_name_newer_than_python,
    error_character_name_spelled_loosely,
    error_continue_with_state,
    error_duplicate_group,
    error_duplicate_value,
    error_locale_flag,
    error_missing_start,
    error_nonempty_end,
    error_repeat_min_over_max,
    error_repeat_of_a_repeat,
    error_rule_indent,
    error_state_reserved_name,
    error_undefined_character_name,
    error_undefined_state,
    error_unknown_option,
    error_unknown_substitution,
    error_value_after_states,
    error_value_not_in_parens,
    escapes_are_not_text_the_line_must_contain,
    filldown_alone_still_records_at_eof,
    filldown_carries_into_following_records,
    filldown_fillup_and_nested_lists_together,
    fillup_across_states_and_a_non_ascii_line,
    fillup_fills_earlier_records,
    key_values_do_not_change_records,
    line_endings_as_python_splitlines,
    list_collects_until_record,
    list_dict_text_escapes_what_python_does_not_print,
    list_item_of_an_optional_group_is_none,
    list_of_nested_groups_as_parse_output_prints_it,
    list_with_filldown_keeps_growing,
    list_with_named_groups_gives_maps,
    lookaround_backreference_and_scoped_flags,
    named_character_escapes,
    possessive_repeats_never_give_back,
    python_regex_literals,
    record_and_state_change_in_one_rule,
    record_with_only_empty_lists_is_skipped,
    repeat_bounds_are_not_text_the_line_must_contain,
    required_before_list_checks_the_last_match,
    required_drops_records_without_it,
    rule_whitespace_before_arrow_is_part_of_the_regex,
    states_and_transitions,
    substitution_forms_and_dollar_escape,
    transition_to_eof_still_records,
    value_assigned_none_by_optional_group,
);

/// Python's own complaint about a pattern, and the rule it is in, are in the
/// error: Python textfsm names only the line.
#[test]
fn refused_patterns_say_why_as_python_re_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/features");
    for (name, reason) in [
        (
            "error_undefined_character_name",
            "undefined character name 'BOGUS DASH'",
        ),
        (
            "error_character_name_spelled_loosely",
            "undefined character name 'EMDASH'",
        ),
        (
            "error_character_name_newer_than_python",
            "undefined character name 'SHAKING FACE'",
        ),
        (
            "error_locale_flag",
            "bad inline flags: cannot use 'L' flag with a str pattern",
        ),
        (
            "error_ascii_flag_turned_off",
            "bad inline flags: cannot turn off flags 'a', 'u' and 'L'",
        ),
        (
            "error_ascii_and_unicode_flags_together",
            "bad inline flags: flags 'a', 'u' and 'L' are incompatible",
        ),
    ] {
        let template = std::fs::read_to_string(dir.join(format!("{name}.textfsm"))).unwrap();
        let e = Template::compile(&template, &Limits::default())
            .map(drop)
            .expect_err(name)
            .to_string();
        let line = if name == "error_locale_flag" { 1 } else { 4 };
        assert!(
            e.starts_with(&format!("line {line}: bad regular expression `"))
                && e.ends_with(&format!("`: {reason}")),
            "{name}: {e}"
        );
    }
}
