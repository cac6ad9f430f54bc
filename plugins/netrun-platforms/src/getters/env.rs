//! NAPALM's `get_environment` shape: `fans` (`status`), `temperature`
//! (`temperature`, `is_alert`, `is_critical`), `power` (`status`,
//! `capacity`, `output`), `cpu` (`%usage` per CPU index) and `memory`
//! (`available_ram`, `used_ram`, in bytes). What a platform does not print
//! is -1 (numbers) or absent (sensors), as NAPALM fills it.

use serde_json::{Map, Value, json};

/// `get_environment` built sensor by sensor.
#[derive(Debug)]
pub struct Environment {
    fans: Map<String, Value>,
    temperature: Map<String, Value>,
    power: Map<String, Value>,
    cpu: Map<String, Value>,
    available_ram: i64,
    used_ram: i64,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            fans: Map::new(),
            temperature: Map::new(),
            power: Map::new(),
            cpu: Map::new(),
            available_ram: -1,
            used_ram: -1,
        }
    }
}

impl Environment {
    /// A fan, working or not.
    pub fn fan(&mut self, name: &str, ok: bool) {
        self.fans.insert(name.to_string(), json!({ "status": ok }));
    }

    /// A temperature sensor in °C, past its alert and critical thresholds
    /// or not.
    pub fn temperature(&mut self, name: &str, celsius: f64, alert: bool, critical: bool) {
        self.temperature.insert(
            name.to_string(),
            json!({ "temperature": celsius, "is_alert": alert, "is_critical": critical }),
        );
    }

    /// A power supply, working or not, with its capacity and output in W
    /// (-1 where not shown).
    pub fn power(&mut self, name: &str, ok: bool, capacity: f64, output: f64) {
        self.power.insert(
            name.to_string(),
            json!({ "status": ok, "capacity": capacity, "output": output }),
        );
    }

    /// The use of CPU `index` (`0` where the platform shows one figure), in percent.
    pub fn cpu(&mut self, index: usize, usage: f64) {
        self.cpu
            .insert(index.to_string(), json!({ "%usage": usage }));
    }

    /// Memory, total and used, in bytes.
    pub fn memory(&mut self, total: i64, used: i64) {
        (self.available_ram, self.used_ram) = (total, used);
    }

    /// The result.
    pub fn json(self) -> Value {
        json!({
            "fans": self.fans,
            "temperature": self.temperature,
            "power": self.power,
            "cpu": self.cpu,
            "memory": { "available_ram": self.available_ram, "used_ram": self.used_ram },
        })
    }
}

/// The first number in `text` (`45`, `45.5`, `-3`), units and signs around
/// it ignored (`+45.0°C`, `650 W`, `11%`, `16400084K`).
pub fn number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let neg = text[..start].ends_with('-');
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v: f64 = digits.trim_end_matches('.').parse().ok()?;
    Some(if neg { -v } else { v })
}

/// The number after `key` on the first line holding it.
pub fn after(lines: &[&str], key: &str) -> Option<f64> {
    lines
        .iter()
        .find_map(|l| l.split_once(key).and_then(|(_, rest)| number(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_units() {
        assert_eq!(number("+45.0°C  (high = +80.0°C"), Some(45.0));
        assert_eq!(number("650 W"), Some(650.0));
        assert_eq!(number("16400084K total"), Some(16_400_084.0));
        assert_eq!(number("-3 C"), Some(-3.0));
        assert_eq!(number("N/A"), None);
    }

    #[test]
    fn the_shape_is_napalms() {
        let mut e = Environment::default();
        e.fan("Fan1", true);
        e.cpu(0, 5.0);
        let v = e.json();
        assert_eq!(v["fans"]["Fan1"]["status"], true);
        assert_eq!(v["cpu"]["0"]["%usage"], 5.0);
        assert_eq!(v["memory"]["used_ram"], -1);
        assert!(v["power"].as_object().unwrap().is_empty());
    }
}
