//! `netrun exec`: ad-hoc commands on one device, over its CLI session or,
//! when its driver says commands can go that way and the device has an
//! HTTP endpoint, over its API (Arista eAPI `runCmds`). Each command's
//! outcome is its own entry; a rejected command keeps the outputs before it.

use crate::error::{Error, ErrorClass};
use crate::runtime::device::DeviceContext;
use crate::transport::CommandOptions;
use crate::transport::platform::Pattern;
use serde_json::{Value, json};
use std::time::Duration;

/// How `exec` sends its commands.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// After a command the device rejected, send the next ones anyway (the
    /// session is still in step); otherwise stop there.
    pub continue_on_error: bool,
    /// Prompts to answer, in order: a command whose output ends in
    /// `expect` gets `answer` typed in (Netmiko's `expect_string`).
    pub answers: Vec<(Pattern, String)>,
    /// Timing mode: each command ends once the device was quiet this long
    /// (Netmiko's `send_command_timing`), not at a prompt.
    pub settle: Option<Duration>,
    /// A TextFSM template that parses every output, instead of the
    /// driver's parser and the index (Netmiko's `textfsm_template`).
    pub template: Option<std::sync::Arc<crate::parsing::NamedTemplate>>,
}

/// Send `commands` in order. The value is the `commands` list, one entry
/// per command (`output` with `parsed` and the `parser` that answered, or
/// `parsed: null` and the `parse_reason`; or `error`; or `sent: false` for
/// those not sent after a failure); the error, if any, is the first
/// failure. Parsing is the driver's, else TextFSM's (`crate::parsing`);
/// `driver` names the driver plugin for `parser`.
pub async fn exec(
    ctx: &mut DeviceContext,
    commands: &[String],
    options: &ExecOptions,
    over_api: bool,
    driver: &str,
) -> (Value, Option<Error>) {
    let mut out = Vec::with_capacity(commands.len());
    let mut first_error: Option<Error> = None;
    for command in commands {
        if first_error.is_some() && !continues(first_error.as_ref(), options) {
            out.push(json!({ "command": command, "sent": false }));
            continue;
        }
        let sent = if over_api {
            eapi(ctx, command).await
        } else {
            cli(ctx, command, options).await
        };
        match sent {
            Ok(output) => {
                let outcome = match &options.template {
                    Some(template) => template.parse(&output).await,
                    None => {
                        let own = match ctx.parse(command, &output).await {
                            Ok(json) => serde_json::from_str::<Value>(&json)
                                .map(|v| (driver.to_string(), v))
                                .map_err(|e| format!("driver {driver} returned invalid JSON: {e}")),
                            Err(e)
                                if matches!(
                                    e.class,
                                    ErrorClass::Parse | ErrorClass::Unsupported
                                ) =>
                            {
                                Err(e.message)
                            }
                            Err(e) => {
                                out.push(json!({ "command": command, "output": output }));
                                first_error.get_or_insert(e);
                                continue;
                            }
                        };
                        crate::parsing::resolve(
                            own,
                            crate::parsing::fallback(),
                            ctx.platform_name(),
                            command,
                            &output,
                        )
                        .await
                    }
                };
                let mut entry = json!({ "command": command, "output": output });
                for (key, value) in outcome.fields() {
                    entry[key] = value;
                }
                out.push(entry);
            }
            Err(e) => {
                out.push(json!({
                    "command": command,
                    "error": { "class": e.class, "message": e.message.clone() },
                }));
                first_error.get_or_insert(e);
            }
        }
    }
    (json!({ "commands": out }), first_error)
}

/// Whether the commands after `error` may still be sent: only after a
/// rejected command (the session is in step) and when asked to.
fn continues(error: Option<&Error>, options: &ExecOptions) -> bool {
    options.continue_on_error && error.is_some_and(|e| e.class == ErrorClass::RejectedCommand)
}

