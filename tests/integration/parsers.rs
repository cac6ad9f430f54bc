//! The cisco-ios driver's parsers, run inside the real WebAssembly
//! component, against the recorded device output kept beside the plugin.

use netrun::error::ErrorClass;
use netrun::runtime::bundle::Bundle;
use netrun::runtime::driver::DriverInstance;
use netrun::runtime::{Runtime, RuntimeOptions};
use netrun_tests::{plugin_dir, workspace};
use serde_json::Value;
use std::sync::Arc;

/// An instance of the cisco-ios driver, made as every device's is.
async fn cisco_ios() -> DriverInstance {
    let (runtime, plugin, _) = cisco_ios_plugin();
    DriverInstance::new(&runtime, plugin, Arc::from("fixtures"))
        .await
        .expect("instance")
}

#[tokio::test]
async fn every_fixture_parses_inside_the_component_to_its_expected_json() {
    let mut driver = cisco_ios().await;
    let root = workspace().join("plugins/cisco-ios/tests/fixtures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let command = dir.file_name().unwrap().to_string_lossy().replace('_', " ");
        for f in std::fs::read_dir(&dir).unwrap() {
            let raw_path = f.unwrap().path();
            if raw_path.extension().is_none_or(|e| e != "raw") {
                continue;
            }
            let raw = std::fs::read_to_string(&raw_path).unwrap();
            let expected: Value = serde_json::from_str(
                &std::fs::read_to_string(raw_path.with_extension("json")).unwrap(),
            )
            .unwrap();
            match driver.parse("cisco_ios", &command, &raw).await {
                Ok(json) => {
                    let got: Value = serde_json::from_str(&json).unwrap();
                    if got != expected {
                        failures.push(format!("{}: parsed value differs", raw_path.display()));
                    }
                }
                Err(e) => failures.push(format!("{}: {e}", raw_path.display())),
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        checked >= 15,
        "only {checked} fixtures found under {}",
        root.display()
    );
}

#[tokio::test]
async fn garbage_output_and_unknown_commands_are_parse_errors_not_traps() {
    let mut driver = cisco_ios().await;
    let e = driver
        .parse(
            "cisco_ios",
            "show version",
            "% Invalid input detected at '^' marker.",
        )
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Parse);
    let e = driver
        .parse("cisco_ios", "show bgp summary", "anything")
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Unsupported);
    assert!(e.message.contains("no parser"), "{}", e.message);
    // The instance is still usable after errors.
    let ok = driver
        .parse("cisco_ios", "sh ip int br", "Interface              IP-Address      OK? Method Status                Protocol\nLoopback0              10.0.0.1        YES NVRAM  up                    up\n")
        .await
        .unwrap();
    let rows: Value = serde_json::from_str(&ok).unwrap();
    assert_eq!(rows[0]["interface"], "Loopback0");
    assert_eq!(rows[0]["ip_address"], "10.0.0.1");
}

/// A runtime with the cisco-ios driver loaded, and a recorded
/// `show version` of an ISR4331.
fn cisco_ios_plugin() -> (Arc<Runtime>, Arc<netrun::runtime::Plugin>, String) {
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 8,
        cache_dir: None,
    })
    .expect("runtime");
    let bundle = Bundle::open(&plugin_dir().join("cisco-ios")).expect("bundle");
    let plugin = Arc::new(runtime.load(&bundle).expect("plugin loads"));
    let raw = std::fs::read_to_string(
        workspace().join("plugins/cisco-ios/tests/fixtures/show_version/ios_xe_17_3_isr4331.raw"),
    )
    .unwrap();
    (runtime, plugin, raw)
}

#[tokio::test]
async fn driver_instances_serve_one_device_after_another_and_never_two_at_once() {
    let (runtime, plugin, raw) = cisco_ios_plugin();
    let sha = plugin.sha256.clone();
    // Two devices at once get two instances.
    let mut a = runtime
        .checkout_driver(&plugin, Arc::from("r1"))
        .await
        .unwrap();
    let mut b = runtime
        .checkout_driver(&plugin, Arc::from("r2"))
        .await
        .unwrap();
    assert_eq!(runtime.idle_drivers(&sha), 0);
    let first = a.parse("cisco_ios", "show version", &raw).await.unwrap();
    b.parse("cisco_ios", "show version", &raw).await.unwrap();
    runtime.checkin_driver(a);
    runtime.checkin_driver(b);
    assert_eq!(runtime.idle_drivers(&sha), 2);
    // The next device takes an idle one, renamed, and it parses the same
    // (its CPU budget is per call, not used up by earlier devices).
    let mut c = runtime
        .checkout_driver(&plugin, Arc::from("r3"))
        .await
        .unwrap();
    assert_eq!(runtime.idle_drivers(&sha), 1);
    assert_eq!(c.device(), "r3");
    for _ in 0..50 {
        assert_eq!(
            c.parse("cisco_ios", "show version", &raw).await.unwrap(),
            first
        );
    }
}

