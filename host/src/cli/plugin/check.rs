//! `netrun plugin test`: run a built plugin with no device. A driver's
//! parsers run inside its component against `tests/fixtures/<command>/<case>.raw`
//! and must give `<case>.json`; a workflow runs against every recorded
//! transcript `tests/transcripts/*.json`.

use crate::runtime::bundle::{self, Bundle, Kind};
use crate::runtime::device::{Connectivity, DeviceContext, DeviceSpec, Limits};
use crate::runtime::driver::DriverInstance;
use crate::runtime::{DriverPlatform, PluginDevice, Runtime, RuntimeOptions, check_output};
use crate::transport::Target;
use crate::transport::http;
use crate::transport::replay::{self, Recording, Replay};
use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Counts of a test run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cases that gave what was expected.
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
}

/// Test the plugin bundle in `dir`; `dirs` is where drivers are found for
/// workflow transcripts. With `overwrite`, a driver's `.json` files are
/// rewritten from what the parser returns.
pub async fn test(dir: &Path, dirs: &[PathBuf], overwrite: bool) -> anyhow::Result<Outcome> {
    let bundle = Bundle::open(dir)?;
    if bundle.manifest.sha256.trim().is_empty() {
        bail!(
            "{} has no sha256 yet: build the plugin first (netrun plugin build)",
            dir.join(bundle::MANIFEST).display()
        );
    }
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 16,
        ..Default::default()
    })?;
    match bundle.manifest.kind {
        Kind::Driver => test_driver(&runtime, &bundle, overwrite).await,
        Kind::Workflow => test_workflow(&runtime, &bundle, dirs).await,
    }
}

fn sorted(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

async fn test_driver(
    runtime: &Arc<Runtime>,
    bundle: &Bundle,
    overwrite: bool,
) -> anyhow::Result<Outcome> {
    let plugin = Arc::new(runtime.load(bundle)?);
    let platforms = runtime.platforms(std::slice::from_ref(&plugin)).await?;
    let platform = platforms
        .keys()
        .next()
        .cloned()
        .with_context(|| format!("driver {} defines no platform", bundle.manifest.name))?;
    let mut driver = DriverInstance::new(runtime, plugin, Arc::from("fixtures")).await?;
    let root = bundle.dir.join("tests").join("fixtures");
    let mut outcome = Outcome::default();
    for dir in sorted(&root)?.into_iter().filter(|p| p.is_dir()) {
        let command = dir
            .file_name()
            .map(|n| n.to_string_lossy().replace('_', " "))
            .unwrap_or_default();
        for raw_path in sorted(&dir)? {
            if raw_path.extension().is_none_or(|e| e != "raw") {
                continue;
            }
            let case = raw_path
                .strip_prefix(&root)
                .unwrap_or(&raw_path)
                .display()
                .to_string();
            let raw = std::fs::read_to_string(&raw_path)
                .with_context(|| format!("cannot read {}", raw_path.display()))?;
            let json_path = raw_path.with_extension("json");
            let got = match driver.parse(&platform, &command, &raw).await {
                Ok(json) => serde_json::from_str::<Value>(&json)
                    .map_err(|e| format!("parser returned invalid JSON: {e}")),
                Err(e) => Err(format!("{} ({})", e.message, e.class)),
            };
            let verdict = match got {
                Err(e) => Err(e),
                Ok(value) if overwrite => {
                    let text = serde_json::to_string_pretty(&value)? + "\n";
                    std::fs::write(&json_path, text)
                        .with_context(|| format!("cannot write {}", json_path.display()))?;
                    Ok(())
                }
                Ok(value) => match std::fs::read_to_string(&json_path) {
                    Err(_) => Err(format!(
                        "no {} (netrun plugin test --overwrite writes it)",
                        json_path.display()
                    )),
                    Ok(text) => match serde_json::from_str::<Value>(&text) {
                        Err(e) => Err(format!("{} is not JSON: {e}", json_path.display())),
                        Ok(expected) if expected == value => Ok(()),
                        Ok(expected) => Err(format!(
                            "differs from {}:\n    expected {expected}\n    got      {value}",
                            json_path.display()
                        )),
                    },
                },
            };
            report(&mut outcome, &format!("parse `{command}` {case}"), verdict)?;
        }
    }
    if outcome.passed + outcome.failed == 0 {
        bail!(
            "no fixtures under {}: add tests/fixtures/<command_with_underscores>/<case>.raw and <case>.json",
            root.display()
        );
    }
    Ok(outcome)
}

fn report(
    outcome: &mut Outcome,
    name: &str,
    verdict: Result<(), String>,
) -> Result<(), crate::cli::stdout::StdoutError> {
    match verdict {
        Ok(()) => {
            outcome.passed += 1;
            crate::outln!("ok    {name}")?;
        }
        Err(why) => {
            outcome.failed += 1;
            crate::outln!("FAIL  {name}: {why}")?;
        }
    }
    Ok(())
}

/// A recorded device exchange file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptFile {
    /// 1 when absent; 2 records prompts and outputs byte for byte.
    #[serde(default = "first_version")]
    version: u32,
    device: TranscriptDevice,
    #[serde(default)]
    params: Value,
    /// Version 2: what the device printed at login before its prompt.
    #[serde(default)]
    banner: Option<String>,
    /// The device's prompt after login (derived from its name when absent).
    #[serde(default)]
    prompt: Option<String>,
    /// Version 2: prompts of other modes, by mode name.
    #[serde(default)]
    prompts: BTreeMap<String, String>,
    #[serde(default)]
    exchanges: Vec<replay::Exchange>,
    /// Recorded HTTP exchanges (the device's API, e.g. eAPI).
    #[serde(default)]
    http: Vec<http::Exchange>,
    /// The expected result data, or `{"error": CLASS}` for an expected failure.
    expect: Value,
}

