//! The versioned contract: a component built against `netrun:plugin@0.1.0`
//! and frozen in `tests/fixtures/wit-0.1.0-driver/` (source in
//! `tests/plugins/wit-0.1.0-driver/`) must load and work on every later host;
//! so must the 0.1.1 Rust workflow scaffold in
//! `tests/fixtures/wit-0.1.1-workflow/` (source in
//! `tests/plugins/wit-0.1.1-workflow/`).

use netrun::error::ErrorClass;
use netrun::runtime::bundle::{Bundle, WitVersion};
use netrun::runtime::driver::DriverInstance;
use netrun::runtime::{Runtime, RuntimeOptions};
use netrun_tests::{
    TempDir, netrun_cmd_with_plugins, output, plugin_dir, read_jsonl, start_lab, workspace,
};
use std::sync::Arc;

#[tokio::test]
async fn frozen_wit_0_1_0_driver_loads_defines_its_platform_and_parses() {
    let dir = workspace().join("tests/fixtures/wit-0.1.0-driver");
    let bundle = Bundle::open(&dir).expect("frozen bundle manifest");
    assert_eq!(bundle.manifest.wit, "0.1.0");
    assert_eq!(bundle.wit_version().unwrap(), WitVersion::V0_1);
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 4,
        cache_dir: None,
    })
    .unwrap();
    let plugin = Arc::new(runtime.load(&bundle).expect("a 0.1.0 component loads"));
    let platforms = runtime
        .platforms(std::slice::from_ref(&plugin))
        .await
        .unwrap();
    assert!(
        platforms.contains_key("frozen_os"),
        "{:?}",
        platforms.keys()
    );
    let mut driver = DriverInstance::new(&runtime, plugin, Arc::from("frozen"))
        .await
        .unwrap();
    let json = driver
        .parse("frozen_os", "show hostname", "edge-1\n")
        .await
        .unwrap();
    assert_eq!(json, r#"{"hostname":"edge-1"}"#);
    let e = driver
        .parse("frozen_os", "show clock", "")
        .await
        .unwrap_err();
    // 0.1's `unsupported-command` is the host's `unsupported` class.
    assert_eq!(e.class, ErrorClass::Unsupported);
}

#[test]
fn a_plugin_for_an_unknown_wit_version_is_refused_naming_what_the_host_implements() {
    let dir = netrun_tests::TempDir::new("wit-future");
    std::fs::write(
        dir.path().join("netrun-plugin.toml"),
        "name = \"future\"\nversion = \"1.0.0\"\nkind = \"driver\"\nwit = \"0.9.0\"\ncomponent = \"plugin.wasm\"\nsha256 = \"\"\n",
    )
    .unwrap();
    let bundle = Bundle::open(dir.path()).unwrap();
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 4,
        cache_dir: None,
    })
    .unwrap();
    let Err(e) = runtime.load(&bundle) else {
        panic!("a 0.9.0 plugin must be refused")
    };
    let msg = format!("{e:#}");
    assert!(
        msg.contains("0.9.0") && msg.contains("0.1.x") && msg.contains("0.2.x"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_0_2_driver_and_the_frozen_0_1_0_driver_run_side_by_side_in_one_process() {
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 8,
        cache_dir: None,
    })
    .unwrap();
    let frozen = Bundle::open(&workspace().join("tests/fixtures/wit-0.1.0-driver")).unwrap();
    let ios = Bundle::open(&netrun_tests::plugin_dir().join("cisco-ios")).unwrap();
    assert_eq!(ios.wit_version().unwrap(), WitVersion::V0_2);
    let frozen = Arc::new(runtime.load(&frozen).expect("0.1.0 loads"));
    let ios = Arc::new(runtime.load(&ios).expect("0.2 loads"));
    let platforms = runtime
        .platforms(&[frozen.clone(), ios.clone()])
        .await
        .unwrap();
    assert!(platforms.contains_key("frozen_os") && platforms.contains_key("cisco_ios"));
    // Only the 0.2 driver declares configuration mechanics.
    assert!(platforms["frozen_os"].platform.config.is_none());
    let ios_config = platforms["cisco_ios"].platform.config.as_ref().unwrap();
    assert_eq!(ios_config.show_running, "show running-config");

    let mut old = DriverInstance::new(&runtime, frozen, Arc::from("a"))
        .await
        .unwrap();
    let mut new = DriverInstance::new(&runtime, ios, Arc::from("b"))
        .await
        .unwrap();
    for _ in 0..2 {
        let json = old
            .parse("frozen_os", "show hostname", "edge-1\n")
            .await
            .unwrap();
        assert_eq!(json, r#"{"hostname":"edge-1"}"#);
        let e = new
            .parse(
                "cisco_ios",
                "show version",
                "% Invalid input detected at '^' marker.",
            )
            .await
            .unwrap_err();
        assert_eq!(e.class, ErrorClass::Parse);
    }
    // A 0.1 driver has no getters: asked anyway, it is `unsupported`.
    assert!(old.getters("frozen_os").await.unwrap().is_empty());
    let e = old.getter_commands("frozen_os", "facts").await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Unsupported);
    assert!(e.message.contains("0.2"), "{}", e.message);
}

