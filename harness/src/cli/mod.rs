//! The command line: parses arguments, calls the library, maps errors to exit codes.

pub mod check;
pub mod clean;
pub mod diff;
pub mod explain;
pub mod render;
pub mod run;

use clap::{Parser, Subcommand};

/// Exit codes (DESIGN §6, documented in the README).
pub mod exit {
    /// Everything conformant.
    pub const OK: u8 = 0;
    /// Some cell failed, or `diff` found changes.
    pub const FINDINGS: u8 = 1;
    /// Bad input: the command line or a profile.
    pub const BAD_INPUT: u8 = 2;
    /// The environment: no daemon, no seccomp support, the image build failed.
    pub const ENVIRONMENT: u8 = 3;
}

/// An error on its way out of the CLI, with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(e: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::BAD_INPUT,
            message: e.to_string(),
        }
    }
    pub fn environment(e: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::ENVIRONMENT,
            message: e.to_string(),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "seccomp-harness",
    version,
    about = "Proves what a Docker seccomp profile really does on a real host"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate and lint profiles (exit 0 valid, 2 invalid).
    Check(check::Args),
    /// Predict one case's outcome under a profile, without running anything.
    Explain(explain::Args),
    /// Run profiles × capability sets on the Docker engine and compare with the predictions.
    Run(run::Args),
    /// Compare two JSON matrices (exit 1 when anything changed).
    Diff(diff::Args),
    /// Render a saved JSON matrix as a table, Markdown, JUnit or JSON.
    Render(render::Args),
    /// Remove containers a killed run left behind.
    Clean(clean::Args),
}

/// Returns the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check::main(a),
        Command::Explain(a) => explain::main(a),
        Command::Run(a) => run::main(a),
        Command::Diff(a) => diff::main(a),
        Command::Render(a) => render::main(a),
        Command::Clean(a) => clean::main(a),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            f.code
        }
    }
}