fn first_version() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptDevice {
    name: String,
    platform: String,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    data: Value,
}

/// The recorded device of `t`, checked against its platform when known.
fn replay_of(t: &TranscriptFile, platform: Option<&DriverPlatform>) -> Result<Replay, String> {
    let replay = Replay::new(Recording {
        version: t.version,
        device: t.device.name.clone(),
        hostname: t.device.hostname.clone(),
        banner: t.banner.clone(),
        prompt: t.prompt.clone(),
        prompts: t.prompts.clone(),
        exchanges: t.exchanges.clone(),
    })
    .map_err(|e| e.to_string())?;
    if let Some(p) = platform {
        replay.check(&p.platform).map_err(|e| e.to_string())?;
    }
    Ok(replay)
}

async fn test_workflow(
    runtime: &Arc<Runtime>,
    bundle: &Bundle,
    dirs: &[PathBuf],
) -> anyhow::Result<Outcome> {
    let plugin = Arc::new(runtime.load(bundle)?);
    let (bundles, _) = bundle::discover(dirs);
    let mut drivers = Vec::new();
    for b in bundles.iter().filter(|b| b.manifest.kind == Kind::Driver) {
        match runtime.load(b) {
            Ok(p) => drivers.push(Arc::new(p)),
            Err(e) => tracing::warn!(
                "skipping driver plugin {}: {}",
                b.manifest.name,
                crate::error::chain_text(&e)
            ),
        }
    }
    let platforms = runtime.platforms(&drivers).await?;
    let root = bundle.dir.join("tests").join("transcripts");
    let mut outcome = Outcome::default();
    for path in sorted(&root)? {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let case = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let t: TranscriptFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a transcript: expected {{version, device: {{name, platform}}, params, prompt, banner, prompts, exchanges: [{{command, output | chunks, prompt}}], http: [{{method, url, request, status, body}}], expect}}",
                path.display()
            )
        })?;
        let platform = platforms.get(&t.device.platform).cloned();
        let replay = match replay_of(&t, platform.as_ref()) {
            Ok(r) => Arc::new(r),
            Err(why) => {
                report(&mut outcome, &format!("run {case}"), Err(why))?;
                continue;
            }
        };
        let target = Target::replay(replay);
        // The device's recorded API, its paths on `https://<hostname>`.
        let host = t.device.hostname.clone().unwrap_or(t.device.name.clone());
        let base = reqwest::Url::parse(&format!("https://{host}"));
        let mut connectivity = Connectivity::new(&crate::runner::ConnectivityConfig {
            // A replayed device answers at once or never: no retries.
            retry: crate::resilience::retry::RetryPolicy {
                max_attempts: 1,
                ..Default::default()
            },
            ..Default::default()
        });
        connectivity.http = Arc::new(http::Clients::replaying(Arc::new(http::Replay::new(
            t.http.clone(),
            base.clone().ok(),
        ))));
        let limits = Limits {
            deadline: None,
            stop: tokio_util::sync::CancellationToken::new(),
            progress: Arc::new(crate::resilience::deadline::Progress::default()),
        };
        let http_endpoint = if t.http.is_empty() {
            Ok(None)
        } else {
            // The recorded device has an API: workflows see an endpoint.
            base.map(|base| {
                Some(http::Endpoint {
                    device: t.device.name.clone(),
                    base,
                    username: None,
                    password: None,
                    tls: http::Tls::System,
                })
            })
            .map_err(|e| {
                crate::error::Error::new(
                    crate::error::ErrorClass::Inventory,
                    format!(
                        "{}: device.hostname `{host}` makes no URL: {e}",
                        path.display()
                    ),
                )
            })
        };
        let ctx = DeviceContext::new(
            DeviceSpec {
                target,
                platform,
                platform_name: t.device.platform.clone(),
                http_endpoint,
            },
            runtime.clone(),
            Arc::new(connectivity),
            limits,
        );
        let name = &plugin.bundle.manifest.name;
        let device = PluginDevice {
            name: t.device.name.clone(),
            hostname: t.device.hostname.clone().unwrap_or(t.device.name.clone()),
            platform: t.device.platform.clone(),
            groups: t.device.groups.clone(),
            data: if t.device.data.is_null() {
                "{}".into()
            } else {
                t.device.data.to_string()
            },
        };
        let params = if t.params.is_null() {
            "{}".to_string()
        } else {
            t.params.to_string()
        };
        let result: Result<Value, crate::error::Error> = async {
            let mut store = runtime.store(
                &plugin,
                Arc::from(t.device.name.as_str()),
                Some(Box::new(ctx)),
            )?;
            let json = runtime
                .run_workflow(&plugin, &mut store, &device, &params)
                .await?;
            check_output(name, "run", &json, store.data().output_limit)?;
            serde_json::from_str(&json).map_err(|e| {
                crate::error::Error::new(
                    crate::error::ErrorClass::Internal,
                    format!("plugin {name} returned invalid JSON: {e}"),
                )
            })
        }
        .await;
        let verdict = match (&t.expect, result) {
            (expect, Ok(v)) if *expect == v => Ok(()),
            (expect, Ok(v)) => Err(format!("expected {expect}\n    got      {v}")),
            (expect, Err(e))
                if expect.get("error").and_then(Value::as_str) == Some(e.class.as_str()) =>
            {
                Ok(())
            }
            (_, Err(e)) => Err(format!("failed: {} ({})", e.message, e.class)),
        };
        report(&mut outcome, &format!("run {case}"), verdict)?;
    }
    if outcome.passed + outcome.failed == 0 {
        bail!(
            "no transcripts under {}: add tests/transcripts/<case>.json",
            root.display()
        );
    }
    Ok(outcome)
}
