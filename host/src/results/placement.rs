//! Where a device's record was made when work is spread past one machine.

use serde::{Deserialize, Serialize};

/// The shard, or the NATS worker, that worked on a device. Empty (and left
/// out of the record) for a run on one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// `I/N` of a sharded run (`--shard`, `--shard-count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The `netrun worker` that made the record (NATS runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// How often the device's task was handed to a worker (NATS runs): 1,
    /// or more when a worker died or stalled and the task was redelivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<u64>,
}
