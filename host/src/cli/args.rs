//! Checks of command-line values at parse time: numbers that must be
//! positive, log levels, colour, `--hosts @file`. A value that cannot be
//! meant is a clap error (exit 1) before anything starts.

use anyhow::{Context as _, bail};
use clap::ValueEnum;
use std::path::Path;
use std::time::Duration;

/// A whole number of at least 1 (`--concurrency`, `--sessions-per-device`).
pub fn positive_usize(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// A whole number of at least 1 that fits 32 bits (`--breaker-threshold`).
pub fn positive_u32(s: &str) -> Result<u32, String> {
    let n = positive_usize(s)?;
    u32::try_from(n).map_err(|_| format!("`{s}` is too large"))
}

/// A positive number of seconds (`--grace 2.5`), or a duration with its
/// unit as operators write timeouts (`--command-timeout 90s`, `500ms`,
/// `2m`): seconds.
pub fn positive_secs(s: &str) -> Result<f64, String> {
    let secs = match s.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) if s.trim().starts_with('-') => -1.0,
        Err(_) => parse_duration(s)
            .map_err(|_| {
                format!("`{s}` is not a number of seconds or a duration (500ms, 30s, 5m, 1h)")
            })?
            .as_secs_f64(),
    };
    positive(secs).ok_or_else(|| "must be a positive number of seconds".into())
}

/// `secs` if it is a usable number of seconds: finite, above zero and
/// under a billion (about 31 years; `Duration::from_secs_f64` panics on
/// what does not fit). Every timeout read from a flag, an inventory or a
/// job message goes through this one check.
pub fn positive(secs: f64) -> Option<f64> {
    (secs.is_finite() && secs > 0.0 && secs < 1e9).then_some(secs)
}

/// Parse `500ms`, `30s`, `5m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || anyhow::anyhow!("`{text}` is not a duration: use e.g. 500ms, 30s, 5m or 1h");
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !(secs.is_finite() && (0.0..1e9).contains(&secs)) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// A log level (`error` … `trace`, `off`) or a tracing filter whose every
/// directive names a level (`netrun=debug,russh=warn`). A bare unknown word
/// such as `degub` would otherwise be read as a target name and hide
/// every warning.
pub fn log_level(s: &str) -> Result<String, String> {
    for directive in s.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = directive.rsplit_once('=').map_or(directive, |(_, l)| l);
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            let hint = crate::inventory::did_you_mean(&level.to_ascii_lowercase(), LEVELS);
            return Err(format!(
                "unknown log level `{level}`{hint}: use one of {} (or TARGET=LEVEL, comma-separated)",
                LEVELS.join(", ")
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("bad log filter `{s}`: {e}"))
}

/// When log lines on stderr carry ANSI colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always (e.g. piped into `less -R`).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether stderr is a terminal.
    pub fn enabled(self, stderr_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stderr_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// `--hosts` values with every `@FILE` replaced by the names in FILE (one
/// per line or comma-separated; `#` starts a comment).
pub fn expand_hosts(values: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for v in values {
        match v.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read the host list --hosts @{file}"))?;
                let before = out.len();
                for line in text.lines() {
                    let line = line.split('#').next().unwrap_or("");
                    out.extend(
                        line.split(',')
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(str::to_string),
                    );
                }
                if out.len() == before {
                    bail!("the host list --hosts @{file} names no hosts");
                }
            }
            None => out.push(v.clone()),
        }
    }
    Ok(out)
}

/// Check before the first device is dialled that `path` can be written:
/// its folder exists and the file can be created. A bad path found only
/// after a long run would lose that run's output.
pub fn check_writable(path: &Path, flag: &str) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("{flag} {}: cannot write there", path.display()))?;
    if !existed {
        // Leave no empty file behind should the run stop before writing it.
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Devices whose record in the JSON Lines results `file` is not `ok`.
pub fn failed_devices(file: &Path) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read the results file --failed-from {}",
            file.display()
        )
    })?;
    let mut failed = std::collections::BTreeSet::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let record: serde_json::Value = serde_json::from_str(line).with_context(|| {
            format!(
                "--failed-from {} line {}: not a JSON record (use the -o file of a netrun run)",
                file.display(),
                i + 1
            )
        })?;
        let (Some(device), Some(status)) = (
            record.get("device").and_then(|d| d.as_str()),
            record.get("status").and_then(|s| s.as_str()),
        ) else {
            bail!(
                "--failed-from {} line {}: no `device` and `status` (use the -o file of a netrun run)",
                file.display(),
                i + 1
            );
        };
        if status != "ok" {
            failed.insert(device.to_string());
        }
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_garbage_are_refused_for_positive_flags() {
        assert_eq!(positive_usize("3"), Ok(3));
        assert!(positive_usize("0").unwrap_err().contains("at least 1"));
        assert!(positive_usize("-1").is_err());
        assert!(positive_u32("0").is_err());
        assert_eq!(positive_secs("0.5"), Ok(0.5));
        assert_eq!(positive_secs("90s"), Ok(90.0));
        assert_eq!(positive_secs("500ms"), Ok(0.5));
        assert_eq!(positive_secs("2m"), Ok(120.0));
        assert_eq!(positive_secs(" 1.5s "), Ok(1.5));
        assert!(positive_secs("0ms").is_err());
        assert!(positive_secs("-5s").is_err());
        assert!(positive_secs("5 parsecs").unwrap_err().contains("30s"));
        assert!(positive_secs("0").is_err());
        assert!(positive_secs("nan").is_err());
        assert!(
            positive_secs("1e9").is_err(),
            "too large for a Duration to be meant"
        );
    }

    #[test]
    fn one_check_decides_a_usable_number_of_seconds() {
        assert_eq!(positive(2.5), Some(2.5));
        assert_eq!(positive(1e-3), Some(1e-3));
        for bad in [0.0, -0.0, -1.0, 1e9, f64::INFINITY, f64::NAN] {
            assert_eq!(positive(bad), None, "{bad}");
        }
    }

    #[test]
    fn log_levels_are_checked_and_a_typo_gets_the_closest_level() {
        assert!(log_level("warn").is_ok());
        assert!(log_level("netrun=debug,russh=warn").is_ok());
        let e = log_level("degub").unwrap_err();
        assert!(
            e.contains("`degub`") && e.contains("did you mean `debug`"),
            "{e}"
        );
        assert!(log_level("netrun=loud").is_err());
    }

    #[test]
    fn colour_only_on_a_terminal_unless_asked() {
        assert!(!ColorChoice::Auto.enabled(false));
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
    }

    #[test]
    fn durations_in_operator_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }
}
