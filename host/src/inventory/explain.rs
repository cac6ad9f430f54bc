//! `netrun inventory show HOST`: every setting a host ends up with and the
//! layer it came from (the host itself, one of its groups, or defaults),
//! secrets masked.

use super::{InventoryError, RawConnectionOptions, RawEntry, group_chain, read_yaml};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// One resolved setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Dotted key (`port`, `data.site`, `connection_options.netrun.extras.timeouts`).
    pub key: String,
    /// The value as YAML-ish text; `********` for secrets.
    pub value: String,
    /// `host`, `group NAME` or `defaults`.
    pub origin: String,
}

/// Keys whose values are never printed.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "auth_secondary",
    "key_passphrase",
    "jump_password",
];

/// Every setting of host `name` in the inventory at `path`, most specific
/// layer first, with its origin. `None` when the host does not exist.
pub fn explain(path: &Path, name: &str) -> Result<Option<Vec<Setting>>, InventoryError> {
    let (dir, hosts_file) = super::files_of(path);
    let hosts: BTreeMap<String, Option<RawEntry>> = read_yaml(&hosts_file, true)?;
    let Some(entry) = hosts.get(name) else {
        return Ok(None);
    };
    let host = entry.clone().unwrap_or_default();
    let groups_file = dir.join("groups.yaml");
    let groups: BTreeMap<String, Option<RawEntry>> = read_yaml(&groups_file, false)?;
    let groups: BTreeMap<String, RawEntry> = groups
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect();
    let defaults: Option<RawEntry> = read_yaml(&dir.join("defaults.yaml"), false)?;
    let defaults = defaults.unwrap_or_default();
    let chain = group_chain(&format!("host {name}"), &host.groups, &groups, &groups_file)?;
    let mut layers: Vec<(String, &RawEntry)> = vec![("host".into(), &host)];
    for g in &chain {
        if let Some(e) = groups.get(g) {
            layers.push((format!("group {g}"), e));
        }
    }
    layers.push(("defaults".into(), &defaults));

    // First layer to set a key wins, as in resolution.
    let mut out: Vec<Setting> = Vec::new();
    let mut set = |key: String, value: &Value, origin: &str| {
        if out.iter().any(|s| s.key == key) {
            return;
        }
        let last = key.rsplit('.').next().unwrap_or(&key);
        let value = if SECRET_KEYS.contains(&last) {
            "********".to_string()
        } else {
            match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        };
        out.push(Setting {
            key,
            value,
            origin: origin.to_string(),
        });
    };
    set("groups".into(), &Value::from(chain.clone()), "host");
    for (origin, l) in &layers {
        let scalars = [
            ("hostname", l.hostname.clone().map(Value::from)),
            ("port", l.port.map(Value::from)),
            ("username", l.username.clone().map(Value::from)),
            ("password", l.password.clone().map(Value::from)),
            ("platform", l.platform.clone().map(Value::from)),
        ];
        for (k, v) in scalars {
            if let Some(v) = v {
                set(k.into(), &v, origin);
            }
        }
        for (k, v) in &l.data {
            set(format!("data.{k}"), v, origin);
        }
        for (plugin, o) in &l.connection_options {
            options(plugin, o, origin, &mut set);
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Some(out))
}

fn options(
    plugin: &str,
    o: &RawConnectionOptions,
    origin: &str,
    set: &mut impl FnMut(String, &Value, &str),
) {
    let at = |k: &str| format!("connection_options.{plugin}.{k}");
    let scalars = [
        ("hostname", o.hostname.clone().map(Value::from)),
        ("port", o.port.map(Value::from)),
        ("username", o.username.clone().map(Value::from)),
        ("password", o.password.clone().map(Value::from)),
        ("platform", o.platform.clone().map(Value::from)),
    ];
    for (k, v) in scalars {
        if let Some(v) = v {
            set(at(k), &v, origin);
        }
    }
    for (k, v) in o.extras.as_ref().unwrap_or(&Map::new()) {
        set(at(&format!("extras.{k}")), v, origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_names_its_layer_and_secrets_are_masked() {
        let dir = std::env::temp_dir().join(format!("netrun-explain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("hosts.yaml"),
            "r1:\n  hostname: 10.0.0.1\n  groups: [core]\n  password: hostpw\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("groups.yaml"),
            "core:\n  platform: cisco_ios\n  data: {site: lon}\n  connection_options:\n    netrun:\n      extras: {secret: en, timeouts: {command: 60}}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("defaults.yaml"),
            "username: admin\nplatform: arista_eos\n",
        )
        .unwrap();
        let s = explain(&dir, "r1").unwrap().unwrap();
        let get = |k: &str| {
            s.iter()
                .find(|x| x.key == k)
                .unwrap_or_else(|| panic!("{k}: {s:?}"))
        };
        assert_eq!(
            (
                get("hostname").value.as_str(),
                get("hostname").origin.as_str()
            ),
            ("10.0.0.1", "host")
        );
        assert_eq!(
            (
                get("platform").value.as_str(),
                get("platform").origin.as_str()
            ),
            ("cisco_ios", "group core")
        );
        assert_eq!(get("username").origin, "defaults");
        assert_eq!(get("password").value, "********");
        assert_eq!(
            get("connection_options.netrun.extras.secret").value,
            "********"
        );
        assert_eq!(get("data.site").origin, "group core");
        assert!(
            s.iter()
                .all(|x| !x.value.contains("hostpw") && !x.value.contains("en\""))
        );
        assert!(explain(&dir, "nope").unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
