//! The command line: one file per subcommand, each with an `Args` (clap) and a `run`.

use std::process::ExitCode;

use clap::Parser;

/// memshark: Wireshark + termshark + mctop for memcached traffic.
#[derive(Debug, Parser)]
#[command(name = "memshark", version, about, long_about = None)]
struct Cli {}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
