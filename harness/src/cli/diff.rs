//! `seccomp-harness diff OLD.json NEW.json`: loads two matrices, compares them, prints the
//! changes. Exit 1 when behaviour changed, 0 when it did not, 2 when a file can't be read as a
//! matrix (the message names the file).

use super::{exit, Failure};
use seccomp_harness::diff::MatrixDiff;
use seccomp_harness::matrix::Matrix;
use seccomp_harness::report::diff::{render, DiffFormat, Sides};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier matrix (JSON from `run --format json`).
    old: PathBuf,
    /// The later matrix. Cells are matched by configuration id and case id. With
    /// `--runtimes`, may be left out: both sides then come from OLD.
    new: Option<PathBuf>,
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

pub fn main(args: Args) -> Result<u8, Failure> {
    let old = Matrix::load(&args.old).map_err(Failure::bad_input)?;
    let new_path = match (&args.new, &args.runtimes) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => args.old.clone(),
        (None, None) => {
            return Err(Failure::bad_input(
                "diff needs NEW.json, or --runtimes A,B to compare two runtimes of OLD.json",
            ))
        }
    };
    let new = if args.new.is_some() {
        Matrix::load(&new_path).map_err(Failure::bad_input)?
    } else {
        old.clone()
    };
    let mut old_name = args.old.display().to_string();
    let mut new_name = new_path.display().to_string();
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
    let text = render(
        args.format,
        &diff,
        Sides {
            old: &old_name,
            new: &new_name,
        },
    );
    match &args.output {
        // A path the user named that can't be written is a bad argument, like an unreadable
        // input.
        Some(path) => std::fs::write(path, &text).map_err(|e| {
            Failure::bad_input(format!("failed to write `{}`: {e}", path.display()))
        })?,
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // `diff ... | head` closing the pipe early is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    return Err(Failure::environment(format!(
                        "failed to write to standard output: {e}"
                    )))
                }
                Ok(()) => {}
            }
        }
    }
    Ok(if diff.has_changes() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
