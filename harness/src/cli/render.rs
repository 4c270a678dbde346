//! `seccomp-harness render MATRIX.json`: renders a saved matrix in another format, so CI runs
//! the containers once and publishes JSON and Markdown from the same run. Exit 0, or 2 when the
//! file is unreadable or not a schema_version 1 matrix.

use super::{Failure, OutputArgs};
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::matrix::Matrix;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A matrix written by `run --format json`.
    pub(crate) matrix: PathBuf,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let matrix = Matrix::load(&args.matrix).map_err(Failure::bad_input)?;
    args.output.emit(&matrix)?;
    Ok(ExitCode::Ok)
}
