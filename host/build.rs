//! Link settings of the `netrun` binary.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // A position-dependent executable: a PIE of this size carries 79,000
        // relative relocations that the loader applies at every start,
        // writing into ~340 pages (a page fault each), a fifth of the start-up
        // of a short `netrun parse`. Shared libraries, heap and stack keep
        // their random addresses; only the executable's own are fixed.
        println!("cargo:rustc-link-arg-bin=netrun=-no-pie");
    }
}
