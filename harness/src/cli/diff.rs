//! `seccomp-harness diff OLD.json NEW.json`: loads two matrices, compares them, prints the
//! changes. `diff RUN.json --engines A,B` compares two engines of one run over several
//! engines (with two files, A is taken from OLD and B from NEW). Exit 1 when behaviour
//! changed, 0 when it did not, 2 when a file can't be read as a matrix (the message names the
//! file) or names no such engine.

use super::{exit, Failure};
use seccomp_harness::diff::MatrixDiff;
use seccomp_harness::engines;
use seccomp_harness::matrix::Matrix;
use seccomp_harness::report::diff::{render, DiffFormat, Sides};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier matrix (JSON from `run --format json`).
    old: PathBuf,
    /// The later matrix. Cells are matched by configuration id and case id. Optional with
    /// `--engines`.
    new: Option<PathBuf>,
    /// Compare two engines of a run over several engines: `OLD_ENGINE,NEW_ENGINE`, as named
    /// in the matrix's `engines`.
    #[arg(long, value_name = "OLD,NEW", value_delimiter = ',')]
    engines: Vec<String>,
    /// How to print the changes.
    #[arg(long, default_value = "table", value_parser = super::names_parser::<DiffFormat>(DiffFormat::ALL.map(|f| f.name())))]
    format: DiffFormat,
    /// Write the changes to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    if !matches!(args.engines.len(), 0 | 2) {
        return Err(Failure::bad_input(
            "--engines takes two engine names: OLD,NEW",
        ));
    }
    let old = Matrix::load(&args.old).map_err(Failure::bad_input)?;
    let new_path = args.new.as_ref().unwrap_or(&args.old);
    if args.new.is_none() && args.engines.is_empty() {
        return Err(Failure::bad_input(
            "diff needs two matrices, or one matrix and --engines OLD,NEW",
        ));
    }
    let new = match &args.new {
        Some(path) => Matrix::load(path).map_err(Failure::bad_input)?,
        None => old.clone(),
    };
    let (old, new, old_name, new_name) = match args.engines.as_slice() {
        [a, b] => {
            let of = |m: &Matrix, path: &PathBuf, name: &str| {
                engines::view(m, name)
                    .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
            };
            (
                of(&old, &args.old, a)?,
                of(&new, new_path, b)?,
                format!("{} [{a}]", args.old.display()),
                format!("{} [{b}]", new_path.display()),
            )
        }
        _ => (
            old,
            new,
            args.old.display().to_string(),
            new_path.display().to_string(),
        ),
    };
    let diff = MatrixDiff::between(&old, &new);
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
