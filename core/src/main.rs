//! The `kairos` binary: a thin shell over [`kairos_core::cli`].

fn main() -> std::process::ExitCode {
    kairos_core::cli::main()
}
