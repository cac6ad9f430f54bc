//! Emulated commit-confirm: before changing a device that has no native
//! commit-confirm, netrun writes down how to undo the change and until
//! when it must be confirmed. Confirming removes the note; a netrun that
//! dies first leaves it, and the next netrun that reaches the device for
//! configuration work rolls the change back before anything else.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How a device gets back to where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackPoint {
    /// A rollback point on the device, by name (IOS `flash:NAME`, an NX-OS
    /// or EOS checkpoint; empty for Junos, whose commits are their own).
    Device(String),
    /// The configuration before the change, kept by netrun: the way back
    /// is the change that makes the device equal it again.
    Netrun(String),
}

impl RollbackPoint {
    /// How records describe it.
    pub fn describe(&self) -> String {
        match self {
            RollbackPoint::Device(name) if name.is_empty() => "device".into(),
            RollbackPoint::Device(name) => format!("device:{name}"),
            RollbackPoint::Netrun(_) => "netrun".into(),
        }
    }
}

/// An unconfirmed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Inventory name.
    pub device: String,
    /// The run that made the change.
    pub run_id: String,
    /// Seconds since the epoch after which the change counts as unconfirmed.
    pub deadline: u64,
    /// The way back.
    pub point: RollbackPoint,
}

/// Default folder of pending notes: `$XDG_STATE_HOME/netrun/pending`
/// (`~/.local/state/netrun/pending`).
pub fn default_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("netrun")
        .join("pending")
}

/// Now, in seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// A device name as a file name (no path separators).
pub fn file_stem(device: &str) -> String {
    device
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn path_of(dir: &Path, device: &str) -> PathBuf {
    dir.join(format!("{}.json", file_stem(device)))
}

/// The device's unconfirmed change, if any.
pub fn read(dir: &Path, device: &str) -> Option<Pending> {
    let text = std::fs::read_to_string(path_of(dir, device)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Note an unconfirmed change (readable by the owner only: it may hold the
/// whole configuration).
pub fn write(dir: &Path, pending: &Pending) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::create_dir_all(dir)?;
    let path = path_of(dir, &pending.device);
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(serde_json::to_string(pending)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

/// Forget the device's unconfirmed change (it was confirmed or undone).
pub fn remove(dir: &Path, device: &str) {
    let _ = std::fs::remove_file(path_of(dir, device));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_survives_the_process_and_is_private() {
        let dir = std::env::temp_dir().join(format!("netrun-pending-{}", std::process::id()));
        let p = Pending {
            device: "site/r1".into(),
            run_id: "abc".into(),
            deadline: 42,
            point: RollbackPoint::Netrun("hostname r1\n".into()),
        };
        write(&dir, &p).unwrap();
        assert_eq!(read(&dir, "site/r1"), Some(p));
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("site_r1.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        remove(&dir, "site/r1");
        assert_eq!(read(&dir, "site/r1"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rollback_points_describe_themselves() {
        assert_eq!(
            RollbackPoint::Device("netrun-1".into()).describe(),
            "device:netrun-1"
        );
        assert_eq!(RollbackPoint::Device(String::new()).describe(), "device");
        assert_eq!(RollbackPoint::Netrun("x".into()).describe(), "netrun");
    }
}
