//! Components hashed once, not on every run.
//!
//! Every load checks a component's sha256 against its manifest: a driver is
//! megabytes, so hashing it was a fifth of what a run costs before its
//! first device (2.9 of 15.4 ms, cisco-ios). Once a component is verified,
//! the sha256 is kept in the compiled-code cache (`verified/`, one record
//! a component file)
//! with the identity of the file it was read from: device, inode, length,
//! modification and change times to the nanosecond. A later run whose file
//! has that identity takes the sha256 from the record; any write, rename
//! or copy over the file changes its change time (which no program can set
//! back) or its inode, and the file is hashed again.
//!
//! A file is recorded only when it had been left alone for [`SETTLE`]
//! before it was read, and was the same file after: a write in the same
//! clock tick as the one that was read (file times are as coarse as the
//! kernel's tick, two seconds on FAT) then cannot be mistaken for it. The
//! cache holds native code netrun loads as its own, so a record there is
//! trusted as much as the code beside it.
//!
//! The same record is also kept beside a bundle whose folder netrun loads
//! compiled code from (first-party bundles, `netrun plugin install`'s:
//! [`super::compile::trusted_location`]), in [`BESIDE`], so a run with an
//! empty cache does not hash either: that hash was most of what a first
//! run cost over later ones (2.5 ms a run for cisco-ios). Beside a bundle
//! from anywhere else a record is neither read nor written: it would let a
//! component that does not match its manifest be compiled into the cache
//! under the manifest's digest.

use super::bundle::{Bundle, BundleError, sha256_hex};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long a component file must have been left alone before its hash is
/// recorded.
pub const SETTLE: Duration = Duration::from_secs(3);

/// File, in a bundle's folder, of the record of its component.
pub const BESIDE: &str = ".verified";

