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

/// Resource limits a plugin asks for; the host caps them (see [`Limits::capped`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Linear memory per instance, MiB.
    pub memory_mib: u64,
    /// Instructions (wasmtime fuel) per call, in millions.
    pub fuel_millions: u64,
    /// Largest result (JSON returned by `run` or `parse`), KiB.
    pub output_kib: u64,
    /// Log records per instance; one more stops the plugin (`plugin-limit`).
    pub log_records: u32,
    /// Metric label sets (series) the plugin may have at once, over all
    /// devices; past it, new series are refused.
    pub metric_series: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 64,
            fuel_millions: 2_000,
            output_kib: 16 << 10,
            log_records: 1_000,
            metric_series: 100_000,
        }
    }
}

impl Limits {
    /// The host's ceilings: a manifest may ask for less, never for more.
    pub const MAX: Limits = Limits {
        memory_mib: 1 << 10,
        fuel_millions: 50_000,
        output_kib: 64 << 10,
        log_records: 100_000,
        metric_series: 1_000_000,
    };

    /// These limits, each brought down to the host's ceiling and up to a
    /// usable minimum.
    pub fn capped(&self) -> Limits {
        Limits {
            memory_mib: self.memory_mib.clamp(1, Self::MAX.memory_mib),
            fuel_millions: self.fuel_millions.clamp(1, Self::MAX.fuel_millions),
            output_kib: self.output_kib.clamp(1, Self::MAX.output_kib),
            log_records: self.log_records.min(Self::MAX.log_records),
            metric_series: self.metric_series.min(Self::MAX.metric_series),
        }
    }
}

/// What a plugin asks the operator to allow. Nothing is allowed unless asked
/// for here and granted (`--grant`, a policy file, or by being first-party).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capabilities {
    /// Command patterns the workflow may send (`show version`, `show *`).
    /// `*` stands for any text; whitespace runs compare as one space.
    pub commands: Vec<String>,
    /// Whether the workflow may enter configuration mode (`send-config`).
    pub config: bool,
    /// HTTP hosts the workflow may reach: `device` for the current device's
    /// own API (its inventory `connection_options.http`), or host names
    /// (`netbox.example.com`, `*.example.com`) for absolute URLs.
    pub http: Vec<String>,
    /// Whether the workflow may keep per-plugin key-value state (no state
    /// interface exists yet in WIT 0.1; checked like `http`).
    pub state: bool,
}

impl Capabilities {
    /// Whether nothing is requested.
    pub fn is_empty(&self) -> bool {
        self == &Capabilities::default()
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
    /// What the plugin asks to be allowed.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Drivers: the device API `netrun exec` may send commands through
    /// instead of the CLI, for devices whose inventory gives an HTTP
    /// endpoint (`eapi`: Arista eAPI `runCmds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_api: Option<ExecApi>,
    /// Workflows: when the device's CLI session is opened.
    #[serde(default, skip_serializing_if = "Connect::is_on_demand")]
    pub connect: Connect,
    /// Workflows: getters (`facts`) the host answers before the workflow
    /// starts, for a workflow that asks for them first thing; its first
    /// `get` of each takes that answer. The device logs in before start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefetch: Vec<String>,
}

impl Manifest {
    /// Whether the device logs in (and answers `prefetch`) before the
    /// workflow starts.
    pub fn connects_before_start(&self) -> bool {
        self.connect == Connect::BeforeStart || !self.prefetch.is_empty()
    }
}

/// When a workflow's device logs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connect {
    /// On the workflow's first use of the device's CLI (or never).
    #[default]
    OnDemand,
    /// Before the workflow starts, for a workflow that works over the
    /// device's CLI from its first step: a device waiting for its login
    /// holds no plugin instance (its linear memory and stack), so a run
    /// at high concurrency holds instances only for devices already in.
    /// A device whose inventory gives its HTTP API to a workflow granted
    /// `device` still logs in on demand (the workflow may never use the
    /// CLI); a device that fails to log in gives the failure to the
    /// workflow's first use of its session, as on demand.
    BeforeStart,
}

impl Connect {
    fn is_on_demand(&self) -> bool {
        *self == Connect::OnDemand
    }
}

