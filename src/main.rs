//! The `memshark` command-line tool. See `memshark --help` and the README.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
