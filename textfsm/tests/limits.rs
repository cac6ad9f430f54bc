//! Templates from strangers: each way a template or its input could hang or
//! exhaust the process stops with its own typed error, within its limit.

use netrun_textfsm::{Limits, ParseError, Template, TemplateError};
use std::time::{Duration, Instant};

fn compile(template: &str) -> Template {
    Template::compile(template, &Limits::default()).unwrap()
}

/// `(a|aa)+` before a lookahead that fails: exponential for a backtracker.
const CATASTROPHIC: &str = "Value X (.)\n\nStart\n  ^(a|aa)+(?=b) -> Record\n";

#[test]
fn catastrophic_regex_stops_at_the_backtracking_limit() {
    let input = format!("ok\n{}c\n", "a".repeat(40));
    let limits = Limits {
        backtrack_steps: 10_000,
        ..Limits::default()
    };
    let t = Template::compile(CATASTROPHIC, &limits).unwrap();
    let e = t.parse_text(&input, &limits).unwrap_err();
    assert_eq!(
        e,
        ParseError::Backtracking {
            rule_line: 4,
            input_line: 2,
            limit: 10_000
        }
    );
    assert!(
        e.to_string().contains("backtracked more than 10000 steps"),
        "{e}"
    );
    // The default limit stops it too.
    let e = compile(CATASTROPHIC)
        .parse_text(&input, &Limits::default())
        .unwrap_err();
    assert!(
        matches!(
            e,
            ParseError::Backtracking {
                limit: 1_000_000,
                ..
            }
        ),
        "{e}"
    );
}

/// 100 rules that match every line and `Continue`: the line never moves
/// the machine on, so the work is rules × lines. (TextFSM visits each rule
/// of a state at most once per line, so this is as close to a loop as the
/// language allows.)
fn continue_storm() -> (Template, String) {
    let mut t = String::from("Value Filldown X (.*)\n\nStart\n");
    for _ in 0..100 {
        t.push_str("  ^${X} -> Continue\n");
    }
    let input = "the same line again\n".repeat(100_000);
    (compile(&t), input)
}

#[test]
fn continue_rules_without_progress_stop_at_the_step_budget() {
    let (t, input) = continue_storm();
    let limits = Limits {
        max_steps: 200_000,
        time_budget: Duration::from_secs(3600),
        ..Limits::default()
    };
    let e = t.parse_text(&input, &limits).unwrap_err();
    assert_eq!(
        e,
        ParseError::StepBudget {
            limit: 200_000,
            input_line: 2_001
        }
    );
}

#[test]
fn a_parse_stops_at_its_time_budget() {
    let (t, input) = continue_storm();
    // A budget far below what the whole input takes on any machine (10
    // million rule evaluations), so the parse stops on its clock, however
    // fast the machine; the clock is read every 64 rule evaluations.
    let budget = Duration::from_micros(1);
    let limits = Limits {
        max_steps: u64::MAX,
        time_budget: budget,
        ..Limits::default()
    };
    let e = t.parse_text(&input, &limits).unwrap_err();
    match e {
        ParseError::TimeBudget {
            budget: b,
            input_line,
        } => {
            assert_eq!(b, budget);
            assert!(
                input_line < 100_000,
                "stopped at line {input_line}, the end of the input"
            );
        }
        other => panic!("{other}"),
    }
    // No budget left to spend at all: stopped at the first clock reading,
    // on the first line (100 rules a line).
    let none = Limits {
        time_budget: Duration::ZERO,
        ..limits
    };
    assert_eq!(
        t.parse_text(&input, &none).unwrap_err(),
        ParseError::TimeBudget {
            budget: Duration::ZERO,
            input_line: 1
        }
    );
}

#[test]
fn ten_megabyte_input_is_refused_before_parsing() {
    let t = compile("Value X (.*)\n\nStart\n  ^${X} -> Record\n");
    let input = "x".repeat(10 * 1000 * 1000);
    let started = Instant::now();
    let e = t.parse_text(&input, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        ParseError::InputTooLarge {
            size: 10_000_000,
            limit: 8 << 20
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn records_that_grow_quadratically_stop_at_the_output_limit() {
    // Filldown List: every record repeats all earlier items.
    let t = compile("Value Filldown,List SEEN (\\S+)\n\nStart\n  ^${SEEN} -> Record\n");
    let input: String = (0..20_000).map(|i| format!("item{i}\n")).collect();
    let limits = Limits {
        max_output_bytes: 1 << 20,
        ..Limits::default()
    };
    let e = t.parse_text(&input, &limits).unwrap_err();
    assert!(
        matches!(e, ParseError::OutputTooLarge { limit, input_line } if limit == 1 << 20 && input_line < 1_000),
        "{e}"
    );
}

#[test]
fn oversized_regex_is_refused_at_compile_time() {
    let e = Template::compile(
        "Value X ((?:\\w{1000}){100})\n\nStart\n  ^${X}\n",
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, TemplateError::Regex { line: 4, .. }), "{e}");
}

#[test]
fn regex_too_large_in_its_unicode_form_stops_on_the_first_non_ascii_line() {
    // The ASCII form (used on ASCII lines) fits the size limit; Unicode
    // `\w` a hundred times a hundred does not.
    let t = compile("Value X ((?:\\w{100}){100})\n\nStart\n  ^${X} -> Record\n");
    assert_eq!(
        t.parse_text("plain ascii\n", &Limits::default())
            .unwrap()
            .rows
            .len(),
        0
    );
    let e = t
        .parse_text("ascii\nnaïve\n", &Limits::default())
        .unwrap_err();
    assert!(matches!(e, ParseError::Regex { rule_line: 4, .. }), "{e}");
}

#[test]
fn oversized_template_is_refused() {
    let limits = Limits::default();
    let huge = format!("Value X (x)\n\nStart\n{}", "  ^x\n".repeat(300_000));
    let e = Template::compile(&huge, &limits).unwrap_err();
    assert_eq!(
        e,
        TemplateError::TooLarge {
            size: huge.len(),
            limit: 1 << 20
        }
    );
}

/// Rules whose regexes are all choices (optional groups, runs that could
/// end anywhere) on long lines: the direct scan nests a call per choice
/// and retries runs, so a pattern of thousands of choices is left to the
/// regex crate, and a walk that would retry too much hands its line over.
/// Either way the records are the regex crate's.
#[test]
fn rules_made_of_choices_neither_overflow_the_stack_nor_run_away() {
    let many_optional = "(?:a)?".repeat(5_000);
    let template = format!(
        "Value X (.*)\nValue Y (.*)\n\nStart\n  ^{many_optional}b -> Next\n  ^(?:.*) ${{X}} (?:.*) ${{Y}}z -> Record\n"
    );
    let t = compile(&template);
    let long = format!("{} b\n{}\n", " ".repeat(200_000), "a".repeat(4_000) + "b");
    let records = t.parse_text(&long, &Limits::default()).unwrap();
    // Neither line ends in `z`: no record, and no stack overflow or hang.
    assert_eq!(records.rows.len(), 0);
    let records = t.parse_text("p q r sz\n", &Limits::default()).unwrap();
    assert_eq!(records.rows.len(), 1);
}
