//! Credentials as operators supply them: `--username`, `--ask-pass` (typed
//! at the terminal, not echoed), and per host, group or defaults an
//! environment variable (`password_env`) or a command that prints the
//! password (`password_command`, e.g. `pass show net/core` or a vault
//! helper). Never a password on the command line: it would sit in the
//! shell history and in `ps` for every user of the machine.

use crate::inventory::Host;
use crate::secret::Secret;
use anyhow::{Context as _, bail};
use clap::Args;
use std::collections::HashMap;

/// Credential flags of a run.
#[derive(Debug, Args, Clone, Default)]
pub struct CredentialArgs {
    /// Log in as USER on every device (wins over the inventory).
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Ask for the login password once, at the terminal (not echoed); it
    /// wins over the inventory's.
    #[arg(long)]
    pub ask_pass: bool,
}

impl CredentialArgs {
    /// Fill in usernames and passwords of `hosts`: the flags, then the
    /// inventory's `password_env` / `password_command`, then its password.
    pub fn apply(&self, hosts: &mut [Host]) -> anyhow::Result<()> {
        let asked = if self.ask_pass && !hosts.is_empty() {
            let user = self.username.as_deref().or(hosts[0].username.as_deref());
            let prompt = match user {
                Some(u) => format!("password for {u}: "),
                None => "password: ".to_string(),
            };
            Some(read_password(&prompt)?)
        } else {
            None
        };
        // One run of each distinct command, however many hosts share it.
        let mut from_commands: HashMap<String, Secret> = HashMap::new();
        for h in hosts.iter_mut() {
            if let Some(u) = &self.username {
                h.username = Some(u.clone());
            }
            if let Some(p) = &asked {
                h.password = Some(p.clone());
                continue;
            }
            if let Some(var) = h.extras.get("password_env") {
                let Some(var) = var.as_str() else {
                    bail!(
                        "{}: connection_options.netrun.extras.password_env must be the name of an environment variable",
                        h.name
                    );
                };
                let value = std::env::var(var).map_err(|_| {
                    anyhow::anyhow!(
                        "{}: the password comes from environment variable {var} (password_env), which is not set: export it, or use --ask-pass",
                        h.name
                    )
                })?;
                h.password = Some(Secret::new(value));
            } else if let Some(cmd) = h.extras.get("password_command") {
                let Some(cmd) = cmd.as_str().map(str::to_string) else {
                    bail!(
                        "{}: connection_options.netrun.extras.password_command must be a shell command",
                        h.name
                    );
                };
                if !from_commands.contains_key(&cmd) {
                    let secret = run_password_command(&cmd)
                        .with_context(|| format!("{}: password_command `{cmd}`", h.name))?;
                    from_commands.insert(cmd.clone(), secret);
                }
                h.password = from_commands.get(&cmd).cloned();
            }
        }
        Ok(())
    }
}

/// Run `cmd` with `sh -c`; its first line of output is the password.
fn run_password_command(cmd: &str) -> anyhow::Result<Secret> {
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    // A password manager locks its own memory (gpg does).
    crate::memlock::restore_in_child(&mut sh);
    let out = sh.output().context("cannot start it")?;
    if !out.status.success() {
        bail!(
            "failed ({}): fix it or set the password another way",
            out.status
        );
    }
    let text = String::from_utf8(out.stdout).context("printed something that is not UTF-8")?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        bail!("printed no password");
    }
    Ok(Secret::new(line.to_string()))
}

/// Read a line from the terminal with echo off.
fn read_password(prompt: &str) -> anyhow::Result<Secret> {
    use std::io::{BufRead, Write};
    use std::os::fd::AsRawFd;
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("--ask-pass needs a terminal; without one use password_env or password_command in the inventory")?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data, filled by tcgetattr on an open fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd is a valid open terminal for the life of `tty`.
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        bail!("--ask-pass: cannot read the terminal's settings");
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    // SAFETY: as above; `quiet` is a copy of valid settings.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    let mut writer = &tty;
    let _ = writer.write_all(prompt.as_bytes());
    let _ = writer.flush();
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    // SAFETY: restores the settings read above.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    read.context("--ask-pass: cannot read the password")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn host(extras: Value) -> Host {
        Host {
            name: "r1".into(),
            hostname: "127.0.0.1".into(),
            port: 22,
            port_explicit: false,
            username: Some("inv".into()),
            password: Some(Secret::new("from-inventory".to_string())),
            enable_secret: None,
            platform: None,
            groups: vec![],
            data: Map::new(),
            known_hosts_files: vec![],
            extras: extras.as_object().cloned().unwrap_or_default(),
            http: None,
        }
    }

    #[test]
    fn passwords_come_from_a_command_or_an_environment_variable() {
        let mut hosts = vec![
            host(json!({"password_command": "printf 's3cret\\nignored'"})),
            host(json!({"password_env": "NETRUN_TEST_PW_UNSET_VAR"})),
        ];
        let e = CredentialArgs::default().apply(&mut hosts).unwrap_err();
        assert!(
            format!("{e:#}").contains("NETRUN_TEST_PW_UNSET_VAR"),
            "{e:#}"
        );
        assert_eq!(hosts[0].password.as_ref().unwrap().expose(), "s3cret");
        let mut failing = vec![host(json!({"password_command": "exit 3"}))];
        assert!(CredentialArgs::default().apply(&mut failing).is_err());
    }

    #[test]
    fn username_flag_wins_over_the_inventory() {
        let mut hosts = vec![host(json!({}))];
        CredentialArgs {
            username: Some("ops".into()),
            ask_pass: false,
        }
        .apply(&mut hosts)
        .unwrap();
        assert_eq!(hosts[0].username.as_deref(), Some("ops"));
        assert_eq!(
            hosts[0].password.as_ref().unwrap().expose(),
            "from-inventory"
        );
    }
}
