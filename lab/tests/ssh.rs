//! End-to-end tests: a russh client against lab devices over loopback SSH.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use netrun_lab::{Fault, FaultRule, FaultSelector, Lab, LabConfig, LabDevice, parse_fault_spec};
use russh::ChannelMsg;
use russh::client::{self, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use tokio::io::AsyncReadExt;

const T: Duration = Duration::from_secs(10);

/// Accepts exactly one host key.
struct Pinned(PublicKey);

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.key_data() == self.0.key_data(),
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

async fn lab(devices: usize, faults: Vec<FaultRule>) -> Lab {
    Lab::start(LabConfig {
        devices,
        faults,
        seed: 7,
        ..Default::default()
    })
    .await
    .expect("lab starts")
}

fn fault(spec: &str) -> Vec<FaultRule> {
    vec![parse_fault_spec(spec).expect("valid spec")]
}

/// Connects to `dev`, checking its host key against `key_of`'s key.
async fn connect_as(
    lab: &Lab,
    dev: &LabDevice,
    key_of: &LabDevice,
) -> anyhow::Result<Handle<Pinned>> {
    let key = PublicKey::from_openssh(&key_of.host_key_openssh)?;
    let config = Arc::new(client::Config::default());
    let addr = (lab.config().bind, dev.port);
    let h = tokio::time::timeout(T, client::connect(config, addr, Pinned(key)))
        .await
        .context("connect timed out")??;
    Ok(h)
}

async fn login(lab: &Lab, dev: &LabDevice) -> anyhow::Result<Handle<Pinned>> {
    let mut h = connect_as(lab, dev, dev).await?;
    let ok = h
        .authenticate_password(&lab.config().username, &lab.config().password)
        .await?;
    if !ok.success() {
        bail!("authentication failed");
    }
    Ok(h)
}

struct Shell {
    ch: russh::Channel<client::Msg>,
    buf: Vec<u8>,
    closed: bool,
    exit_status: Option<u32>,
}

impl Shell {
    async fn open(h: &Handle<Pinned>) -> anyhow::Result<Shell> {
        let ch = h.channel_open_session().await?;
        ch.request_pty(true, "xterm", 80, 24, 0, 0, &[]).await?;
        ch.request_shell(true).await?;
        Ok(Shell {
            ch,
            buf: Vec::new(),
            closed: false,
            exit_status: None,
        })
    }

    async fn send(&self, s: &str) {
        self.ch.data(s.as_bytes()).await.expect("send");
    }

    /// Reads one message; false when the channel is finished.
    async fn pump(&mut self) -> bool {
        match self.ch.wait().await {
            Some(ChannelMsg::Data { data }) => self.buf.extend_from_slice(&data),
            Some(ChannelMsg::ExitStatus { exit_status }) => self.exit_status = Some(exit_status),
            Some(ChannelMsg::Eof) => {}
            Some(ChannelMsg::Close) | None => {
                self.closed = true;
                return false;
            }
            Some(_) => {}
        }
        true
    }

    /// Everything up to and including `pat` (the rest stays buffered).
    async fn read_until(&mut self, pat: &str, limit: Duration) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(pos) = find(&self.buf, pat.as_bytes()) {
                let rest = self.buf.split_off(pos + pat.len());
                let got = std::mem::replace(&mut self.buf, rest);
                return Ok(String::from_utf8_lossy(&got).into_owned());
            }
            match tokio::time::timeout_at(deadline, self.pump()).await {
                Ok(true) => {}
                Ok(false) => bail!(
                    "channel closed before {pat:?}; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Err(_) => bail!(
                    "timeout waiting for {pat:?}; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }

    /// Runs a command and returns its output up to and including the next prompt.
    async fn cmd(&mut self, line: &str, prompt: &str) -> anyhow::Result<String> {
        self.send(&format!("{line}\n")).await;
        self.read_until(prompt, T).await
    }

    async fn drain_until_closed(&mut self, limit: Duration) -> bool {
        tokio::time::timeout(limit, async { while self.pump().await {} })
            .await
            .is_ok()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn enable(sh: &mut Shell, lab: &Lab) -> anyhow::Result<()> {
    sh.read_until("r001>", T).await?;
    sh.send("enable\n").await;
    sh.read_until("Password: ", T).await?;
    sh.send(&format!("{}\n", lab.config().enable_secret)).await;
    sh.read_until("r001#", T).await?;
    Ok(())
}

#[tokio::test]
async fn shell_login_enable_show_version() -> anyhow::Result<()> {
    let lab = lab(2, vec![]).await;
    let dev = &lab.devices()[0];
    assert_eq!(dev.name, "r001");
    let h = login(&lab, dev).await?;
    let mut sh = Shell::open(&h).await?;
    let greeting = sh.read_until("r001>", T).await?;
    let banner = &greeting[..greeting.len() - "r001>".len()];
    assert!(banner.contains('#') && banner.contains('>'), "{greeting:?}");
    assert!(banner.ends_with("\r\n\r\n"), "{greeting:?}");

    sh.send("enable\n").await;
    let out = sh.read_until("Password: ", T).await?;
    assert_eq!(out, "enable\r\nPassword: ");
    sh.send("netrun-lab-enable\n").await;
    let out = sh.read_until("r001#", T).await?;
    assert!(!out.contains("netrun-lab-enable"), "secret echoed: {out:?}");

    let out = sh.cmd("terminal length 0", "r001#").await?;
    assert_eq!(out, "terminal length 0\r\nr001#");
    let out = sh.cmd("show version", "r001#").await?;
    assert!(out.contains("r001 uptime is "), "{out}");
    assert!(
        out.contains(&format!("Processor board ID {}", dev.serial)),
        "{out}"
    );
    assert!(!out.contains("--More--"));
    let out = sh.cmd("sh ip int br", "r001#").await?;
    assert!(out.contains(
        "Interface              IP-Address      OK? Method Status                Protocol"
    ));
    assert!(out.contains("Loopback0"));

    sh.send("exit\n").await;
    assert!(
        sh.drain_until_closed(T).await,
        "channel not closed after exit"
    );
    assert_eq!(sh.exit_status, Some(0));
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn paging_and_invalid_input() -> anyhow::Result<()> {
    let lab = lab(1, vec![]).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    sh.read_until("r001>", T).await?;

    let out = sh.cmd("show foo", "r001>").await?;
    assert_eq!(
        out,
        "show foo\r\n          ^\r\n% Invalid input detected at '^' marker.\r\n\r\nr001>"
    );
    let out = sh.cmd("show running-config", "r001>").await?;
    assert!(
        out.contains("% Invalid input detected at '^' marker."),
        "{out}"
    );
    let out = sh.cmd("sh i", "r001>").await?;
    assert_eq!(out, "sh i\r\n% Ambiguous command:  \"sh i\"\r\nr001>");

    sh.send("show version\n").await;
    let first = sh.read_until(" --More-- ", T).await?;
    assert!(first.lines().count() >= 20, "{first}");
    sh.send(" ").await;
    sh.read_until(" --More-- ", T).await?;
    sh.send("q").await;
    let out = sh.read_until("r001>", T).await?;
    assert!(out.starts_with('\x08'), "{out:?}");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn config_mode_changes_hostname() -> anyhow::Result<()> {
    let lab = lab(1, vec![]).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    enable(&mut sh, &lab).await?;
    sh.cmd("conf t", "r001(config)#").await?;
    sh.cmd("interface Gi0/1", "r001(config-if)#").await?;
    sh.cmd("exit", "r001(config)#").await?;
    sh.cmd("hostname edge7", "edge7(config)#").await?;
    sh.cmd("end", "edge7#").await?;
    let out = sh.cmd("show run | include ^hostname", "edge7#").await?;
    assert!(out.contains("hostname edge7\r\n"), "{out}");
    assert_eq!(lab.device_state(0).unwrap().hostname(), "edge7");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn exec_request_returns_output_and_status() -> anyhow::Result<()> {
    let lab = lab(1, vec![]).await;
    let dev = &lab.devices()[0];
    let h = login(&lab, dev).await?;
    let mut ch = h.channel_open_session().await?;
    ch.exec(true, "show inventory").await?;
    let mut out = Vec::new();
    let mut status = None;
    while let Some(msg) = tokio::time::timeout(T, ch.wait()).await? {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    let out = String::from_utf8(out)?;
    assert!(out.contains(&format!("SN: {}", dev.serial)), "{out}");
    assert_eq!(status, Some(0));
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn wrong_password_rejected_keyboard_interactive_accepted() -> anyhow::Result<()> {
    let lab = lab(1, vec![]).await;
    let dev = &lab.devices()[0];
    let mut h = connect_as(&lab, dev, dev).await?;
    let r = h.authenticate_password("admin", "wrong").await?;
    assert!(!r.success());
    let r = h
        .authenticate_keyboard_interactive_start("admin", None)
        .await?;
    let KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } = r else {
        bail!("expected a prompt, got {r:?}");
    };
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].prompt, "Password: ");
    assert!(!prompts[0].echo);
    let r = h
        .authenticate_keyboard_interactive_respond(vec!["netrun-lab-pw".into()])
        .await?;
    assert!(
        matches!(r, KeyboardInteractiveAuthResponse::Success),
        "{r:?}"
    );
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn devices_have_distinct_keys_and_serials() -> anyhow::Result<()> {
    let lab = lab(2, vec![]).await;
    let (a, b) = (&lab.devices()[0], &lab.devices()[1]);
    assert_eq!(b.name, "r002");
    assert_ne!(a.host_key_openssh, b.host_key_openssh);
    assert_ne!(a.serial, b.serial);
    assert_ne!(a.port, b.port);
    assert!(a.host_key_openssh.starts_with("ssh-ed25519 AAAA"));
    // The key really is the device's: pinning r001's key while dialling r002 fails.
    assert!(connect_as(&lab, b, a).await.is_err());
    // And the served serials differ.
    let mut serials = Vec::new();
    for d in lab.devices() {
        let h = login(&lab, d).await?;
        let mut ch = h.channel_open_session().await?;
        ch.exec(true, "show version | include board ID").await?;
        let mut out = Vec::new();
        while let Some(msg) = tokio::time::timeout(T, ch.wait()).await? {
            match msg {
                ChannelMsg::Data { data } => out.extend_from_slice(&data),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        serials.push(String::from_utf8(out)?);
    }
    assert_eq!(
        serials[0].trim(),
        format!("Processor board ID {}", a.serial)
    );
    assert_eq!(
        serials[1].trim(),
        format!("Processor board ID {}", b.serial)
    );
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn inventory_files() -> anyhow::Result<()> {
    let lab = lab(3, vec![]).await;
    let dir = std::env::temp_dir().join(format!("netrun-lab-inv-{}", std::process::id()));
    lab.write_inventory(&dir)?;
    let hosts: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("hosts.yaml"))?)?;
    let map = hosts.as_object().context("hosts is a mapping")?;
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(names, ["r001", "r002", "r003"]);
    for d in lab.devices() {
        let h = &hosts[d.name.as_str()];
        assert_eq!(h["hostname"].as_str(), Some("127.0.0.1"));
        assert_eq!(h["port"].as_u64(), Some(u64::from(d.port)));
        assert_eq!(h["groups"][0].as_str(), Some("lab"));
        assert_eq!(h["data"]["site"].as_str(), Some("lab"));
        assert_eq!(h["data"]["serial"].as_str(), Some(d.serial.as_str()));
        assert!(h["data"]["role"].as_str().is_some());
    }
    let groups: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("groups.yaml"))?)?;
    assert_eq!(groups["lab"]["platform"].as_str(), Some("cisco_ios"));
    assert_eq!(groups["lab"]["data"]["vendor"].as_str(), Some("cisco"));
    let defaults: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("defaults.yaml"))?)?;
    assert_eq!(defaults["username"].as_str(), Some("admin"));
    assert_eq!(defaults["password"].as_str(), Some("netrun-lab-pw"));
    let extras = &defaults["connection_options"]["netrun"]["extras"];
    assert_eq!(extras["secret"].as_str(), Some("netrun-lab-enable"));
    assert_eq!(extras["known_hosts"].as_str(), Some("known_hosts"));

    let kh = std::fs::read_to_string(dir.join("known_hosts"))?;
    assert_eq!(kh.lines().count(), 3);
    for d in lab.devices() {
        let line = format!("[127.0.0.1]:{} {}", d.port, d.host_key_openssh);
        assert!(kh.lines().any(|l| l == line), "{line} missing");
        let key = PublicKey::from_openssh(&d.host_key_openssh)?;
        assert!(russh::keys::check_known_hosts_path(
            "127.0.0.1",
            d.port,
            &key,
            dir.join("known_hosts")
        )?);
    }
    std::fs::remove_dir_all(&dir)?;
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn names_widen_past_999() -> anyhow::Result<()> {
    let names = netrun_lab::device_names("sw", 1200);
    assert_eq!(names[0], "sw0001");
    assert_eq!(names[1199], "sw1200");
    assert_eq!(netrun_lab::device_names("r", 12)[11], "r012");
    Ok(())
}

// ---- fault knobs ----

#[tokio::test]
async fn fault_refuse() -> anyhow::Result<()> {
    let lab = lab(2, fault("refuse:r002")).await;
    assert_eq!(lab.devices()[1].fault, Some(Fault::Refuse));
    let err = tokio::net::TcpStream::connect(("127.0.0.1", lab.devices()[1].port)).await;
    assert_eq!(
        err.expect_err("refused").kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    // The healthy device still works.
    login(&lab, &lab.devices()[0]).await?;
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_auth_reject() -> anyhow::Result<()> {
    let lab = lab(1, fault("auth-reject:r001")).await;
    let dev = &lab.devices()[0];
    let mut h = connect_as(&lab, dev, dev).await?;
    assert!(
        !h.authenticate_password("admin", "netrun-lab-pw")
            .await?
            .success()
    );
    let r = h
        .authenticate_keyboard_interactive_start("admin", None)
        .await?;
    if let KeyboardInteractiveAuthResponse::InfoRequest { .. } = r {
        let r = h
            .authenticate_keyboard_interactive_respond(vec!["netrun-lab-pw".into()])
            .await?;
        assert!(!matches!(r, KeyboardInteractiveAuthResponse::Success));
    }
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_hang_before_banner() -> anyhow::Result<()> {
    let lab = lab(1, fault("hang-before-banner")).await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", lab.devices()[0].port)).await?;
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(r.is_err(), "got bytes or EOF: {r:?}");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_garbage_banner() -> anyhow::Result<()> {
    let lab = lab(1, fault("garbage-banner:r001")).await;
    let dev = &lab.devices()[0];
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", dev.port)).await?;
    let mut got = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut got)).await??;
    assert_eq!(got, b"HTTP/1.1 400 Bad Request\r\n\r\n");
    assert!(connect_as(&lab, dev, dev).await.is_err());
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_hang_after_login() -> anyhow::Result<()> {
    let lab = lab(1, fault("hang-after-login:100%")).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    sh.send("\n").await;
    let r = sh.read_until(">", Duration::from_millis(500)).await;
    assert!(r.is_err());
    assert!(sh.buf.is_empty(), "{:?}", sh.buf);
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_wait_for_enter() -> anyhow::Result<()> {
    let lab = lab(1, fault("wait-for-enter:r001")).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    // Nothing until a line is sent.
    assert!(
        sh.read_until(">", Duration::from_millis(300))
            .await
            .is_err()
    );
    assert!(sh.buf.is_empty(), "{:?}", sh.buf);
    // The first line is the keypress (not run, not echoed): the prompt once.
    sh.send("\r\n").await;
    sh.read_until("r001>", T).await?;
    assert!(
        sh.read_until("r001>", Duration::from_millis(300))
            .await
            .is_err()
    );
    // From then on an ordinary CLI.
    let clock = sh.cmd("show clock", "r001>").await?;
    assert!(clock.contains("UTC"), "{clock}");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_drop_mid_output() -> anyhow::Result<()> {
    let lab = lab(1, fault("drop-mid-output:r001")).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    enable(&mut sh, &lab).await?;
    sh.cmd("terminal length 0", "r001#").await?;
    sh.send("show running-config\n").await;
    assert!(sh.drain_until_closed(T).await, "connection not dropped");
    let got = String::from_utf8_lossy(&sh.buf).into_owned();
    assert!(got.contains("Building configuration"), "{got}");
    assert!(!got.contains("\nend\r\n"), "{got}");
    assert!(!got.ends_with("r001#"), "{got}");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_drip() -> anyhow::Result<()> {
    let lab = lab(1, fault("drip=400:r001")).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let start = Instant::now();
    let mut sh = Shell::open(&h).await?;
    let greeting = sh.read_until("r001>", T).await?;
    let expected = Duration::from_secs_f64(greeting.len() as f64 / 400.0);
    assert!(
        start.elapsed() >= expected.mul_f64(0.8),
        "{} bytes in {:?}",
        greeting.len(),
        start.elapsed()
    );
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_latency() -> anyhow::Result<()> {
    let lab = lab(1, fault("latency=300ms:r001")).await;
    let h = login(&lab, &lab.devices()[0]).await?;
    let mut sh = Shell::open(&h).await?;
    sh.read_until("r001>", T).await?;
    let start = Instant::now();
    sh.cmd("show clock", "r001>").await?;
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_flap() -> anyhow::Result<()> {
    let period = Duration::from_millis(600);
    let lab = lab(
        1,
        vec![FaultRule {
            fault: Fault::Flap { period },
            selector: FaultSelector::Devices(vec!["r001".into()]),
        }],
    )
    .await;
    let start = Instant::now();
    let port = lab.devices()[0].port;
    let probe = || tokio::net::TcpStream::connect(("127.0.0.1", port));
    assert!(probe().await.is_ok(), "up at start");
    tokio::time::sleep_until((start + period.mul_f64(1.5)).into()).await;
    let down = probe().await;
    assert_eq!(
        down.expect_err("down").kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    tokio::time::sleep_until((start + period.mul_f64(2.5)).into()).await;
    assert!(probe().await.is_ok(), "up again");
    lab.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn percent_selection_and_shutdown() -> anyhow::Result<()> {
    let lab = lab(20, fault("refuse:25%")).await;
    let refused = lab.devices().iter().filter(|d| d.fault.is_some()).count();
    assert_eq!(refused, 5);
    let port = lab
        .devices()
        .iter()
        .find(|d| d.fault.is_none())
        .unwrap()
        .port;
    lab.shutdown().await;
    // Listeners are gone after shutdown.
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_devices() -> anyhow::Result<()> {
    let start = Instant::now();
    let lab = lab(1000, vec![]).await;
    let startup = start.elapsed();
    let devs = lab.devices();
    assert_eq!(devs[0].name, "r0001");
    assert_eq!(devs[999].name, "r1000");
    let keys: std::collections::HashSet<_> = devs.iter().map(|d| &d.host_key_openssh).collect();
    let ports: std::collections::HashSet<_> = devs.iter().map(|d| d.port).collect();
    let serials: std::collections::HashSet<_> = devs.iter().map(|d| &d.serial).collect();
    assert_eq!((keys.len(), ports.len(), serials.len()), (1000, 1000, 1000));
    // Log in to a spread of devices concurrently.
    let mut tasks = tokio::task::JoinSet::new();
    let lab = Arc::new(lab);
    for i in (0..1000).step_by(40) {
        let lab = lab.clone();
        tasks.spawn(async move {
            let d = &lab.devices()[i];
            let h = login(&lab, d).await?;
            let mut ch = h.channel_open_session().await?;
            ch.exec(true, "show version | include uptime").await?;
            let mut out = Vec::new();
            while let Some(msg) = tokio::time::timeout(T, ch.wait()).await? {
                match msg {
                    ChannelMsg::Data { data } => out.extend_from_slice(&data),
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            let out = String::from_utf8(out)?;
            anyhow::ensure!(out.starts_with(&format!("{} uptime is", d.name)), "{out}");
            anyhow::Ok(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    eprintln!("1000 devices started in {startup:?}");
    let lab = Arc::into_inner(lab).context("lab still shared")?;
    lab.shutdown().await;
    Ok(())
}

async fn persona_lab(platforms: &[(&str, usize)], faults: Vec<FaultRule>) -> Lab {
    Lab::start(LabConfig {
        devices: 0,
        platforms: platforms.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
        faults,
        seed: 7,
        ..Default::default()
    })
    .await
    .expect("lab starts")
}

#[tokio::test]
async fn junos_configuration_survives_the_session_and_a_refused_line_changes_nothing() {
    let lab = persona_lab(
        &[("juniper_junos", 3)],
        fault("reject-line=^set system ntp server 192\\.0\\.2\\.9$:junos002"),
    )
    .await;
    for (i, dev) in lab.devices().iter().enumerate() {
        assert_eq!(dev.platform, "juniper_junos");
        let prompt = format!("admin@{}> ", dev.name);
        let h = login(&lab, dev).await.unwrap();
        let mut sh = Shell::open(&h).await.unwrap();
        let banner = sh.read_until(&prompt, T).await.unwrap();
        assert!(banner.contains(&dev.os_version), "{banner}");
        sh.cmd("set cli screen-length 0", &prompt).await.unwrap();
        sh.cmd("configure", "# ").await.unwrap();
        let out = sh
            .cmd("set system ntp server 192.0.2.9", "# ")
            .await
            .unwrap();
        let refused = dev.name == "junos002";
        assert_eq!(
            out.contains("syntax error."),
            refused,
            "{}: {out}",
            dev.name
        );
        let out = sh.cmd("commit and-quit", &prompt).await.unwrap();
        assert!(out.contains("commit complete"), "{out}");
        sh.send("exit\n").await;
        assert!(sh.drain_until_closed(T).await);
        // A second session sees the committed configuration.
        let h = login(&lab, dev).await.unwrap();
        let mut sh = Shell::open(&h).await.unwrap();
        sh.read_until(&prompt, T).await.unwrap();
        sh.cmd("set cli screen-length 0", &prompt).await.unwrap();
        let out = sh
            .cmd("show configuration | display set | match ntp", &prompt)
            .await
            .unwrap();
        assert_eq!(
            out.contains("set system ntp server 192.0.2.9"),
            !refused,
            "{}: {out}",
            dev.name
        );
        assert_eq!(
            lab.running_config(i).unwrap().contains("server 192.0.2.9;"),
            !refused
        );
    }
}

/// A lab of two SR OS devices on the classic CLI (release 19.10, pinned).
async fn sros_classic_lab() -> Lab {
    let lab = Lab::start(LabConfig {
        devices: 0,
        platforms: vec![("nokia_sros".into(), 2)],
        releases: vec![("nokia_sros".into(), "B-19.".into())],
        seed: 7,
        ..Default::default()
    })
    .await
    .expect("lab starts");
    for d in lab.devices() {
        assert_eq!(d.os_version, "B-19.10.R7", "{}", d.name);
    }
    lab
}

/// The first device of a [`sros_classic_lab`]: its index, its name, and a
/// shell logged in to it with paging off.
async fn sros_classic(lab: &Lab) -> (usize, String, Shell, Handle<Pinned>) {
    let (i, dev) = (0, &lab.devices()[0]);
    let h = login(lab, dev).await.unwrap();
    let mut sh = Shell::open(&h).await.unwrap();
    let prompt = format!("A:{}# ", dev.name);
    sh.read_until(&prompt, T).await.unwrap();
    sh.cmd("environment no more", &prompt).await.unwrap();
    (i, dev.name.clone(), sh, h)
}

/// What a shell command printed, lines ended by `\n`.
async fn said(sh: &mut Shell, line: &str, prompt: &str) -> String {
    sh.cmd(line, prompt).await.unwrap().replace("\r\n", "\n")
}

#[tokio::test]
async fn sros_classic_configuration_context_walks_sets_removes_and_refuses() {
    let lab = sros_classic_lab().await;
    let (i, name, mut sh, _h) = sros_classic(&lab).await;
    let config = |path: &str| {
        if path.is_empty() {
            format!("A:{name}>config# ")
        } else {
            format!("A:{name}>config>{path}# ")
        }
    };
    let before = lab.running_config(i).unwrap();
    let top = format!("*A:{name}# ");
    let out = said(&mut sh, "configure", &config("")).await;
    assert!(!out.contains("*A:"), "nothing unsaved yet: {out}");
    // The lines the host types for an NTP server, context by context.
    said(&mut sh, "system", &config("system")).await;
    said(&mut sh, "time", &config("system>time")).await;
    said(&mut sh, "ntp", &config("system>time>ntp")).await;
    let out = said(&mut sh, "server 192.0.2.123", &config("system>time>ntp")).await;
    assert!(
        out.ends_with(&format!("*A:{name}>config>system>time>ntp# ")),
        "unsaved from now on: {out}"
    );
    // A line the context does not know: the classic error under a caret,
    // and nothing changed.
    let running = lab.running_config(i).unwrap();
    let out = said(&mut sh, "bogus line here", &config("system>time>ntp")).await;
    let prompt_width = format!("*A:{name}>config>system>time>ntp# ").len();
    assert!(
        out.contains(&format!(
            "\n{}^\nError: Bad command.\n",
            " ".repeat(prompt_width)
        )),
        "{out:?}"
    );
    let out = said(&mut sh, "server", &config("system>time>ntp")).await;
    assert!(out.contains("Error: Missing parameter"), "{out}");
    assert_eq!(lab.running_config(i).unwrap(), running);
    said(&mut sh, "exit", &config("system>time")).await;
    said(&mut sh, "exit", &config("system")).await;
    said(&mut sh, "exit", &config("")).await;
    // A context created by the line that names it, prompt abbreviations.
    said(
        &mut sh,
        "router \"Base\" interface \"to-pe9\" create",
        &config("router>if"),
    )
    .await;
    said(&mut sh, "description \"lab link\"", &config("router>if")).await;
    said(&mut sh, "description \"to pe9\"", &config("router>if")).await;
    said(&mut sh, "shutdown", &config("router>if")).await;
    said(&mut sh, "no shutdown", &config("router>if")).await;
    said(&mut sh, "back", &config("router")).await;
    said(&mut sh, "exit all", &top).await;
    let shown = said(&mut sh, "admin display-config", &top).await;
    for part in [
        "# TiMOS-C-19.10.R7 ",
        "\n# Generated ",
        "\nexit all\nconfigure\n#--------------------------------------------------\necho \"System Configuration\"\n#--------------------------------------------------\n    system\n",
        "\n        time\n            ntp\n                server 10.0.0.1\n                no shutdown\n                server 192.0.2.123\n            exit\n",
        "\necho \"Router (Network Side) Configuration\"\n",
        "\n    router Base\n",
        "\n        interface \"to-pe9\"\n            description \"to pe9\"\n            no shutdown\n        exit\n",
        "\n    exit\nexit all\n\n# Finished ",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }
    assert!(
        !shown.contains("lab link") && !shown.contains("bogus"),
        "{shown}"
    );
    // `no` removes a leaf; one-liners from the root apply and stay there.
    said(
        &mut sh,
        "configure router interface \"to-pe9\" no description",
        &top,
    )
    .await;
    said(
        &mut sh,
        "configure system time ntp no server 192.0.2.123",
        &top,
    )
    .await;
    let out = said(&mut sh, "configure system bogus", &top).await;
    assert!(out.contains("Error: Bad command."), "{out}");
    let now = lab.running_config(i).unwrap();
    assert!(
        !now.contains("192.0.2.123") && !now.contains("to pe9"),
        "{now}"
    );
    assert!(now.contains("interface \"to-pe9\""), "{now}");
    assert_ne!(now, before);
    // Saving clears the `*`.
    said(&mut sh, "admin save", &format!("A:{name}# ")).await;
    let out = said(&mut sh, "configure", &config("")).await;
    assert!(!out.contains("*A:"), "{out}");
    said(&mut sh, "exit", &format!("A:{name}# ")).await;
}

#[tokio::test]
async fn sros_classic_rollback_revert_undoes_the_configuration_context() {
    let lab = sros_classic_lab().await;
    let (i, name, mut sh, _h) = sros_classic(&lab).await;
    let before = lab.running_config(i).unwrap();
    let top = format!("A:{name}# ");
    said(&mut sh, "admin rollback save comment \"netrun-1\"", &top).await;
    said(&mut sh, "configure", &format!("A:{name}>config# ")).await;
    for line in "system\ntime\nntp\nserver 192.0.2.123\nexit\nexit".lines() {
        sh.send(&format!("{line}\n")).await;
    }
    said(
        &mut sh,
        "name \"pe-renamed\"",
        "*A:pe-renamed>config>system# ",
    )
    .await;
    said(&mut sh, "exit all", "*A:pe-renamed# ").await;
    let changed = lab.running_config(i).unwrap();
    assert!(changed.contains("server 192.0.2.123") && changed.contains("pe-renamed"));
    let list = said(&mut sh, "show system rollback", "*A:pe-renamed# ").await;
    assert!(
        list.contains("\nlatest .rb ") && list.contains("\n       netrun-1\n"),
        "{list}"
    );
    let out = said(&mut sh, "admin rollback revert latest-rb now", &top).await;
    assert!(out.contains("Finished"), "{out}");
    assert_eq!(lab.running_config(i).unwrap(), before);
    said(&mut sh, "admin rollback delete latest-rb", &top).await;
    let list = said(&mut sh, "show system rollback", &top).await;
    assert!(!list.contains("netrun-1"), "{list}");
}

#[tokio::test]
async fn every_platform_gets_unique_names_and_its_own_ssh_banner() {
    let reg = netrun_lab::persona::registry().unwrap();
    let mut platforms: Vec<(&str, usize)> = reg.platforms().into_iter().map(|p| (p, 2)).collect();
    platforms.push(("cisco_xe", 2));
    let lab = persona_lab(&platforms, vec![]).await;
    let mut names = std::collections::HashSet::new();
    for d in lab.devices() {
        assert!(names.insert(d.name.clone()), "{}", d.name);
    }
    assert_eq!(names.len(), platforms.len() * 2);
    // The SSH identification string is the platform's.
    let junos = lab
        .devices()
        .iter()
        .find(|d| d.platform == "juniper_junos")
        .unwrap();
    let mut tcp = tokio::net::TcpStream::connect((lab.config().bind, junos.port))
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("SSH-2.0-OpenSSH_7.5"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    // Fault knobs work on personas too.
    drop(lab);
    let lab = persona_lab(&[("huawei_vrp", 2)], fault("auth-reject:vrp002")).await;
    let ok = login(&lab, &lab.devices()[0]).await;
    assert!(ok.is_ok());
    let refused = login(&lab, &lab.devices()[1]).await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_name_prefix_clashing_with_a_persona_is_refused() {
    let e = Lab::start(LabConfig {
        devices: 2,
        name_prefix: "junos".into(),
        platforms: vec![("juniper_junos".into(), 2)],
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("junos001"), "{e}");
    let e = Lab::start(LabConfig {
        platforms: vec![("juniper".into(), 2)],
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no lab persona for platform `juniper`"),
        "{e}"
    );
    let e = Lab::start(LabConfig {
        platforms: vec![("nokia_sros".into(), 1)],
        releases: vec![("nokia_sros".into(), "B-9.".into())],
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no release `B-9.…`"), "{e}");
}
