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

/// Bytes of a linear memory or table kept resident when its slot is freed
/// (a workflow instance dirties about 150 KiB).
const KEEP_RESIDENT: usize = 1 << 20;

/// Tables budgeted per component instance (Python components hold several).
const TABLES_PER_INSTANCE: u32 = 8;

/// A linear memory's reservation when the whole 32-bit index space fits:
/// Cranelift then leaves out the bounds check of every load and store whose
/// static offset falls inside the guard, and the guard pages trap the rest.
/// On the lab's `collect-facts` (1,000 devices) plugin code took 37 % fewer
/// `perf` samples than with the 1 GiB reservation below (every access
/// compared with the bound), the run's CPU about 4 % less (median of 25
/// interleaved runs).
pub const FULL_RESERVATION: u64 = 4 << 30;

/// Guard after (and before) each full reservation. Rust's wasm code folds
/// the address of a static into a load's offset (statics sit above the 1 MiB
/// stack), so a guard of wasmtime's default size covers those offsets too.
pub const FULL_GUARD: u64 = 32 << 20;

/// What a plugin may use (1 GiB, the most `limits.memory_mib` allows) when
/// the pool is too large for full reservations: every access is checked.
pub const SMALL_RESERVATION: u64 = 1 << 30;

/// Guard of a small reservation (loads with larger offsets are checked).
pub const SMALL_GUARD: u64 = 64 << 10;

/// Address space the pool's linear memories may reserve: half of x86-64's
/// 128 TiB user space, so the rest of the process (heap, stacks, mapped
/// files) always fits. Reserving costs no memory, only page-table ranges.
const ADDRESS_BUDGET: u64 = 64 << 40;

/// The reservation and guard of each linear memory for a pool of
/// `instances`: full (no bounds checks) up to about 4,000 devices at once,
/// 1 GiB above that. The engine's compiled code depends on it, so a run
/// past the budget compiles its plugins once more (cached like the rest).
pub fn memory_reservation(instances: u32) -> (u64, u64) {
    let memories = u64::from(instances.max(4)) * u64::from(MEMORIES_PER_INSTANCE);
    let full = memories.saturating_mul(FULL_RESERVATION + 2 * FULL_GUARD);
    if full <= ADDRESS_BUDGET {
        (FULL_RESERVATION, FULL_GUARD)
    } else {
        (SMALL_RESERVATION, SMALL_GUARD)
    }
}

/// Component instances the pool holds when `concurrency` devices are
/// worked on at once with `drivers` driver components: a workflow and a
/// driver per device in flight, the idle drivers of every component (no
/// more than were ever in use at once), and a little headroom (platform
/// queries at load, `serve`'s health checks).
pub fn instances_for(concurrency: usize, drivers: usize) -> u32 {
    let concurrency = concurrency.max(1);
    let idle = drivers
        .max(1)
        .saturating_mul(MAX_IDLE_DRIVERS.min(concurrency));
    let n = concurrency
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
        .max_memory_size(1 << 30);
    // A slot given back is reset by writing back the pages the instance
    // dirtied (found with the PAGEMAP_SCAN ioctl, Linux 6.7+) instead of
    // `madvise`, whose TLB shootdowns interrupt every core and whose pages
    // fault in again on the next instance: 10,000 devices at concurrency
    // 1,000 took about 15 % less CPU, for 20-40 MB more peak RSS. Where the
    // ioctl is missing wasmtime memsets up to these sizes instead.
    pool.linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto)
        // Reuse slots an instance of the same component had (their pages
        // are resident) before touching a cold one: the slots ever used
        // stay as many as the instances alive at once.
        .max_unused_warm_slots(0);
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
        assert_eq!(instances_for(0, 0), 2 + 1 + 16);
        // A run of 10 devices keeps at most 10 idle instances a driver.
        assert_eq!(instances_for(10, 4), 20 + 40 + 16);
        assert_eq!(instances_for(usize::MAX, 3), u32::MAX);
    }

    #[test]
    fn memories_reserve_the_whole_index_space_while_the_pool_fits_the_budget() {
        // Concurrency 1,000 and 2,000 with a driver or two: full reservations.
        for instances in [4, 256, instances_for(1000, 1), instances_for(2000, 2)] {
            assert_eq!(
                memory_reservation(instances),
                (FULL_RESERVATION, FULL_GUARD),
                "{instances} instances"
            );
        }
        // 5,000 devices at once: 1 GiB each, as much as a plugin may use.
        let many = instances_for(5000, 1);
        assert_eq!(memory_reservation(many), (SMALL_RESERVATION, SMALL_GUARD));
        let reserved =
            u64::from(many) * u64::from(MEMORIES_PER_INSTANCE) * (SMALL_RESERVATION + SMALL_GUARD);
        assert!(reserved <= ADDRESS_BUDGET, "{reserved} bytes");
        assert_eq!(memory_reservation(u32::MAX).0, SMALL_RESERVATION);
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

    /// A slot reused without `madvise` (pages kept resident) still hands
    /// the next instance its initial memory and table: what one device's
    /// plugin wrote is never seen by the next.
    #[test]
    fn a_reused_slot_starts_from_the_initial_memory() {
        let mut cfg = Config::new();
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(config(4)));
        cfg.memory_reservation(1 << 30);
        cfg.memory_guard_size(64 << 10);
        let engine = Engine::new(&cfg).expect("engine");
        // `swap` returns the words at 16 (a data segment: 41), 70,000 (zero,
        // past the image) and 200,000 (a grown page: zero), then writes
        // 99 to each.
        let component = Component::new(
            &engine,
            r#"(component
                (core module $m
                  (memory (export "memory") 4)
                  (data (i32.const 16) "\29\00\00\00")
                  (func (export "swap") (result i32)
                    (local $sum i32)
                    (drop (memory.grow (i32.const 1)))
                    (local.set $sum (i32.add (i32.load (i32.const 16))
                      (i32.add (i32.load (i32.const 70000)) (i32.load (i32.const 200000)))))
                    (i32.store (i32.const 16) (i32.const 99))
                    (i32.store (i32.const 70000) (i32.const 99))
                    (i32.store (i32.const 200000) (i32.const 99))
                    (local.get $sum)))
                (core instance $i (instantiate $m))
                (func (export "swap") (result u32) (canon lift (core func $i "swap"))))"#,
        )
        .expect("component");
        let pre = Linker::<()>::new(&engine)
            .instantiate_pre(&component)
            .expect("pre");
        for round in 0..8 {
            let mut store = Store::new(&engine, ());
            let instance = pre.instantiate(&mut store).expect("instantiate");
            let swap = instance
                .get_typed_func::<(), (u32,)>(&mut store, "swap")
                .expect("swap");
            assert_eq!(
                swap.call(&mut store, ()).expect("call"),
                (41,),
                "round {round}"
            );
        }
    }
}
