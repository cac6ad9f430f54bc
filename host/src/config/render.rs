//! Templates (Jinja2 syntax, through minijinja) rendered per device over
//! its inventory fields and `data`. An undefined variable is an error
//! naming the template line and the device, never an empty string.

use crate::inventory::Host;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// A template that failed to load or render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The file could not be read.
    #[error("cannot read template {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Jinja syntax error (found before any device is touched).
    #[error("template {name} line {line}: {detail}: fix the template")]
    Syntax {
        /// Template file name.
        name: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// Rendering failed for one device (an undefined variable, a bad filter).
    #[error(
        "{device}: template {name} line {line}: {detail}: define it in the host's data (or a group's, or defaults.yaml), or guard it with {{% if … is defined %}}"
    )]
    Device {
        /// The device.
        device: String,
        /// Template file name.
        name: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
}

/// A loaded, syntax-checked template.
pub struct Template {
    env: Environment<'static>,
    name: String,
}

fn detail(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{} ({d})", e.kind()),
        None => e.kind().to_string(),
    }
}

impl Template {
    /// Read and compile `path`.
    pub fn load(path: &Path) -> Result<Template, RenderError> {
        let source = std::fs::read_to_string(path).map_err(|e| RenderError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Template::from_source(&name, source)
    }

    /// Compile `source`, called `name` in messages.
    pub fn from_source(name: &str, source: String) -> Result<Template, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Configuration text keeps its trailing newline, and block tags
        // (`{% for %}` on a line of their own) leave no blank lines.
        let syntax = SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| RenderError::Syntax {
                name: name.to_string(),
                line: 0,
                detail: detail(&e),
            })?;
        env.set_syntax(syntax);
        env.add_template_owned(name.to_string(), source)
            .map_err(|e| RenderError::Syntax {
                name: name.to_string(),
                line: e.line().unwrap_or(0),
                detail: detail(&e),
            })?;
        Ok(Template {
            env,
            name: name.to_string(),
        })
    }

    /// Render for `host`: its `data` keys at the top level, then `host`,
    /// `name`, `hostname`, `platform`, `port`, `groups` and `data`.
    pub fn render(&self, host: &Host) -> Result<String, RenderError> {
        let fields = json!({
            "name": host.name,
            "hostname": host.hostname,
            "platform": host.platform,
            "port": host.port,
            "groups": host.groups,
            "data": Value::Object(host.data.clone()),
        });
        let mut ctx: Map<String, Value> = host.data.clone();
        if let Value::Object(f) = &fields {
            for (k, v) in f {
                ctx.insert(k.clone(), v.clone());
            }
        }
        ctx.insert("host".into(), fields);
        let fail = |e: minijinja::Error| RenderError::Device {
            device: host.name.clone(),
            name: self.name.clone(),
            line: e.line().unwrap_or(0),
            detail: detail(&e),
        };
        self.env
            .get_template(&self.name)
            .map_err(fail)?
            .render(minijinja::Value::from(Serde(Value::Object(ctx))))
            .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host(data: Value) -> Host {
        Host {
            name: "r7".into(),
            hostname: "10.0.0.7".into(),
            port: 22,
            port_explicit: false,
            username: None,
            password: None,
            enable_secret: None,
            platform: Some("cisco_ios".into()),
            groups: vec!["site-a".into()],
            data: data.as_object().cloned().unwrap_or_default(),
            known_hosts_files: Vec::new(),
            extras: Map::new(),
            http: None,
        }
    }

    #[test]
    fn renders_inventory_fields_and_data() {
        let t = Template::from_source(
            "ntp.j2",
            "hostname {{ name }}\n{% for s in ntp_servers %}\nntp server {{ s }}\n{% endfor %}\nsnmp-server location {{ host.data.site }} {{ groups[0] }}\n".into(),
        )
        .unwrap();
        let out = t
            .render(&host(
                json!({"ntp_servers": ["192.0.2.1", "192.0.2.2"], "site": "ams"}),
            ))
            .unwrap();
        assert_eq!(
            out,
            "hostname r7\nntp server 192.0.2.1\nntp server 192.0.2.2\nsnmp-server location ams site-a\n"
        );
    }

    #[test]
    fn an_undefined_variable_names_the_line_and_the_device() {
        let t = Template::from_source(
            "ntp.j2",
            "hostname {{ name }}\nntp server {{ ntp_server }}\n".into(),
        )
        .unwrap();
        let e = t.render(&host(json!({}))).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("r7: template ntp.j2 line 2: undefined value"),
            "{msg}"
        );
        assert!(msg.contains("define it in the host's data"), "{msg}");
    }

    #[test]
    fn a_syntax_error_is_found_at_load_time() {
        let e = Template::from_source("bad.j2", "a\n{% for x in %}\n".into())
            .err()
            .unwrap();
        assert!(matches!(&e, RenderError::Syntax { line: 2, .. }), "{e}");
    }
}
