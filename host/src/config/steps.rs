//! The device side of configuration work: read the running configuration,
//! run a platform's mechanics steps, send configuration lines.

use super::mechanics::{ConfigMechanics, Step, Style};
use crate::error::{Error, ErrorClass};
use crate::transport::platform::device_pattern;
use crate::transport::{CliSession, CommandOptions};
use std::time::Duration;

/// Prompts a step may answer, at most, before it counts as stuck.
const MAX_ANSWERS: usize = 5;

/// The running configuration as the device prints it, volatile lines
/// (and trailing blanks) removed, ending in one newline: the text every
/// change is computed against. A device that refuses `show_running` but
/// answers one of `show_running_otherwise` speaks another CLI of the
/// platform (SR OS MD-CLI) than the mechanics do: class `unsupported`,
/// saying so, before anything is changed.
pub async fn read_running(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
) -> Result<String, Error> {
    match read_running_any(session, mechanics).await? {
        (text, None) => Ok(text),
        (_, Some(other)) => Err(Error::new(
            ErrorClass::Unsupported,
            format!(
                "the device refuses `{}` and prints its configuration with `{other}`: it speaks \
                 another CLI of platform {} than the one netrun changes configuration in (SR OS: \
                 classic CLI, not MD-CLI); backup, diff and `get config` work, a change does \
                 not: make the change in the CLI the platform file's steps speak",
                mechanics.show_running,
                session.platform().name
            ),
        )),
    }
}

/// The running configuration as [`read_running`] reads it, or, where the
/// device refuses `show_running`, as the first of `show_running_otherwise`
/// it answers prints it (named in the second field): what backups and
/// diffs store and compare.
pub async fn read_running_any(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
) -> Result<(String, Option<String>), Error> {
    let mut refused: Option<Error> = None;
    for command in std::iter::once(&mechanics.show_running).chain(&mechanics.show_running_otherwise)
    {
        match session
            .send_command(command, &CommandOptions::default())
            .await
        {
            Ok(raw) => {
                let other = refused.is_some().then(|| command.clone());
                return Ok((strip_volatile(&raw, mechanics), other));
            }
            Err(e) if e.class == ErrorClass::RejectedCommand => {
                refused.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    // `show_running` was sent and refused: the first refusal stands.
    Err(refused.unwrap_or_else(|| {
        Error::new(
            ErrorClass::Internal,
            "no command prints the running configuration",
        )
    }))
}

/// `text` without the platform's volatile lines.
pub fn strip_volatile(text: &str, mechanics: &ConfigMechanics) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_end();
        if mechanics.is_volatile(line) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Blank lines the volatile ones leave at the start carry nothing.
    let trimmed = out.trim_start_matches('\n');
    if trimmed.is_empty() {
        String::new()
    } else {
        trimmed.to_string()
    }
}

/// Where a list of steps starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The platform's default mode (checkpoint, rollback, save, confirm).
    Default,
    /// Configuration mode (commit, commit-confirmed, abort); the session
    /// stays there.
    Configuration,
}

/// Run `steps` from `start`, `{name}`/`{minutes}`/`{seconds}` filled in,
/// answering the prompts each step declares. A failure indicator in the
/// output is a `rejected-command` naming the step.
pub async fn run_steps(
    session: &mut CliSession,
    steps: &[Step],
    start: Start,
    name: &str,
    window: Option<Duration>,
) -> Result<String, Error> {
    let mode = match start {
        Start::Default => session.platform().default_mode,
        Start::Configuration => session.platform().configuration_mode,
    };
    session.acquire(mode).await?;
    let mut transcript = String::new();
    for step in steps {
        let out = run_step(session, &step.filled(name, window)).await?;
        transcript.push_str(&out);
    }
    Ok(transcript)
}

/// [`run_steps`] for steps that write a file the change depends on (the
/// rollback point, the saved startup configuration): a device that cannot
/// write it says so in a line its platform's failure indicators need not
/// name, as it answers a copy (IOS `%Error opening flash:x (No space left
/// on device)`, `%Error parsing filename (Invalid argument)`, EOS `% Error
/// copying`, Junos `error: …`). Such a line is a `rejected-command`.
pub async fn run_writing_steps(
    session: &mut CliSession,
    steps: &[Step],
    name: &str,
) -> Result<String, Error> {
    let out = run_steps(session, steps, Start::Default, name, None).await?;
    match error_line(&out) {
        Some(line) => Err(Error::new(
            ErrorClass::RejectedCommand,
            format!(
                "device could not write the file of `{}`: {line}",
                steps
                    .iter()
                    .map(|s| s.filled(name, None).send)
                    .collect::<Vec<_>>()
                    .join("`, `")
            ),
        )),
        None => Ok(out),
    }
}

/// The first line that reports an error: `%Error`, `% Error`, `Error:`,
/// `error:` and the like at its start.
fn error_line(out: &str) -> Option<&str> {
    out.lines().map(str::trim).find(|l| {
        let word = l.strip_prefix('%').map_or(*l, str::trim_start);
        word.get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("error"))
            && !word[5..].starts_with(|c: char| c.is_ascii_alphanumeric())
    })
}

