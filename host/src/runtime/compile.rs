//! Components compiled to machine code once, not on every run: ahead of
//! time beside a bundle (`netrun plugin install`, `netrun plugin compile`,
//! `scripts/build-plugins.sh`), else on first use into the user's cache.
//!
//! A compiled file is named by the component's sha256 and the engine's
//! compatibility hash (wasmtime version, compiler flags, CPU features,
//! memory layout), so a new wasmtime or another configuration compiles
//! afresh instead of loading code made for something else.

use super::Runtime;
use super::bundle::{Bundle, BundleError};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Extension of compiled components.
const EXT: &str = "cwasm";

/// Why a component could not be compiled ahead of time.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bundle itself is unusable (manifest, digest).
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The component does not compile.
    #[error("plugin {name}: {path} is not a valid WebAssembly component: {message}")]
    Invalid {
        /// Plugin.
        name: String,
        /// Component file.
        path: PathBuf,
        /// What wasmtime said.
        message: String,
    },
    /// The compiled code cannot be written beside the bundle.
    #[error(
        "plugin {name}: cannot write compiled code to {path}: {source}; check the folder's permissions"
    )]
    Write {
        /// Plugin.
        name: String,
        /// File that could not be written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// File name of the compiled form of component `sha256` for `engine`.
pub fn artifact_name(engine: &Engine, sha256: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{sha256}-{:016x}.{EXT}", h.finish())
}

/// Whether netrun itself put `bundle` where it is, so compiled code beside
/// it is netrun's own: first-party bundles beside the binary and bundles
/// installed with `netrun plugin install`. Compiled code is native code:
/// beside a bundle from anywhere else (`--plugin-dir`) it is never loaded.
pub fn trusted_location(bundle: &Bundle) -> bool {
    if bundle.is_first_party() {
        return true;
    }
    let (Ok(dir), Some(Ok(installed))) = (
        bundle.dir.canonicalize(),
        super::bundle::user_plugin_dir().map(|d| d.canonicalize()),
    ) else {
        return false;
    };
    dir.starts_with(installed)
}

/// Write `bytes` to `path` whole: a reader sees the old file or the new
/// one, never half of one.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path))
}

/// Load a compiled component from `path`, if there is a usable one.
fn deserialize(engine: &Engine, path: &Path) -> Option<Component> {
    if !path.is_file() {
        return None;
    }
    // SAFETY: `path` is netrun's own output of `Component::serialize` for
    // this engine configuration (its name carries the compatibility hash),
    // in the user's cache or beside a bundle netrun placed itself
    // (`trusted_location`); wasmtime checks its header again.
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring unusable compiled component");
            None
        }
    }
}

impl Runtime {
    /// The compiled form of component `sha256` (verified) of `bundle`, if
    /// one was made: ahead of time beside the bundle, else in the cache.
    pub(super) fn compiled(&self, bundle: &Bundle, sha256: &str) -> Option<Component> {
        let name = artifact_name(&self.engine, sha256);
        if trusted_location(bundle)
            && let Some(c) = deserialize(&self.engine, &bundle.dir.join(&name))
        {
            return Some(c);
        }
        let cached = self.cache_dir.as_ref()?.join(&name);
        deserialize(&self.engine, &cached)
    }