/// What tells one version of a file from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// The identity of the file at `path` now.
    #[cfg(unix)]
    pub fn of(path: &Path) -> std::io::Result<FileId> {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(path)?;
        Ok(FileId {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }

    /// No identity without unix file metadata: every load hashes.
    #[cfg(not(unix))]
    pub fn of(_: &Path) -> std::io::Result<FileId> {
        Err(std::io::Error::other("file identity needs unix metadata"))
    }

    /// Whether the file was last written or changed at least `settle`
    /// before `started`.
    fn settled(&self, started: SystemTime, settle: Duration) -> bool {
        let Ok(since) = started.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let Some(limit) = since.checked_sub(settle) else {
            return false;
        };
        let before = |(s, ns): (i64, i64)| {
            u64::try_from(s).is_ok_and(|s| {
                Duration::new(s, u32::try_from(ns).unwrap_or(u32::MAX).min(999_999_999)) <= limit
            })
        };
        before(self.mtime) && before(self.ctime)
    }

    fn to_line(self, sha256: &str) -> String {
        format!(
            "v1 {} {} {} {}.{} {}.{} {sha256}\n",
            self.dev, self.ino, self.len, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }
}

/// The record of the component file `file` in cache `dir`: named by the
/// sha256 of the file's absolute path.
pub fn record_path(dir: &Path, file: &Path) -> Option<PathBuf> {
    let file = file.canonicalize().ok()?;
    let key = sha256_hex(file.as_os_str().as_encoded_bytes());
    Some(dir.join("verified").join(key))
}

/// The sha256 recorded at `record` for a file of identity `id`, if the
/// record is for that very file.
pub fn recall(record: &Path, id: &FileId) -> Option<String> {
    let text = std::fs::read_to_string(record).ok()?;
    let sha256 = text.strip_suffix('\n')?.rsplit_once(' ')?.1;
    let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    (valid && id.to_line(sha256) == text).then(|| sha256.to_string())
}

/// Record that the file of identity `id` has sha256 `sha256`. A record
/// that cannot be written only costs the next run a hash.
pub fn remember(record: &Path, id: &FileId, sha256: &str) {
    if let Err(e) = super::compile::write_atomically(record, id.to_line(sha256).as_bytes()) {
        tracing::debug!(error = %e, path = %record.display(), "cannot record a verified component");
    }
}

/// [`Bundle::verify`], taking the sha256 from a record in cache `dir`, or
/// beside the bundle where it is trusted, when the component file is the
/// one recorded, and recording it in both when the file has settled (see
/// the module's documentation).
pub fn verify(
    bundle: &Bundle,
    dir: Option<&Path>,
    settle: Duration,
) -> Result<String, BundleError> {
    let beside = super::compile::trusted_location(bundle);
    verify_with(bundle, dir, beside, settle)
}

/// [`verify`], with the records kept in cache `dir` and, when `beside`,
/// in the bundle's folder.
fn verify_with(
    bundle: &Bundle,
    dir: Option<&Path>,
    beside: bool,
    settle: Duration,
) -> Result<String, BundleError> {
    let file = bundle.component_path();
    let Ok(before) = FileId::of(&file) else {
        return bundle.verify();
    };
    let records: Vec<PathBuf> = dir
        .and_then(|d| record_path(d, &file))
        .into_iter()
        .chain(beside.then(|| bundle.dir.join(BESIDE)))
        .collect();
    let expected = bundle.manifest.sha256.trim();
    if let Some(sha256) = records
        .iter()
        .filter_map(|r| recall(r, &before))
        .find(|sha256| sha256.eq_ignore_ascii_case(expected))
    {
        return Ok(sha256);
    }
    let started = SystemTime::now();
    let sha256 = bundle.verify()?;
    if before.settled(started, settle) && FileId::of(&file).is_ok_and(|after| after == before) {
        for record in &records {
            remember(record, &before, &sha256);
        }
    }
    Ok(sha256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::compile::tests::bundle_with as bundle_in;

    const COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netrun-verified-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_record_answers_only_for_the_file_it_was_made_for() {
        let root = scratch("recall");
        let file = root.join("f");
        std::fs::write(&file, b"one").unwrap();
        let id = FileId::of(&file).unwrap();
        let record = record_path(&root.join("cache"), &file).unwrap();
        let sha = sha256_hex(b"one");
        assert_eq!(recall(&record, &id), None, "nothing recorded yet");
        remember(&record, &id, &sha);
        assert_eq!(recall(&record, &id), Some(sha.clone()));
        for other in [
            FileId {
                len: id.len + 1,
                ..id
            },
            FileId {
                ino: id.ino + 1,
                ..id
            },
            FileId {
                dev: id.dev + 1,
                ..id
            },
            FileId {
                mtime: (id.mtime.0, id.mtime.1 + 1),
                ..id
            },
            FileId {
                ctime: (id.ctime.0 + 1, id.ctime.1),
                ..id
            },
        ] {
            assert_eq!(recall(&record, &other), None, "{other:?}");
        }
        // A torn or foreign record is no record.
        for garbage in ["", "v1", &id.to_line("abc"), &id.to_line(&sha)[..20]] {
            std::fs::write(&record, garbage).unwrap();
            assert_eq!(recall(&record, &id), None, "{garbage:?}");
        }
        // Records are per file.
        let other = root.join("g");
        std::fs::write(&other, b"one").unwrap();
        assert_ne!(record_path(&root.join("cache"), &other), Some(record));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_fresh_file_is_not_recorded_and_a_settled_one_is() {
        let root = scratch("settle");
        let file = root.join("f");
        std::fs::write(&file, b"x").unwrap();
        let id = FileId::of(&file).unwrap();
        let now = SystemTime::now();
        assert!(!id.settled(now, SETTLE), "written just now");
        assert!(id.settled(now + SETTLE + Duration::from_secs(1), SETTLE));
        assert!(id.settled(now + Duration::from_millis(1), Duration::ZERO));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_recorded_component_changed_afterwards_is_refused() {
        let root = scratch("changed");
        let cache = root.join("cache");
        let b = bundle_in(&root.join("b"), COMPONENT);
        let settle = Duration::from_millis(50);
        // Fresh: hashed, not recorded.
        assert_eq!(
            verify(&b, Some(&cache), SETTLE).unwrap(),
            sha256_hex(COMPONENT)
        );
        let record = record_path(&cache, &b.component_path()).unwrap();
        assert!(!record.exists());
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(
            verify(&b, Some(&cache), settle).unwrap(),
            sha256_hex(COMPONENT)
        );
        assert!(record.exists(), "settled: recorded");
        assert_eq!(
            verify(&b, Some(&cache), settle).unwrap(),
            sha256_hex(COMPONENT)
        );
        // The same length, other bytes, written in place: hashed again and
        // refused, though the record still names the old digest.
        std::thread::sleep(Duration::from_millis(20));
        let mut tampered = COMPONENT.to_vec();
        tampered[7] = 1;
        std::fs::write(b.component_path(), &tampered).unwrap();
        let err = verify(&b, Some(&cache), settle).unwrap_err().to_string();
        assert!(err.contains(&sha256_hex(&tampered)), "{err}");
        // Without a cache every load hashes.
        assert!(verify(&b, None, settle).is_err());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_trusted_bundle_keeps_its_record_beside_it_for_runs_with_an_empty_cache() {
        let root = scratch("beside");
        let b = bundle_in(&root.join("b"), COMPONENT);
        let settle = Duration::from_millis(50);
        let beside = b.dir.join(BESIDE);
        std::thread::sleep(Duration::from_millis(120));
        let sha = sha256_hex(COMPONENT);
        assert_eq!(verify_with(&b, None, true, settle).unwrap(), sha);
        assert!(beside.exists(), "settled and trusted: recorded beside");
        let id = FileId::of(&b.component_path()).unwrap();
        assert_eq!(recall(&beside, &id), Some(sha.clone()));
        // A run with an empty cache takes the digest from the record.
        let cache = root.join("cache");
        assert_eq!(verify_with(&b, Some(&cache), true, settle).unwrap(), sha);

        // The record is what answers: a component that no longer matches
        // its manifest, under a record of its own identity naming the
        // manifest's digest, passes where records beside it are trusted…
        let forged = root.join("forged");
        let f = bundle_in(&forged, COMPONENT);
        let mut other = COMPONENT.to_vec();
        other[7] = 1;
        std::fs::write(f.component_path(), &other).unwrap();
        let fid = FileId::of(&f.component_path()).unwrap();
        remember(&f.dir.join(BESIDE), &fid, &sha);
        assert_eq!(verify_with(&f, None, true, settle).unwrap(), sha);
        // …and is hashed, and refused, from any other folder.
        let err = verify_with(&f, Some(&cache), false, settle)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&sha256_hex(&other)), "{err}");
        // A bundle from elsewhere gets no record beside it.
        let elsewhere = bundle_in(&root.join("elsewhere"), COMPONENT);
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(verify(&elsewhere, None, settle).unwrap(), sha);
        assert!(!elsewhere.dir.join(BESIDE).exists());
        let _ = std::fs::remove_dir_all(&root);
    }
}
