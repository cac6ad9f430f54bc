//! `netrun plugin …`: scaffold, build, test, verify, install, list and
//! remove plugin bundles, and print the WIT reference.

mod build;
mod check;
mod compile;
mod scaffold;
mod witdocs;

use crate::runtime::bundle::{self, Bundle, Kind};
use crate::runtime::{Runtime, RuntimeOptions};
use anyhow::{Context as _, bail};
use clap::Subcommand;
use scaffold::Lang;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List installed and bundled plugins: name, kind, version, platforms,
    /// and whether each can be used.
    List {
        /// Exit 1 when any plugin is broken (for CI and health checks).
        #[arg(long)]
        check: bool,
    },
    /// Check a bundle: manifest, component digest and WIT compatibility.
    Verify {
        /// Bundle folder or .tar.gz (default: the current folder).
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Create a plugin folder NAME with one parser (driver) or workflow,
    /// fixtures and the WIT it targets.
    New {
        /// Plugin name: lowercase letters, digits and `-`.
        name: String,
        /// Driver (platform + parsers) or workflow.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Language.
        #[arg(long, value_enum)]
        lang: Lang,
        /// Parent folder (default: the current folder).
        #[arg(long, default_value = ".")]
        into: PathBuf,
    },
    /// Build the plugin in a folder: component, sha256 in the manifest,
    /// dist/NAME-VERSION.tar.gz.
    Build {
        /// Plugin folder (default: the current folder).
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Test a built plugin with no device: parsers against their fixtures,
    /// a workflow against its recorded transcripts.
    Test {
        /// Plugin folder (default: the current folder).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Rewrite the expected .json of every fixture from the parser's result.
        #[arg(long)]
        overwrite: bool,
    },
    /// Verify a bundle (folder or .tar.gz) and copy it into the user's plugin
    /// folder, replacing an older install of the same name.
    Install {
        /// Bundle folder or .tar.gz.
        path: PathBuf,
    },
    /// Compile bundles to machine code for this netrun now, so runs do not
    /// (kept beside first-party and installed bundles, else in the cache).
    Compile {
        /// Bundle folders (default: every plugin netrun finds).
        paths: Vec<PathBuf>,
    },
    /// Remove a plugin installed with `plugin install`.
    Remove {
        /// Plugin name.
        name: String,
    },
    /// Print the WIT reference (Markdown) from the contract's doc comments.
    WitDocs,
}

/// `--kind` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    /// Platform definitions and parsers.
    Driver,
    /// A job run against each device.
    Workflow,
}

pub async fn execute(command: PluginCommand, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    match command {
        PluginCommand::List { check } => list(dirs, check),
        PluginCommand::Verify { path } => {
            let (_tmp, dir) = bundle_dir(&path)?;
            // With the cache, as install: a component `plugin build` or an
            // earlier verify compiled (same sha256, same engine) is not
            // compiled again, and one verified now installs without it.
            let summary = verify(&*compile::runtime()?, &dir).await?;
            crate::outln!("ok: {summary}")?;
            Ok(super::EXIT_OK)
        }
        PluginCommand::New {
            name,
            kind,
            lang,
            into,
        } => {
            let kind = match kind {
                KindArg::Driver => Kind::Driver,
                KindArg::Workflow => Kind::Workflow,
            };
            let dir = into.join(&name);
            let files = scaffold::create(&dir, &name, kind, lang)?;
            crate::outln!(
                "created {kind} plugin {name} ({} files) in {}\nnext: cd {} && netrun plugin build && netrun plugin test",
                files.len(),
                dir.display(),
                dir.display()
            )?;
            Ok(super::EXIT_OK)
        }
        PluginCommand::Build { path } => {
            let built = build::build(&path)?;
            let m = &built.bundle.manifest;
            crate::outln!(
                "built {} {} ({:?}): {} ({} KiB, sha256 {}) in {:.1}s\narchive: {}",
                m.name,
                m.version,
                built.lang,
                built.bundle.component_path().display(),
                built.size >> 10,
                m.sha256,
                built.elapsed.as_secs_f64(),
                built.archive.display()
            )?;
            // Compiled now so `plugin test` and the first run do not wait for it.
            let started = std::time::Instant::now();
            compile::compile(&*compile::runtime()?, &built.bundle)?;
            crate::outln!(
                "compiled for this netrun in {:.1}s",
                started.elapsed().as_secs_f64()
            )?;
            Ok(super::EXIT_OK)
        }
        PluginCommand::Test { path, overwrite } => {
            let outcome = check::test(&path, dirs, overwrite).await?;
            crate::outln!("{} passed, {} failed", outcome.passed, outcome.failed)?;
            Ok(if outcome.failed == 0 {
                super::EXIT_OK
            } else {
                super::EXIT_SOME_FAILED
            })
        }
        PluginCommand::Install { path } => install(&path).await,
        PluginCommand::Compile { paths } => compile::execute(&paths, dirs),
        PluginCommand::Remove { name } => remove(&name),
        PluginCommand::WitDocs => {
            crate::out!("{}", witdocs::render())?;
            Ok(super::EXIT_OK)
        }
    }
}

