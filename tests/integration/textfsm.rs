//! Parsed output for any command: `netrun parse` on saved outputs, and
//! `netrun exec` falling back from the driver's parser to TextFSM templates.

use netrun_tests::{
    TempDir, assert_exit_ok, netrun, output, output_off_runtime, read_jsonl, start_lab, workspace,
};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A templates folder of our own: `show clock` on cisco_ios (the lab's
/// `*10:00:00.000 UTC Mon Nov 30 2026`), and nothing for `show running-config`.
fn clock_templates() -> TempDir {
    let d = TempDir::new("templates");
    std::fs::write(
        d.path().join("index"),
        "Template, Hostname, Platform, Command\n\nlab_show_clock.textfsm, .*, cisco_ios, sh[[ow]] clo[[ck]]\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("lab_show_clock.textfsm"),
        "Value TIME (\\d+:\\d+:\\d+)\nValue TIMEZONE (\\S+)\nValue DAYWEEK (\\w+)\n\nStart\n  ^\\*?${TIME}\\S*\\s+${TIMEZONE}\\s+${DAYWEEK} -> Record\n",
    )
    .unwrap();
    d
}

#[test]
fn netrun_parse_prints_one_line_per_file_in_order_and_fails_at_the_end() {
    let home = TempDir::new("home");
    let templates = clock_templates();
    let files = TempDir::new("outputs");
    let good = files.path().join("a.txt");
    std::fs::write(&good, "*08:17:49.943 UTC Wed Nov 25 2026\n").unwrap();
    let empty = files.path().join("b.txt");
    std::fs::write(&empty, "").unwrap();
    let mut cmd = netrun(home.path());
    cmd.args([
        "parse",
        "--platform",
        "cisco_ios",
        "--command",
        "sh clock",
        "--templates",
    ])
    .arg(templates.path())
    .arg(&good)
    .arg(files.path().join("missing.txt"))
    .arg("-")
    .arg(&empty)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"10:00:01.000 CET Mon Nov 30 2026\r\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        lines[0],
        json!([{"time": "08:17:49", "timezone": "UTC", "dayweek": "Wed"}])
    );
    let err = lines[1]["error"].as_str().unwrap();
    assert!(
        err.contains("missing.txt") && err.contains("cannot read"),
        "{err}"
    );
    assert_eq!(
        lines[2],
        json!([{"time": "10:00:01", "timezone": "CET", "dayweek": "Mon"}])
    );
    assert_eq!(lines[3], json!([]));
    assert_eq!(o.status.code(), Some(2), "a file failed: exit 2");
}

#[test]
fn netrun_parse_as_a_table_names_each_file_and_lines_up_its_records() {
    let home = TempDir::new("home");
    let templates = clock_templates();
    let files = TempDir::new("outputs");
    let two = files.path().join("two.txt");
    std::fs::write(
        &two,
        "*08:17:49.943 UTC Wed Nov 25 2026\n10:00:01.000 America/Chicago Mon Nov 30 2026\n",
    )
    .unwrap();
    let none = files.path().join("none.txt");
    std::fs::write(&none, "% Invalid input detected at '^' marker.\n").unwrap();
    let o = output(
        netrun(home.path())
            .args([
                "parse",
                "--platform",
                "cisco_ios",
                "--command",
                "show clock",
                "--format",
                "table",
                "--templates",
            ])
            .arg(templates.path())
            .arg(&two)
            .arg(files.path().join("missing.txt"))
            .arg(&none),
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(2), "a file failed: exit 2\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("{}: 2 records", two.display()),
        "{stdout}"
    );
    assert_eq!(lines[1], "TIME      TIMEZONE         DAYWEEK", "{stdout}");
    assert_eq!(lines[2], "08:17:49  UTC              Wed", "{stdout}");
    assert_eq!(lines[3], "10:00:01  America/Chicago  Mon", "{stdout}");
    assert_eq!(lines[4], "", "a blank line between files: {stdout}");
    assert!(
        lines[5].contains("missing.txt: error: cannot read"),
        "{stdout}"
    );
    assert_eq!(
        lines[7],
        format!("{}: 0 records", none.display()),
        "{stdout}"
    );
    assert_eq!(lines.len(), 8, "{stdout}");
}

