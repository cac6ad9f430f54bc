//! `serve.yaml`: read, keys checked against the known ones (with the
//! closest for a typo), values checked, every error naming the file and the
//! job.

use crate::cli::args::parse_duration;
use crate::inventory::{did_you_mean, yaml};
use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `serve.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address of /metrics, /healthz and /readyz.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Policy file granting plugin capabilities (see `netrun run --policy`).
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// Circuit breakers, shared by all jobs.
    #[serde(default)]
    pub breaker: BreakerSettings,
    /// Retries of the connect/login step after a transient failure.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Polling jobs.
    pub jobs: Vec<JobConfig>,
}

const TOP_KEYS: &[&str] = &["listen", "policy", "breaker", "retries", "jobs"];

/// `breaker:` of serve.yaml.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSettings {
    /// Consecutive failures that open a device's breaker (default 5).
    pub threshold: Option<u32>,
    /// How long an open breaker keeps a device from being dialled (`30s`).
    pub cool_down: Option<String>,
}

const BREAKER_KEYS: &[&str] = &["threshold", "cool_down"];

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}

/// One polling job.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Job name (metrics label).
    pub name: String,
    /// Workflow plugin to run.
    pub workflow: String,
    /// Nornir inventory (hosts.yaml or its folder), relative to serve.yaml.
    pub inventory: PathBuf,
    /// Only these hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Only hosts in these groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `key=value` filters.
    #[serde(default)]
    pub filter: Vec<String>,
    /// Time between polls (`30s`, `5m`).
    pub interval: String,
    /// Random delay added to each interval, up to this (`5s`).
    #[serde(default)]
    pub jitter: Option<String>,
    /// Deadline per device per poll.
    #[serde(default)]
    pub timeout: Option<String>,
    /// Devices polled at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Workflow parameters.
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
    /// Capabilities granted to this job's workflow (as `netrun run --grant`).
    #[serde(default)]
    pub grants: Vec<String>,
}

const JOB_KEYS: &[&str] = &[
    "name",
    "workflow",
    "inventory",
    "hosts",
    "groups",
    "filter",
    "interval",
    "jitter",
    "timeout",
    "concurrency",
    "params",
    "grants",
];

fn default_concurrency() -> usize {
    100
}

/// A job's durations, parsed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTimes {
    /// Between polls; more than 0.
    pub interval: Duration,
    /// Up to this added to each interval; less than the interval.
    pub jitter: Duration,
    /// Deadline per device per poll, when set; more than 0.
    pub timeout: Option<Duration>,
}

impl ServeConfig {
    /// Read and check `path`.
    pub fn read(path: &Path) -> anyhow::Result<ServeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), crate::error::chain_text(&*e)))
    }

    /// Parse and check the text of a serve.yaml.
    pub fn parse(text: &str) -> anyhow::Result<ServeConfig> {
        let value: Value = yaml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        check_keys(&value)?;
        let config: ServeConfig =
            serde_json::from_value(value).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.jobs.is_empty() {
            bail!("no jobs defined: add one under `jobs:`");
        }
        if self.breaker.threshold == Some(0) {
            bail!("breaker.threshold must be at least 1");
        }
        if let Some(d) = &self.breaker.cool_down {
            positive(d).context("breaker.cool_down")?;
        }
        for (i, j) in self.jobs.iter().enumerate() {
            if let Some(first) = self.jobs[..i].iter().position(|o| o.name == j.name) {
                bail!(
                    "job `{}` is defined twice (jobs {} and {}): job names label metrics, give each its own",
                    j.name,
                    first + 1,
                    i + 1
                );
            }
            j.times()?;
            if j.concurrency == 0 {
                bail!("job `{}`: concurrency must be at least 1", j.name);
            }
        }
        Ok(())
    }

    /// The breaker's cool-down, when set.
    pub fn cool_down(&self) -> Option<Duration> {
        // Checked in `check`.
        self.breaker
            .cool_down
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
    }
}

impl JobConfig {
    /// Interval, jitter and timeout, checked.
    pub fn times(&self) -> anyhow::Result<JobTimes> {
        let at = |field: &str| format!("job `{}`: {field}", self.name);
        let interval = positive(&self.interval).with_context(|| at("interval"))?;
        let jitter = match &self.jitter {
            Some(j) => parse_duration(j).with_context(|| at("jitter"))?,
            None => Duration::ZERO,
        };
        if jitter >= interval {
            bail!(
                "{}: `{}` is not shorter than the interval `{}`: polls would overlap; make it shorter",
                at("jitter"),
                self.jitter.as_deref().unwrap_or_default(),
                self.interval
            );
        }
        let timeout = match &self.timeout {
            Some(t) => Some(positive(t).with_context(|| at("timeout"))?),
            None => None,
        };
        Ok(JobTimes {
            interval,
            jitter,
            timeout,
        })
    }
}

/// A duration more than zero.
fn positive(text: &str) -> anyhow::Result<Duration> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        bail!("`{text}` must be more than 0");
    }
    Ok(d)
}

/// Refuse unknown keys, naming where they are and the closest known key.
fn check_keys(v: &Value) -> anyhow::Result<()> {
    fn unknown(
        map: &serde_json::Map<String, Value>,
        known: &[&str],
        at: &str,
    ) -> anyhow::Result<()> {
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            bail!(
                "{at}unknown key `{k}`{}: known keys are {}",
                did_you_mean(k, known),
                known.join(", ")
            );
        }
        Ok(())
    }
    let Some(top) = v.as_object() else {
        bail!("expected a mapping with `jobs:` (and optionally listen, policy, breaker, retries)");
    };
    unknown(top, TOP_KEYS, "")?;
    if let Some(b) = top.get("breaker").and_then(Value::as_object) {
        unknown(b, BREAKER_KEYS, "breaker: ")?;
    }
    if let Some(jobs) = top.get("jobs").and_then(Value::as_array) {
        for (i, j) in jobs.iter().enumerate() {
            let Some(j) = j.as_object() else {
                bail!(
                    "job {}: expected a mapping (name, workflow, inventory, interval, …)",
                    i + 1
                );
            };
            let name = j
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("job {}", i + 1), |n| format!("job `{n}`"));
            unknown(j, JOB_KEYS, &format!("{name}: "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "jobs:\n  - name: facts\n    workflow: collect-facts\n    inventory: x\n";

    fn err(text: &str) -> String {
        format!("{:#}", ServeConfig::parse(text).unwrap_err())
    }

    #[test]
    fn a_good_config_parses_with_defaults() {
        let c = ServeConfig::parse(&format!("listen: 127.0.0.1:9999\n{JOB}    interval: 5s\n"))
            .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.jobs[0].concurrency, 100);
    }

    #[test]
    fn unknown_keys_name_the_job_and_the_closest_key() {
        let e = err(&format!("{JOB}    interval: 5s\n    intervall: 3s\n"));
        assert!(
            e.contains("job `facts`")
                && e.contains("`intervall`")
                && e.contains("did you mean `interval`"),
            "{e}"
        );
        let e = err(&format!(
            "breaker: {{treshold: 3}}\n{JOB}    interval: 5s\n"
        ));
        assert!(e.contains("did you mean `threshold`"), "{e}");
    }

    #[test]
    fn values_that_cannot_be_meant_are_refused_naming_the_job_and_field() {
        for (extra, words) in [
            (
                "    interval: fast\n",
                "job `facts`: interval: `fast` is not a duration",
            ),
            ("    interval: 0s\n", "interval: `0s` must be more than 0"),
            (
                "    interval: 5s\n    timeout: 0s\n",
                "job `facts`: timeout",
            ),
            (
                "    interval: 5s\n    concurrency: 0\n",
                "concurrency must be at least 1",
            ),
            (
                "    interval: 5s\n    jitter: 10s\n",
                "not shorter than the interval",
            ),
        ] {
            let e = err(&format!("{JOB}{extra}"));
            assert!(e.contains(words), "{extra}: {e}");
        }
        let e = err(&format!(
            "{JOB}    interval: 5s\n{}    interval: 5s\n",
            &JOB[6..]
        ));
        assert!(e.contains("`facts` is defined twice"), "{e}");
    }
}
