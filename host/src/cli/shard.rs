//! `--shard I/N`, `--shard-count N` and `--shard-from-hostname`: which part
//! of the inventory this process works on (see `runner::shard`).

use crate::inventory::Host;
use crate::runner::shard::{self, Shard};
use clap::Args;

/// Static sharding flags of `run`, `exec` and `serve`.
#[derive(Debug, Args, Clone, Default)]
pub struct ShardArgs {
    /// Work only on shard I of N (0 <= I < N): the devices whose name hashes
    /// there, the same split on every machine and for every inventory order.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_from_hostname")]
    pub shard: Option<Shard>,
    /// Split the devices into N shards and work on the one named by
    /// JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), or by the host
    /// name's ordinal with --shard-from-hostname.
    #[arg(long, value_name = "N", env = "NETRUN_SHARDS")]
    pub shard_count: Option<u32>,
    /// Take the shard index from the host name's trailing `-I` (a StatefulSet
    /// pod such as netrun-serve-2); needs --shard-count or NETRUN_SHARDS.
    #[arg(long)]
    pub shard_from_hostname: bool,
}

impl ShardArgs {
    /// The shard this process works on, if the flags name one.
    pub fn resolve(&self) -> anyhow::Result<Option<Shard>> {
        // NETRUN_SHARDS reached `shard_count` through clap already.
        Ok(shard::resolve(
            self.shard,
            self.shard_count,
            self.shard_from_hostname,
            |k| std::env::var(k).ok().or_else(|| hostname_fallback(k)),
        )?)
    }
}

/// `HOSTNAME` is a shell variable, not always exported: fall back to the
/// kernel's host name (what a Kubernetes pod's name is).
fn hostname_fallback(key: &str) -> Option<String> {
    if key != "HOSTNAME" {
        return None;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Keep the hosts of `shard` (all when there is none).
pub fn keep(hosts: Vec<Host>, shard: Option<Shard>) -> Vec<Host> {
    match shard {
        None => hosts,
        Some(s) => hosts.into_iter().filter(|h| s.holds(&h.name)).collect(),
    }
}
