//! `seccomp-harness diff OLD.json NEW.json`: loads two matrices, compares them, prints the
//! changes. Exit 1 when behaviour changed, 0 when it did not, 2 when a file can't be read as a
//! matrix (the message names the file).

use super::{exit, Failure};
use seccomp_harness::diff::MatrixDiff;
use seccomp_harness::matrix::Matrix;
use seccomp_harness::report::diff::{render, DiffFormat, Sides};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier matrix (JSON from `run --format json`).
    old: PathBuf,
    /// The later matrix. Cells are matched by configuration id and case id.
    new: PathBuf,
    /// How to print the changes.
    #[arg(long, default_value = "table", value_parser = super::names_parser::<DiffFormat>(DiffFormat::ALL.map(|f| f.name())))]
    format: DiffFormat,
    /// Write the changes to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    let old = Matrix::load(&args.old).map_err(Failure::bad_input)?;
    let new = Matrix::load(&args.new).map_err(Failure::bad_input)?;
    let diff = MatrixDiff::between(&old, &new);
    let old_name = args.old.display().to_string();
    let new_name = args.new.display().to_string();
    let text = render(
        args.format,
        &diff,
        Sides {
            old: &old_name,
            new: &new_name,
        },
    );
    super::write_out(&text, args.output.as_deref())?;
    Ok(if diff.has_changes() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
