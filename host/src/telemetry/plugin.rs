//! Metrics plugins export about devices (interface counters, CPU, BGP
//! state) through the WIT `metrics` import.
//!
//! The host owns the names and the bounds: every name is prefixed with
//! `netrun_plugin_<plugin>_`, the `device` label is set by the host (a
//! plugin cannot report for another device), label sets per plugin are
//! capped, and a series not set again within the staleness window (a device
//! removed from the inventory, an interface gone) is dropped, so a poller's
//! memory follows the fleet instead of growing with its history.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Gauge or counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A device-side running total.
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// Labels of one series, `device` first, in the order given.
type LabelSet = Vec<(String, String)>;

struct Family {
    plugin: String,
    kind: Kind,
    help: String,
    series: HashMap<LabelSet, (f64, Instant)>,
}

#[derive(Default)]
struct Inner {
    families: BTreeMap<String, Family>,
    series_per_plugin: HashMap<String, usize>,
}

/// The plugin metrics of a process.
pub struct PluginMetrics {
    inner: Mutex<Inner>,
    stale_after: Mutex<Duration>,
}

impl Default for PluginMetrics {
    fn default() -> Self {
        PluginMetrics {
            inner: Mutex::default(),
            stale_after: Mutex::new(Duration::from_secs(600)),
        }
    }
}

/// Longest label value kept, characters.
const MAX_VALUE: usize = 256;
/// Most labels per series (besides `device`).
const MAX_LABELS: usize = 16;

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
}

/// `collect-facts` → `netrun_plugin_collect_facts_`.
pub fn prefix(plugin: &str) -> String {
    let clean: String = plugin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("netrun_plugin_{clean}_")
}

/// One `set` call.
pub struct Sample<'a> {
    /// Plugin name.
    pub plugin: &'a str,
    /// Device reported on.
    pub device: &'a str,
    /// Gauge or counter.
    pub kind: Kind,
    /// Name as the plugin gives it (no prefix).
    pub name: &'a str,
    /// Help text.
    pub help: &'a str,
    /// Labels as the plugin gives them.
    pub labels: &'a [(String, String)],
    /// Value.
    pub value: f64,
    /// The plugin's `limits.metric_series`.
    pub max_series: usize,
}

/// Why a plugin's metric sample was refused; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetricRefused(pub String);

impl PluginMetrics {
    /// Drop series not set for `d` (a poller sets this to a few intervals).
    pub fn set_stale_after(&self, d: Duration) {
        *self.stale_after.lock().unwrap_or_else(|p| p.into_inner()) = d;
    }

    /// Record a sample; the error says what is wrong with it.
    pub fn set(&self, s: Sample<'_>) -> Result<(), MetricRefused> {
        if !valid_name(s.name) {
            return Err(MetricRefused(format!(
                "metric name `{}` is not valid: use letters, digits and `_`, not starting with a digit",
                s.name
            )));
        }
        if s.kind == Kind::Counter && !s.name.ends_with("_total") {
            return Err(MetricRefused(format!(
                "counter `{}` must end in `_total`",
                s.name
            )));
        }
        if s.kind == Kind::Counter && (s.value < 0.0 || s.value.is_nan()) {
            return Err(MetricRefused(format!(
                "counter `{}` cannot be {}",
                s.name, s.value
            )));
        }
        if s.labels.len() > MAX_LABELS {
            return Err(MetricRefused(format!(
                "metric `{}` has {} labels; at most {MAX_LABELS}",
                s.name,
                s.labels.len()
            )));
        }
        let mut labels: LabelSet = Vec::with_capacity(s.labels.len() + 1);
        labels.push(("device".to_string(), s.device.to_string()));
        for (k, v) in s.labels {
            if !valid_name(k) || k.starts_with("__") || k == "device" {
                return Err(MetricRefused(format!(
                    "label name `{k}` of metric `{}` is not allowed (letters, digits, `_`; `device` is set by the host)",
                    s.name
                )));
            }
            if labels.iter().any(|(x, _)| x == k) {
                return Err(MetricRefused(format!(
                    "label `{k}` given twice on metric `{}`",
                    s.name
                )));
            }
            labels.push((k.clone(), v.chars().take(MAX_VALUE).collect()));
        }
        let full = format!("{}{}", prefix(s.plugin), s.name);
        let now = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        let family = inner
            .families
            .entry(full.clone())
            .or_insert_with(|| Family {
                plugin: s.plugin.to_string(),
                kind: s.kind,
                help: s.help.chars().take(512).collect(),
                series: HashMap::new(),
            });
        if family.kind != s.kind {
            return Err(MetricRefused(format!(
                "metric `{}` is a {}; it cannot also be set as a {}",
                s.name,
                family.kind.as_str(),
                s.kind.as_str()
            )));
        }
        if let Some(slot) = family.series.get_mut(&labels) {
            *slot = (s.value, now);
            return Ok(());
        }
        let count = inner
            .series_per_plugin
            .entry(s.plugin.to_string())
            .or_default();
        if *count >= s.max_series {
            return Err(MetricRefused(format!(
                "plugin {} has {} metric series, its limit (limits.metric_series); `{full}` with these labels was not created",
                s.plugin, count
            )));
        }
        *count += 1;
        family.series.insert(labels, (s.value, now));
        Ok(())
    }

