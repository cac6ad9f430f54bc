//! `netrun plugin new`: a buildable plugin with one parser or workflow, its
//! fixtures and the WIT it targets, in Rust, Python or JavaScript.
//!
//! Everything the plugin needs from netrun is written into it: the WIT
//! contract (`wit/`) and, for Rust, the guest SDK's source
//! (`.netrun/guest-sdk/`), so the plugin builds in any folder, outside any
//! netrun checkout, with only the language's own tools.

use crate::runtime::bundle::{Kind, MANIFEST};
use anyhow::{Context as _, bail};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

/// A language plugins are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust with the netrun guest SDK, built for wasm32-wasip2 by cargo.
    Rust,
    /// Python, built by componentize-py.
    Python,
    /// JavaScript, built by componentize-js (jco).
    Js,
}

impl Lang {
    /// The language of the plugin source in `dir`, from the files it holds.
    pub fn detect(dir: &Path) -> Option<Lang> {
        if dir.join("Cargo.toml").is_file() {
            Some(Lang::Rust)
        } else if dir.join("app.py").is_file() {
            Some(Lang::Python)
        } else if dir.join("app.js").is_file() {
            Some(Lang::Js)
        } else {
            None
        }
    }
}

/// The WIT contract (`wit/v0.2`), as this binary implements it.
pub const WIT_FILES: &[(&str, &str)] = &[
    ("types.wit", include_str!("../../../../wit/v0.2/types.wit")),
    (
        "driver.wit",
        include_str!("../../../../wit/v0.2/driver.wit"),
    ),
    ("http.wit", include_str!("../../../../wit/v0.2/http.wit")),
    (
        "metrics.wit",
        include_str!("../../../../wit/v0.2/metrics.wit"),
    ),
    (
        "workflow.wit",
        include_str!("../../../../wit/v0.2/workflow.wit"),
    ),
];

const SDK_FILES: &[(&str, &str)] = &[
    (
        "src/lib.rs",
        include_str!("../../../../guest-sdk/src/lib.rs"),
    ),
    (
        "src/driver.rs",
        include_str!("../../../../guest-sdk/src/driver.rs"),
    ),
    (
        "src/workflow.rs",
        include_str!("../../../../guest-sdk/src/workflow.rs"),
    ),
    (
        "src/text.rs",
        include_str!("../../../../guest-sdk/src/text.rs"),
    ),
    (
        "src/error.rs",
        include_str!("../../../../guest-sdk/src/error.rs"),
    ),
    (
        "src/fixtures.rs",
        include_str!("../../../../guest-sdk/src/fixtures.rs"),
    ),
];

const SDK_MANIFEST: &str = r#"[package]
name = "netrun-guest"
description = "Guest SDK for netrun plugins written in Rust (vendored by `netrun plugin new`)"
version = "{{version}}"
edition = "2024"
rust-version = "1.95"
license = "Apache-2.0"
publish = false

[features]
driver = []
workflow = []

[dependencies]
wit-bindgen = "=0.61.1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
regex = "1"
"#;

const GITIGNORE: &str = "/target\n/dist\n/plugin.wasm\n/node_modules\n__pycache__/\n";