/// A device API that takes CLI commands as they are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecApi {
    /// Arista eAPI: JSON-RPC `runCmds` at `/command-api`, text output.
    Eapi,
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
    /// The manifest targets a WIT version this host does not implement.
    #[error(
        "plugin {name} targets WIT netrun:plugin@{wit}, which this host does not implement (it implements {supported}): rebuild the plugin against one of those (netrun plugin build), or use a netrun release that supports {wit}"
    )]
    WitVersion {
        /// Plugin.
        name: String,
        /// From the manifest.
        wit: String,
        /// What this host implements.
        supported: String,
    },
    /// A bundle archive is unreadable or unsafe.
    #[error("plugin archive {0}: {1}")]
    Archive(PathBuf, String),
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
    /// The component file is not a WebAssembly component.
    #[error(
        "plugin {name}: {file} is not a WebAssembly component ({what}): rebuild the plugin (netrun plugin build) or reinstall it"
    )]
    NotComponent {
        /// Plugin.
        name: String,
        /// Component file.
        file: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// A broken bundle shadows a working one of the same name further down
    /// the search path; using the other silently would run code the
    /// operator did not choose.
    #[error(
        "plugin {name} in {broken} cannot be used ({reason}) and shadows the {name} in {shadowed}: fix or remove {broken}"
    )]
    Shadowing {
        /// Plugin.
        name: String,
        /// The broken bundle's folder.
        broken: PathBuf,
        /// Why it is broken.
        reason: String,
        /// The bundle it hides.
        shadowed: PathBuf,
    },
}

/// How a component file starts: `\0asm`, then the binary version
/// (components are layer 1 of version 0x0d; core modules are version 1).
pub fn component_kind(bytes: &[u8]) -> Result<(), &'static str> {
    match bytes {
        [0, b'a', b's', b'm', 0x0d, 0x00, 0x01, 0x00, ..] => Ok(()),
        [0, b'a', b's', b'm', 0x01, 0x00, 0x00, 0x00, ..] => {
            Err("a core WebAssembly module, not a component")
        }
        [0, b'a', b's', b'm', ..] => Err("an unknown WebAssembly binary version"),
        _ => Err("no WebAssembly header"),
    }
}

/// WIT contract versions this host implements, newest first. A plugin
/// targeting any `x.y.z` with the same `x.y` as one of these loads: wasmtime's
/// linker matches semver-compatible imports, so a component built against
/// 0.1.0 links to the host's 0.1 definitions.
pub const SUPPORTED_WIT: &[WitVersion] = &[WitVersion::V0_2, WitVersion::V0_1];

/// A WIT contract version the host dispatches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitVersion {
    /// `netrun:plugin@0.1.x` (`wit/v0.1`).
    V0_1,
    /// `netrun:plugin@0.2.x` (`wit/v0.2`).
    V0_2,
}

