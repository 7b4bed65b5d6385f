//! The `kairos` binary: a thin shell over [`kairos_core::cli`].

/// Counts allocations so reports can state allocations per event.
#[global_allocator]
static ALLOC: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

fn main() -> std::process::ExitCode {
    kairos_core::cli::main()
}