/// A step's transcript past the echo of what was typed (its first non-blank
/// line, when that ends with `sent`): a line quoting a device's error text
/// (`description-string "Error: flapping"`) is not refused by its own echo.
/// The whole transcript where the device echoed nothing.
fn past_echo<'t>(out: &'t str, sent: &str) -> &'t str {
    let sent = sent.trim();
    let mut rest = out;
    while let Some((line, after)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            return if !sent.is_empty() && line.trim_end().ends_with(sent) {
                after
            } else {
                out
            };
        }
        rest = after;
    }
    out
}

async fn run_step(session: &mut CliSession, step: &Step) -> Result<String, Error> {
    let pattern = if step.answers.is_empty() {
        None
    } else {
        let alternatives: Vec<String> = step
            .answers
            .iter()
            .map(|(re, _)| format!("(?:{})", re.as_str()))
            .collect();
        // Built from regexes that compiled: the alternation compiles too.
        device_pattern(&alternatives.join("|")).ok()
    };
    let opts = CommandOptions::default();
    let mut out = session
        .send_interactive(&[(step.send.clone(), pattern.clone())], &opts)
        .await?;
    for _ in 0..MAX_ANSWERS {
        let last = out.trim_end_matches('\n').lines().last().unwrap_or("");
        let Some((_, answer)) = step.answers.iter().find(|(re, _)| re.is_match(last)) else {
            break;
        };
        out.push_str(
            &session
                .send_interactive(&[(answer.clone(), pattern.clone())], &opts)
                .await?,
        );
    }
    let answer = past_echo(&out, &step.send);
    if let Some(indicator) = session.platform().failure_in(answer) {
        let line = answer
            .lines()
            .find(|l| l.contains(indicator))
            .unwrap_or(indicator)
            .trim();
        return Err(Error::new(
            ErrorClass::RejectedCommand,
            format!("device refused `{}`: {line}", step.send),
        ));
    }
    Ok(out)
}

/// Run `steps` that name the rollback point `name` (rollback, cleanup)
/// from the default mode. Where they hold `{index}` (a point the device
/// numbers itself, SR OS `latest-rb`, `1`, …), the platform's `locate`
/// command finds its identifier first, right before they are sent; a
/// point no longer listed is an error and nothing is sent, so another
/// user's checkpoint is never the one reverted or deleted.
pub async fn run_point_steps(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    steps: &[Step],
    name: &str,
) -> Result<String, Error> {
    use crate::transport::config_mechanics::INDEX;
    if !steps.iter().any(|s| s.send.contains(INDEX)) {
        return run_steps(session, steps, Start::Default, name, None).await;
    }
    let Some(locate) = &mechanics.locate else {
        return Err(Error::new(
            ErrorClass::Internal,
            "the platform's steps name `{index}` but it declares no `locate` to find it: fix its driver",
        ));
    };
    let default = session.platform().default_mode;
    session.acquire(default).await?;
    let listing = session
        .send_command(&locate.command, &CommandOptions::default())
        .await?;
    let Some(index) = locate.find(&listing, name) else {
        return Err(Error::new(
            ErrorClass::RejectedCommand,
            format!(
                "the rollback point {name} is no longer listed by `{}` (deleted, or rotated out by later saves): nothing sent",
                locate.command
            ),
        ));
    };
    let filled: Vec<Step> = steps
        .iter()
        .map(|s| Step {
            send: s.send.replace(INDEX, &index),
            answers: s.answers.clone(),
        })
        .collect();
    run_steps(session, &filled, Start::Default, name, None).await
}

