//! Observability: one Prometheus registry per process, with bounded label
//! sets (platform, class, workflow, plugin — never a device or a command).

pub mod plugin;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

/// Labels of a device result.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// Workflow name, or `exec`.
    pub job: String,
    /// `ok` or `error`.
    pub status: String,
    /// Error class, empty for ok.
    pub class: String,
}

/// Labels by platform.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlatformLabels {
    /// `device_type`.
    pub platform: String,
}

/// Labels by error class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabels {
    /// Error class.
    pub class: String,
}

/// Labels of a breaker transition.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    /// State left.
    pub from: String,
    /// State entered.
    pub to: String,
}

/// Labels of a plugin call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Plugin name.
    pub plugin: String,
    /// Export called (`run`, `parse`).
    pub call: String,
}

/// Every metric netrun exports.
pub struct Metrics {
    registry: Registry,
    /// Device results by job, status and class.
    pub device_results: Family<ResultLabels, Counter>,
    /// TCP connect + SSH handshake duration.
    pub connect_seconds: Family<PlatformLabels, Histogram>,
    /// Authentication + first prompt + on-open duration.
    pub login_seconds: Family<PlatformLabels, Histogram>,
    /// Per-command duration.
    pub command_seconds: Family<PlatformLabels, Histogram>,
    /// Sessions open now.
    pub sessions_open: Gauge,
    /// Sessions opened.
    pub sessions_opened: Counter,
    /// Session checkouts served by an already-open session.
    pub sessions_reused: Counter,
    /// Connection attempts retried, by the class that caused the retry.
    pub retries: Family<ClassLabels, Counter>,
    /// Circuit-breaker transitions.
    pub breaker_transitions: Family<TransitionLabels, Counter>,
    /// Devices whose breaker is open now.
    pub breakers_open: Gauge,
    /// Plugin call duration.
    pub plugin_call_seconds: Family<PluginLabels, Histogram>,
    /// Plugin calls stopped by a limit or a trap.
    pub plugin_limit_hits: Family<PluginLabels, Counter>,
    /// Duration of whole runs.
    pub run_seconds: Histogram,
    /// HTTP requests to device APIs, by platform.
    pub http_request_seconds: Family<PlatformLabels, Histogram>,
    /// Device metrics set by plugins.
    pub plugin: plugin::PluginMetrics,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~80 s: local labs answer in milliseconds, WAN devices in seconds.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("netrun");
        let m = Metrics {
            device_results: Family::default(),
            connect_seconds: Family::new_with_constructor(latency_histogram),
            login_seconds: Family::new_with_constructor(latency_histogram),
            command_seconds: Family::new_with_constructor(latency_histogram),
            sessions_open: Gauge::default(),
            sessions_opened: Counter::default(),
            sessions_reused: Counter::default(),
            retries: Family::default(),
            breaker_transitions: Family::default(),
            breakers_open: Gauge::default(),
            plugin_call_seconds: Family::new_with_constructor(latency_histogram),
            plugin_limit_hits: Family::default(),
            run_seconds: Histogram::new(exponential_buckets(0.1, 2.0, 14)),
            http_request_seconds: Family::new_with_constructor(latency_histogram),
            plugin: plugin::PluginMetrics::default(),
            registry: Registry::default(),
        };
        registry.register(
            "device_results",
            "Device results by job, status and error class",
            m.device_results.clone(),
        );
        registry.register_with_unit(
            "connect",
            "TCP connect and SSH handshake",
            Unit::Seconds,
            m.connect_seconds.clone(),
        );
        registry.register_with_unit(
            "login",
            "Authentication, first prompt and on-open commands",
            Unit::Seconds,
            m.login_seconds.clone(),
        );
        registry.register_with_unit(
            "command",
            "Duration of one CLI command",
            Unit::Seconds,
            m.command_seconds.clone(),
        );
        registry.register(
            "sessions_open",
            "CLI sessions open now",
            m.sessions_open.clone(),
        );
        registry.register(
            "sessions_opened",
            "CLI sessions opened",
            m.sessions_opened.clone(),
        );
        registry.register(
            "sessions_reused",
            "Session checkouts served by an open session",
            m.sessions_reused.clone(),
        );
        registry.register(
            "retries",
            "Connection attempts retried, by error class",
            m.retries.clone(),
        );
        registry.register(
            "breaker_transitions",
            "Circuit-breaker state changes",
            m.breaker_transitions.clone(),
        );
        registry.register(
            "breakers_open",
            "Devices whose circuit breaker is open",
            m.breakers_open.clone(),
        );
        registry.register_with_unit(
            "plugin_call",
            "Duration of calls into plugins",
            Unit::Seconds,
            m.plugin_call_seconds.clone(),
        );
        registry.register(
            "plugin_limit_hits",
            "Plugin calls stopped by a limit or trap",
            m.plugin_limit_hits.clone(),
        );
        registry.register_with_unit(
            "run",
            "Duration of whole runs",
            Unit::Seconds,
            m.run_seconds.clone(),
        );
        registry.register_with_unit(
            "http_request",
            "Duration of HTTP requests to device APIs",
            Unit::Seconds,
            m.http_request_seconds.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Observe `d` in the histogram of `family` for `platform`.
    pub fn observe(family: &Family<PlatformLabels, Histogram>, platform: &str, d: Duration) {
        family
            .get_or_create(&PlatformLabels {
                platform: platform.to_string(),
            })
            .observe(d.as_secs_f64());
    }

    /// The registry in the Prometheus text exposition format (0.0.4), as
    /// `promtool check metrics` and node_exporter's textfile collector read it.
    pub fn encode(&self) -> String {
        let mut open_metrics = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut open_metrics, &self.registry);
        let mut text = to_prometheus_text(&open_metrics);
        self.plugin.encode(&mut text);
        text
    }
}

/// Turn OpenMetrics text into the Prometheus text format: counter families
/// are named with their `_total` suffix (as their samples are), and the
/// `# UNIT` and `# EOF` lines, which Prometheus' format lacks, are dropped.
fn to_prometheus_text(open_metrics: &str) -> String {
    let counters: HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let meta = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        match meta {
            Some((tag, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{tag}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_and_base_units() {
        let m = metrics();
        m.device_results
            .get_or_create(&ResultLabels {
                job: "collect-facts".into(),
                status: "ok".into(),
                class: String::new(),
            })
            .inc();
        Metrics::observe(&m.command_seconds, "cisco_ios", Duration::from_millis(12));
        let text = m.encode();
        assert!(text.contains("netrun_device_results_total{"), "{text}");
        assert!(text.contains("netrun_command_seconds_bucket{"), "{text}");
        assert!(text.contains("platform=\"cisco_ios\""), "{text}");
        assert!(
            text.contains("# TYPE netrun_device_results_total counter"),
            "{text}"
        );
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
    }

    #[test]
    fn promtool_accepts_the_exposition() {
        // promtool comes with Debian's `prometheus` package (scripts/test.sh installs it).
        let Ok(mut child) = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
        else {
            assert!(
                std::env::var_os("CI").is_none(),
                "promtool missing in CI: install the prometheus package"
            );
            eprintln!("SKIP: promtool not installed");
            return;
        };
        let m = metrics();
        Metrics::observe(&m.connect_seconds, "cisco_ios", Duration::from_millis(30));
        m.retries
            .get_or_create(&ClassLabels {
                class: "connect-timeout".into(),
            })
            .inc();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(m.encode().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
