//! Rollout in waves: a canary group first (any failure stops the rollout),
//! then waves of a fixed size, stopping once failures pass a budget. The
//! devices a stopped rollout never reached get a `cancelled` record with
//! the reason, so every device still has exactly one record.

use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::results::Record;
use std::time::Duration;

/// How many failures a rollout tolerates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// At most this many devices may fail.
    Count(usize),
    /// At most this share of all devices (0–100) may fail.
    Percent(f64),
}

impl Budget {
    /// `5` or `10%`.
    pub fn parse(s: &str) -> Result<Budget, String> {
        let bad = || {
            format!(
                "bad --max-failures `{s}`: use a count (5) or a percentage of the devices (10%)"
            )
        };
        match s.trim().strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Ok(Budget::Percent(p))
            }
            None => s.trim().parse().map(Budget::Count).map_err(|_| bad()),
        }
    }

    /// Whether `failures` out of `total` devices exceed the budget.
    pub fn exceeded(&self, failures: usize, total: usize) -> bool {
        match *self {
            Budget::Count(n) => failures > n,
            Budget::Percent(p) => (failures as f64) > (total as f64) * p / 100.0,
        }
    }
}

/// The shape of a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rollout {
    /// Devices changed first; any failure among them stops the rollout.
    pub canary: usize,
    /// Devices per later wave; `None`: all the rest at once.
    pub wave_size: Option<usize>,
    /// Failures (over the whole rollout) that stop it.
    pub max_failures: Option<Budget>,
}

impl Rollout {
    /// Sizes of the waves over `total` devices, in order.
    pub fn waves(&self, total: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut left = total;
        if self.canary > 0 && left > 0 {
            let n = self.canary.min(left);
            sizes.push(n);
            left -= n;
        }
        let size = self.wave_size.filter(|s| *s > 0).unwrap_or(left.max(1));
        while left > 0 {
            let n = size.min(left);
            sizes.push(n);
            left -= n;
        }
        sizes
    }
}

/// What a rollout did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Waves run.
    pub waves_run: usize,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
}