fn list(dirs: &[PathBuf], check: bool) -> anyhow::Result<i32> {
    let (bundles, errors) = bundle::discover(dirs);
    if bundles.is_empty() && errors.is_empty() {
        eprintln!(
            "no plugins found; searched: {}\nbuild the first-party plugins with scripts/build-plugins.sh, or pass --plugin-dir",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(super::EXIT_FATAL);
    }
    let runtime = Runtime::new(&RuntimeOptions::default())?;
    let mut rows: Vec<[String; 8]> = vec![
        [
            "NAME",
            "KIND",
            "VERSION",
            "WIT",
            "ORIGIN",
            "STATUS",
            "PLATFORMS",
            "LOCATION",
        ]
        .map(String::from),
    ];
    let mut broken = 0;
    for b in &bundles {
        let m = &b.manifest;
        let platforms = if m.platforms.is_empty() {
            "-".to_string()
        } else {
            m.platforms.join(",")
        };
        let origin = if b.is_first_party() {
            "first-party"
        } else {
            "third-party"
        };
        let status = status_of(&runtime, b);
        if status != "ok" {
            broken += 1;
        }
        rows.push([
            m.name.clone(),
            m.kind.to_string(),
            m.version.clone(),
            m.wit.to_string(),
            origin.to_string(),
            status.to_string(),
            platforms,
            b.dir.display().to_string(),
        ]);
    }
    crate::out!("{}", crate::results::format::columns(&rows))?;
    for e in &errors {
        broken += 1;
        eprintln!("broken: {e}");
    }
    Ok(if check && broken > 0 {
        eprintln!("{broken} plugin(s) broken");
        super::EXIT_FATAL
    } else {
        super::EXIT_OK
    })
}

/// A bundle's status for `plugin list`: ok, or what is wrong in a few words.
fn status_of(runtime: &Runtime, b: &Bundle) -> &'static str {
    match b.check_integrity() {
        Err(bundle::BundleError::Digest { .. }) => return "sha256 mismatch",
        Err(bundle::BundleError::NotComponent { .. }) => return "not a component",
        Err(bundle::BundleError::WitVersion { .. }) => return "incompatible contract",
        Err(_) => return "unreadable",
        Ok(()) => {}
    }
    // Intact and a component: whether it fits the contract it names
    // (imports the host provides, exports of its kind) is known only by
    // linking it. Compiled once, then from the on-disk cache.
    match runtime.load(b) {
        Ok(_) => "ok",
        Err(_) => "incompatible contract",
    }
}

