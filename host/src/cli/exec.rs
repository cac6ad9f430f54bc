//! The commands of `netrun exec`: from the arguments or a file, checked
//! before any byte is sent, and how the run goes on after a failure.

use crate::runner::ExecOptions;
use crate::transport::session::DEFAULT_SETTLE;
use anyhow::{Context as _, bail};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Command options of `netrun exec`.
#[derive(Debug, Args, Clone, Default)]
pub struct ExecCommandArgs {
    /// Read commands from FILE, one per line (blank lines and lines
    /// starting with `#` are skipped); after any given as arguments.
    #[arg(short = 'f', long = "commands-file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Split commands at line breaks into separate commands (else a command
    /// holding a line break or other control character is refused).
    #[arg(long)]
    pub split_lines: bool,
    /// After a command the device rejects, send the remaining ones anyway.
    #[arg(long, conflicts_with = "stop_on_error")]
    pub continue_on_error: bool,
    /// After a command the device rejects, send no more (the default).
    #[arg(long)]
    pub stop_on_error: bool,
    /// A prompt the command asks (regex), answered with the matching
    /// --answer, e.g. --expect 'Destination filename' --answer '' (repeatable, in order).
    #[arg(long, value_name = "REGEX", requires = "answer")]
    pub expect: Vec<String>,
    /// The answer to the --expect of the same position.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub answer: Vec<String>,
    /// Timing mode, for output that ends in no prompt of the platform (a
    /// menu, a question): each command ends once the device has printed
    /// something and then stayed quiet for --settle (Netmiko's
    /// send_command_timing). Pagers are still answered.
    #[arg(long, conflicts_with = "expect")]
    pub timing: bool,
    /// Quiet time that ends a command in timing mode, in milliseconds; below
    /// --command-timeout [default: 2000, Netmiko's last_read].
    #[arg(long, value_name = "MS", requires = "timing", value_parser = clap::value_parser!(u64).range(1..))]
    pub settle: Option<u64>,
    /// Parse every command's output with this TextFSM template, instead of
    /// the driver's parser or a template from the index (Netmiko's
    /// textfsm_template); `parser` then reads `textfsm:FILE`.
    #[arg(long, value_name = "FILE.textfsm")]
    pub template: Option<PathBuf>,
}

impl ExecCommandArgs {
    /// The commands to send: `given`, then the file's; checked.
    pub fn commands(&self, given: &[String]) -> anyhow::Result<Vec<String>> {
        let mut all: Vec<String> = given.to_vec();
        if let Some(file) = &self.file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read commands file {}", file.display()))?;
            all.extend(
                text.lines()
                    .map(|l| l.trim_end_matches('\r'))
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .map(str::to_string),
            );
        }
        if self.split_lines {
            all = all
                .iter()
                .flat_map(|c| {
                    c.split(['\n', '\r'])
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .filter(|c| !c.trim().is_empty())
                .collect();
        }
        if all.is_empty() {
            bail!("no commands to send: give them as arguments or with -f FILE");
        }
        for (i, c) in all.iter().enumerate() {
            check_command(c)
                .with_context(|| format!("command {} `{}`", i + 1, c.escape_default()))?;
        }
        Ok(all)
    }

    /// Options of the run.
    pub fn options(&self) -> anyhow::Result<ExecOptions> {
        if self.expect.len() != self.answer.len() {
            bail!(
                "--expect given {} times and --answer {} times: give one --answer per --expect, in order",
                self.expect.len(),
                self.answer.len()
            );
        }
        let mut answers = Vec::new();
        for (e, a) in self.expect.iter().zip(&self.answer) {
            let re = crate::transport::platform::device_pattern(e)
                .with_context(|| format!("--expect `{e}` is not a regular expression"))?;
            check_command(a).with_context(|| format!("--answer `{}`", a.escape_default()))?;
            answers.push((re, a.clone()));
        }
        let template = match &self.template {
            Some(path) => Some(std::sync::Arc::new(crate::parsing::NamedTemplate::load(
                path,
            )?)),
            None => None,
        };
        Ok(ExecOptions {
            continue_on_error: self.continue_on_error,
            answers,
            settle: self
                .timing
                .then(|| self.settle.map_or(DEFAULT_SETTLE, Duration::from_millis)),
            template,
        })
    }

    /// Refuse a settle time that cannot end a command before `--command-timeout`.
    pub fn check_settle(&self, command_timeout: Option<f64>) -> anyhow::Result<()> {
        let (Some(settle), Some(limit)) = (self.options()?.settle, command_timeout) else {
            return Ok(());
        };
        if settle.as_secs_f64() >= limit {
            bail!(
                "--settle {} ms is not below --command-timeout {limit} s: a command in timing mode could never end; lower --settle or raise --command-timeout",
                settle.as_millis()
            );
        }
        Ok(())
    }
}

/// Refuse control characters: a line break inside a command would send
/// two commands while netrun waits for one answer, putting every later
/// output under the wrong command.
fn check_command(c: &str) -> anyhow::Result<()> {
    if let Some(ch) = c.chars().find(|ch| ch.is_control()) {
        let what = match ch {
            '\n' => "a line break".to_string(),
            '\r' => "a carriage return".to_string(),
            '\t' => "a tab".to_string(),
            other => format!("the control character U+{:04X}", other as u32),
        };
        bail!(
            "holds {what}, which would put the session out of step: send each line as its own command, or add --split-lines"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ExecCommandArgs {
        ExecCommandArgs::default()
    }

    #[test]
    fn a_command_with_a_line_break_is_refused_unless_split() {
        let e = args()
            .commands(&["show clock\nshow version".into()])
            .unwrap_err();
        let e = crate::error::chain_text(&*e);
        assert!(
            e.contains("command 1") && e.contains("line break") && e.contains("--split-lines"),
            "{e}"
        );
        let split = ExecCommandArgs {
            split_lines: true,
            ..args()
        };
        assert_eq!(
            split
                .commands(&[
                    "show clock\r\nshow ip int brief\n".into(),
                    "show version".into()
                ])
                .unwrap(),
            ["show clock", "show ip int brief", "show version"]
        );
        for bad in ["show\tclock", "show \u{1b}[A", "show\u{7f}"] {
            assert!(args().commands(&[bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timing_mode_settles_after_two_seconds_unless_told_and_below_the_command_timeout() {
        assert_eq!(args().options().unwrap().settle, None);
        let timing = ExecCommandArgs {
            timing: true,
            ..args()
        };
        assert_eq!(timing.options().unwrap().settle, Some(DEFAULT_SETTLE));
        let quick = ExecCommandArgs {
            settle: Some(300),
            ..timing.clone()
        };
        assert_eq!(
            quick.options().unwrap().settle,
            Some(Duration::from_millis(300))
        );
        assert!(quick.check_settle(Some(1.0)).is_ok());
        let e = format!("{:#}", quick.check_settle(Some(0.3)).unwrap_err());
        assert!(
            e.contains("--settle 300 ms") && e.contains("--command-timeout"),
            "{e}"
        );
    }

    #[test]
    fn expect_and_answer_pair_up() {
        let a = ExecCommandArgs {
            expect: vec!["Destination filename".into()],
            answer: vec![String::new()],
            ..args()
        };
        assert_eq!(a.options().unwrap().answers.len(), 1);
        let b = ExecCommandArgs {
            expect: vec!["x".into(), "y".into()],
            answer: vec![String::new()],
            ..args()
        };
        assert!(b.options().is_err());
    }
}
