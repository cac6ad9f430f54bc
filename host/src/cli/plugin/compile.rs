//! `netrun plugin compile`: compile bundles to machine code ahead of time,
//! so no run pays for it (scripts/build-plugins.sh calls it; `plugin
//! install` and `plugin build` do the same for their bundle).

use crate::runtime::bundle::{self, Bundle};
use crate::runtime::compile::trusted_location;
use crate::runtime::{Runtime, RuntimeOptions};
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Instant;

/// Where a bundle's compiled code went.
pub enum Compiled {
    /// Beside the bundle (first-party or installed).
    Beside(PathBuf),
    /// Into the user's cache (a bundle anywhere else).
    Cached,
}

/// A runtime for compiling: the same engine configuration as a run's (a
/// small pool: pool sizes do not change the compiled code).
pub fn runtime() -> anyhow::Result<std::sync::Arc<Runtime>> {
    Ok(Runtime::new(&RuntimeOptions {
        max_instances: 4,
        ..Default::default()
    })?)
}

/// Compile `bundle` for `runtime`'s engine: beside it where netrun keeps
/// compiled code, else into the cache.
pub fn compile(runtime: &Runtime, bundle: &Bundle) -> anyhow::Result<Compiled> {
    if trusted_location(bundle) {
        return Ok(Compiled::Beside(runtime.precompile(bundle)?));
    }
    runtime.load(bundle)?;
    Ok(Compiled::Cached)
}

/// `netrun plugin compile [PATH…]`: the bundles named, or every bundle
/// netrun finds; each on its own thread.
pub fn execute(paths: &[PathBuf], dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let bundles: Vec<Bundle> = if paths.is_empty() {
        let (found, errors) = bundle::discover(dirs);
        for e in &errors {
            eprintln!("warning: {e}");
        }
        found
    } else {
        paths
            .iter()
            .map(|p| {
                Bundle::open(p).with_context(|| format!("{} is not a plugin bundle", p.display()))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let runtime = runtime()?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<Compiled>> = std::thread::scope(|s| {
        let handles: Vec<_> = bundles
            .iter()
            .map(|b| s.spawn(|| compile(&runtime, b)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("compiling crashed; please report it")))
            })
            .collect()
    });
    let mut failed = 0;
    for (b, r) in bundles.iter().zip(results) {
        match r {
            Ok(Compiled::Beside(path)) => {
                crate::outln!("compiled {} → {}", b.manifest.name, path.display())?
            }
            Ok(Compiled::Cached) => crate::outln!(
                "compiled {} into the cache (compiled code is kept beside first-party and installed bundles only)",
                b.manifest.name
            )?,
            Err(e) => {
                failed += 1;
                eprintln!("error: {}", crate::error::chain_text(&*e));
            }
        }
    }
    crate::outln!(
        "{} compiled, {failed} failed in {:.1}s",
        bundles.len() - failed,
        started.elapsed().as_secs_f64()
    )?;
    Ok(if failed == 0 {
        super::super::EXIT_OK
    } else {
        super::super::EXIT_SOME_FAILED
    })
}
