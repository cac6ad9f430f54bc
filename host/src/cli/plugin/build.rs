//! `netrun plugin build`: compile a plugin's source to a WebAssembly
//! component with its language's tool, write the component's sha256 into
//! the manifest, and pack the bundle as `dist/<name>-<version>.tar.gz`.

use super::scaffold::Lang;
use crate::runtime::bundle::{self, Bundle, Kind, MANIFEST};
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What a build produced.
pub struct Built {
    /// The bundle (the plugin folder, with the manifest's sha256 written).
    pub bundle: Bundle,
    /// The archive in `dist/`.
    pub archive: PathBuf,
    /// Component size, bytes.
    pub size: u64,
    /// Wall time of the language tool.
    pub elapsed: Duration,
    /// Language.
    pub lang: Lang,
}

/// Build the plugin whose source is in `dir`.
pub fn build(dir: &Path) -> anyhow::Result<Built> {
    let source = Bundle::open(dir)?;
    let m = &source.manifest;
    let lang = Lang::detect(dir).with_context(|| {
        format!(
            "{} holds no Cargo.toml, app.py or app.js: run `netrun plugin build` in a plugin folder made by `netrun plugin new`",
            dir.display()
        )
    })?;
    let world = match m.kind {
        Kind::Driver => "driver-plugin",
        Kind::Workflow => "workflow-plugin",
    };
    let out = dir.join(&m.component);
    let started = Instant::now();
    match lang {
        Lang::Rust => {
            let wasm = cargo_build(dir)?;
            std::fs::copy(&wasm, &out)
                .with_context(|| format!("cannot copy {} to {}", wasm.display(), out.display()))?;
        }
        Lang::Python => {
            let tool = find_tool(
                "NETRUN_COMPONENTIZE_PY",
                "componentize-py",
                &[dir.join(".venv/bin"), tools_dir().join("venv/bin")],
                "pip install componentize-py==0.25.1 (scripts/install-plugin-tools.sh puts it in ~/.cache/netrun-tools/venv)",
            )?;
            // `--stub-wasi`: the component imports only netrun's interfaces.
            let mut c = Command::new(tool);
            c.current_dir(dir)
                .args(["-d", "wit", "-w", world, "componentize", "app", "-o"])
                .arg(&m.component)
                .arg("--stub-wasi");
            run(c, "componentize-py")?;
        }
        Lang::Js => {
            let tool = find_tool(
                "NETRUN_COMPONENTIZE_JS",
                "componentize-js",
                &[
                    dir.join("node_modules/.bin"),
                    tools_dir().join("js/node_modules/.bin"),
                ],
                "npm install @bytecodealliance/componentize-js@0.23.0 @bytecodealliance/jco@1.35.0 (scripts/install-plugin-tools.sh puts them in ~/.cache/netrun-tools/js)",
            )?;
            // `-d …`: no WASI stdio, random, clocks or HTTP; only netrun's interfaces.
            let mut c = Command::new(tool);
            c.current_dir(dir)
                .args(["--wit", "wit", "-n", world, "-d"])
                .args(["stdio", "random", "clocks", "http", "fetch-event"])
                .arg("-o")
                .arg(&m.component)
                .arg("app.js");
            run(c, "componentize-js")?;
        }
    }
    let elapsed = started.elapsed();
    let bytes = std::fs::read(&out).with_context(|| format!("cannot read {}", out.display()))?;
    let sha = bundle::sha256_hex(&bytes);
    write_sha256(&dir.join(MANIFEST), &sha)?;
    let bundle = Bundle::open(dir)?;
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).with_context(|| format!("cannot create {}", dist.display()))?;
    let archive = dist.join(format!(
        "{}-{}.tar.gz",
        bundle.manifest.name, bundle.manifest.version
    ));
    bundle::pack(&bundle, &archive)?;
    Ok(Built {
        bundle,
        archive,
        size: bytes.len() as u64,
        elapsed,
        lang,
    })
}

/// Where set-up scripts keep plugin build tools: `$NETRUN_TOOLS_DIR`, else
/// `~/.cache/netrun-tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NETRUN_TOOLS_DIR") {
        return PathBuf::from(d);
    }
    dirs::home_dir()
        .map(|h| h.join(".cache").join("netrun-tools"))
        .unwrap_or_else(|| PathBuf::from(".netrun-tools"))
}

fn find_tool(env: &str, name: &str, dirs: &[PathBuf], install: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    for d in dirs {
        let p = d.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            let p = d.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    bail!(
        "{name} not found (looked at ${env}, {}, and PATH): install it with {install}",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn run(mut c: Command, what: &str) -> anyhow::Result<()> {
    let status = c
        .status()
        .with_context(|| format!("cannot run {what} ({:?})", c.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status}); its messages are above");
    }
    Ok(())
}

/// `cargo build --release --target wasm32-wasip2`; returns the component
/// cargo reports for the plugin's cdylib.
fn cargo_build(dir: &Path) -> anyhow::Result<PathBuf> {
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(o) = targets
        && o.status.success()
        && !String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-wasip2")
    {
        bail!("the Rust target wasm32-wasip2 is not installed: rustup target add wasm32-wasip2");
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(dir)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo: install Rust (https://rustup.rs)")?;
    if !output.status.success() {
        bail!(
            "cargo build failed ({}); its messages are above",
            output.status
        );
    }
    let mut wasm = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let cdylib = msg["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "cdylib"));
        if msg["reason"] == "compiler-artifact" && cdylib {
            wasm = msg["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .find(|f| f.ends_with(".wasm"))
                .map(PathBuf::from);
        }
    }
    wasm.context("cargo built no .wasm: Cargo.toml needs [lib] crate-type = [\"cdylib\"]")
}

/// Set `sha256 = "…"` in the manifest, keeping every other line as written.
fn write_sha256(manifest: &Path, sha: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            if !found && l.trim_start().starts_with("sha256") && l.contains('=') {
                found = true;
                format!("sha256 = \"{sha}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    if !found {
        bail!(
            "{} has no `sha256 = \"\"` line among its top-level keys: add one",
            manifest.display()
        );
    }
    out.push(String::new());
    std::fs::write(manifest, out.join("\n"))
        .with_context(|| format!("cannot write {}", manifest.display()))
}
