//! `netrun plugin …`: list and verify bundles.

use crate::runtime::bundle::{self, Bundle};
use crate::runtime::{Runtime, RuntimeOptions};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List installed and bundled plugins: name, kind, version, platforms.
    List,
    /// Check a bundle: manifest, component digest and WIT compatibility.
    Verify {
        /// Bundle folder (default: the current folder).
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

pub async fn execute(command: PluginCommand, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    match command {
        PluginCommand::List => {
            let (bundles, errors) = bundle::discover(dirs);
            for e in &errors {
                eprintln!("warning: {e}");
            }
            if bundles.is_empty() {
                eprintln!(
                    "no plugins found; searched: {}\nbuild the first-party plugins with scripts/build-plugins.sh, or pass --plugin-dir",
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(super::EXIT_FATAL);
            }
            println!(
                "{:<16} {:<9} {:<8} {:<6} {:<24} LOCATION",
                "NAME", "KIND", "VERSION", "WIT", "PLATFORMS"
            );
            for b in bundles {
                let m = &b.manifest;
                let platforms = if m.platforms.is_empty() {
                    "-".to_string()
                } else {
                    m.platforms.join(",")
                };
                println!(
                    "{:<16} {:<9} {:<8} {:<6} {:<24} {}",
                    m.name,
                    m.kind.to_string(),
                    m.version,
                    m.wit,
                    platforms,
                    b.dir.display()
                );
            }
            Ok(super::EXIT_OK)
        }
        PluginCommand::Verify { path } => {
            let b = Bundle::open(&path)?;
            let runtime = Runtime::new(&RuntimeOptions {
                max_instances: 4,
                cache_dir: None,
            })?;
            let plugin = runtime.load(&b)?;
            if b.manifest.kind == bundle::Kind::Driver {
                let platforms = runtime.platforms(&[std::sync::Arc::new(plugin)]).await?;
                let names: Vec<&String> = platforms.keys().collect();
                println!(
                    "ok: {} {} (driver; platforms: {names:?})",
                    b.manifest.name, b.manifest.version
                );
            } else {
                println!("ok: {} {} (workflow)", b.manifest.name, b.manifest.version);
            }
            Ok(super::EXIT_OK)
        }
    }
}
