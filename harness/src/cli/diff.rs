//! `seccomp-harness diff OLD.json NEW.json`: loads two matrices, compares them, prints the
//! changes. `diff RUN.json --engines A,B` compares two engines of one run over several
//! engines (with two files, A is taken from OLD and B from NEW). Exit 1 when behaviour
//! changed, 0 when it did not, 2 when a file can't be read as a matrix (the message names the
//! file) or names no such engine.

use super::Failure;
use seccomp_harness_core::diff::MatrixDiff;
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::fleet;
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::report::diff::{render, DiffFormat, Sides};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The earlier matrix (JSON from `run --format json`).
    old: PathBuf,
    /// The later matrix. Cells are matched by configuration id and case id. With `--engines`
    /// or `--runtimes` it may be left out: both sides then come from OLD.
    new: Option<PathBuf>,
    /// Compare two engines of a run over several engines: `OLD_ENGINE,NEW_ENGINE`, as named
    /// in the matrix's `engines`.
    #[arg(long, value_name = "OLD,NEW", value_delimiter = ',')]
    engines: Vec<String>,
    /// Compare the columns of runtime A (in OLD) with those of runtime B (in NEW, or OLD
    /// again), each id taken without its `@<runtime>`: `--runtimes runc,crun` on a matrix of
    /// `run --runtime runc,crun`.
    #[arg(long, value_name = "A,B")]
    runtimes: Option<String>,
    /// How to print the changes.
    #[arg(long, default_value = "table", value_parser = super::names_parser::<DiffFormat>(DiffFormat::ALL.map(|f| f.name())))]
    format: DiffFormat,
    /// Write the changes to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let (mut old, mut new) = load_sides(&args)?;
    if let [a, b] = args.engines.as_slice() {
        old.narrow_to_engine(a)?;
        new.narrow_to_engine(b)?;
        fleet::align_defaults(&mut old.matrix, &mut new.matrix);
    }
    if let Some(list) = &args.runtimes {
        let Some((a, b)) = list.split_once(',') else {
            return Err(Failure::bad_input(format!(
                "--runtimes takes two runtimes, A,B (got {list:?})"
            )));
        };
        old.narrow_to_runtime(a.trim())?;
        new.narrow_to_runtime(b.trim())?;
    }
    let diff = MatrixDiff::between(&old.matrix, &new.matrix);
    let text = match args.format {
        DiffFormat::Sarif => seccomp_harness_core::report::sarif::render_diff(
            &diff,
            Some(&new.matrix),
            &super::sarif::sources(&new.matrix),
        ),
        format => render(
            format,
            &diff,
            Sides {
                old: &old.name,
                new: &new.name,
            },
        ),
    };
    super::write_out(&text, args.output.as_deref())?;
    Ok(if diff.has_changes() {
        ExitCode::Findings
    } else {
        ExitCode::Ok
    })
}

/// One side of the comparison: the matrix, the file it came from, and the name the report
/// gives it (the file, with the engine or runtime it was narrowed to).
struct Side {
    matrix: Matrix,
    path: PathBuf,
    name: String,
}

impl Side {
    fn new(matrix: Matrix, path: &Path) -> Side {
        Side {
            matrix,
            path: path.to_path_buf(),
            name: path.display().to_string(),
        }
    }

    /// Keeps the columns of the engine named `engine` in a matrix of several engines.
    fn narrow_to_engine(&mut self, engine: &str) -> Result<(), Failure> {
        self.matrix = fleet::view(&self.matrix, engine)
            .map_err(|e| Failure::bad_input(format!("{}: {e}", self.path.display())))?;
        self.name = format!("{} [{engine}]", self.name);
        Ok(())
    }

    /// Keeps the columns run on `runtime`, their ids without the `@<runtime>`.
    fn narrow_to_runtime(&mut self, runtime: &str) -> Result<(), Failure> {
        self.matrix = self.matrix.for_runtime(runtime).ok_or_else(|| {
            Failure::bad_input(format!(
                "`{}` has no configuration on runtime {runtime:?}",
                self.name
            ))
        })?;
        self.name = format!("{} ({runtime})", self.name);
        Ok(())
    }
}

/// Both matrices; with no NEW file and a comparison within OLD, both sides are OLD.
fn load_sides(args: &Args) -> Result<(Side, Side), Failure> {
    if !matches!(args.engines.len(), 0 | 2) {
        return Err(Failure::bad_input(
            "--engines takes two engine names: OLD,NEW",
        ));
    }
    let old = Matrix::load(&args.old).map_err(Failure::bad_input)?;
    let new = match &args.new {
        Some(path) => Side::new(Matrix::load(path).map_err(Failure::bad_input)?, path),
        None if !args.engines.is_empty() || args.runtimes.is_some() => {
            Side::new(old.clone(), &args.old)
        }
        None => {
            return Err(Failure::bad_input(
                "diff needs NEW.json, or --engines OLD,NEW or --runtimes A,B to compare within OLD.json",
            ))
        }
    };
    Ok((Side::new(old, &args.old), new))
}
