//! The frozen WIT 0.1.0 driver. Its component was built once from this
//! source against `netrun:plugin@0.1.0` and committed as
//! `tests/fixtures/wit-0.1.0-driver/plugin.wasm`; it is never rebuilt, so it
//! shows that every later host still loads a 0.1.0 plugin. Raw bindings (no
//! SDK, no serde) keep it small.

wit_bindgen::generate!({
    path: "wit",
    world: "driver-plugin",
});

use exports::netrun::plugin::driver::{Guest, ParseError};
use netrun::plugin::platform::{Definition, Mode, Transition};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Frozen;

impl Guest for Frozen {
    fn platforms() -> Vec<Definition> {
        vec![Definition {
            name: "frozen_os".into(),
            default_mode: "exec".into(),
            configuration_mode: "configuration".into(),
            modes: vec![
                Mode {
                    name: "exec".into(),
                    prompt: r"(?m)^\S+#\s*$".into(),
                    transitions: vec![Transition {
                        to: "configuration".into(),
                        send: "configure terminal".into(),
                        challenge: None,
                    }],
                },
                Mode {
                    name: "configuration".into(),
                    prompt: r"(?m)^\S+\(config\)#\s*$".into(),
                    transitions: vec![Transition {
                        to: "exec".into(),
                        send: "end".into(),
                        challenge: None,
                    }],
                },
            ],
            on_open: vec![],
            on_close: vec![],
            pagers: vec![],
            failure_indicators: vec!["% Invalid".into()],
            line_ending: "\n".into(),
        }]
    }

    fn parsers(_platform: String) -> Vec<String> {
        vec!["show hostname".into()]
    }

    fn parse(_platform: String, command: String, output: String) -> Result<String, ParseError> {
        if command != "show hostname" {
            return Err(ParseError::UnsupportedCommand(command));
        }
        let host = output.trim();
        if host.is_empty() || host.contains('"') || host.contains('\\') {
            return Err(ParseError::UnexpectedOutput("expected one hostname".into()));
        }
        Ok(format!("{{\"hostname\":\"{host}\"}}"))
    }
}

// Exported only in the component; a native build cannot export names with `:`.
#[cfg(target_arch = "wasm32")]
export!(Frozen);