#[test]
fn netrun_parse_as_csv_is_one_sheet_with_the_file_first() {
    let home = TempDir::new("home");
    let templates = clock_templates();
    let files = TempDir::new("outputs");
    let a = files.path().join("r1.txt");
    std::fs::write(
        &a,
        "*08:17:49.943 UTC Wed Nov 25 2026\n10:00:01.000 \"odd,zone\" Mon Nov 30 2026\n",
    )
    .unwrap();
    let b = files.path().join("r2.txt");
    std::fs::write(&b, "11:12:13.000 CET Tue Dec 1 2026\n").unwrap();
    let o = output(
        netrun(home.path())
            .args(["parse", "--template"])
            .arg(templates.path().join("lab_show_clock.textfsm"))
            .args(["--format", "csv"])
            .arg(&a)
            .arg(files.path().join("missing.txt"))
            .arg(&b),
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "a file failed: exit 2\n{stdout}");
    assert!(
        stderr.contains("missing.txt: error: cannot read"),
        "{stderr}"
    );
    let expected = format!(
        "file,time,timezone,dayweek\n\
         {a},08:17:49,UTC,Wed\n\
         {a},10:00:01,\"\"\"odd,zone\"\"\",Mon\n\
         {b},11:12:13,CET,Tue\n",
        a = a.display(),
        b = b.display()
    );
    assert_eq!(stdout, expected);
}

#[test]
fn netrun_parse_with_one_template_needs_no_index() {
    let home = TempDir::new("home");
    let templates = clock_templates();
    let out = TempDir::new("outputs");
    let f = out.path().join("clock.txt");
    std::fs::write(&f, "*08:17:49.943 UTC Wed Nov 25 2026\n").unwrap();
    let o = output(
        netrun(home.path())
            .args(["parse", "--template"])
            .arg(templates.path().join("lab_show_clock.textfsm"))
            .arg(&f),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got[0]["timezone"], "UTC");
}

#[test]
fn netrun_parse_without_templates_says_where_to_put_them() {
    let home = TempDir::new("home");
    let o = output(
        netrun(home.path())
            .args([
                "parse",
                "--platform",
                "cisco_ios",
                "--command",
                "show clock",
                "x.txt",
            ])
            .env_remove("NET_TEXTFSM")
            .env_remove("XDG_CONFIG_HOME"),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--templates DIR") && err.contains("NET_TEXTFSM"),
        "{err}"
    );
}

/// ntc-templates from the tools venv (scripts/install-plugin-tools.sh).
fn ntc_templates() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("NETRUN_NTC_TEMPLATES") {
        return Some(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME")?;
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&home).join(".cache/netrun-tools"));
    let found = std::fs::read_dir(tools.join("venv/lib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages/ntc_templates/templates"))
        .find(|p| p.join("index").is_file());
    if found.is_none() {
        eprintln!(
            "SKIPPED: ntc-templates not installed (run scripts/install-plugin-tools.sh or set NETRUN_NTC_TEMPLATES)"
        );
    }
    found
}