/// A folder removed on drop (an unpacked archive).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> anyhow::Result<Scratch> {
    let dir = std::env::temp_dir().join(format!(
        "netrun-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Scratch(dir))
}

/// The bundle folder of `path`: itself, or an archive unpacked into a
/// scratch folder that lives as long as the returned guard.
fn bundle_dir(path: &Path) -> anyhow::Result<(Option<Scratch>, PathBuf)> {
    if path.is_file() {
        let tmp = scratch("unpack")?;
        let dir = bundle::unpack(path, &tmp.0)?;
        return Ok((Some(tmp), dir));
    }
    Ok((None, path.to_path_buf()))
}

/// Manifest, digest, WIT contract (and a driver's platforms); one line.
async fn verify(runtime: &Runtime, dir: &Path) -> anyhow::Result<String> {
    let b = Bundle::open(dir)?;
    let plugin = runtime.load(&b)?;
    let m = &b.manifest;
    Ok(if m.kind == Kind::Driver {
        let platforms = runtime.platforms(&[std::sync::Arc::new(plugin)]).await?;
        let names: Vec<&String> = platforms.keys().collect();
        format!(
            "{} {} (driver, WIT {}; platforms: {names:?})",
            m.name, m.version, m.wit
        )
    } else {
        let caps = &m.capabilities;
        format!(
            "{} {} (workflow, WIT {}; requests commands {:?}, config {}, http {:?}, state {})",
            m.name, m.version, m.wit, caps.commands, caps.config, caps.http, caps.state
        )
    })
}

async fn install(path: &Path) -> anyhow::Result<i32> {
    let (_tmp, dir) = bundle_dir(path)?;
    // With the cache: the compile done to verify serves the installed copy.
    let runtime = compile::runtime()?;
    let summary = verify(&runtime, &dir)
        .await
        .with_context(|| format!("{} cannot be installed", path.display()))?;
    let b = Bundle::open(&dir)?;
    scaffold::check_name(&b.manifest.name)?;
    let root = bundle::user_plugin_dir()
        .context("no user data folder (set HOME or XDG_DATA_HOME) to install plugins into")?;
    let dest = root.join(&b.manifest.name);
    let staging = root.join(format!(".{}.installing", b.manifest.name));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    for name in [bundle::MANIFEST, b.manifest.component.as_str()] {
        let to = staging.join(name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(dir.join(name), &to)
            .with_context(|| format!("cannot copy {} into {}", name, staging.display()))?;
    }
    // Verified again where it will live, then swapped in whole.
    Bundle::open(&staging)?.read_verified()?;
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&staging, &dest)
        .with_context(|| format!("cannot move {} to {}", staging.display(), dest.display()))?;
    // Compiled beside the installed bundle: no run compiles it again.
    let installed = Bundle::open(&dest)?;
    if let Err(e) = runtime.precompile(&installed) {
        eprintln!("warning: {e}; runs will compile it on first use");
    }
    crate::outln!("installed {summary} into {}", dest.display())?;
    if b.manifest.kind == Kind::Workflow && !b.manifest.capabilities.is_empty() {
        let flags: Vec<String> = crate::runtime::policy::missing(
            &b.manifest.capabilities,
            &crate::runtime::policy::Grants::default(),
        )
        .into_iter()
        .map(|m| m.flag)
        .collect();
        crate::outln!(
            "it requests capabilities; run it with: netrun run {} {} …",
            b.manifest.name,
            flags.join(" ")
        )?;
    }
    Ok(super::EXIT_OK)
}

fn remove(name: &str) -> anyhow::Result<i32> {
    scaffold::check_name(name)?;
    let root =
        bundle::user_plugin_dir().context("no user data folder (set HOME or XDG_DATA_HOME)")?;
    let dir = root.join(name);
    if !dir.join(bundle::MANIFEST).is_file() {
        bail!(
            "no plugin `{name}` installed in {} (first-party plugins beside the binary are not removed this way); netrun plugin list shows where each plugin is",
            root.display()
        );
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    crate::outln!("removed {name} from {}", dir.display())?;
    Ok(super::EXIT_OK)
}
