//! End-to-end tests: an HTTPS client (reqwest, verifying TLS against the lab CA)
//! against lab EOS devices' eAPI over loopback.

use std::time::Duration;

use netrun_lab::{Lab, LabConfig, LabEosDevice};
use serde_json::{Value, json};

const USER: &str = "admin";
const PASSWORD: &str = "netrun-lab-pw";

async fn eos_lab(eos_devices: usize) -> Lab {
    Lab::start(LabConfig {
        devices: 1,
        eos_devices,
        seed: 7,
        ..Default::default()
    })
    .await
    .expect("lab starts")
}

/// A lab with `eos_devices` EOS devices and a client that trusts its CA.
async fn eos_lab_and_client(eos_devices: usize) -> (Lab, reqwest::Client) {
    let lab = eos_lab(eos_devices).await;
    let client = client(lab.ca_pem().expect("EOS lab has a CA"));
    (lab, client)
}

/// The HTTP status of a request.
async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send()
        .await
        .expect("request succeeds")
        .status()
        .as_u16()
}

/// A client that trusts only the lab CA.
fn client(ca_pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM parses");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

fn url(dev: &LabEosDevice, host: &str) -> String {
    format!("https://{host}:{}/command-api", dev.https_port)
}

fn run_cmds(cmds: Value, format: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": "runCmds",
        "params": {"version": 1, "cmds": cmds, "format": format},
        "id": "1",
    })
}

async fn post(client: &reqwest::Client, dev: &LabEosDevice, body: &Value) -> Value {
    let resp = client
        .post(url(dev, "127.0.0.1"))
        .basic_auth(USER, Some(PASSWORD))
        .json(body)
        .send()
        .await
        .expect("request succeeds");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("JSON body")
}