/// Create the plugin `name` of `kind` in `lang` in the new folder `dir`.
pub fn create(dir: &Path, name: &str, kind: Kind, lang: Lang) -> anyhow::Result<Vec<PathBuf>> {
    check_name(name)?;
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty: choose another name or remove it",
            dir.display()
        );
    }
    let platform = format!("{}_os", name.replace('-', "_"));
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{platform}}", &platform)
            .replace("{{version}}", env!("CARGO_PKG_VERSION"))
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut add = |path: &str, text: &str| files.push((dir.join(path), fill(text)));
    for (file, text) in WIT_FILES {
        add(&format!("wit/{file}"), text);
    }
    add(".gitignore", GITIGNORE);
    match kind {
        Kind::Driver => {
            add(
                MANIFEST,
                include_str!("../../../templates/common/driver/netrun-plugin.toml"),
            );
            add(
                "tests/fixtures/show_version/basic.raw",
                include_str!(
                    "../../../templates/common/driver/tests/fixtures/show_version/basic.raw"
                ),
            );
            add(
                "tests/fixtures/show_version/basic.json",
                include_str!(
                    "../../../templates/common/driver/tests/fixtures/show_version/basic.json"
                ),
            );
        }
        Kind::Workflow => {
            add(
                MANIFEST,
                include_str!("../../../templates/common/workflow/netrun-plugin.toml"),
            );
            add(
                "tests/transcripts/isr4331.json",
                include_str!("../../../templates/common/workflow/tests/transcripts/isr4331.json"),
            );
        }
    }
    match (lang, kind) {
        (Lang::Rust, _) => {
            let (cargo, lib) = match kind {
                Kind::Driver => (
                    include_str!("../../../templates/rust/driver/Cargo.toml"),
                    include_str!("../../../templates/rust/driver/lib.rs"),
                ),
                Kind::Workflow => (
                    include_str!("../../../templates/rust/workflow/Cargo.toml"),
                    include_str!("../../../templates/rust/workflow/lib.rs"),
                ),
            };
            add("Cargo.toml", cargo);
            add("src/lib.rs", lib);
            add(".netrun/guest-sdk/Cargo.toml", SDK_MANIFEST);
            for (file, text) in SDK_FILES {
                // The SDK finds the WIT beside it in the netrun repository;
                // in a plugin it is the plugin's own `wit/`.
                let text = text.replace("path: \"../wit/v0.2\"", "path: \"../../wit\"");
                add(&format!(".netrun/guest-sdk/{file}"), &text);
            }
        }
        (Lang::Python, Kind::Driver) => add(
            "app.py",
            include_str!("../../../templates/python/driver/app.py"),
        ),
        (Lang::Python, Kind::Workflow) => add(
            "app.py",
            include_str!("../../../templates/python/workflow/app.py"),
        ),
        (Lang::Js, Kind::Driver) => add(
            "app.js",
            include_str!("../../../templates/js/driver/app.js"),
        ),
        (Lang::Js, Kind::Workflow) => add(
            "app.js",
            include_str!("../../../templates/js/workflow/app.js"),
        ),
    }
    add("README.md", &readme(kind, lang));
    let mut written = Vec::with_capacity(files.len());
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Plugin names are lowercase words joined by `-`: they name folders,
/// archives and policy tables.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!(
            "bad plugin name `{name}`: use lowercase letters, digits and `-`, starting with a letter (e.g. `acme-os`)"
        );
    }
    Ok(())
}

fn readme(kind: Kind, lang: Lang) -> String {
    let source = match lang {
        Lang::Rust => "src/lib.rs",
        Lang::Python => "app.py",
        Lang::Js => "app.js",
    };
    let tests = match kind {
        Kind::Driver => {
            "parses every `tests/fixtures/<command_with_underscores>/<case>.raw` inside the built component and compares the result with `<case>.json` (`--overwrite` rewrites the `.json` files; review the diff)"
        }
        Kind::Workflow => {
            "runs the workflow against every recorded transcript `tests/transcripts/*.json` (device, params, the commands and what the device answered, the expected result) with no device; parsing goes to the installed driver of the transcript's platform"
        }
    };
    let tools = match lang {
        Lang::Rust => "cargo and the `wasm32-wasip2` target (`rustup target add wasm32-wasip2`)",
        Lang::Python => {
            "componentize-py 0.25.1 (`pip install componentize-py==0.25.1`; netrun also looks in ~/.cache/netrun-tools/venv)"
        }
        Lang::Js => {
            "componentize-js 0.23.0 (`npm install @bytecodealliance/componentize-js@0.23.0`; netrun also looks in ./node_modules and ~/.cache/netrun-tools/js)"
        }
    };
    format!(
        "# {{{{name}}}}\n\nA netrun {kind} plugin. The code is in `{source}`; the WIT contract it \
         implements is in `wit/`.\n\n```sh\nnetrun plugin build    # component + sha256 in netrun-plugin.toml, dist/*.tar.gz\nnetrun plugin test     # no device needed\nnetrun plugin verify   # manifest, digest, WIT\nnetrun plugin install .\n```\n\nBuilding needs {tools}.\n\n`netrun plugin test` {tests}.\n"
    )
}
