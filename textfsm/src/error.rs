//! What can go wrong reading a template or an index, and during a parse.

use std::path::PathBuf;
use std::time::Duration;

/// A template that cannot be compiled. `line` is 1-based, as an editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template language is broken at this line.
    #[error("line {line}: {message}")]
    Syntax {
        /// Line of the template.
        line: usize,
        /// What is wrong and how it should look.
        message: String,
    },
    /// A regular expression that Python would refuse, or that exceeds the
    /// regex size limit.
    #[error("line {line}: bad regular expression `{pattern}`: {reason}")]
    Regex {
        /// Line of the template.
        line: usize,
        /// The pattern, after `${VALUE}` substitution.
        pattern: String,
        /// Why it does not compile.
        reason: String,
    },
    /// The template file is larger than [`crate::Limits::max_template_bytes`].
    #[error("template is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// A parse that stopped. Each limit of [`crate::Limits`] has its variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A rule with the `Error` action matched (the template's way of saying
    /// the output is not what it expects).
    #[error("the template rejects input line {input_line} `{text}` (rule at template line {rule_line}){}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Rejected {
        /// The rule's message (`-> Error "message"`), if it has one.
        message: Option<String>,
        /// Line of the rule in the template.
        rule_line: usize,
        /// Line of the input (1-based).
        input_line: usize,
        /// The input line.
        text: String,
    },
    /// The input is larger than [`crate::Limits::max_input_bytes`].
    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    InputTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// One regex match took more backtracking steps than
    /// [`crate::Limits::backtrack_steps`] (catastrophic backtracking).
    #[error(
        "the regex of the rule at template line {rule_line} backtracked more than {limit} steps on input line {input_line}"
    )]
    Backtracking {
        /// Line of the rule in the template (0: a List value's own regex).
        rule_line: usize,
        /// Line of the input.
        input_line: usize,
        /// The limit.
        limit: usize,
    },
    /// The Unicode form of a rule's regex, built on the first non-ASCII
    /// line, exceeds the regex size limit.
    #[error(
        "the regex of the rule at template line {rule_line} does not compile for non-ASCII text: {reason}"
    )]
    Regex {
        /// Line of the rule in the template.
        rule_line: usize,
        /// Why.
        reason: String,
    },
    /// More rule evaluations than [`crate::Limits::max_steps`].
    #[error(
        "stopped after {limit} rule evaluations at input line {input_line} (the template's step budget)"
    )]
    StepBudget {
        /// The limit.
        limit: u64,
        /// Line of the input reached.
        input_line: usize,
    },
    /// The parse ran longer than [`crate::Limits::time_budget`].
    #[error("stopped after {:.1} s at input line {input_line} (the parse's time budget)", budget.as_secs_f64())]
    TimeBudget {
        /// The limit.
        budget: Duration,
        /// Line of the input reached.
        input_line: usize,
    },
    /// The records grew past [`crate::Limits::max_output_bytes`].
    #[error("records exceed {limit} bytes at input line {input_line}")]
    OutputTooLarge {
        /// The limit.
        limit: usize,
        /// Line of the input reached.
        input_line: usize,
    },
    /// A List value whose regex has nested groups was assigned nothing (an
    /// optional group that did not take part); Python's textfsm fails here too.
    #[error(
        "List value {value} has nested groups but its group took no part in the match at input line {input_line}"
    )]
    ListWithoutMatch {
        /// The value.
        value: String,
        /// Line of the input.
        input_line: usize,
    },
}

/// A clitable index that cannot be read, or a lookup through it that fails.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index or a template file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The index file is malformed.
    #[error("{}: line {line}: {message}", path.display())]
    Syntax {
        /// The index file.
        path: PathBuf,
        /// Line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No row of the index matches the platform and command.
    #[error(
        "no template in {} for platform `{platform}` and command `{command}`",
        path.display()
    )]
    NoTemplate {
        /// The index file.
        path: PathBuf,
        /// Platform looked up.
        platform: String,
        /// Command looked up.
        command: String,
    },
    /// A template the index names does not compile.
    #[error("template {name}: {source}")]
    Template {
        /// File name of the template.
        name: String,
        /// Why.
        source: TemplateError,
    },
    /// A template the index names stopped while parsing.
    #[error("template {name}: {source}")]
    Parse {
        /// File name of the template.
        name: String,
        /// Why.
        source: ParseError,
    },
    /// Several templates are joined on a Key that the first one lacks.
    #[error(
        "template {name}: Key `{key}` is not a value of the first template, so the records cannot be joined"
    )]
    UnknownKey {
        /// The template whose records were to be joined.
        name: String,
        /// The Key value.
        key: String,
    },
}