/// What `netrun plugin new --kind workflow --lang rust` generated under
/// 0.1.1, built once and frozen, runs on today's host beside today's
/// drivers: `show version` (granted) parsed by the cisco-ios driver.
#[tokio::test]
async fn a_frozen_0_1_1_scaffold_workflow_loads_and_runs_against_a_lab_device() {
    let frozen = workspace().join("tests/fixtures/wit-0.1.1-workflow");
    let (lab, inv) = start_lab(2, &[]).await;
    let home = TempDir::new("scaffold-0-1-1");
    let out = home.path().join("out.jsonl");
    let mut cmd = netrun_cmd_with_plugins(home.path(), &[&plugin_dir(), &frozen]);
    cmd.args([
        "run",
        "scaffold-0-1-1",
        "--grant",
        "command=show version",
        "-i",
    ])
    .arg(inv.path())
    .arg("-o")
    .arg(&out);
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    let why = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{why}");
    let records = read_jsonl(&out);
    assert_eq!(records.len(), lab.devices().len(), "{why}");
    // IOS-XE prints its release both as 17.03.04a and as 17.3.4a.
    let release = |v: &str| -> Vec<String> {
        v.split('.')
            .map(|p| p.trim_start_matches('0').to_string())
            .collect()
    };
    for d in lab.devices() {
        let r = records
            .iter()
            .find(|r| r["device"] == d.name.as_str())
            .unwrap_or_else(|| panic!("no record for {}: {why}", d.name));
        assert_eq!(r["status"], "ok", "{r}");
        let data = r["data"].as_object().unwrap();
        assert_eq!(data.len(), 2, "only hostname and version: {r}");
        assert_eq!(data["hostname"], d.name.as_str(), "{r}");
        let version = data["version"].as_str().unwrap_or_default();
        assert_eq!(release(version), release(&d.os_version), "{r}");
    }
}

/// What contract 0.2's `config-mechanics` has no field for travels as
/// marker steps (the SDK puts them in, the host takes them out): RouterOS's
/// `menus` style and SR OS's `locate` arrive whole, no marker left to send.
#[tokio::test]
async fn menus_style_and_locate_travel_through_the_contract_as_marker_steps() {
    use netrun::config::mechanics::Style;
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 2,
        cache_dir: None,
    })
    .unwrap();
    let bundle = Bundle::open(&netrun_tests::plugin_dir().join("netrun-platforms")).unwrap();
    let driver = Arc::new(runtime.load(&bundle).expect("loads"));
    let platforms = runtime.platforms(&[driver]).await.unwrap();
    let ros = platforms["mikrotik_routeros"]
        .platform
        .config
        .as_ref()
        .unwrap();
    assert_eq!(ros.style, Style::Menus);
    assert!(ros.abort.is_empty() && ros.rollback.is_empty() && ros.checkpoint.is_empty());
    let sros = platforms["nokia_sros"].platform.config.as_ref().unwrap();
    let sends = |steps: &[netrun::config::mechanics::Step]| {
        steps.iter().map(|s| s.send.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        sends(&sros.checkpoint),
        ["admin rollback save comment \"{name}\""]
    );
    assert_eq!(sends(&sros.rollback), ["admin rollback revert {index} now"]);
    assert_eq!(sends(&sros.cleanup), ["admin rollback delete {index}"]);
    let locate = sros.locate.as_ref().expect("locate travels");
    assert_eq!(locate.command, "show system rollback");
    assert_eq!(locate.otherwise, "latest-rb");
    let listing = "latest .rb        2026/12/01 03:50:12 UTC  B-19.10.R7         cron\n       nightly\n1      .rb.1      2026/12/01 03:49:58 UTC  B-19.10.R7         admin\n       netrun-5\n";
    assert_eq!(locate.find(listing, "netrun-5").as_deref(), Some("1"));
}