/// Run `hosts` in waves through `run_wave` (which returns one record per
/// device it was given); `on_record` sees every record, including the
/// `cancelled` ones of devices a stopped rollout leaves untouched.
pub async fn roll_out(
    hosts: Vec<Host>,
    rollout: &Rollout,
    mut run_wave: impl AsyncFnMut(Vec<Host>) -> Vec<Record>,
    mut on_record: impl FnMut(Record),
) -> Outcome {
    let total = hosts.len();
    let sizes = rollout.waves(total);
    let mut rest = hosts.into_iter();
    let mut outcome = Outcome::default();
    let mut failures = 0usize;
    for (i, size) in sizes.iter().enumerate() {
        let wave: Vec<Host> = rest.by_ref().take(*size).collect();
        let n = wave.len();
        let records = run_wave(wave).await;
        outcome.waves_run += 1;
        let failed = records.iter().filter(|r| r.error.is_some()).count();
        failures += failed;
        for r in records {
            on_record(r);
        }
        let canary = i == 0 && rollout.canary > 0;
        let stop = if canary && failed > 0 {
            Some(format!("the canary wave failed ({failed} of {n} devices)"))
        } else {
            match rollout.max_failures {
                Some(b) if b.exceeded(failures, total) => Some(format!(
                    "{failures} of {total} devices failed, more than --max-failures allows"
                )),
                _ => None,
            }
        };
        if let Some(reason) = stop {
            let wave_no = i + 1;
            tracing::warn!(wave = wave_no, %reason, "rollout stopped");
            for host in rest.by_ref() {
                on_record(Record::failed(
                    &host.name,
                    Error::new(
                        ErrorClass::Cancelled,
                        format!(
                            "{}: not changed: the rollout stopped after wave {wave_no}: {reason}; fix the cause and run again",
                            host.name
                        ),
                    ),
                    Duration::ZERO,
                    0,
                ));
            }
            outcome.stopped = Some(reason);
            break;
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn hosts(n: usize) -> Vec<Host> {
        (0..n)
            .map(|i| Host {
                name: format!("r{i:02}"),
                hostname: "127.0.0.1".into(),
                port: 22,
                port_explicit: false,
                username: None,
                password: None,
                enable_secret: None,
                platform: None,
                groups: Vec::new(),
                data: Map::new(),
                known_hosts_files: Vec::new(),
                extras: Map::new(),
                http: None,
            })
            .collect()
    }

    /// A wave runner where the devices named in `bad` fail; it notes each wave.
    async fn run(
        n: usize,
        rollout: Rollout,
        bad: &[&str],
    ) -> (Outcome, Vec<Vec<String>>, Vec<Record>) {
        let mut waves: Vec<Vec<String>> = Vec::new();
        let mut records = Vec::new();
        let outcome = roll_out(
            hosts(n),
            &rollout,
            async |wave: Vec<Host>| {
                waves.push(wave.iter().map(|h| h.name.clone()).collect());
                wave.iter()
                    .map(|h| {
                        if bad.contains(&h.name.as_str()) {
                            Record::failed(
                                &h.name,
                                Error::new(ErrorClass::RejectedCommand, "refused"),
                                Duration::ZERO,
                                1,
                            )
                        } else {
                            Record::ok(&h.name, json!({"changed": true}), Duration::ZERO, 1)
                        }
                    })
                    .collect()
            },
            |r| records.push(r),
        )
        .await;
        (outcome, waves, records)
    }

    #[test]
    fn waves_are_the_canary_then_fixed_sizes() {
        let r = Rollout {
            canary: 2,
            wave_size: Some(3),
            max_failures: None,
        };
        assert_eq!(r.waves(10), [2, 3, 3, 2]);
        assert_eq!(Rollout::default().waves(10), [10]);
        assert_eq!(
            Rollout {
                canary: 5,
                ..Default::default()
            }
            .waves(3),
            [3]
        );
        assert_eq!(Rollout::default().waves(0), Vec::<usize>::new());
    }

    #[tokio::test]
    async fn a_failing_canary_stops_the_rollout_and_cancels_the_rest() {
        let rollout = Rollout {
            canary: 2,
            wave_size: Some(4),
            max_failures: None,
        };
        let (outcome, waves, records) = run(10, rollout, &["r01"]).await;
        assert_eq!(waves, [vec!["r00", "r01"]]);
        assert_eq!(records.len(), 10, "every device has one record");
        let cancelled: Vec<&Record> = records
            .iter()
            .filter(|r| {
                r.error
                    .as_ref()
                    .is_some_and(|e| e.class == ErrorClass::Cancelled)
            })
            .collect();
        assert_eq!(cancelled.len(), 8);
        let msg = &cancelled[0].error.as_ref().unwrap().message;
        assert!(
            msg.contains("stopped after wave 1: the canary wave failed (1 of 2 devices)"),
            "{msg}"
        );
        assert_eq!(outcome.waves_run, 1);
    }

    #[tokio::test]
    async fn failures_past_the_budget_stop_later_waves() {
        let rollout = Rollout {
            canary: 1,
            wave_size: Some(3),
            max_failures: Some(Budget::Count(1)),
        };
        // Wave 2 (r01..r03) has one failure: within budget; wave 3 another: over.
        let (outcome, waves, records) = run(10, rollout, &["r02", "r05"]).await;
        assert_eq!(waves.len(), 3);
        assert_eq!(records.len(), 10);
        assert!(
            outcome
                .stopped
                .unwrap()
                .starts_with("2 of 10 devices failed")
        );
        assert!(
            records[7..]
                .iter()
                .all(|r| r.error.as_ref().unwrap().class == ErrorClass::Cancelled)
        );
    }

    #[tokio::test]
    async fn a_rollout_within_budget_reaches_every_device() {
        let rollout = Rollout {
            canary: 1,
            wave_size: Some(4),
            max_failures: Some(Budget::Percent(20.0)),
        };
        let (outcome, waves, records) = run(10, rollout, &["r03", "r07"]).await;
        assert_eq!(waves.len(), 4);
        assert_eq!(outcome.stopped, None);
        assert_eq!(records.iter().filter(|r| r.error.is_none()).count(), 8);
    }

    #[test]
    fn budgets_parse_counts_and_percentages() {
        assert_eq!(Budget::parse("3"), Ok(Budget::Count(3)));
        assert_eq!(Budget::parse("10%"), Ok(Budget::Percent(10.0)));
        assert!(Budget::parse("ten").unwrap_err().contains("--max-failures"));
        assert!(Budget::parse("150%").is_err());
        assert!(Budget::Percent(10.0).exceeded(2, 10));
        assert!(!Budget::Percent(10.0).exceeded(1, 10));
        assert!(!Budget::Count(0).exceeded(0, 10));
    }
}
