//! `netrun get` (NAPALM-style getters on every device, one record per
//! device with a field per getter) and `netrun platforms` (every platform
//! the installed drivers define, with the getters each answers).

use super::TargetArgs;
use crate::runner::Job;
use crate::runtime::bundle::{self, Kind};
use crate::runtime::{Plugin, Runtime, RuntimeOptions};
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// `netrun get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Getters, by NAPALM's names with or without `get_` (`facts,interfaces,
    /// lldp_neighbors`); `netrun platforms` lists what each platform answers.
    #[arg(required = true, value_delimiter = ',')]
    pub getters: Vec<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Grant a third-party driver the commands its platform sends by itself:
    /// PLUGIN:command=PATTERN (repeatable).
    #[arg(long = "grant")]
    pub grants: Vec<String>,
    /// Policy file granting capabilities per plugin ([plugin.NAME] tables);
    /// default ~/.config/netrun/policy.toml when it exists.
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

/// Getter names as the drivers know them: NAPALM's without `get_`, each
/// once, in the order given. Refuses an empty or malformed name.
pub fn getter_names(given: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for g in given {
        let g = g.trim();
        let name = g.strip_prefix("get_").unwrap_or(g);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            bail!(
                "`{g}` is not a getter name: give NAPALM names such as facts, interfaces, lldp_neighbors (see `netrun platforms`)"
            );
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// `netrun get`: plan, load the drivers the inventory needs, refuse getter
/// names no platform of the run answers (naming the closest), then sweep.
pub async fn sweep_get(dirs: &[PathBuf], a: GetArgs) -> anyhow::Result<i32> {
    let getters = getter_names(&a.getters)?;
    if a.target.nats.nats.is_some() {
        // The workers' drivers answer; a getter none answers is `unsupported` in its record.
        let job = crate::cluster::TaskJob::Get { getters };
        let grants = !a.grants.is_empty() || a.policy.is_some();
        return super::worker::distribute(&a.target, job, grants).await;
    }
    let policy = super::Policy::load(a.policy.as_deref(), &a.grants)?;
    let t = a.target;
    let (inventory, hosts) = super::plan_hosts(&t)?;
    let needed = super::needed_platforms(&hosts);
    let loaded = super::load_plugins(
        dirs,
        None,
        &policy,
        &needed,
        super::instances_for_run(t.concurrency, hosts.len()),
    )
    .await?;
    let mut answered: Vec<String> = Vec::new();
    for name in &needed {
        let Some(dp) = loaded.platforms.get(name) else {
            continue;
        };
        // One instance, kept idle for the next platform and the sweep's
        // devices: a new one would read the driver's platform data again.
        let getters_of = loaded
            .runtime
            .call_driver(&dp.driver, Arc::from("-"), async |d| d.getters(name).await)
            .await
            .map_err(|e| {
                anyhow::anyhow!("driver {}: {}", dp.driver.bundle.manifest.name, e.message)
            })?;
        for g in getters_of {
            if !answered.contains(&g) {
                answered.push(g);
            }
        }
    }
    // With no platform loaded the devices' own records say why.
    if !answered.is_empty() {
        let known: Vec<&str> = answered.iter().map(String::as_str).collect();
        for g in &getters {
            if !answered.contains(g) {
                bail!(
                    "no platform of this inventory answers getter `{g}`{}; they answer: {} (`netrun platforms` shows each platform's)",
                    crate::inventory::closest(g, &known)
                        .map(|k| format!(" (did you mean `{k}`?)"))
                        .unwrap_or_default(),
                    known.join(", ")
                );
            }
        }
    }
    super::execute_plan(loaded, inventory, hosts, Job::Get { getters }, &t).await
}

/// `netrun platforms`: one row per platform, its driver and its getters.
pub async fn platforms(dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let runtime = Arc::new(Runtime::new(&RuntimeOptions {
        max_instances: 16,
        ..RuntimeOptions::default()
    })?);
    let (bundles, errors) = bundle::discover(dirs);
    for e in &errors {
        tracing::warn!("{e}");
    }
    let mut drivers = Vec::new();
    for b in bundles.iter().filter(|b| b.manifest.kind == Kind::Driver) {
        match runtime.load(b) {
            Ok(p) => drivers.push(Arc::new(p)),
            Err(e) => eprintln!("skipping driver plugin {}: {e}", b.manifest.name),
        }
    }
    if drivers.is_empty() {
        bail!(
            "no driver plugin found (searched: {}): build or install one (`netrun plugin list`)",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let rows = platform_rows(&runtime, &drivers).await?;
    crate::out!("{}", crate::results::format::columns(&rows))?;
    eprintln!(
        "{} platforms from {} drivers",
        rows.len() - 1,
        drivers.len()
    );
    Ok(0)
}

/// `netrun platforms`' table: a header, then one row per platform the
/// `drivers` define (name, driver, its getters or `-`). One driver instance
/// answers every platform of its driver and is left idle in `runtime`.
pub async fn platform_rows(
    runtime: &Runtime,
    drivers: &[Arc<Plugin>],
) -> anyhow::Result<Vec<[String; 3]>> {
    let platforms = runtime.platforms(drivers).await?;
    let mut rows = vec![["PLATFORM".to_string(), "DRIVER".into(), "GETTERS".into()]];
    for (name, dp) in &platforms {
        let driver = dp.driver.bundle.manifest.name.clone();
        // One instance answers every platform of its driver: a new one
        // would parse the driver's platform data again (62 platforms: 460 ms
        // of CPU instead of 40).
        let getters = match runtime
            .call_driver(&dp.driver, Arc::from("-"), async |d| d.getters(name).await)
            .await
        {
            Ok(g) if g.is_empty() => "-".to_string(),
            Ok(g) => g.join(","),
            Err(e) => format!("(error: {})", e.message),
        };
        rows.push([name.clone(), driver, getters]);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getter_names_take_napalm_names_with_or_without_get_and_refuse_garbage() {
        let names = getter_names(&[
            "get_facts".into(),
            "interfaces".into(),
            " lldp_neighbors".into(),
            "facts".into(),
        ])
        .unwrap();
        assert_eq!(names, ["facts", "interfaces", "lldp_neighbors"]);
        let e = getter_names(&["Facts;rm".into()]).unwrap_err().to_string();
        assert!(
            e.contains("`Facts;rm`") && e.contains("netrun platforms"),
            "{e}"
        );
        assert!(getter_names(&["".into()]).is_err());
    }
}
