//! The command line: one file per subcommand, each with an `Args` (clap) and a `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod demo;
mod dump;
mod live;
mod load;
mod proxy;
mod proxy_dump;
mod replay;
mod route;
mod serve;
mod source;
mod stats;
mod view;

/// memshark: Wireshark + termshark + mctop for memcached traffic.
#[derive(Debug, Parser)]
#[command(name = "memshark", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::Args),
    View(view::Args),
    Live(live::Args),
    Decode(decode::Args),
    Serve(serve::Args),
    Load(load::Args),
    Dump(dump::Args),
    Stats(stats::Args),
    Proxy(proxy::Args),
    Replay(replay::Args),
    Route(route::Args),
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::View(args) => view::run(args),
        Command::Live(args) => live::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Load(args) => load::run(args),
        Command::Dump(args) => dump::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Route(args) => route::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memshark: {e:#}");
            ExitCode::FAILURE
        }
    }
}