#[test]
fn netrun_parse_finds_the_ntc_template_for_an_abbreviated_command() {
    let Some(ntc) = ntc_templates() else { return };
    let home = TempDir::new("home");
    let raw = workspace()
        .join("plugins/cisco-ios/tests/fixtures/show_ip_interface_brief/ios_15_7_isr2911.raw");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join(
            "textfsm/tests/corpus/cisco_ios/show_ip_interface_brief/plugin-ios_15_7_isr2911.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let got = parse_with_ntc(home.path(), &ntc, ["cisco_ios", "sh ip int br"], &raw);
    assert_eq!(
        got, expected["records"],
        "the records Python's parse_output gave"
    );
}

/// `netrun parse --platform P --command C FILE` through ntc-templates
/// (`NET_TEXTFSM`), `[P, C]` given: the one JSON line it prints, after
/// checking it exits 0.
fn parse_with_ntc(home: &Path, ntc: &Path, [platform, command]: [&str; 2], file: &Path) -> Value {
    let o = output(
        netrun(home)
            .args(["parse", "--platform", platform, "--command", command])
            .env("NET_TEXTFSM", ntc)
            .arg(file),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_falls_back_to_textfsm_and_names_the_parser() {
    let (_lab, inv) = start_lab(1, &[]).await;
    let home = TempDir::new("home");
    let templates = clock_templates();
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args([
        "exec",
        "show version",
        "show clock",
        "show running-config",
        "-i",
    ])
    .arg(inv.path())
    .arg("-o")
    .arg(&out)
    .env("NET_TEXTFSM", templates.path());
    assert_exit_ok(&output_off_runtime(cmd).await);
    let records = read_jsonl(&out);
    let commands = records[0]["data"]["commands"].as_array().unwrap();
    // The driver's own parser wins.
    assert_eq!(commands[0]["parser"], "cisco-ios", "{}", commands[0]);
    assert!(commands[0]["parsed"].is_object(), "{}", commands[0]);
    // No driver parser: the template from the index answers.
    assert_eq!(
        commands[1]["parser"], "textfsm:lab_show_clock.textfsm",
        "{}",
        commands[1]
    );
    let clock = &commands[1]["parsed"][0];
    assert_eq!(clock["timezone"], "UTC", "{}", commands[1]);
    assert!(clock["time"].as_str().unwrap().contains(':'), "{clock}");
    // Neither: the text, `parsed: null`, and why.
    assert_eq!(commands[2]["parsed"], Value::Null, "{}", commands[2]);
    let why = commands[2]["parse_reason"].as_str().unwrap();
    assert!(
        why.contains("no parser") && why.contains("no template in"),
        "{why}"
    );
    assert!(commands[2]["output"].as_str().unwrap().contains("hostname"));
}

/// `--templates DIR` on a run wins over `$NET_TEXTFSM`, and a folder
/// without an `index` stops the run before any device is dialled.
#[tokio::test(flavor = "multi_thread")]
async fn exec_takes_its_templates_folder_from_the_flag() {
    let (_lab, inv) = start_lab(1, &[]).await;
    let home = TempDir::new("home");
    let templates = clock_templates();
    let elsewhere = TempDir::new("no-index");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "-i"])
        .arg(inv.path())
        .arg("--templates")
        .arg(templates.path())
        .arg("-o")
        .arg(&out)
        .env("NET_TEXTFSM", elsewhere.path());
    assert_exit_ok(&output_off_runtime(cmd).await);
    let command = &read_jsonl(&out)[0]["data"]["commands"][0];
    assert_eq!(
        command["parser"], "textfsm:lab_show_clock.textfsm",
        "{command}"
    );

    let out = inv.path().join("none.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", "show clock", "-i"])
        .arg(inv.path())
        .arg("--templates")
        .arg(elsewhere.path())
        .arg("-o")
        .arg(&out);
    let o = output_off_runtime(cmd).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&elsewhere.path().display().to_string())
            && err.contains("index")
            && err.contains("--templates"),
        "{err}"
    );
    assert!(!out.exists(), "no device is worked on: {err}");
}