    /// The compiled component of `bundle` (whose verified bytes and sha256
    /// are given): compiled ahead of time beside the bundle, else from the
    /// cache, else compiled now and written to the cache.
    pub(super) fn compile_cached(
        &self,
        bundle: &Bundle,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<Component> {
        match self.compiled(bundle, sha256) {
            Some(c) => Ok(c),
            None => self.compile_into_cache(bytes, sha256),
        }
    }

    /// Compile component `sha256` from its verified `bytes` now, and write
    /// the result to the cache for the next run.
    pub(super) fn compile_into_cache(
        &self,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<Component> {
        let component = Component::new(&self.engine, bytes)?;
        if let Some(path) = self
            .cache_dir
            .as_ref()
            .map(|d| d.join(artifact_name(&self.engine, sha256)))
            && let Ok(serialized) = component.serialize()
            && let Err(e) = write_atomically(&path, &serialized)
        {
            tracing::debug!(error = %e, "cannot write compiled-component cache");
        }
        Ok(component)
    }

    /// Compile `bundle` ahead of time and write the result beside it, so no
    /// run pays for compiling it. Compiled files of older components of the
    /// bundle are removed; those of other netrun versions stay. Returns the
    /// file written.
    pub fn precompile(&self, bundle: &Bundle) -> Result<PathBuf, CompileError> {
        let (bytes, sha256) = bundle.read_verified()?;
        let path = bundle.dir.join(artifact_name(&self.engine, &sha256));
        let invalid = |e: wasmtime::Error| CompileError::Invalid {
            name: bundle.manifest.name.clone(),
            path: bundle.component_path(),
            message: format!("{e:#}"),
        };
        let component = self
            .compile_cached(bundle, &bytes, &sha256)
            .map_err(invalid)?;
        let serialized = component.serialize().map_err(invalid)?;
        write_atomically(&path, &serialized).map_err(|source| CompileError::Write {
            name: bundle.manifest.name.clone(),
            path: path.clone(),
            source,
        })?;
        remove_stale(&bundle.dir, &sha256);
        Ok(path)
    }
}

/// Remove compiled files in `dir` made from another component than
/// `sha256` (an older build of the bundle).
fn remove_stale(dir: &Path, sha256: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = path.extension().is_some_and(|e| e == EXT)
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with(sha256));
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::runtime::RuntimeOptions;

    /// The smallest valid component, and a bundle of it in `dir`.
    fn bundle_in(dir: &Path) -> Bundle {
        bundle_with(dir, &empty_component())
    }

    /// A bundle in `dir` of the component written as `text`.
    fn bundle_of(dir: &Path, text: &str) -> Bundle {
        bundle_with(dir, &wat::parse_str(text).unwrap())
    }

    /// A bundle in `dir` of the component `wasm`.
    pub(in crate::runtime) fn bundle_with(dir: &Path, wasm: &[u8]) -> Bundle {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("plugin.wasm"), wasm).unwrap();
        std::fs::write(
            dir.join(super::super::bundle::MANIFEST),
            format!(
                "name = \"t\"\nversion = \"0.1.0\"\nkind = \"driver\"\nwit = \"0.1.0\"\ncomponent = \"plugin.wasm\"\nsha256 = \"{}\"\n",
                super::super::bundle::sha256_hex(wasm)
            ),
        )
        .unwrap();
        Bundle::open(dir).unwrap()
    }

    /// The smallest valid component: the binary header alone (no exports).
    /// Binary, not text: bundles are checked for a component header.
    fn empty_component() -> Vec<u8> {
        b"\0asm\x0d\x00\x01\x00".to_vec()
    }

    fn exports(engine: &Engine, c: &Component) -> usize {
        c.component_type().exports(engine).count()
    }

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netrun-compile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn artifact_name_changes_with_the_engine_configuration() {
        let a = Engine::default();
        let mut cfg = wasmtime::Config::new();
        cfg.consume_fuel(true);
        let b = Engine::new(&cfg).unwrap();
        assert_eq!(artifact_name(&a, "ab"), artifact_name(&a, "ab"));
        assert_ne!(artifact_name(&a, "ab"), artifact_name(&b, "ab"));
        assert!(artifact_name(&a, "ab").starts_with("ab-"));
    }

    #[test]
    fn pool_size_does_not_change_the_artifact_name() {
        // `plugin install` compiles with a small pool, a run with a large one.
        let small = Runtime::new(&RuntimeOptions {
            max_instances: 4,
            cache_dir: None,
        })
        .unwrap();
        let large = Runtime::new(&RuntimeOptions {
            max_instances: 2_000,
            cache_dir: None,
        })
        .unwrap();
        assert_eq!(
            artifact_name(small.engine(), "ab"),
            artifact_name(large.engine(), "ab")
        );
    }