/// A driver instance goes back to the idle list after a call that left it
/// usable (an answer, or an error of the answer's), and is dropped after a
/// trap or when its call was abandoned half-way: the next device never gets
/// an instance in a state no one knows.
#[tokio::test]
async fn a_driver_instance_is_handed_on_only_after_a_call_that_left_it_usable() {
    let (runtime, plugin, raw) = cisco_ios_plugin();
    let sha = plugin.sha256.clone();
    let parsed = runtime
        .call_driver(&plugin, Arc::from("r1"), async |d| {
            d.parse("cisco_ios", "show version", &raw).await
        })
        .await
        .unwrap();
    assert!(parsed.contains("ISR4331"), "{parsed}");
    assert_eq!(runtime.idle_drivers(&sha), 1, "a call that answered");
    let e = runtime
        .call_driver(&plugin, Arc::from("r2"), async |d| {
            d.parse("cisco_ios", "show bgp summary", "anything").await
        })
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Unsupported);
    assert_eq!(runtime.idle_drivers(&sha), 1, "an answer that is an error");
    let e = runtime
        .call_driver(&plugin, Arc::from("r3"), async |d| {
            d.parse("cisco_ios", "show version", &raw).await?;
            Err::<(), _>(netrun::error::Error::new(
                ErrorClass::PluginTrap,
                "wasm trap: unreachable",
            ))
        })
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::PluginTrap);
    assert_eq!(
        runtime.idle_drivers(&sha),
        0,
        "a trapped instance is dropped"
    );
    // A call abandoned while it holds the instance: the caller's future is
    // dropped (a device deadline, a stopping run) after the parse ran.
    let (ran, ran_rx) = tokio::sync::oneshot::channel::<()>();
    // Boxed, so that dropping it drops the call itself.
    let mut call = Box::pin(runtime.call_driver(&plugin, Arc::from("r4"), async |d| {
        d.parse("cisco_ios", "show version", &raw).await?;
        let _ = ran.send(());
        std::future::pending::<Result<(), netrun::error::Error>>().await
    }));
    tokio::select! {
        _ = &mut call => panic!("the call never ends on its own"),
        r = ran_rx => r.expect("the parse ran"),
    }
    assert_eq!(
        runtime.idle_drivers(&sha),
        0,
        "checked out while the call runs"
    );
    drop(call);
    assert_eq!(
        runtime.idle_drivers(&sha),
        0,
        "an abandoned call's instance is dropped"
    );
    // The next device gets a new instance, which parses.
    let again = runtime
        .call_driver(&plugin, Arc::from("r5"), async |d| {
            d.parse("cisco_ios", "show version", &raw).await
        })
        .await
        .unwrap();
    assert_eq!(again, parsed);
    assert_eq!(runtime.idle_drivers(&sha), 1);
}

/// `netrun platforms` asks each platform's getters of one driver instance
/// per driver, left idle afterwards: a new instance per platform would read
/// the driver's platform data again each time (netrun-platforms: 62
/// platforms, 460 ms of CPU instead of 40).
#[tokio::test]
async fn the_platform_table_asks_one_instance_of_each_driver() {
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 16,
        cache_dir: None,
    })
    .expect("runtime");
    let drivers: Vec<Arc<netrun::runtime::Plugin>> = ["cisco-ios", "netrun-platforms"]
        .iter()
        .map(|name| {
            let bundle = Bundle::open(&plugin_dir().join(name)).expect("bundle");
            Arc::new(runtime.load(&bundle).expect("plugin loads"))
        })
        .collect();
    let rows = netrun::cli::platform_rows(&runtime, &drivers)
        .await
        .expect("platform rows");
    assert_eq!(rows[0], ["PLATFORM", "DRIVER", "GETTERS"]);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
    };
    assert_eq!(row("cisco_ios")[1], "cisco-ios");
    assert!(row("cisco_ios")[2].split(',').any(|g| g == "facts"));
    assert_eq!(row("juniper_junos")[1], "netrun-platforms");
    assert!(row("juniper_junos")[2].split(',').any(|g| g == "facts"));
    let platforms_of = |driver: &str| rows.iter().filter(|r| r[1] == driver).count();
    assert!(platforms_of("netrun-platforms") > 10);
    for d in &drivers {
        assert_eq!(
            runtime.idle_drivers(&d.sha256),
            1,
            "{}: one instance answers all its platforms",
            d.bundle.manifest.name
        );
    }
}
