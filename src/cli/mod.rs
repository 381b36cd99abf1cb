//! The command line: one file per subcommand, each with an `Args` (clap) and a `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;

/// memshark: Wireshark + termshark + mctop for memcached traffic.
#[derive(Debug, Parser)]
#[command(name = "memshark", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Decode(decode::Args),
}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memshark: {e:#}");
            ExitCode::FAILURE
        }
    }
}