    #[test]
    fn compiled_code_beside_an_untrusted_bundle_is_not_loaded() {
        let dir = scratch("untrusted");
        let bundle = bundle_in(&dir);
        assert!(!trusted_location(&bundle));
        let runtime = Runtime::new(&RuntimeOptions {
            max_instances: 4,
            cache_dir: None,
        })
        .unwrap();
        // Valid compiled code of another component, planted under the
        // name the real one would have: a --plugin-dir bundle ignores it.
        let (bytes, sha) = bundle.read_verified().unwrap();
        let impostor = Component::new(
            runtime.engine(),
            "(component (core module $m (func (export \"f\"))) (core instance $i (instantiate $m)) (func (export \"run\") (canon lift (core func $i \"f\"))))",
        )
        .unwrap();
        std::fs::write(
            dir.join(artifact_name(runtime.engine(), &sha)),
            impostor.serialize().unwrap(),
        )
        .unwrap();
        assert_eq!(exports(runtime.engine(), &impostor), 1);
        let loaded = runtime.compile_cached(&bundle, &bytes, &sha).unwrap();
        assert_eq!(exports(runtime.engine(), &loaded), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn precompile_writes_the_artifact_and_drops_stale_ones() {
        let dir = scratch("precompile");
        let bundle = bundle_in(&dir);
        std::fs::write(dir.join(format!("00stale-0000000000000000.{EXT}")), b"old").unwrap();
        let runtime = Runtime::new(&RuntimeOptions {
            max_instances: 4,
            cache_dir: None,
        })
        .unwrap();
        let path = runtime.precompile(&bundle).unwrap();
        assert!(path.is_file());
        assert!(deserialize(runtime.engine(), &path).is_some());
        let cwasm: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == EXT))
            .collect();
        assert_eq!(cwasm.len(), 1, "the stale artifact is removed");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_component_using_what_the_host_leaves_out_is_refused_at_load() {
        let dir = scratch("proposals");
        let runtime = Runtime::new(&RuntimeOptions {
            max_instances: 4,
            cache_dir: None,
        })
        .unwrap();
        for (what, module) in [
            ("gc", "(core module (type (struct (field i32))))"),
            ("threads", "(core module (memory 1 1 shared))"),
            ("exceptions", "(core module (tag))"),
        ] {
            let bundle = bundle_of(&dir.join(what), &format!("(component {module})"));
            let Err(e) = runtime.load(&bundle) else {
                panic!("a component using {what} was loaded");
            };
            // The message names the plugin, says the file is not a
            // component this host runs, and names the proposal.
            let message = e.to_string();
            assert!(message.starts_with("plugin t: "), "{message}");
            assert!(
                message.contains("not a valid WebAssembly component"),
                "{message}"
            );
            assert!(message.contains(what), "{message}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cache_entry_is_written_on_first_compile_and_read_after() {
        let dir = scratch("cache");
        let bundle = bundle_in(&dir.join("bundle"));
        let cache = dir.join("cache");
        let runtime = Runtime::new(&RuntimeOptions {
            max_instances: 4,
            cache_dir: Some(cache.clone()),
        })
        .unwrap();
        let (bytes, sha) = bundle.read_verified().unwrap();
        runtime.compile_cached(&bundle, &bytes, &sha).unwrap();
        let entry = cache.join(artifact_name(runtime.engine(), &sha));
        assert!(entry.is_file());
        assert!(deserialize(runtime.engine(), &entry).is_some());
        // A damaged entry is ignored and the component compiled again.
        std::fs::write(&entry, b"damaged").unwrap();
        runtime.compile_cached(&bundle, &bytes, &sha).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