/// The placeholder of a replace step sent once per candidate line, as is.
pub const LINE: &str = "{line}";
/// The same, quoted as the inside of a Tcl double-quoted string (IOS
/// `tclsh`: `puts $f "{line:tcl}"` writes the line to a file).
pub const LINE_TCL: &str = "{line:tcl}";

/// `line` escaped for a Tcl double-quoted string: `\`, `$`, `[`, `]` and `"`
/// would otherwise be substituted or end the string.
pub fn tcl_quoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if matches!(c, '\\' | '$' | '[' | ']' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Run the platform's `replace` steps from the default mode, `{name}` filled
/// in: a step holding [`LINE`] is sent once per line of `text` that
/// carries configuration, one holding [`LINE_TCL`] once per non-blank line; a step whose input is `commit` (the platform's one commit
/// step) becomes `commit_as` when given (native commit-confirm). With
/// `exit_on_dedent` (indented configurations), typed lines leave a block
/// by `exit` where the indentation goes back. A refused
/// step or line is a `rejected-command` naming it, and the session may be
/// left in configuration mode (the caller aborts or rolls back).
pub async fn run_replace(
    session: &mut CliSession,
    steps: &[Step],
    name: &str,
    text: &str,
    exit_on_dedent: bool,
    commit_as: Option<(&str, &[Step], Option<Duration>)>,
) -> Result<String, Error> {
    let default = session.platform().default_mode;
    session.acquire(default).await?;
    let mut transcript = String::new();
    for step in steps {
        let step = step.filled(name, None);
        if let Some((commit, instead, window)) = commit_as
            && step.send == commit
        {
            for s in instead {
                transcript.push_str(&run_step(session, &s.filled(name, window)).await?);
            }
            continue;
        }
        if !step.send.contains(LINE) && !step.send.contains(LINE_TCL) {
            transcript.push_str(&run_step(session, &step).await?);
            continue;
        }
        let tcl = step.send.contains(LINE_TCL);
        // Indents of the typed lines whose block is open.
        let mut open: Vec<usize> = Vec::new();
        let mut last = 0;
        for line in text.lines().map(str::trim_end) {
            let t = line.trim();
            // A file is written whole; typed lines skip what carries nothing
            // (comments, and the closing `end` that would leave the session).
            if t.is_empty() || (!tcl && (t.starts_with('!') || t == "end")) {
                continue;
            }
            if !tcl && exit_on_dedent {
                // A line indented less than the block it follows leaves that
                // block by `exit`, rather than counting on the device to
                // fall through to the enclosing mode.
                let indent = line.len() - line.trim_start().len();
                if indent > last {
                    open.push(last);
                }
                while open.last().is_some_and(|&o| o >= indent) {
                    open.pop();
                    transcript.push_str(&run_step(session, &Step::plain("exit")).await?);
                }
                last = indent;
            }
            // Statements (`set`, MD-CLI paths) carry no meaning in their
            // indentation: typed without it.
            let line = if !tcl && !exit_on_dedent {
                line.trim_start()
            } else {
                line
            };
            let each = Step {
                send: step
                    .send
                    .replace(LINE, line)
                    .replace(LINE_TCL, &tcl_quoted(line)),
                answers: step.answers.clone(),
            };
            transcript.push_str(&run_step(session, &each).await?);
        }
    }
    session.acquire(default).await?;
    Ok(transcript)
}

/// Send `lines` in configuration mode, then the `finish` steps (commit)
/// there, and go back to the default mode. On a refused line the session
/// is left in configuration mode (the caller aborts or rolls back) and the
/// error names the line; with block-structured configurations (FortiOS)
/// each block the lines opened is first left by the platform's abort steps
/// (FortiOS `abort`: leave it, dropping what it did not apply yet), so the
/// rollback steps run where the device takes them.
pub async fn send_lines(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    lines: &[String],
    finish: &[Step],
    window: Option<Duration>,
) -> Result<(), Error> {
    let config = session.platform().configuration_mode;
    session.acquire(config).await?;
    for (n, line) in lines.iter().enumerate() {
        let Err(e) = run_step(session, &Step::plain(line)).await else {
            continue;
        };
        if mechanics.style == Style::Blocks && e.class == ErrorClass::RejectedCommand {
            for _ in 0..super::blocks::open_after(lines, n) {
                for step in &mechanics.abort {
                    // Refused: no block was open any more (an abort may
                    // leave more than one level).
                    match run_step(session, step).await {
                        Err(a) if a.class != ErrorClass::RejectedCommand => return Err(a),
                        _ => {}
                    }
                }
            }
        }
        return Err(e);
    }
    run_steps(session, finish, Start::Configuration, "", window).await?;
    let default = session.platform().default_mode;
    session.acquire(default).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_of_a_typed_line_is_left_out_of_its_answer() {
        let sent = "configure ports 1 description-string \"Error: flapping\"";
        let out = format!("\n{sent}\n* X440G2-48p.3 # ");
        assert_eq!(past_echo(&out, sent), "* X440G2-48p.3 # ");
        let refused = format!("{sent}\nError: Invalid port list\nX440G2-48p.4 # ");
        assert_eq!(
            past_echo(&refused, sent),
            "Error: Invalid port list\nX440G2-48p.4 # "
        );
        // No echo (the first line is the device's): the whole text.
        assert_eq!(
            past_echo("Error: x\nr1# ", "ntp server 1"),
            "Error: x\nr1# "
        );
        assert_eq!(past_echo("r1# ", "ntp server 1"), "r1# ");
    }

    #[test]
    fn a_copy_that_could_not_write_its_file_is_found_by_its_error_line() {
        for (out, line) in [
            (
                "copy running-config flash:p1\nDestination filename [p1]? \n%Error opening flash:p1 (No space left on device)\n",
                Some("%Error opening flash:p1 (No space left on device)"),
            ),
            (
                "copy running-config flash:p1\n%Error parsing filename (Invalid argument)\n",
                Some("%Error parsing filename (Invalid argument)"),
            ),
            ("% Error copying flash:p1", Some("% Error copying flash:p1")),
            (
                "Accessing running-config...\nError opening running-config (Timed out)",
                Some("Error opening running-config (Timed out)"),
            ),
            (
                "error: configuration database locked",
                Some("error: configuration database locked"),
            ),
            ("Building configuration...\n[OK]\n", None),
            ("Copy completed successfully.", None),
            ("Errors: 0\nerrorless", None),
            ("2345 bytes copied in 0.1 secs; no error", None),
        ] {
            assert_eq!(error_line(out), line, "{out:?}");
        }
    }

    #[test]
    fn tcl_quoting_keeps_substitutions_and_quotes_literal() {
        assert_eq!(tcl_quoted("hostname r1"), "hostname r1");
        assert_eq!(
            tcl_quoted(r#"banner motd "$[x]\ {y}""#),
            r#"banner motd \"\$\[x\]\\ {y}\""#
        );
    }

    #[test]
    fn volatile_lines_and_leading_blanks_are_dropped() {
        let m = crate::config::mechanics::fixtures::cisco_ios();
        let raw = "Building configuration...\n\nCurrent configuration : 1234 bytes\n!\n! Last configuration change at 10:00:00 UTC Mon Nov 30 2026\n!\nversion 15.7\nntp clock-period 17179814\nntp server 192.0.2.1\nend\n";
        assert_eq!(
            strip_volatile(raw, &m),
            "!\n!\nversion 15.7\nntp server 192.0.2.1\nend\n"
        );
    }
}
