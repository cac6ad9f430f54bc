//! Configuration management, one runner job kind: backups, diffs against
//! them, and templated changes behind rollback points, with commit-confirm
//! and rollout in waves. Per-platform mechanics are data
//! ([`mechanics::ConfigMechanics`]).

pub mod backup;
pub mod diff;
pub mod mask;
pub mod mechanics;
pub mod pending;
pub mod render;
pub mod waves;