impl WitVersion {
    /// `major.minor` of this version.
    pub fn as_str(self) -> &'static str {
        match self {
            WitVersion::V0_1 => "0.1",
            WitVersion::V0_2 => "0.2",
        }
    }

    /// The version a manifest's `wit = "x.y.z"` selects, if the host has it.
    pub fn of(wit: &str) -> Option<WitVersion> {
        let mut parts = wit.trim().split('.');
        let (major, minor) = (parts.next()?, parts.next()?);
        let patch_ok = parts.next().is_none_or(|p| {
            !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !patch_ok || parts.next().is_some() {
            return None;
        }
        SUPPORTED_WIT
            .iter()
            .copied()
            .find(|v| v.as_str() == format!("{major}.{minor}"))
    }
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

    /// The WIT version the plugin targets, refused when the host lacks it.
    pub fn wit_version(&self) -> Result<WitVersion, BundleError> {
        WitVersion::of(&self.manifest.wit).ok_or_else(|| BundleError::WitVersion {
            name: self.manifest.name.clone(),
            wit: self.manifest.wit.clone(),
            supported: SUPPORTED_WIT
                .iter()
                .map(|v| format!("{}.x", v.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Whether this bundle ships with netrun (lies under a folder beside the
    /// binary). First-party plugins get what their manifest requests without
    /// an operator grant; anything else needs `--grant` or a policy file.
    pub fn is_first_party(&self) -> bool {
        let Ok(dir) = self.dir.canonicalize() else {
            return false;
        };
        shipped_dirs()
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .any(|shipped| dir.starts_with(shipped))
    }

    /// Path of the component file.
    pub fn component_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.component)
    }

    /// Read the component and check its sha256 against the manifest, and
    /// that it is a component at all.
    pub fn read_verified(&self) -> Result<(Vec<u8>, String), BundleError> {
        let file = self.component_path();
        let bytes = std::fs::read(&file).map_err(|e| BundleError::Read(file.clone(), e))?;
        let actual = self.checked(file, &bytes, sha256_hex(&bytes))?;
        Ok((bytes, actual))
    }

    /// As [`Bundle::read_verified`], without keeping the bytes: the file is
    /// hashed a piece at a time. A run whose components are compiled
    /// already needs none of their bytes (a driver's is megabytes: read
    /// whole, its fresh pages cost more than hashing them).
    pub fn verify(&self) -> Result<String, BundleError> {
        use std::io::Read as _;
        let file = self.component_path();
        let read_err = |e| BundleError::Read(file.clone(), e);
        let mut f = std::fs::File::open(&file).map_err(read_err)?;
        let mut hasher = Sha256::new();
        let mut piece = vec![0u8; 64 << 10];
        let mut head = Vec::with_capacity(8);
        loop {
            let n = match f.read(&mut piece) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_err(e)),
            };
            let want = (8 - head.len()).min(n);
            head.extend_from_slice(&piece[..want]);
            hasher.update(&piece[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        self.checked(file, &head, actual)
    }

    /// `actual`, the sha256 of the component file whose first bytes are
    /// `head`, if it is the manifest's and the file is a component.
    fn checked(&self, file: PathBuf, head: &[u8], actual: String) -> Result<String, BundleError> {
        if !actual.eq_ignore_ascii_case(self.manifest.sha256.trim()) {
            return Err(BundleError::Digest {
                name: self.manifest.name.clone(),
                file,
                expected: self.manifest.sha256.clone(),
                actual,
            });
        }
        component_kind(head).map_err(|what| BundleError::NotComponent {
            name: self.manifest.name.clone(),
            file,
            what,
        })?;
        Ok(actual)
    }

    /// Whether the bundle can be used as far as can be told without
    /// compiling it: the WIT version is implemented, the component is
    /// intact and a component. Checked before any grant is asked for.
    pub fn check_integrity(&self) -> Result<(), BundleError> {
        self.wit_version()?;
        self.verify().map(|_| ())
    }
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bundles in `dirs` (each a plugin folder, or a folder of plugin folders),
/// first found wins by name. Unreadable manifests are returned as errors
/// beside the bundles so one bad plugin does not hide the others; a bundle
/// whose name (or folder name) an earlier broken bundle had is left out
/// and reported as [`BundleError::Shadowing`], never used in its place.
pub fn discover(dirs: &[PathBuf]) -> (Vec<Bundle>, Vec<BundleError>) {
    let mut bundles: Vec<Bundle> = Vec::new();
    let mut errors = Vec::new();
    // Broken bundles so far: (name it goes by, folder, why).
    let mut broken: Vec<(String, PathBuf, String)> = Vec::new();
    let mut consider = |dir: &Path, bundles: &mut Vec<Bundle>| {
        if !dir.join(MANIFEST).is_file() {
            return false;
        }
        match Bundle::open(dir) {
            Ok(b) => {
                if let Some((_, at, why)) = broken.iter().find(|(n, _, _)| *n == b.manifest.name) {
                    errors.push(BundleError::Shadowing {
                        name: b.manifest.name.clone(),
                        broken: at.clone(),
                        reason: why.clone(),
                        shadowed: b.dir.clone(),
                    });
                } else if !bundles.iter().any(|x| x.manifest.name == b.manifest.name) {
                    bundles.push(b);
                }
            }
            Err(e) => {
                // A manifest that cannot be read goes by its folder's name.
                let name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                broken.push((name, dir.to_path_buf(), e.to_string()));
                errors.push(e);
            }
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
    dirs.extend(shipped_dirs());
    dirs
}

/// Folders beside the binary that hold first-party plugins: `<exe dir>/plugins`
/// and `<exe dir>/../plugins` (`target/plugins` for a cargo build).
pub fn shipped_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
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

/// Write `dir` (a bundle folder) as a gzipped tar archive at `out`, with the
/// bundle's files under one top folder named after the plugin.
pub fn pack(bundle: &Bundle, out: &Path) -> Result<(), BundleError> {
    let err = |e: std::io::Error| BundleError::Archive(out.to_path_buf(), e.to_string());
    let file = std::fs::File::create(out).map_err(err)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.follow_symlinks(false);
    let top = Path::new(&bundle.manifest.name);
    for name in [MANIFEST, bundle.manifest.component.as_str()] {
        tar.append_path_with_name(bundle.dir.join(name), top.join(name))
            .map_err(err)?;
    }
    tar.into_inner().and_then(|gz| gz.finish()).map_err(err)?;
    Ok(())
}

/// Unpack a bundle archive into `into` (a fresh folder) and return the
/// bundle folder inside it. Only plain files and folders with relative paths
/// are accepted: no links, no `..`, no absolute paths, at most 256 MiB.
pub fn unpack(archive: &Path, into: &Path) -> Result<PathBuf, BundleError> {
    const MAX_BYTES: u64 = 256 << 20;
    let bad = |m: String| BundleError::Archive(archive.to_path_buf(), m);
    let file = std::fs::File::open(archive).map_err(|e| bad(e.to_string()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut total = 0u64;
    let entries = tar
        .entries()
        .map_err(|e| bad(format!("not a .tar.gz: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("not a .tar.gz: {e}")))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let safe = path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if !safe {
            return Err(bad(format!(
                "refusing entry `{}`: only relative paths inside the archive are allowed",
                path.display()
            )));
        }
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            return Err(bad(format!(
                "refusing entry `{}`: only plain files and folders are allowed",
                path.display()
            )));
        }
        total = total.saturating_add(entry.size());
        if total > MAX_BYTES {
            return Err(bad("archive unpacks to more than 256 MiB".into()));
        }
        let dest = into.join(&path);
        if kind.is_dir() {
            std::fs::create_dir_all(&dest).map_err(|e| bad(e.to_string()))?;
        } else {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
            }
            let mut out = std::fs::File::create(&dest).map_err(|e| bad(e.to_string()))?;
            std::io::copy(&mut entry, &mut out).map_err(|e| bad(e.to_string()))?;
        }
    }
    if into.join(MANIFEST).is_file() {
        return Ok(into.to_path_buf());
    }
    let found: Vec<PathBuf> = std::fs::read_dir(into)
        .map_err(|e| bad(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(bad(format!(
            "no {MANIFEST} at its top or in one top folder"
        ))),
        _ => Err(bad(
            "holds more than one plugin; one archive, one plugin".into()
        )),
    }
}

/// The user's plugin folder (`$XDG_DATA_HOME/netrun/plugins`).
pub fn user_plugin_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("netrun").join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component header and a body: enough for the integrity checks.
    const COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00component";

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
    fn wit_versions_of_the_same_minor_select_the_same_contract() {
        assert_eq!(WitVersion::of("0.1.0"), Some(WitVersion::V0_1));
        assert_eq!(WitVersion::of("0.1.7"), Some(WitVersion::V0_1));
        assert_eq!(WitVersion::of("0.1"), Some(WitVersion::V0_1));
        assert_eq!(WitVersion::of("0.2.0"), Some(WitVersion::V0_2));
        assert_eq!(WitVersion::of("0.3.0"), None);
        assert_eq!(WitVersion::of("1.1.0"), None);
        assert_eq!(WitVersion::of("0.1.0.1"), None);
    }

    #[test]
    fn archive_round_trips_and_refuses_escaping_paths() {
        let root = std::env::temp_dir().join(format!("netrun-archive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let b = bundle_in(&root.join("src"), COMPONENT, &sha256_hex(COMPONENT));
        let archive = root.join("t-0.1.0.tar.gz");
        pack(&b, &archive).unwrap();
        let out = root.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let dir = unpack(&archive, &out).unwrap();
        let back = Bundle::open(&dir).unwrap();
        assert!(back.read_verified().is_ok());

        let evil = root.join("evil.tar.gz");
        {
            let gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&evil).unwrap(),
                flate2::Compression::default(),
            );
            let mut t = tar::Builder::new(gz);
            let mut h = tar::Header::new_gnu();
            h.set_size(1);
            h.set_mode(0o644);
            // `set_path` refuses `..`, so write the raw name like a hostile tool would.
            h.as_gnu_mut().unwrap().name[..12].copy_from_slice(b"../escape.tx");
            h.set_cksum();
            t.append(&h, &b"x"[..]).unwrap();
            t.into_inner().unwrap().finish().unwrap();
        }
        let out2 = root.join("out2");
        std::fs::create_dir_all(&out2).unwrap();
        let err = unpack(&evil, &out2).unwrap_err().to_string();
        assert!(err.contains("only relative paths"), "{err}");
        assert!(!root.join("escape.tx").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn tampered_component_is_refused_with_both_digests() {
        let dir = std::env::temp_dir().join(format!("netrun-bundle-{}", std::process::id()));
        let good = sha256_hex(COMPONENT);
        let b = bundle_in(&dir, COMPONENT, &good);
        assert!(b.read_verified().is_ok());
        assert_eq!(b.verify().unwrap(), good);
        std::fs::write(dir.join("plugin.wasm"), b"componenT").unwrap();
        // Read whole or hashed a piece at a time: the same refusal.
        for err in [b.read_verified().map(|_| ()), b.verify().map(|_| ())] {
            let err = err.unwrap_err().to_string();
            assert!(
                err.contains("sha256 mismatch") && err.contains(&good),
                "{err}"
            );
            assert!(err.contains(&sha256_hex(b"componenT")), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A component larger than the pieces it is hashed in, whose header
    /// comes in the first: its digest, and a core module's refused.
    #[test]
    fn verify_hashes_a_large_component_in_pieces() {
        let dir = std::env::temp_dir().join(format!("netrun-bundle-big-{}", std::process::id()));
        let mut big = COMPONENT.to_vec();
        big.extend((0..200_000u32).map(|i| (i % 251) as u8));
        let b = bundle_in(&dir, &big, &sha256_hex(&big));
        assert_eq!(b.verify().unwrap(), sha256_hex(&big));
        let mut core = b"\0asm\x01\x00\x00\x00".to_vec();
        core.extend_from_slice(&big[8..]);
        let b = bundle_in(&dir, &core, &sha256_hex(&core));
        let err = b.verify().unwrap_err().to_string();
        assert!(err.contains("core WebAssembly module"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn garbage_and_core_modules_are_not_components() {
        assert!(component_kind(COMPONENT).is_ok());
        assert!(
            component_kind(b"\0asm\x01\x00\x00\x00")
                .unwrap_err()
                .contains("core")
        );
        assert!(
            component_kind(b"garbage")
                .unwrap_err()
                .contains("no WebAssembly header")
        );
        let dir =
            std::env::temp_dir().join(format!("netrun-bundle-garbage-{}", std::process::id()));
        let b = bundle_in(&dir, b"garbage", &sha256_hex(b"garbage"));
        let err = b.check_integrity().unwrap_err().to_string();
        assert!(err.contains("not a WebAssembly component"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_bundle_shadowing_another_is_an_error_not_a_fallback() {
        let root = std::env::temp_dir().join(format!("netrun-shadow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let user = root.join("user").join("t");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join(MANIFEST), "name = [broken\n").unwrap();
        bundle_in(
            &root.join("shipped").join("t"),
            COMPONENT,
            &sha256_hex(COMPONENT),
        );
        let (bundles, errors) = discover(&[root.join("user"), root.join("shipped")]);
        assert!(
            bundles.is_empty(),
            "the shadowed bundle is not used in its place"
        );
        let shadow = errors
            .iter()
            .find(|e| matches!(e, BundleError::Shadowing { .. }))
            .expect("a shadowing error");
        let msg = shadow.to_string();
        assert!(msg.contains("user") && msg.contains("shadows"), "{msg}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_device_logs_in_on_demand_unless_the_manifest_connects_or_prefetches_before_start() {
        let base = "name = \"w\"\nversion = \"0.1.0\"\nkind = \"workflow\"\nwit = \"0.2.0\"\ncomponent = \"plugin.wasm\"\nsha256 = \"\"\n";
        let m: Manifest = toml::from_str(base).unwrap();
        assert_eq!(m.connect, Connect::OnDemand);
        assert!(!m.connects_before_start());
        let m: Manifest = toml::from_str(&format!("{base}connect = \"before-start\"\n")).unwrap();
        assert_eq!(m.connect, Connect::BeforeStart);
        assert!(m.connects_before_start() && m.prefetch.is_empty());
        // Getters answered before start need the session first.
        let m: Manifest = toml::from_str(&format!("{base}prefetch = [\"facts\"]\n")).unwrap();
        assert_eq!(m.prefetch, ["facts"]);
        assert!(m.connects_before_start());
        let err = toml::from_str::<Manifest>(&format!("{base}connect = \"early\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("early") && err.contains("before-start") && err.contains("on-demand"),
            "{err}"
        );
    }
}