/// Issue 14's "done when": `netrun exec "show interface status" --format
/// table` on NX-OS, whose driver (netrun-platforms) parses no command,
/// prints the rows ntc-templates' cisco_nxos template gives.
#[tokio::test(flavor = "multi_thread")]
async fn exec_table_shows_textfsm_rows_where_the_driver_has_no_parser() {
    let Some(ntc) = ntc_templates() else { return };
    let mut config = netrun_lab::LabConfig::default();
    config.set_platforms("cisco_nxos=1").unwrap();
    let lab = netrun_lab::Lab::start(config).await.unwrap();
    let (stdout, records) = exec_table(&lab, &ntc, "show interface status", &[]).await;
    let command = &records[0]["data"]["commands"][0];
    assert_eq!(
        command["parser"], "textfsm:cisco_nxos_show_interface_status.textfsm",
        "{command}"
    );
    let rows = command["parsed"].as_array().unwrap();
    // Every interface of the device, in the order NX-OS lists them.
    let ports: Vec<&str> = rows.iter().map(|r| r["port"].as_str().unwrap()).collect();
    assert_eq!(ports.first(), Some(&"mgmt0"), "{ports:?}");
    assert!(
        ports.contains(&"Eth1/1") && ports.contains(&"Lo0"),
        "{ports:?}"
    );
    for r in rows {
        let status = r["status"].as_str().unwrap();
        assert!(
            ["connected", "notconnec", "disabled"].contains(&status),
            "{r}"
        );
    }
    // The table: the template's Values as columns, one line per port.
    let device = records[0]["device"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("{device}: show interface status")),
        "{stdout}"
    );
    assert_eq!(
        table_header(&stdout),
        [
            "PORT", "NAME", "STATUS", "VLAN_ID", "DUPLEX", "SPEED", "TYPE"
        ]
    );
    let mgmt = stdout
        .lines()
        .find(|l| l.starts_with("mgmt0 "))
        .unwrap_or_else(|| panic!("no mgmt0 row: {stdout}"));
    assert!(mgmt.contains("routed"), "{mgmt}");
}

/// Issue 14's "done when" as written: `netrun exec "show interfaces status"
/// --format table` on an IOS lab switch. The cisco-ios driver has no parser
/// for it, so ntc-templates' cisco_ios template answers.
#[tokio::test(flavor = "multi_thread")]
async fn exec_table_shows_show_interfaces_status_of_an_ios_switch() {
    let Some(ntc) = ntc_templates() else { return };
    let (lab, switch) = lab_with_a_switch("cisco_ios").await;
    let (stdout, records) =
        exec_table(&lab, &ntc, "show interfaces status", &["--hosts", &switch]).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let command = &records[0]["data"]["commands"][0];
    assert_eq!(
        command["parser"], "textfsm:cisco_ios_show_interfaces_status.textfsm",
        "{command}"
    );
    let rows = command["parsed"].as_array().unwrap();
    let ports: Vec<&str> = rows.iter().map(|r| r["port"].as_str().unwrap()).collect();
    assert!(
        ports.iter().any(|p| p.starts_with("Gi1/0/")),
        "access ports: {ports:?}"
    );
    assert!(
        !ports
            .iter()
            .any(|p| p.starts_with("Lo") || p.starts_with("Vl")),
        "only ports are listed: {ports:?}"
    );
    for r in rows {
        let status = r["status"].as_str().unwrap();
        assert!(
            ["connected", "notconnect", "disabled"].contains(&status),
            "{r}"
        );
        let routed = r["vlan_id"] == "routed";
        assert!(routed || r["vlan_id"] == "1", "{r}");
    }
    let device = records[0]["device"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("{device}: show interfaces status")),
        "{stdout}"
    );
    assert_eq!(
        table_header(&stdout),
        [
            "PORT", "NAME", "STATUS", "VLAN_ID", "DUPLEX", "SPEED", "TYPE", "FC_MODE"
        ]
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("Gi1/0/")),
        "a row per port: {stdout}"
    );
}

