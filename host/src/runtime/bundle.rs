//! Plugin bundles: a folder with a `netrun-plugin.toml` manifest and the
//! component it names, whose sha256 the host checks before compiling.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Manifest file name inside a bundle.
pub const MANIFEST: &str = "netrun-plugin.toml";

/// What a plugin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Platform definitions and parsers.
    Driver,
    /// A job run against each device.
    Workflow,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Driver => "driver",
            Kind::Workflow => "workflow",
        })
    }
}

/// Resource limits a plugin asks for; the host caps them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Linear memory per instance, MiB.
    pub memory_mib: u64,
    /// Instructions (wasmtime fuel) per call, in millions.
    pub fuel_millions: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 64,
            fuel_millions: 2_000,
        }
    }
}

/// `netrun-plugin.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Plugin name (`cisco-ios`, `collect-facts`).
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Driver or workflow.
    pub kind: Kind,
    /// One line for `plugin list`.
    #[serde(default)]
    pub description: String,
    /// Platforms a driver defines (`cisco_ios`).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// WIT package version targeted (`0.1.0`).
    pub wit: String,
    /// Component file, relative to the bundle folder.
    pub component: String,
    /// Hex sha256 of the component file.
    pub sha256: String,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

/// A bundle found on disk.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// Why a bundle cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Manifest missing or unreadable.
    #[error("cannot read plugin manifest {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// Manifest is not valid.
    #[error("plugin manifest {0} is malformed: {1}")]
    Malformed(PathBuf, String),
    /// The component's digest is not the manifest's.
    #[error(
        "plugin {name}: sha256 mismatch for {file}: manifest says {expected}, file has {actual}; the component was modified or the manifest is stale — rebuild the plugin (netrun plugin build) or reinstall it"
    )]
    Digest {
        /// Plugin.
        name: String,
        /// Component file.
        file: PathBuf,
        /// From the manifest.
        expected: String,
        /// Computed.
        actual: String,
    },
}

impl Bundle {
    /// Read the manifest of the bundle in `dir`.
    pub fn open(dir: &Path) -> Result<Bundle, BundleError> {
        let path = dir.join(MANIFEST);
        let text =
            std::fs::read_to_string(&path).map_err(|e| BundleError::Read(path.clone(), e))?;
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|e| BundleError::Malformed(path.clone(), e.to_string()))?;
        Ok(Bundle {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Path of the component file.
    pub fn component_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.component)
    }

    /// Read the component and check its sha256 against the manifest.
    pub fn read_verified(&self) -> Result<(Vec<u8>, String), BundleError> {
        let file = self.component_path();
        let bytes = std::fs::read(&file).map_err(|e| BundleError::Read(file.clone(), e))?;
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(self.manifest.sha256.trim()) {
            return Err(BundleError::Digest {
                name: self.manifest.name.clone(),
                file,
                expected: self.manifest.sha256.clone(),
                actual,
            });
        }
        Ok((bytes, actual))
    }
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bundles in `dirs` (each a plugin folder, or a folder of plugin folders),
/// first found wins by name. Unreadable manifests are returned as errors
/// beside the bundles so one bad plugin does not hide the others.
pub fn discover(dirs: &[PathBuf]) -> (Vec<Bundle>, Vec<BundleError>) {
    let mut bundles: Vec<Bundle> = Vec::new();
    let mut errors = Vec::new();
    let mut consider = |dir: &Path, bundles: &mut Vec<Bundle>| {
        if !dir.join(MANIFEST).is_file() {
            return false;
        }
        match Bundle::open(dir) {
            Ok(b) => {
                if !bundles.iter().any(|x| x.manifest.name == b.manifest.name) {
                    bundles.push(b);
                }
            }
            Err(e) => errors.push(e),
        }
        true
    };
    for dir in dirs {
        if consider(dir, &mut bundles) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        for sub in subdirs {
            consider(&sub, &mut bundles);
        }
    }
    (bundles, errors)
}

/// Where plugins are looked for, in order: `--plugin-dir`s, `$NETRUN_PLUGIN_PATH`
/// (colon-separated), the user's data dir (`~/.local/share/netrun/plugins`),
/// and the first-party plugins shipped beside the binary (`<exe dir>/plugins`,
/// `<exe dir>/../plugins`).
pub fn search_path(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    if let Some(p) = std::env::var_os("NETRUN_PLUGIN_PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    if let Some(d) = user_plugin_dir() {
        dirs.push(d);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        dirs.push(dir.join("plugins"));
        if let Some(up) = dir.parent() {
            dirs.push(up.join("plugins"));
        }
    }
    dirs
}

/// The user's plugin folder (`$XDG_DATA_HOME/netrun/plugins`).
pub fn user_plugin_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("netrun").join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_in(dir: &Path, component: &[u8], sha: &str) -> Bundle {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("plugin.wasm"), component).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            format!("name = \"t\"\nversion = \"0.1.0\"\nkind = \"driver\"\nwit = \"0.1.0\"\ncomponent = \"plugin.wasm\"\nsha256 = \"{sha}\"\n"),
        )
        .unwrap();
        Bundle::open(dir).unwrap()
    }

    #[test]
    fn tampered_component_is_refused_with_both_digests() {
        let dir = std::env::temp_dir().join(format!("netrun-bundle-{}", std::process::id()));
        let good = sha256_hex(b"component");
        let b = bundle_in(&dir, b"component", &good);
        assert!(b.read_verified().is_ok());
        std::fs::write(dir.join("plugin.wasm"), b"componenT").unwrap();
        let err = b.read_verified().unwrap_err().to_string();
        assert!(
            err.contains("sha256 mismatch") && err.contains(&good),
            "{err}"
        );
        assert!(err.contains(&sha256_hex(b"componenT")), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
