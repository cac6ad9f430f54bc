//! Backups: `DIR/<device>.cfg` holds the running configuration as the
//! device prints it, volatile lines removed; with `--git`, one commit per
//! run names the devices whose configuration changed.

use super::pending::file_stem;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The backup file of `device` in `dir`.
pub fn path_of(dir: &Path, device: &str) -> PathBuf {
    dir.join(format!("{}.cfg", file_stem(device)))
}

/// Write `config` as `device`'s backup unless it already holds exactly
/// that; returns whether the file changed. Written to a temporary file and
/// renamed, so a crash never leaves half a backup.
pub fn store(dir: &Path, device: &str, config: &str) -> std::io::Result<bool> {
    let path = path_of(dir, device);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == config) {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("cfg.tmp");
    std::fs::write(&tmp, config)?;
    std::fs::rename(&tmp, &path)?;
    Ok(true)
}

/// A `git` step that failed.
#[derive(Debug, thiserror::Error)]
#[error("git {step} in {dir} failed: {detail}")]
pub struct GitError {
    /// What was run (`init`, `add`, `commit`).
    pub step: String,
    /// The backup folder.
    pub dir: String,
    /// git's own message, or why it could not run.
    pub detail: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let fail = |detail: String| GitError {
        step: args.first().copied().unwrap_or("").to_string(),
        dir: dir.display().to_string(),
        detail,
    };
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| fail(format!("{e} (is git installed?)")))?;
    if !out.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Commit the backups of `changed` devices in `dir` (a repository is
/// created on first use). One commit, its message naming the devices;
/// nothing is committed when no file differs from the last commit.
/// Returns the new commit's hash.
pub fn commit(dir: &Path, changed: &[String]) -> Result<Option<String>, GitError> {
    std::fs::create_dir_all(dir).map_err(|e| GitError {
        step: "init".into(),
        dir: dir.display().to_string(),
        detail: e.to_string(),
    })?;
    if git(dir, &["rev-parse", "--is-inside-work-tree"]).is_err() {
        git(dir, &["init", "--quiet"])?;
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> = changed.to_vec();
    names.sort();
    let files: Vec<String> = names
        .iter()
        .map(|d| format!("{}.cfg", file_stem(d)))
        .collect();
    let mut add = vec!["add", "--"];
    add.extend(files.iter().map(String::as_str));
    git(dir, &add)?;
    // Files equal to the last commit (a device changed back) stage nothing.
    if git(dir, &["diff", "--cached", "--quiet"]).is_ok() {
        return Ok(None);
    }
    let shown = if names.len() > 20 {
        format!("{}, … ({} more)", names[..20].join(", "), names.len() - 20)
    } else {
        names.join(", ")
    };
    let subject = format!(
        "netrun config backup: {} device{} changed: {shown}",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    );
    let body = names.join("\n");
    let message = format!("{subject}\n\n{body}\n");
    // A machine with no git identity still gets its backups committed.
    let has_identity = git(dir, &["config", "user.email"]).is_ok();
    let mut args: Vec<&str> = Vec::new();
    if !has_identity {
        args.extend([
            "-c",
            "user.name=netrun",
            "-c",
            "user.email=netrun@localhost",
        ]);
    }
    args.extend(["commit", "--quiet", "-m", message.as_str(), "--"]);
    args.extend(files.iter().map(String::as_str));
    git(dir, &args)?;
    Ok(Some(git(dir, &["rev-parse", "HEAD"])?.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netrun-backup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_backup_is_rewritten_only_when_the_configuration_changed() {
        let dir = tempdir("store");
        assert!(store(&dir, "r1", "hostname r1\n").unwrap());
        assert!(!store(&dir, "r1", "hostname r1\n").unwrap());
        assert!(store(&dir, "r1", "hostname r2\n").unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.join("r1.cfg")).unwrap(),
            "hostname r2\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn git_commits_once_per_run_naming_the_changed_devices() {
        if Command::new("git").arg("--version").output().is_err() {
            eprintln!("SKIP: git is not installed");
            return;
        }
        let dir = tempdir("git");
        store(&dir, "r1", "hostname r1\n").unwrap();
        store(&dir, "r2", "hostname r2\n").unwrap();
        let first = commit(&dir, &["r2".into(), "r1".into()]).unwrap();
        assert!(first.is_some());
        let log = git(&dir, &["log", "--format=%s"]).unwrap();
        assert_eq!(
            log.trim(),
            "netrun config backup: 2 devices changed: r1, r2"
        );
        // Nothing changed: no commit.
        assert_eq!(commit(&dir, &[]).unwrap(), None);
        store(&dir, "r2", "hostname r2b\n").unwrap();
        commit(&dir, &["r2".into()]).unwrap();
        let log = git(&dir, &["log", "--format=%s"]).unwrap();
        assert_eq!(
            log.lines().collect::<Vec<_>>(),
            [
                "netrun config backup: 1 device changed: r2",
                "netrun config backup: 2 devices changed: r1, r2"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
