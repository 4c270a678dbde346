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
use std::path::PathBuf;

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
    if !matches!(args.engines.len(), 0 | 2) {
        return Err(Failure::bad_input(
            "--engines takes two engine names: OLD,NEW",
        ));
    }
    let old = Matrix::load(&args.old).map_err(Failure::bad_input)?;
    let new_path = match &args.new {
        Some(p) => p.clone(),
        None if !args.engines.is_empty() || args.runtimes.is_some() => args.old.clone(),
        None => {
            return Err(Failure::bad_input(
                "diff needs NEW.json, or --engines OLD,NEW or --runtimes A,B to compare within OLD.json",
            ))
        }
    };
    let new = match &args.new {
        Some(path) => Matrix::load(path).map_err(Failure::bad_input)?,
        None => old.clone(),
    };
    let mut old_name = args.old.display().to_string();
    let mut new_name = new_path.display().to_string();
    let (old, new) = match args.engines.as_slice() {
        [a, b] => {
            let of = |m: &Matrix, path: &PathBuf, name: &str| {
                fleet::view(m, name)
                    .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
            };
            let mut pair = (of(&old, &args.old, a)?, of(&new, &new_path, b)?);
            fleet::align_defaults(&mut pair.0, &mut pair.1);
            old_name = format!("{old_name} [{a}]");
            new_name = format!("{new_name} [{b}]");
            pair
        }
        _ => (old, new),
    };
    let (old, new) = match &args.runtimes {
        None => (old, new),
        Some(list) => {
            let Some((a, b)) = list.split_once(',') else {
                return Err(Failure::bad_input(format!(
                    "--runtimes takes two runtimes, A,B (got {list:?})"
                )));
            };
            let pick = |m: &Matrix, rt: &str, file: &str| {
                m.for_runtime(rt).ok_or_else(|| {
                    Failure::bad_input(format!("`{file}` has no configuration on runtime {rt:?}"))
                })
            };
            let pair = (
                pick(&old, a.trim(), &old_name)?,
                pick(&new, b.trim(), &new_name)?,
            );
            old_name = format!("{old_name} ({})", a.trim());
            new_name = format!("{new_name} ({})", b.trim());
            pair
        }
    };
    let diff = MatrixDiff::between(&old, &new);
    let text = match args.format {
        DiffFormat::Sarif => seccomp_harness_core::report::sarif::render_diff(
            &diff,
            Some(&new),
            &super::sarif::sources(&new),
        ),
        format => render(
            format,
            &diff,
            Sides {
                old: &old_name,
                new: &new_name,
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
