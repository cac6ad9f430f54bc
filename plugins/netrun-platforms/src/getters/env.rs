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

    /// CPU and memory from a `top` snapshot (see [`top`]); whether the
    /// snapshot gave either.
    pub fn top(&mut self, lines: &[&str]) -> bool {
        let (cpu, memory) = top(lines);
        if let Some(u) = cpu {
            self.cpu(0, u);
        }
        if let Some((total, used)) = memory {
            self.memory(total, used);
        }
        cpu.is_some() || memory.is_some()
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

/// The output of a sensor command, or nothing where the device refused it
/// (a model without that monitor: IOSv, VM-Series, FortiGate-VM): no
/// sensors, as NAPALM reports them, while CPU and memory are still read.
pub fn unless_refused<'a>(output: &'a str, errors: &[&str]) -> &'a str {
    if output.lines().any(|l| errors.iter().any(|e| l.contains(e))) {
        ""
    } else {
        output
    }
}

/// CPU use (percent, 100 less the idle share) and memory (total and used
/// bytes) from one `top` snapshot, in every procps form network OSes print:
/// `%Cpu(s): 11.6 us, … 84.0 id,` or `Cpu(s):  9.3%us, … 85.7%id,`; `KiB
/// Mem : N total, N free, N used, …`, `KiB Mem:  N total,  N used, …`,
/// `MiB Mem :  6916.2 total, …` or `Mem:  4053712k total,  3981672k used, …`.
pub fn top(lines: &[&str]) -> (Option<f64>, Option<(i64, i64)>) {
    let cpu = lines.iter().find_map(|l| {
        let (_, rest) = l.split_once("Cpu(s):")?;
        let idle = rest.split(',').find(|p| p.trim_end().ends_with("id"))?;
        number(idle).map(|i| ((100.0 - i) * 10.0).round() / 10.0)
    });
    let memory = lines.iter().find_map(|l| {
        let t = l.trim_start();
        let unit: f64 = if t.starts_with("KiB Mem") {
            1024.0
        } else if t.starts_with("MiB Mem") {
            1048576.0
        } else if t.starts_with("GiB Mem") {
            1073741824.0
        } else if t.starts_with("Mem:") {
            // Old procps: `4053712k total`.
            1024.0
        } else {
            return None;
        };
        let (_, fields) = t.split_once(':')?;
        let field = |key: &str| {
            fields
                .split(',')
                .find(|p| p.split_whitespace().nth(1) == Some(key))
                .and_then(number)
        };
        let (total, used) = (field("total")?, field("used")?);
        Some(((total * unit) as i64, (used * unit) as i64))
    });
    (cpu, memory)
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
    fn top_in_every_procps_form() {
        let new = [
            "%Cpu(s): 11.6 us,  3.7 sy,  0.5 ni, 84.0 id,  0.1 wa,  0.0 hi,  0.1 si,  0.0 st",
            "KiB Mem :  8145408 total,  3472348 free,  2650224 used,  2022836 buff/cache",
        ];
        assert_eq!(
            top(&new),
            (Some(16.0), Some((8145408 * 1024, 2650224 * 1024)))
        );
        let jessie = ["KiB Mem:   3998588 total,  2089752 used,  1908836 free,   146540 buffers"];
        assert_eq!(top(&jessie).1, Some((3998588 * 1024, 2089752 * 1024)));
        let old = [
            "Cpu(s):  9.3%us,  3.5%sy,  0.6%ni, 85.7%id,  0.7%wa,  0.0%hi,  0.2%si,  0.0%st",
            "Mem:   4053712k total,  3981672k used,    72040k free,   179056k buffers",
            "Swap:  2008084k total,   656396k used,  1351688k free,  1245704k cached",
        ];
        assert_eq!(
            top(&old),
            (Some(14.3), Some((4053712 * 1024, 3981672 * 1024)))
        );
        let mib = ["MiB Mem :   6916.5 total,    258.7 free,   3786.0 used,   2871.3 buff/cache"];
        assert_eq!(top(&mib).1, Some((7252475904, 3969908736)));
        assert_eq!(top(&["KiB Swap: 0 total, 0 free, 0 used."]), (None, None));
    }

    #[test]
    fn a_refused_sensor_command_reads_as_no_sensors() {
        let errors = &["% Invalid input"];
        assert_eq!(
            unless_refused("% Invalid input detected at '^'", errors),
            ""
        );
        assert_eq!(unless_refused("FAN is OK", errors), "FAN is OK");
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
