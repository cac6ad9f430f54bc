//! Static shards: which of N machines works on a device, from the device's
//! name alone. Independent of inventory order and of the other devices, so
//! adding or removing a device moves no other device between shards; and
//! with jump consistent hashing, going from N to N+1 shards moves only about
//! 1/(N+1) of the devices (all of them into the new shard).
//!
//! The hash is fixed for good (records of old runs, Kubernetes pods of
//! different netrun versions must agree): 64-bit FNV-1a of the UTF-8 name,
//! then the splitmix64 finaliser (FNV's high bits mix poorly for short,
//! similar names such as `r001`, `r002`), then Lamping & Veach's jump
//! consistent hash (arXiv:1406.2294).

use std::fmt;
use std::str::FromStr;

/// Why a shard could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `I/N` with numbers.
    #[error("bad shard `{0}`: use I/N with 0 <= I < N, e.g. --shard 0/4")]
    Syntax(String),
    /// The index is not below the count, or the count is 0.
    #[error(
        "shard {index}/{count} does not exist: the index counts from 0 to {count} - 1, e.g. --shard 0/{count}"
    )]
    OutOfRange {
        /// The index given.
        index: u64,
        /// The count given.
        count: u64,
    },
    /// A shard count with no index to go with it.
    #[error(
        "{count_from} sets {count} shards but not which one this is: set JOB_COMPLETION_INDEX (a Kubernetes Indexed Job does), or give --shard I/{count}"
    )]
    NoIndex {
        /// `--shard-count` or `NETRUN_SHARDS`.
        count_from: String,
        /// The count.
        count: u32,
    },
    /// `--shard-from-hostname` with no count.
    #[error(
        "--shard-from-hostname needs the number of shards: give --shard-count N or set NETRUN_SHARDS (the StatefulSet's replicas)"
    )]
    NoCount,
    /// An environment variable or host name that does not hold a number.
    #[error("{what} is `{value}`, not {expected}")]
    BadValue {
        /// Where the value came from.
        what: String,
        /// The value.
        value: String,
        /// What was expected there.
        expected: String,
    },
}

/// Shard `index` of `count` (counted from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`; the index must be below the count.
    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        match (u32::try_from(index), u32::try_from(count)) {
            (Ok(i), Ok(n)) if i < n => Ok(Shard { index: i, count: n }),
            _ => Err(ShardError::OutOfRange { index, count }),
        }
    }

    /// This shard's index, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the device named `name` belongs to this shard.
    pub fn holds(self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let (i, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| ShardError::Syntax(s.to_string()))?;
        let num = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| ShardError::Syntax(s.to_string()))
        };
        Shard::new(num(i)?, num(n)?)
    }
}

/// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The splitmix64 finaliser: every input bit reaches every output bit.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Jump consistent hash: the bucket in `0..buckets` of `key`.
fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    // b is in 0..buckets here, as buckets >= 1.
    b.max(0) as u32
}

/// The stable hash of a device name that places it in a shard.
pub fn device_hash(name: &str) -> u64 {
    mix64(fnv1a64(name.as_bytes()))
}

/// The shard (in `0..count`) of the device named `name`; 0 when `count` is 0.
pub fn shard_of(name: &str, count: u32) -> u32 {
    if count <= 1 {
        return 0;
    }
    jump(device_hash(name), count)
}

