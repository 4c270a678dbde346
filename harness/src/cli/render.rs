//! `seccomp-harness render MATRIX.json`: renders a saved matrix in another format, so CI runs
//! the containers once and publishes JSON and Markdown from the same run. Exit 0, or 2 when the
//! file is unreadable or not a schema_version 1 matrix.

use super::{exit, Failure};
use seccomp_harness::matrix::Matrix;
use seccomp_harness::report::{self, Format, Options};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A matrix written by `run --format json`.
    pub matrix: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Table and Markdown: show only rows where a cell failed or configurations differ.
    #[arg(long)]
    pub only_interesting: bool,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    let matrix = Matrix::load(&args.matrix).map_err(Failure::bad_input)?;
    let options = Options {
        color: false,
        only_interesting: args.only_interesting,
    };
    let text = report::render(args.format, &matrix, &options);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::bad_input(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(exit::OK)
}