    /// Number of series now held.
    pub fn series(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.families.values().map(|f| f.series.len()).sum()
    }

    /// Drop stale series, then write the rest in the Prometheus text format.
    pub fn encode(&self, out: &mut String) {
        let stale_after = *self.stale_after.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        for family in inner.families.values_mut() {
            let before = family.series.len();
            family
                .series
                .retain(|_, (_, at)| now.duration_since(*at) <= stale_after);
            let dropped = before - family.series.len();
            if dropped > 0
                && let Some(c) = inner.series_per_plugin.get_mut(&family.plugin)
            {
                *c = c.saturating_sub(dropped);
            }
        }
        inner.families.retain(|_, f| !f.series.is_empty());
        for (name, family) in &inner.families {
            let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
            let _ = writeln!(out, "# TYPE {name} {}", family.kind.as_str());
            let mut rows: Vec<_> = family.series.iter().collect();
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for (labels, (value, _)) in rows {
                out.push_str(name);
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_value(v));
                }
                let _ = writeln!(out, "}} {}", number(*value));
            }
        }
    }
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(
        device: &'a str,
        kind: Kind,
        name: &'a str,
        labels: &'a [(String, String)],
        value: f64,
    ) -> Sample<'a> {
        Sample {
            plugin: "interface-counters",
            device,
            kind,
            name,
            help: "Octets received",
            labels,
            value,
            max_series: 3,
        }
    }

    fn l(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn names_are_prefixed_device_is_set_by_the_host_and_values_escaped() {
        let m = PluginMetrics::default();
        let labels = l("interface", "Gi0/1 \"uplink\"");
        m.set(sample(
            "r1",
            Kind::Counter,
            "in_octets_total",
            &labels,
            42.0,
        ))
        .unwrap();
        let mut out = String::new();
        m.encode(&mut out);
        assert!(out.contains("# TYPE netrun_plugin_interface_counters_in_octets_total counter"));
        assert!(
            out.contains(
                "netrun_plugin_interface_counters_in_octets_total{device=\"r1\",interface=\"Gi0/1 \\\"uplink\\\"\"} 42"
            ),
            "{out}"
        );
    }

    #[test]
    fn bad_names_spoofed_devices_and_kind_changes_are_refused() {
        let m = PluginMetrics::default();
        let none: Vec<(String, String)> = Vec::new();
        assert!(
            m.set(sample("r1", Kind::Gauge, "9lives", &none, 1.0))
                .is_err()
        );
        assert!(
            m.set(sample("r1", Kind::Counter, "in_octets", &none, 1.0))
                .is_err()
        );
        let spoof = l("device", "r2");
        assert!(
            m.set(sample("r1", Kind::Gauge, "cpu_ratio", &spoof, 1.0))
                .is_err()
        );
        m.set(sample("r1", Kind::Gauge, "cpu_ratio", &none, 0.5))
            .unwrap();
        assert!(
            m.set(sample("r1", Kind::Counter, "cpu_ratio", &none, 1.0))
                .is_err()
        );
    }

    #[test]
    fn label_sets_per_plugin_are_capped_and_updates_do_not_count() {
        let m = PluginMetrics::default();
        for i in 0..3 {
            let labels = l("interface", &format!("e{i}"));
            m.set(sample("r1", Kind::Gauge, "up", &labels, 1.0))
                .unwrap();
        }
        let again = l("interface", "e0");
        m.set(sample("r1", Kind::Gauge, "up", &again, 0.0)).unwrap();
        let fourth = l("interface", "e3");
        let e = m
            .set(sample("r1", Kind::Gauge, "up", &fourth, 1.0))
            .unwrap_err();
        assert!(e.0.contains("limits.metric_series"), "{e}");
        assert_eq!(m.series(), 3);
    }

    #[test]
    fn stale_series_are_dropped_and_free_their_slots() {
        let m = PluginMetrics::default();
        let labels = l("interface", "e0");
        m.set(sample("r1", Kind::Gauge, "up", &labels, 1.0))
            .unwrap();
        m.set_stale_after(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        let mut out = String::new();
        m.encode(&mut out);
        assert!(out.is_empty(), "{out}");
        assert_eq!(m.series(), 0);
        for i in 0..3 {
            m.set_stale_after(Duration::from_secs(60));
            let labels = l("interface", &format!("x{i}"));
            m.set(sample("r1", Kind::Gauge, "up", &labels, 1.0))
                .unwrap();
        }
    }
}
