//! `credwell`: the command line of the credwell credential manager.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod demo;

/// credwell: the W3C Credential Management API (`navigator.credentials`), in Rust.
#[derive(Debug, Parser)]
#[command(name = "credwell", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a scripted demonstration of the engine: store a credential, get it back silently,
    /// preventSilentAccess(), and get() returning null.
    Demo(demo::DemoArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(&args, &mut std::io::stdout().lock()),
    }
}