#[tokio::test]
async fn show_version_and_interfaces_over_verified_tls() {
    let (lab, client) = eos_lab_and_client(2).await;
    let dev = &lab.eos_devices()[1];
    assert_eq!(dev.name, "eos002");
    let r = post(
        &client,
        dev,
        &run_cmds(json!(["show version", "show interfaces"]), "json"),
    )
    .await;
    assert_eq!(r["jsonrpc"], "2.0");
    assert_eq!(r["id"], "1");
    let result = r["result"].as_array().expect("result list");
    assert_eq!(result.len(), 2);
    let version = &result[0];
    assert_eq!(version["mfgName"], "Arista");
    assert_eq!(version["serialNumber"], dev.serial.as_str());
    assert_eq!(version["modelName"], dev.model.as_str());
    assert_eq!(version["version"], dev.version.as_str());
    for field in [
        "hardwareRevision",
        "systemMacAddress",
        "hwMacAddress",
        "configMacAddress",
        "architecture",
        "internalVersion",
        "internalBuildId",
        "imageFormatVersion",
        "imageOptimization",
        "bootupTimestamp",
        "uptime",
        "memTotal",
        "memFree",
        "isIntlVersion",
    ] {
        assert!(version.get(field).is_some(), "show version lacks {field}");
    }
    let interfaces = result[1]["interfaces"].as_object().expect("interfaces");
    let eth1 = &interfaces["Ethernet1"];
    assert_eq!(eth1["name"], "Ethernet1");
    assert_eq!(eth1["lineProtocolStatus"], "up");
    assert!(eth1["interfaceCounters"]["inOctets"].as_u64().is_some());
    assert!(
        eth1["interfaceCounters"]["inputErrorsDetail"]["fcsErrors"]
            .as_u64()
            .is_some()
    );
    assert!(eth1["interfaceStatistics"]["inBitsRate"].as_f64().is_some());
    assert_eq!(
        interfaces["Management1"]["interfaceAddress"][0]["primaryIp"]["maskLen"],
        24
    );
    for name in ["Loopback0", "Port-Channel1", "Vlan10"] {
        assert!(interfaces.contains_key(name), "no {name}");
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_with_basic_challenge() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    let body = run_cmds(json!(["show version"]), "json");
    let wrong = client
        .post(url(dev, "127.0.0.1"))
        .basic_auth(USER, Some("not-the-password"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["www-authenticate"], "Basic realm=\"eAPI\"");
    let missing = client.post(url(dev, "127.0.0.1")).json(&body);
    assert_eq!(status(missing).await, 401);
    lab.shutdown().await;
}

#[tokio::test]
async fn wrong_path_is_404_and_wrong_method_is_405() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    let base = format!("https://127.0.0.1:{}", dev.https_port);
    let wrong_path = client.post(format!("{base}/api"));
    assert_eq!(
        status(wrong_path.basic_auth(USER, Some(PASSWORD))).await,
        404
    );
    let wrong_method = client.get(format!("{base}/command-api"));
    assert_eq!(
        status(wrong_method.basic_auth(USER, Some(PASSWORD))).await,
        405
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn invalid_command_fails_with_1002_and_earlier_results() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    let r = post(
        &client,
        dev,
        &run_cmds(json!([{"cmd": "enable", "input": ""}, "show foo"]), "json"),
    )
    .await;
    assert!(r.get("result").is_none());
    let error = &r["error"];
    assert_eq!(error["code"], 1002);
    assert_eq!(
        error["message"],
        "CLI command 2 of 2 'show foo' failed: invalid command"
    );
    assert_eq!(error["data"][0], json!({}));
    assert_eq!(
        error["data"][1]["errors"][0],
        "Invalid input (at token 1: 'foo')"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn text_format_returns_cli_output() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    let r = post(
        &client,
        dev,
        &run_cmds(
            json!(["show version", "show interfaces", "show hostname"]),
            "text",
        ),
    )
    .await;
    let version = r["result"][0]["output"].as_str().expect("text output");
    assert!(
        version.starts_with(&format!("Arista {}\n", dev.model)),
        "{version}"
    );
    assert!(version.contains(&format!("Serial number: {}\n", dev.serial)));
    assert!(version.contains(&format!("Software image version: {}\n", dev.version)));
    let interfaces = r["result"][1]["output"].as_str().unwrap();
    assert!(interfaces.starts_with("Ethernet1 is up, line protocol is up (connected)\n"));
    assert!(interfaces.contains("packets input,"));
    let hostname = r["result"][2]["output"].as_str().unwrap();
    assert!(hostname.starts_with("Hostname: eos001\n"), "{hostname}");
    lab.shutdown().await;
}

#[tokio::test]
async fn counters_grow_between_two_polls() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    let body = run_cmds(json!(["show interfaces"]), "json");
    let octets = |r: &Value| {
        r["result"][0]["interfaces"]["Ethernet1"]["interfaceCounters"]["inOctets"]
            .as_u64()
            .expect("inOctets")
    };
    let first = octets(&post(&client, dev, &body).await);
    // Ethernet1 (an uplink) is always up and moves at least 1000 bytes/s.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = octets(&post(&client, dev, &body).await);
    assert!(second > first, "{second} <= {first}");
    lab.shutdown().await;
}

#[tokio::test]
async fn inventory_lists_eos_hosts_and_ca_verifies_tls() {
    let lab = eos_lab(2).await;
    let dir = std::env::temp_dir().join(format!("netrun-lab-eapi-{}", std::process::id()));
    lab.write_inventory(&dir).unwrap();
    let hosts: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("hosts.yaml")).unwrap()).unwrap();
    let eos1 = &hosts["eos001"];
    assert_eq!(eos1["platform"], "arista_eos");
    assert_eq!(eos1["hostname"], "127.0.0.1");
    assert_eq!(eos1["groups"][0], "eos");
    let http = &eos1["connection_options"]["http"];
    assert_eq!(
        http["port"].as_u64(),
        Some(u64::from(lab.eos_devices()[0].https_port))
    );
    assert_eq!(http["extras"]["scheme"], "https");
    let ca_file = http["extras"]["ca_file"].as_str().unwrap();
    assert!(std::path::Path::new(ca_file).is_absolute(), "{ca_file}");
    // The SSH device is still there, in its own group.
    assert_eq!(hosts["r001"]["groups"][0], "lab");
    let groups: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("groups.yaml")).unwrap()).unwrap();
    assert_eq!(groups["eos"]["platform"], "arista_eos");

    // TLS verifies against the written CA file, by IP and by name.
    let pem = std::fs::read_to_string(ca_file).unwrap();
    let client = client(&pem);
    let dev = &lab.eos_devices()[0];
    for host in ["127.0.0.1", "localhost"] {
        let r = client
            .post(url(dev, host))
            .basic_auth(USER, Some(PASSWORD))
            .json(&run_cmds(json!(["show hostname"]), "json"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        let r: Value = r.json().await.unwrap();
        assert_eq!(r["result"][0]["hostname"], "eos001");
    }
    // A client that does not trust the lab CA is refused.
    let stranger = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(stranger.post(url(dev, "127.0.0.1")).send().await.is_err());
    let _ = std::fs::remove_dir_all(&dir);
    lab.shutdown().await;
}

#[tokio::test]
async fn pooled_client_sends_many_requests_in_a_row() {
    let (lab, client) = eos_lab_and_client(1).await;
    let dev = &lab.eos_devices()[0];
    for _ in 0..5 {
        let r = post(&client, dev, &run_cmds(json!(["show hostname"]), "json")).await;
        assert_eq!(r["result"][0]["hostname"], "eos001");
    }
    lab.shutdown().await;
}