/// An IOS-XE switch (`cisco_xe`, a platform ntc-templates has no row for)
/// parses with the `cisco_ios` template, as Netmiko retries it; `netrun
/// parse --platform cisco_xe` finds the same template offline.
#[tokio::test(flavor = "multi_thread")]
async fn exec_table_of_an_ios_xe_switch_uses_the_ios_templates() {
    let Some(ntc) = ntc_templates() else { return };
    let (lab, switch) = lab_with_a_switch("cisco_xe").await;
    let (stdout, records) =
        exec_table(&lab, &ntc, "show interfaces status", &["--hosts", &switch]).await;
    let command = &records[0]["data"]["commands"][0];
    assert_eq!(
        command["parser"], "textfsm:cisco_ios_show_interfaces_status.textfsm",
        "{command}"
    );
    let raw = command["output"].as_str().unwrap().to_string();
    let rows = command["parsed"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .any(|r| r["port"].as_str().unwrap().starts_with("Gi1/0/")),
        "{rows:?}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("Gi1/0/")), "{stdout}");

    let home = TempDir::new("home");
    let saved = home.path().join("status.txt");
    std::fs::write(&saved, raw).unwrap();
    let offline = parse_with_ntc(home.path(), &ntc, ["cisco_xe", "sh int status"], &saved);
    assert_eq!(offline, Value::Array(rows));
}

/// `netrun exec --template FILE` (Netmiko's `textfsm_template`) parses
/// every output with that template, even where the driver has a parser of
/// its own (`show version` on IOS); a template that does not compile stops
/// the run before any device is dialled, naming the file.
#[tokio::test(flavor = "multi_thread")]
async fn exec_with_one_template_parses_every_output_with_it() {
    let mut config = netrun_lab::LabConfig::default();
    config.set_platforms("cisco_ios=2").unwrap();
    let lab = netrun_lab::Lab::start(config).await.unwrap();
    let inv = TempDir::new("template-inv");
    lab.write_inventory(inv.path()).unwrap();
    let home = TempDir::new("home");
    let template = inv.path().join("uptime.textfsm");
    std::fs::write(&template, netrun_tests::UPTIME_TEMPLATE).unwrap();
    let out = inv.path().join("out.jsonl");
    let o = exec_show_version(&[home.path(), &template, inv.path(), &out]).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 2);
    for r in &records {
        netrun_tests::assert_parsed_by_uptime_template(&r["data"]["commands"][0]);
    }

    std::fs::write(&template, "Value X (\\S+\n\nStart\n  ^${X} -> Record\n").unwrap();
    let broken_out = inv.path().join("broken.jsonl");
    let o = exec_show_version(&[home.path(), &template, inv.path(), &broken_out]).await;
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("uptime.textfsm"), "{stderr}");
    assert!(
        !broken_out.exists() || read_jsonl(&broken_out).is_empty(),
        "no device is dialled"
    );
}

/// `netrun exec "show version" --template T -i INV -o OUT` with `paths`
/// = [home, T, INV, OUT].
async fn exec_show_version(paths: &[&Path; 4]) -> std::process::Output {
    let [home, template, inv, out] = *paths;
    let mut cmd = netrun(home);
    cmd.args(["exec", "show version", "--template"])
        .arg(template)
        .arg("-i")
        .arg(inv)
        .arg("-o")
        .arg(out);
    output_off_runtime(cmd).await
}

/// A lab of eight devices of `platform` and the name of one of its
/// Catalyst access switches (the lab's models include them).
async fn lab_with_a_switch(platform: &str) -> (netrun_lab::Lab, String) {
    let mut config = netrun_lab::LabConfig::default();
    config.set_platforms(&format!("{platform}=8")).unwrap();
    let lab = netrun_lab::Lab::start(config).await.unwrap();
    let switch = lab
        .devices()
        .iter()
        .find(|d| d.role == "access")
        .unwrap_or_else(|| panic!("8 {platform} devices include a Catalyst switch"))
        .name
        .clone();
    (lab, switch)
}

/// `netrun exec COMMAND --format table` on the lab's devices (`args` added,
/// e.g. `--hosts`) with ntc-templates: the table printed and the records.
async fn exec_table(
    lab: &netrun_lab::Lab,
    ntc: &Path,
    command: &str,
    args: &[&str],
) -> (String, Vec<Value>) {
    let inv = TempDir::new("table-inv");
    lab.write_inventory(inv.path()).unwrap();
    let home = TempDir::new("home");
    let out = inv.path().join("out.jsonl");
    let mut cmd = netrun(home.path());
    cmd.args(["exec", command, "--format", "table"])
        .args(args)
        .arg("-i")
        .arg(inv.path())
        .arg("-o")
        .arg(&out)
        .env("NET_TEXTFSM", ntc);
    let o = tokio::task::spawn_blocking(move || output(&mut cmd))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (stdout, read_jsonl(&out))
}

/// The column names of the table `--format table` printed.
fn table_header(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .find(|l| l.starts_with("PORT "))
        .unwrap_or_else(|| panic!("no table header: {stdout}"))
        .split_whitespace()
        .collect()
}
