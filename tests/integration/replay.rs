//! `netrun plugin test` plays recorded device byte streams through the real
//! SSH session code (banner, prompts, `enable`, pagers, echo, failure
//! indicators) and gets the result a live session gets from the lab.

use netrun_lab::cli::{Cli, SessionInfo};
use netrun_tests::{TempDir, netrun, output, start_lab};
use serde_json::{Value, json};
use std::path::Path;

/// What IOS prints to erase ` --More-- ` when output goes on.
const MORE_ERASE: &str =
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";

/// `text` as IOS pages it at the default `terminal length 24`: 23 lines,
/// ` --More-- `, and (after a key) the erase sequence before the next page.
fn paged(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let pages: Vec<String> = lines.chunks(23).map(|c| c.concat()).collect();
    let last = pages.len() - 1;
    pages
        .into_iter()
        .enumerate()
        .map(|(i, page)| {
            let head = if i == 0 { "" } else { MORE_ERASE };
            let tail = if i == last { "" } else { " --More-- " };
            format!("{head}{page}{tail}")
        })
        .collect()
}

fn copy_bundle(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("tests").join("transcripts")).unwrap();
    for f in ["netrun-plugin.toml", "plugin.wasm"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_test_replays_a_paged_transcript_with_prompt_look_alikes_as_the_live_lab_answers() {
    let (lab, inv) = start_lab(1, &[]).await;
    let home = TempDir::new("home");
    let mut live = netrun(home.path());
    live.args(["run", "collect-facts", "-o", "-", "-i"])
        .arg(inv.path());
    let o = tokio::task::spawn_blocking(move || output(&mut live))
        .await
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let record: Value =
        serde_json::from_slice(o.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(record["status"], "ok", "{record}");
    let facts = record["data"].clone();
    assert!(facts["interfaces"].as_array().unwrap().len() > 1, "{facts}");

    // The bytes the lab device prints, recorded as a version 2 transcript:
    // its login banner with two prompt look-alikes added, its user-mode
    // prompt (so the host has to `enable`), and both commands paged.
    let device = lab.device_state(0).unwrap().clone();
    let mut cli = Cli::new(
        device,
        SessionInfo {
            enable_secret: "not-needed".into(),
            username: "admin".into(),
            peer: "127.0.0.1".into(),
            refuse: None,
            flash_full: false,
            login_options: String::new(),
        },
    );
    let greeting = String::from_utf8(cli.greeting()).unwrap();
    let prompt = cli.prompt();
    let banner = greeting.strip_suffix(&prompt).unwrap().to_string();
    let banner = banner.replacen("\r\n", "\r\nRouter#\r\nr001>\r\n", 1);
    let exchange = |cli: &mut Cli, command: &str| {
        let (out, status) = cli.run_exec(command);
        assert_eq!(status, 0, "{command}");
        let text = format!("{command}\r\n{}", String::from_utf8(out).unwrap());
        let chunks = paged(&text);
        assert!(
            chunks.len() > 1 || command.contains("brief"),
            "{command} is paged"
        );
        json!({"command": command, "chunks": chunks})
    };
    let exchanges = vec![
        exchange(&mut cli, "show version"),
        exchange(&mut cli, "show ip interface brief"),
    ];
    let dir = TempDir::new("replay-bundle");
    let bundle = dir.path().join("collect-facts");
    copy_bundle(&netrun_tests::plugin_dir().join("collect-facts"), &bundle);
    let transcripts = bundle.join("tests").join("transcripts");
    let recorded = json!({
        "version": 2,
        "device": {"name": "r001", "platform": "cisco_ios"},
        "banner": banner,
        "prompt": prompt,
        "exchanges": exchanges,
        "expect": facts,
    });
    std::fs::write(transcripts.join("r001.json"), recorded.to_string()).unwrap();
    // The same device without the second command: refused as a device
    // refuses an unknown command.
    let mut missing = recorded.clone();
    missing["exchanges"].as_array_mut().unwrap().pop();
    missing["expect"] = json!({"error": "rejected-command"});
    std::fs::write(transcripts.join("missing.json"), missing.to_string()).unwrap();
    let mut wrong = missing.clone();
    wrong["expect"] = facts.clone();
    std::fs::write(transcripts.join("wrong.json"), wrong.to_string()).unwrap();

    let mut test = netrun(home.path());
    test.args(["plugin", "test"]).arg(&bundle);
    let o = tokio::task::spawn_blocking(move || output(&mut test))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("ok    run r001.json"), "{stdout}");
    assert!(stdout.contains("ok    run missing.json"), "{stdout}");
    // A failure the workflow did not expect shows the fix to record.
    let wrong_line = stdout
        .lines()
        .find(|l| l.contains("run wrong.json"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        wrong_line.starts_with("FAIL")
            && wrong_line.contains("show ip interface brief")
            && wrong_line.contains(r#"record it under "exchanges""#)
            && wrong_line.contains("rejected-command"),
        "{wrong_line}"
    );
    assert_eq!(o.status.code(), Some(2), "one case fails: {stdout}");
}
