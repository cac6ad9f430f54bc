//! Every platform at once: a lab of every persona, swept in one run by
//! `collect-facts` and by `netrun get`, each device answered by its own
//! platform's driver; and the support matrix `netrun platforms` prints.

use netrun_tests::{TempDir, netrun, output, records_in};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Devices of each platform in the mixed lab.
const EACH: usize = 20;

async fn mixed_lab() -> (netrun_lab::Lab, TempDir, BTreeMap<String, String>) {
    netrun::resilience::raise_nofile_limit();
    let mut config = netrun_lab::LabConfig::default();
    config
        .set_platforms(&format!("all={EACH}"))
        .expect("all=N is a platform spec");
    assert!(
        config.devices == EACH && config.platforms.len() >= 16,
        "{:?}",
        config.platforms
    );
    let lab = netrun_lab::Lab::start(config).await.expect("lab starts");
    let inv = TempDir::new("mixed-inv");
    lab.write_inventory(inv.path()).expect("inventory written");
    // Device name -> platform, from the inventory the lab wrote.
    let hosts: BTreeMap<String, Value> = serde_json::from_value(
        serde_saphyr::from_str::<Value>(
            &std::fs::read_to_string(inv.path().join("hosts.yaml")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let platform_of = hosts
        .into_iter()
        .map(|(name, h)| (name, h["platform"].as_str().unwrap_or("-").to_string()))
        .collect();
    (lab, inv, platform_of)
}

fn run(home: &Path, args: &[&str]) -> (Vec<Value>, std::process::Output) {
    let out = home.join(format!("{}.jsonl", args[0]));
    let mut cmd = netrun(home);
    cmd.args(args).arg("-o").arg(&out);
    let o = output(&mut cmd);
    let records = records_in(&out);
    (records, o)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lab_of_every_platform_gives_every_device_its_facts_and_getters() {
    let (_lab, inv, platform_of) = mixed_lab().await;
    let i = inv.path().to_str().unwrap().to_string();
    let home = TempDir::new("home");

    let h = home.path().to_path_buf();
    let i2 = i.clone();
    let (records, o) =
        tokio::task::spawn_blocking(move || run(&h, &["run", "collect-facts", "-i", &i2]))
            .await
            .unwrap();
    let why = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(records.len(), platform_of.len(), "{why}");
    let mut per_platform: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &records {
        let device = r["device"].as_str().unwrap();
        assert_eq!(r["status"], "ok", "{r}");
        let d = &r["data"];
        assert_eq!(d["hostname"], device, "{r}");
        for field in ["os_version", "model", "serial", "vendor"] {
            assert!(
                d[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} of {device}: {r}"
            );
        }
        assert!(
            d["interfaces"].as_array().is_some_and(|a| !a.is_empty()),
            "{r}"
        );
        *per_platform.entry(&platform_of[device]).or_default() += 1;
    }
    assert!(
        per_platform.values().all(|n| *n == EACH),
        "{per_platform:?}"
    );
    assert_eq!(o.status.code(), Some(0), "{why}");

    let h = home.path().to_path_buf();
    let (records, o) = tokio::task::spawn_blocking(move || {
        run(
            &h,
            &[
                "get",
                "facts,interfaces,lldp_neighbors,lldp_neighbors_detail,arp_table,bgp_neighbors,environment",
                "-i",
                &i,
            ],
        )
    })
    .await
    .unwrap();
    let why = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{why}");
    assert_eq!(records.len(), platform_of.len(), "{why}");
    let matrix = support_matrix(home.path());
    let mut answered: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sros_with_details = 0;
    for r in &records {
        let device = r["device"].as_str().unwrap();
        assert_eq!(r["status"], "ok", "{r}");
        let d = &r["data"];
        assert_eq!(d["facts"]["hostname"], device, "{r}");
        let unsupported: Vec<&str> = d["unsupported"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let platform = platform_of[device].as_str();
        for getter in [
            "interfaces",
            "lldp_neighbors",
            "lldp_neighbors_detail",
            "arp_table",
            "bgp_neighbors",
            "environment",
        ] {
            // Unsupported exactly where `netrun platforms` says so.
            assert_eq!(
                unsupported.contains(&getter),
                !matrix[platform].iter().any(|g| g == getter),
                "{getter} on {platform}: {r}"
            );
            if unsupported.contains(&getter) {
                assert!(d.get(getter).is_none(), "{r}");
                continue;
            }
            *answered.entry(getter).or_default() += 1;
            assert!(!d[getter].is_null(), "{getter} of {device} answered: {r}");
        }
        // SR OS prints neighbour details per port only: the host runs the
        // driver's follow-up command for each port the summary listed.
        if platform == "nokia_sros" {
            let ports = |v: &Value| -> Vec<String> {
                v.as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default()
            };
            if !ports(&d["lldp_neighbors_detail"]).is_empty() {
                sros_with_details += 1;
            }
            assert_eq!(
                ports(&d["lldp_neighbors_detail"]),
                ports(&d["lldp_neighbors"]),
                "{r}"
            );
        }
        if let Some(env) = d.get("environment") {
            assert!(
                env["memory"]["used_ram"].as_i64() > Some(0) && env["cpu"]["0"].is_object(),
                "{r}"
            );
        }
    }
    assert!(sros_with_details > 0, "no SR OS device gave LLDP details");
    // Most of the fleet answers each table; a platform that does not is
    // listed as unsupported, never guessed.
    for getter in ["lldp_neighbors", "arp_table"] {
        assert!(
            answered.get(getter).copied().unwrap_or(0) >= platform_of.len() / 2,
            "{getter}: {answered:?}"
        );
    }
}

/// `netrun platforms` as platform -> getters.
fn support_matrix(home: &Path) -> BTreeMap<String, Vec<String>> {
    let o = output(netrun(home).arg("platforms"));
    assert_eq!(o.status.code(), Some(0));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let platform = w.next()?.to_string();
            let getters = w.nth(1)?.split(',').map(String::from).collect();
            Some((platform, getters))
        })
        .collect()
}

#[test]
fn platforms_prints_every_platform_with_its_driver_and_getters() {
    let home = TempDir::new("home");
    let o = output(netrun(home.path()).arg("platforms"));
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    let rows: BTreeMap<&str, (&str, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?, (w.next()?, w.next()?)))
        })
        .collect();
    for p in netrun_lab::platforms() {
        let (driver, getters) = rows
            .get(p.as_str())
            .unwrap_or_else(|| panic!("{p} missing from:\n{text}"));
        assert!(!driver.is_empty());
        assert!(getters.split(',').any(|g| g == "facts"), "{p}: {getters}");
    }
    assert_eq!(rows["juniper_junos"].0, "netrun-platforms");
    for (platform, getter) in [
        ("juniper_junos", "environment"),
        ("arista_eos", "environment"),
        ("linux", "environment"),
        ("aruba_aoscx", "environment"),
        ("dell_os10", "environment"),
        ("paloalto_panos", "environment"),
        ("fortinet", "environment"),
        ("dell_os10", "bgp_neighbors"),
        ("nokia_sros", "bgp_neighbors"),
        ("hp_comware", "lldp_neighbors_detail"),
        ("juniper_junos", "lldp_neighbors_detail"),
        ("aruba_aoscx", "lldp_neighbors_detail"),
        ("dell_os10", "lldp_neighbors_detail"),
        ("vyos", "lldp_neighbors_detail"),
        ("mikrotik_routeros", "lldp_neighbors_detail"),
        ("paloalto_panos", "lldp_neighbors_detail"),
        ("hp_procurve", "lldp_neighbors_detail"),
        ("hp_comware", "environment"),
        ("cisco_asa", "environment"),
        ("cisco_xr", "environment"),
        ("hp_procurve", "environment"),
        ("nokia_sros", "environment"),
        ("cisco_asa", "bgp_neighbors"),
        ("hp_procurve", "facts"),
        ("hp_procurve", "bgp_neighbors"),
        ("fortinet", "lldp_neighbors"),
        ("fortinet", "lldp_neighbors_detail"),
        ("vyos", "environment"),
    ] {
        assert!(
            rows[platform].1.split(',').any(|g| g == getter),
            "{platform} answers {getter}:\n{text}"
        );
    }
    assert_eq!(rows["cisco_ios"].0, "cisco-ios");
}