/// The shard of a run from `--shard I/N`, or from a count (`--shard-count`,
/// `NETRUN_SHARDS`) with the index from `JOB_COMPLETION_INDEX` (set by a
/// Kubernetes Indexed Job) or the host name's trailing `-I` (a StatefulSet
/// pod's ordinal) when `from_hostname`. `env` reads the environment.
pub fn resolve(
    shard: Option<Shard>,
    count: Option<u32>,
    from_hostname: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, ShardError> {
    if let Some(s) = shard {
        return Ok(Some(s));
    }
    let (count, count_from) = match count {
        Some(n) => (n, "--shard-count".to_string()),
        None => match env("NETRUN_SHARDS") {
            None => {
                return if from_hostname {
                    Err(ShardError::NoCount)
                } else {
                    Ok(None)
                };
            }
            Some(v) => (
                v.trim().parse::<u32>().map_err(|_| ShardError::BadValue {
                    what: "NETRUN_SHARDS".into(),
                    value: v.clone(),
                    expected: "a number of shards".into(),
                })?,
                "NETRUN_SHARDS".to_string(),
            ),
        },
    };
    let index = if from_hostname {
        let host = env("HOSTNAME").unwrap_or_default();
        let ordinal = host.rsplit_once('-').map(|(_, i)| i).unwrap_or_default();
        ordinal.parse::<u64>().map_err(|_| ShardError::BadValue {
            what: "HOSTNAME".into(),
            value: host.clone(),
            expected: "a StatefulSet pod name ending in -ORDINAL (netrun-serve-2)".into(),
        })?
    } else {
        let Some(v) = env("JOB_COMPLETION_INDEX") else {
            return Err(ShardError::NoIndex { count_from, count });
        };
        v.trim().parse::<u64>().map_err(|_| ShardError::BadValue {
            what: "JOB_COMPLETION_INDEX".into(),
            value: v.clone(),
            expected: "a shard index".into(),
        })?
    };
    Shard::new(index, u64::from(count)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("r{i:03}")).collect()
    }

    #[test]
    fn the_hash_is_fixed_across_versions_and_platforms() {
        // FNV-1a's published test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // Jump hash's published property: key 0 is always bucket 0.
        assert_eq!(jump(0, 10), 0);
        // Pinned placements: a change here re-shards every fleet.
        let placed: Vec<u32> = ["r001", "r002", "r003", "core-sw1.example.net"]
            .iter()
            .map(|n| shard_of(n, 4))
            .collect();
        assert_eq!(placed, PINNED);
    }

    // Computed once (this code, and an independent Python transcription).
    const PINNED: [u32; 4] = [0, 2, 2, 2];

    #[test]
    fn every_device_is_in_exactly_one_shard() {
        for n in [1u32, 2, 3, 4, 7, 16] {
            for name in names(300) {
                let holders = (0..n)
                    .filter(|i| {
                        Shard::new(u64::from(*i), u64::from(n))
                            .unwrap()
                            .holds(&name)
                    })
                    .count();
                assert_eq!(holders, 1, "{name} in {n} shards");
            }
        }
    }

    #[test]
    fn shards_are_balanced() {
        let mut counts = [0usize; 4];
        for name in names(4000) {
            counts[shard_of(&name, 4) as usize] += 1;
        }
        for c in counts {
            assert!((900..=1100).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn a_fifth_shard_takes_devices_only_from_the_others_and_about_a_fifth() {
        let all = names(5000);
        let moved: Vec<&String> = all
            .iter()
            .filter(|n| shard_of(n, 4) != shard_of(n, 5))
            .collect();
        assert!(moved.iter().all(|n| shard_of(n, 5) == 4));
        assert!((800..=1200).contains(&moved.len()), "{}", moved.len());
    }

    #[test]
    fn shard_syntax_and_range_errors_say_the_fix() {
        assert_eq!("2/4".parse::<Shard>().unwrap().to_string(), "2/4");
        let e = "4/4".parse::<Shard>().unwrap_err().to_string();
        assert!(e.contains("0 to 4 - 1"), "{e}");
        let e = "two/4".parse::<Shard>().unwrap_err().to_string();
        assert!(e.contains("use I/N"), "{e}");
        assert!("1/0".parse::<Shard>().is_err());
    }

    #[test]
    fn the_index_comes_from_an_indexed_job_or_the_pod_name() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let none = env(&[]);
        assert_eq!(resolve(None, None, false, none).unwrap(), None);
        let explicit = Shard::new(1, 3).unwrap();
        assert_eq!(
            resolve(Some(explicit), Some(8), false, none).unwrap(),
            Some(explicit)
        );
        let job = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(
            resolve(None, Some(4), false, job)
                .unwrap()
                .unwrap()
                .to_string(),
            "2/4"
        );
        let from_env = env(&[("NETRUN_SHARDS", "4"), ("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            resolve(None, None, false, from_env)
                .unwrap()
                .unwrap()
                .to_string(),
            "3/4"
        );
        let e = resolve(None, Some(4), false, none).unwrap_err().to_string();
        assert!(
            e.contains("JOB_COMPLETION_INDEX") && e.contains("--shard I/4"),
            "{e}"
        );
        let pod = env(&[("HOSTNAME", "netrun-serve-1")]);
        assert_eq!(
            resolve(None, Some(3), true, pod)
                .unwrap()
                .unwrap()
                .to_string(),
            "1/3"
        );
        let bad_pod = env(&[("HOSTNAME", "laptop")]);
        let e = resolve(None, Some(3), true, bad_pod)
            .unwrap_err()
            .to_string();
        assert!(e.contains("HOSTNAME is `laptop`"), "{e}");
        let past_end = env(&[("JOB_COMPLETION_INDEX", "4")]);
        assert!(resolve(None, Some(4), false, past_end).is_err());
    }
}
