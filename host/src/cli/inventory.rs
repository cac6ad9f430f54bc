//! `netrun inventory list|show`: what the inventory holds, as netrun reads
//! it, before anything is dialled.

use crate::inventory::{Filter, Inventory, explain};
use anyhow::bail;
use clap::Subcommand;
use std::path::PathBuf;

/// `netrun inventory …`.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Hosts with address, platform and groups (filters as for `run`).
    List {
        /// Nornir inventory: hosts.yaml, or the folder holding it.
        #[arg(short, long)]
        inventory: PathBuf,
        /// Only these hosts (names or globs, comma-separated).
        #[arg(long, value_delimiter = ',')]
        hosts: Vec<String>,
        /// Only hosts in these groups (comma-separated).
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        /// KEY=VALUE, KEY!=VALUE or KEY~=REGEX (repeatable).
        #[arg(long = "filter")]
        filters: Vec<String>,
    },
    /// One host's resolved settings and where each came from (host, group,
    /// defaults); secrets masked.
    Show {
        /// Host name.
        host: String,
        /// Nornir inventory: hosts.yaml, or the folder holding it.
        #[arg(short, long)]
        inventory: PathBuf,
    },
}

pub fn execute(command: InventoryCommand) -> anyhow::Result<i32> {
    match command {
        InventoryCommand::List {
            inventory,
            hosts,
            groups,
            filters,
        } => {
            let inv = Inventory::load(&inventory)?;
            let filter = Filter {
                hosts: super::args::expand_hosts(&hosts)?,
                groups,
                ..Default::default()
            }
            .with_fields(&filters)?;
            let selected = inv.select(&filter);
            let mut rows = vec![["HOST", "ADDRESS", "PLATFORM", "GROUPS"].map(String::from)];
            rows.extend(selected.iter().map(|h| {
                [
                    h.name.clone(),
                    format!("{}:{}", h.hostname, h.port),
                    h.platform.clone().unwrap_or_else(|| "-".into()),
                    h.groups.join(","),
                ]
            }));
            crate::out!("{}", crate::results::format::columns(&rows))?;
            eprintln!("{} of {} hosts", selected.len(), inv.hosts.len());
            Ok(super::EXIT_OK)
        }
        InventoryCommand::Show { host, inventory } => {
            let Some(settings) = explain::explain(&inventory, &host)? else {
                let inv = Inventory::load(&inventory)?;
                let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
                bail!(
                    "no host `{host}` in {}{}",
                    inventory.display(),
                    crate::inventory::did_you_mean(&host, &names)
                );
            };
            // Load it too, so `show` fails where a run would (unknown keys, …).
            Inventory::load(&inventory)?;
            let width = settings.iter().map(|s| s.key.len()).max().unwrap_or(3);
            crate::outln!("{host}")?;
            for s in settings {
                crate::outln!("  {:<width$}  {:<30}  from {}", s.key, s.value, s.origin)?;
            }
            Ok(super::EXIT_OK)
        }
    }
}
