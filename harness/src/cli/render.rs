//! `seccomp-harness render MATRIX.json`: renders a saved matrix in another format, so CI runs
//! the containers once and publishes JSON and Markdown from the same run. Exit 0, or 2 when the
//! file is unreadable or not a schema_version 1 matrix.

use super::{exit, Failure, OutputArgs};
use seccomp_harness::matrix::Matrix;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A matrix written by `run --format json`.
    pub matrix: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    let matrix = Matrix::load(&args.matrix).map_err(Failure::bad_input)?;
    args.output.emit(&matrix)?;
    Ok(exit::OK)
}
