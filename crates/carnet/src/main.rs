//! The `carnet` command: one binary for the DUI server, the operator commands
//! and (later) the collection platform. Parses arguments, reads the clock and
//! the environment, calls the library crates, and turns their errors into
//! French messages with a non-zero exit code.

mod cli;
mod collect_cmd;
mod collect_flash_cmd;
mod collect_funding_cmd;
mod collect_proofs_cmd;
mod collect_sample_cmd;
mod collect_summary_cmd;
mod commands;
mod declarations_cmd;
mod demo;
mod demo_link;
mod indicators_cmd;
mod platform_cmd;
mod platform_demo;
mod progress;
mod proof_cmd;
mod rules_cmd;
mod serve;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}
