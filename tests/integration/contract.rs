//! The versioned contract: a component built against `netrun:plugin@0.1.0`
//! and frozen in `tests/fixtures/wit-0.1.0-driver/` (source in
//! `tests/plugins/wit-0.1.0-driver/`) must load and work on every later host.

use netrun::error::ErrorClass;
use netrun::runtime::bundle::{Bundle, WitVersion};
use netrun::runtime::host::DriverInstance;
use netrun::runtime::{Runtime, RuntimeOptions};
use netrun_tests::workspace;
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
    assert_eq!(e.class, ErrorClass::Parse);
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
    assert!(msg.contains("0.9.0") && msg.contains("0.1.x"), "{msg}");
}
