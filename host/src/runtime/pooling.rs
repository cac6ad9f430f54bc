//! Sizing wasmtime's pooling allocator from a run's concurrency, so a
//! device never fails because the host ran out of its own instance slots.
//!
//! Every device in flight holds at most one workflow store and one driver
//! store (each one component instance, running at most one call at a time,
//! so one fiber stack); idle driver instances wait between devices. Every
//! limit of the pool is derived from that one instance count.

use wasmtime::PoolingAllocationConfig;

use super::MAX_IDLE_DRIVERS;

/// Most core instances one component may hold (CPython components hold
/// 38). Only a counter in wasmtime, so a generous bound costs nothing.
const CORE_INSTANCES_PER_COMPONENT: u32 = 128;

/// Linear memories budgeted per component instance: a Rust or JavaScript
/// component has one, a Python one two. Each reserves address space
/// (`memory_reservation`), so this is not the per-component maximum.
const MEMORIES_PER_INSTANCE: u32 = 2;

/// Most linear memories one component may hold.
const MAX_MEMORIES_PER_COMPONENT: u32 = 8;

/// Tables budgeted per component instance (Python components hold several).
const TABLES_PER_INSTANCE: u32 = 8;

/// Component instances the pool holds when `concurrency` devices are
/// worked on at once with `drivers` driver components: a workflow and a
/// driver per device in flight, the idle drivers of every component, and
/// a little headroom (platform queries at load, `serve`'s health checks).
pub fn instances_for(concurrency: usize, drivers: usize) -> u32 {
    let idle = drivers.max(1).saturating_mul(MAX_IDLE_DRIVERS);
    let n = concurrency
        .max(1)
        .saturating_mul(2)
        .saturating_add(idle)
        .saturating_add(16);
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The pooling allocator's limits for `instances` component instances
/// alive at once. Stacks are sized with instances: the old default of
/// 1,000 fibers failed runs at concurrency 500 and above.
pub fn config(instances: u32) -> PoolingAllocationConfig {
    let n = instances.max(4);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(n.saturating_mul(MEMORIES_PER_INSTANCE))
        .max_memories_per_component(MAX_MEMORIES_PER_COMPONENT)
        .total_tables(n.saturating_mul(TABLES_PER_INSTANCE))
        .total_stacks(n)
        .total_gc_heaps(n)
        .max_memory_size(1 << 30);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Config, Engine, InstanceAllocationStrategy, Store};

    #[test]
    fn instances_cover_two_per_device_and_the_idle_drivers() {
        assert_eq!(instances_for(1000, 1), 2000 + 64 + 16);
        assert_eq!(instances_for(2000, 2), 4000 + 128 + 16);
        assert_eq!(instances_for(0, 0), 2 + 64 + 16);
        assert_eq!(instances_for(usize::MAX, 3), u32::MAX);
    }

    #[test]
    fn every_pool_limit_grows_with_the_instance_count() {
        let c = config(4_096);
        assert_eq!(c.get_total_component_instances(), 4_096);
        assert_eq!(c.get_total_stacks(), 4_096);
        assert!(c.get_total_core_instances() >= 4_096 * 38);
        assert!(c.get_total_memories() >= 4_096);
        assert!(c.get_total_tables() >= 4_096);
    }

    /// More stores in a call at once than wasmtime's default of 1,000
    /// fibers: each holds a stack while it waits in an async host call, and
    /// the barrier opens only when all of them wait at once.
    #[tokio::test]
    async fn more_than_a_thousand_instances_wait_in_host_calls_at_once() {
        const AT_ONCE: usize = 1_200;
        let mut pool = config(AT_ONCE as u32);
        pool.max_memory_size(1 << 16);
        let mut cfg = Config::new();
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        cfg.memory_reservation(1 << 16);
        cfg.memory_guard_size(0);
        // Small stacks: 1,200 of them at once.
        cfg.async_stack_size(128 << 10);
        // The wasm stack lives inside the async stack, so it is smaller.
        cfg.max_wasm_stack(64 << 10);
        let engine = Engine::new(&cfg).expect("engine");
        let component = Component::new(
            &engine,
            r#"(component
                (import "wait" (func $wait))
                (core func $w (canon lower (func $wait)))
                (core module $m
                  (import "" "wait" (func $wait))
                  (memory (export "memory") 1)
                  (func (export "run") call $wait))
                (core instance $i (instantiate $m (with "" (instance (export "wait" (func $w))))))
                (func (export "run") (canon lift (core func $i "run"))))"#,
        )
        .expect("component");
        let mut linker = Linker::<()>::new(&engine);
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(AT_ONCE));
        linker
            .root()
            .func_wrap_async("wait", move |_, (): ()| {
                let b = barrier.clone();
                Box::new(async move {
                    b.wait().await;
                    Ok(())
                })
            })
            .expect("wait");
        let pre = linker.instantiate_pre(&component).expect("pre");
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..AT_ONCE {
            let (pre, engine) = (pre.clone(), engine.clone());
            calls.spawn(async move {
                let mut store = Store::new(&engine, ());
                let instance = pre.instantiate_async(&mut store).await?;
                let run = instance.get_typed_func::<(), ()>(&mut store, "run")?;
                run.call_async(&mut store, ()).await
            });
        }
        let mut ok = 0;
        while let Some(r) = calls.join_next().await {
            r.expect("task").expect("instantiate and call");
            ok += 1;
        }
        assert_eq!(ok, AT_ONCE);
    }
}
