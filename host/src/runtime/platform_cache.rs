//! Platforms compiled once per driver component, for as long as something
//! uses them. A platform's prompt, pager and configuration patterns are
//! regexes whose automata take megabytes to build; a long-lived process
//! (`serve`) asks for the same platforms at every reload, and compiling
//! them again made each reload build (and, while the older jobs held the
//! older copies, keep) another set.
//!
//! A driver's declarations are cached by its component's sha256 (a
//! component's `platforms` export declares data, the same for the same
//! code) while the driver is loaded; compiled platforms are held weakly, so
//! one nothing runs against any more is freed and compiled again if asked.
//!
//! Declarations are also kept on disk, beside the compiled component (or in
//! the cache), so a run does not instantiate each driver and have it read
//! its platform files just to learn what it declares: that was a third of
//! the CPU a one-device run costs.

use crate::transport::config_mechanics::{ConfigMechanics, ConfigSpec};
use crate::transport::platform::{Platform, PlatformError, PlatformSpec};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// One platform as a driver declares it: the platform and, from contract
/// 0.2, its configuration mechanics.
pub type Declaration = (PlatformSpec, Option<ConfigSpec>);

/// Extension of stored declarations.
const STORED: &str = "platforms.json";

/// Version of the stored form: bump it when the spec types or the way a
/// driver's answer is read into them change meaning (a change of shape is
/// caught anyway: the types refuse unknown and missing fields).
// 2: `menus` style and `locate` read from marker steps.
// 3: styles, `cleanup` and `locate` read from contract 0.2's own fields.
// 4: `show_running_otherwise`.
// 5: `variants`.
const STORED_FORMAT: u32 = 5;

/// File name of the stored declarations of driver component `sha256`. The
/// declarations are the component's own data, copied field by field, so
/// the component, netrun's version and the stored format name them (not
/// the binary: a debug and a release build share them).
pub fn stored_name(sha256: &str) -> String {
    format!(
        "{sha256}-{}-{STORED_FORMAT}.{STORED}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Declarations stored at `path`; `None` when there are none or they do not
/// read (the driver is asked again then).
pub fn read_stored(path: &Path) -> Option<Vec<Declaration>> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes)
        .inspect_err(
            |e| tracing::debug!(path = %path.display(), error = %e, "ignoring stored declarations"),
        )
        .ok()
}

/// Store `declarations` at `path`, whole (a reader sees all or nothing);
/// with `sole`, the stored declarations of other components in its folder
/// (older builds of the bundle) are removed.
pub fn store(path: &Path, declarations: &[Declaration], sole: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec(declarations).map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path))?;
    if sole {
        for entry in std::fs::read_dir(dir)?.flatten() {
            let other = entry.path();
            let name = other.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let component = |n: &str| n.split('-').next().unwrap_or("").to_string();
            let mine = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(component)
                .unwrap_or_default();
            if name.ends_with(STORED) && component(name) != mine {
                let _ = std::fs::remove_file(&other);
            }
        }
    }
    Ok(())
}

struct Entry<O> {
    /// The loaded driver: the entry goes when it does.
    owner: Weak<O>,
    declarations: Arc<Vec<Declaration>>,
    compiled: HashMap<String, Weak<Platform>>,
}

/// Declarations and compiled platforms by driver component sha256. `O` is
/// the loaded driver ([`super::Plugin`]); an entry lives while it does.
pub struct PlatformCache<O> {
    drivers: Mutex<HashMap<String, Entry<O>>>,
}

impl<O> Default for PlatformCache<O> {
    fn default() -> Self {
        PlatformCache {
            drivers: Mutex::new(HashMap::new()),
        }
    }
}

impl<O> PlatformCache<O> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry<O>>> {
        // Each update is one insert or remove: a panic elsewhere cannot
        // leave the map half-written.
        self.drivers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The declarations of driver `sha256`, when it was asked before.
    pub fn declarations(&self, sha256: &str) -> Option<Arc<Vec<Declaration>>> {
        self.lock()
            .get(sha256)
            .filter(|e| e.owner.strong_count() > 0)
            .map(|e| e.declarations.clone())
    }

    /// Keep `declarations` of driver `sha256` while `owner` is loaded;
    /// entries of drivers no longer loaded are dropped now.
    pub fn keep_declarations(
        &self,
        sha256: &str,
        owner: &Arc<O>,
        declarations: Vec<Declaration>,
    ) -> Arc<Vec<Declaration>> {
        let declarations = Arc::new(declarations);
        let mut drivers = self.lock();
        drivers.retain(|_, e| e.owner.strong_count() > 0);
        drivers.insert(
            sha256.to_string(),
            Entry {
                owner: Arc::downgrade(owner),
                declarations: declarations.clone(),
                compiled: HashMap::new(),
            },
        );
        declarations
    }