/// One command over the CLI session, answering the prompts of `options`.
async fn cli(
    ctx: &mut DeviceContext,
    command: &str,
    options: &ExecOptions,
) -> Result<String, Error> {
    let progress = ctx.progress();
    let session = ctx.session().await?;
    progress.set_step(format!("waiting for the answer to `{command}`"));
    if let Some(settle) = options.settle {
        return session
            .send_command_timing(command, settle, &CommandOptions::default())
            .await;
    }
    if options.answers.is_empty() {
        return session
            .send_command(command, &CommandOptions::default())
            .await;
    }
    // Interactive: the command ends at its first expected prompt, each
    // answer at the next prompt (or the device prompt after the last).
    let mut transcript = String::new();
    let mut input = command.to_string();
    for (expect, answer) in &options.answers {
        let opts = CommandOptions {
            expect: Some(expect.clone()),
            keep_prompt: true,
            ..Default::default()
        };
        transcript.push_str(&session.send_command(&input, &opts).await?);
        input = answer.clone();
    }
    transcript.push_str(
        &session
            .send_command(&input, &CommandOptions::default())
            .await?,
    );
    Ok(transcript)
}

/// One command over eAPI (`runCmds`, text format), through the device's
/// HTTP endpoint with its credentials.
async fn eapi(ctx: &mut DeviceContext, command: &str) -> Result<String, Error> {
    ctx.set_step(format!("waiting for the API's answer to `{command}`"));
    let request = json!({
        "jsonrpc": "2.0",
        "method": "runCmds",
        "params": { "version": 1, "cmds": [command], "format": "text" },
        "id": "netrun-exec",
    });
    let response = ctx
        .http_device(
            reqwest::Method::POST,
            "/command-api",
            vec![("content-type".into(), "application/json".into())],
            Some(request.to_string()),
            None,
        )
        .await?;
    eapi_output(command, response.status, &response.body)
}

/// The text output of `command` from an eAPI answer, or the device's
/// refusal as `rejected-command`.
fn eapi_output(command: &str, status: u16, body: &str) -> Result<String, Error> {
    let answer: Value = serde_json::from_str(body).map_err(|_| {
        Error::new(
            ErrorClass::Parse,
            format!(
                "the API answered `{command}` with HTTP {status} and no JSON-RPC body: {}",
                body.chars().take(120).collect::<String>()
            ),
        )
    })?;
    if let Some(e) = answer.get("error") {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("refused");
        let detail = e
            .get("data")
            .and_then(Value::as_array)
            .and_then(|d| d.last())
            .and_then(|d| d.get("errors"))
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(Error::new(
            ErrorClass::RejectedCommand,
            format!("`{command}` refused by the device's API: {message}{detail}"),
        ));
    }
    answer
        .get("result")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("output"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::new(
                ErrorClass::Parse,
                format!("the API's answer to `{command}` has no text output"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eapi_text_output_and_refusals() {
        let ok = r#"{"jsonrpc":"2.0","id":"x","result":[{"output":"Hostname: eos001\n"}]}"#;
        assert_eq!(
            eapi_output("show hostname", 200, ok).unwrap(),
            "Hostname: eos001\n"
        );
        let refused = r#"{"jsonrpc":"2.0","id":"x","error":{"code":1002,"message":"CLI command 1 of 1 'show bogus' failed: invalid command","data":[{"errors":["Invalid input (at token 1: 'bogus')"]}]}}"#;
        let e = eapi_output("show bogus", 200, refused).unwrap_err();
        assert_eq!(e.class, ErrorClass::RejectedCommand);
        assert!(e.message.contains("Invalid input"), "{}", e.message);
        assert_eq!(
            eapi_output("x", 502, "<html>").unwrap_err().class,
            ErrorClass::Parse
        );
    }

    #[test]
    fn only_a_rejected_command_lets_later_ones_go_and_only_when_asked() {
        let rejected = Error::new(ErrorClass::RejectedCommand, "bad");
        let closed = Error::new(ErrorClass::SessionClosed, "gone");
        let go_on = ExecOptions {
            continue_on_error: true,
            ..Default::default()
        };
        assert!(continues(Some(&rejected), &go_on));
        assert!(!continues(Some(&closed), &go_on));
        assert!(!continues(Some(&rejected), &ExecOptions::default()));
    }
}