    /// Platform `declaration` of driver `sha256`, compiled: the copy in use
    /// when there is one, else compiled now. The error names the platform
    /// and the pattern that is wrong.
    pub fn compiled(
        &self,
        sha256: &str,
        declaration: &Declaration,
    ) -> Result<Arc<Platform>, PlatformError> {
        let (spec, config) = declaration;
        let in_use = self
            .lock()
            .get(sha256)
            .and_then(|e| e.compiled.get(&spec.name))
            .and_then(Weak::upgrade);
        if let Some(p) = in_use {
            return Ok(p);
        }
        // Compiled outside the lock: it takes milliseconds, and two callers
        // racing for one platform at worst compile it twice.
        let mut platform = Platform::compile(spec)?;
        if let Some(config) = config {
            platform.config =
                Some(
                    ConfigMechanics::compile(config).map_err(|source| PlatformError::Config {
                        platform: spec.name.clone(),
                        source,
                    })?,
                );
        }
        let platform = Arc::new(platform);
        if let Some(e) = self.lock().get_mut(sha256) {
            e.compiled.retain(|_, p| p.strong_count() > 0);
            e.compiled
                .insert(spec.name.clone(), Arc::downgrade(&platform));
        }
        Ok(platform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::platform::ModeSpec;

    fn declaration(name: &str, prompt: &str) -> Declaration {
        let spec = PlatformSpec {
            name: name.into(),
            default_mode: "exec".into(),
            configuration_mode: "exec".into(),
            modes: vec![ModeSpec {
                name: "exec".into(),
                prompt: prompt.into(),
                transitions: Vec::new(),
            }],
            ..Default::default()
        };
        (spec, None)
    }

    #[test]
    fn stored_declarations_read_back_equal_and_replace_older_ones() {
        let dir = std::env::temp_dir().join(format!("netrun-decl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut with_config = declaration("ios", r"\S+#$");
        with_config.1 = Some(ConfigSpec {
            show_running: "show running-config".into(),
            ..Default::default()
        });
        let decls = vec![with_config, declaration("eos", r"\S+>$")];
        let old = dir.join(stored_name("old"));
        store(&old, &decls, true).unwrap();
        let path = dir.join(stored_name("abc"));
        store(&path, &decls, true).unwrap();
        assert!(!old.exists(), "the older component's declarations are gone");
        let back = read_stored(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0.name, "ios");
        assert_eq!(back[0].0.modes[0].prompt, r"\S+#$");
        assert_eq!(back[0].1, decls[0].1);
        std::fs::write(&path, "{not json").unwrap();
        assert!(
            read_stored(&path).is_none(),
            "garbage is a miss, not an error"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_platform_in_use_is_not_compiled_again() {
        let cache = PlatformCache::default();
        let driver = Arc::new(());
        let decls = cache.keep_declarations("abc", &driver, vec![declaration("ios", r"\S+#$")]);
        let first = cache.compiled("abc", &decls[0]).unwrap();
        let again = cache.compiled("abc", &decls[0]).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(
            cache.declarations("abc").map(|d| d.len()),
            Some(1),
            "the declarations are kept while the driver is loaded"
        );
    }

    #[test]
    fn a_platform_nothing_uses_is_freed_and_compiled_afresh() {
        let cache = PlatformCache::default();
        let driver = Arc::new(());
        let decls = cache.keep_declarations("abc", &driver, vec![declaration("ios", r"\S+#$")]);
        let first = cache.compiled("abc", &decls[0]).unwrap();
        let weak = Arc::downgrade(&first);
        drop(first);
        assert_eq!(weak.strong_count(), 0, "the cache holds no strong copy");
        let second = cache.compiled("abc", &decls[0]).unwrap();
        assert_eq!(second.name, "ios");
    }

    #[test]
    fn declarations_go_with_their_driver() {
        let cache = PlatformCache::default();
        let old = Arc::new(());
        cache.keep_declarations("old", &old, vec![declaration("ios", r"\S+#$")]);
        drop(old);
        assert!(cache.declarations("old").is_none());
        let new = Arc::new(());
        cache.keep_declarations("new", &new, vec![declaration("eos", r"\S+>$")]);
        assert_eq!(
            cache.lock().len(),
            1,
            "the unloaded driver's entry is dropped"
        );
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_the_platform_and_is_not_cached() {
        let cache = PlatformCache::default();
        let driver = Arc::new(());
        let decls = cache.keep_declarations("abc", &driver, vec![declaration("ios", "(")]);
        let e = cache.compiled("abc", &decls[0]).unwrap_err();
        assert!(
            matches!(&e, PlatformError::BadPattern { platform, .. } if platform == "ios"),
            "{e}"
        );
        assert!(e.to_string().starts_with("platform ios: "), "{e}");
        assert!(cache.lock()["abc"].compiled.is_empty());
    }
}
