//! The command line: parses arguments, calls the library, maps errors to exit codes.

pub(crate) mod cases;
pub(crate) mod check;
pub(crate) mod clean;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod kube;
pub(crate) mod output;
pub(crate) mod render;
pub(crate) mod run;
pub(crate) mod sarif;

use clap::{Parser, Subcommand};
use seccomp_harness_core::exit::ExitCode;

/// An error on its way out of the CLI, with the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: ExitCode,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn bad_input(e: impl std::fmt::Display) -> Self {
        Failure {
            code: ExitCode::BadInput,
            message: e.to_string(),
        }
    }
    pub(crate) fn environment(e: impl std::fmt::Display) -> Self {
        Failure {
            code: ExitCode::Environment,
            message: e.to_string(),
        }
    }
}

/// An error's text with its `source()` chain: each cause that the text before it doesn't
/// already say is added after ": ", so the CLI prints the whole chain, and says no cause twice
/// (most of the harness's errors name their cause in their own text already).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

/// A clap parser over a core enum's names: the core has no CLI parser, so its enums carry
/// `ALL`, `name` and `FromStr`, and `--help` still lists the choices.
pub(crate) fn names_parser<T>(
    names: impl IntoIterator<Item = &'static str>,
) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Debug,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names)
        .map(|s| s.parse::<T>().expect("a listed name parses"))
}

/// Where and how a matrix is rendered: shared by `run` and `render`.
#[derive(clap::Args)]
pub(crate) struct OutputArgs {
    #[arg(long, default_value = "table", value_parser = names_parser::<seccomp_harness_core::report::Format>(seccomp_harness_core::report::Format::ALL.map(|f| f.name())))]
    pub(crate) format: seccomp_harness_core::report::Format,
    /// Write the rendered matrix here instead of stdout.
    #[arg(long, short)]
    pub(crate) output: Option<std::path::PathBuf>,
    /// Table and Markdown: show only rows where a cell failed or configurations differ.
    #[arg(long)]
    pub(crate) only_interesting: bool,
}

impl OutputArgs {
    /// Fails before anything runs when the output file can't be written: a run may take
    /// minutes, and its containers are gone by the time the matrix is written.
    pub(crate) fn preflight(&self) -> Result<(), Failure> {
        match &self.output {
            Some(path) => output::check_writable(path)
                .map_err(|e| Failure::bad_input(format!("cannot write {}: {e}", path.display()))),
            None => Ok(()),
        }
    }

    /// Renders `matrix` and writes it out. Colour only on a terminal, and never with `NO_COLOR`.
    pub(crate) fn emit(
        &self,
        matrix: &seccomp_harness_core::matrix::Matrix,
    ) -> Result<(), Failure> {
        use std::io::IsTerminal;
        let to_terminal = self.output.is_none() && std::io::stdout().is_terminal();
        let color = to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let options = seccomp_harness_core::report::Options {
            color,
            only_interesting: self.only_interesting,
        };
        let text = match self.format {
            // Findings point at the rule's line: the profiles' positions are read here.
            seccomp_harness_core::report::Format::Sarif => {
                seccomp_harness_core::report::sarif::render(matrix, &sarif::sources(matrix))
            }
            format => seccomp_harness_core::report::render(format, matrix, &options),
        };
        write_out(&text, self.output.as_deref())
    }
}

/// Writes a report to the file the user named (a path that can't be written is a bad
/// argument, like an unreadable input; a full disk is the environment's) or to stdout (a
/// closed pipe, `… | head`, is no error).
pub(crate) fn write_out(text: &str, path: Option<&std::path::Path>) -> Result<(), Failure> {
    use std::io::Write;
    match path {
        Some(path) => output::write(path, text.as_bytes()).map_err(|e| {
            let message = format!("cannot write {}: {e}", path.display());
            if output::is_full(&e) {
                Failure::environment(message)
            } else {
                Failure::bad_input(message)
            }
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::environment(
                    format!("cannot write to standard output: {e}"),
                )),
                _ => Ok(()),
            }
        }
    }
}

#[derive(Parser)]
#[command(
    name = "seccomp-harness",
    version,
    about = "Proves what a Docker seccomp profile really does on a real host"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// List the case ids of an arch's catalog.
    Cases(cases::Args),
    /// Validate and lint profiles (exit 0 valid, 2 invalid).
    Check(check::Args),
    /// Predict one case's outcome under a profile, without running anything.
    Explain(explain::Args),
    /// Run profiles × capability sets on the Docker engine and compare with the predictions.
    Run(run::Args),
    /// Compare two JSON matrices (exit 1 when anything changed).
    Diff(diff::Args),
    /// Render a saved JSON matrix as a table, Markdown, JUnit, JSON or HTML.
    Render(render::Args),
    /// Remove containers a killed run left behind.
    Clean(clean::Args),
    /// A whole Kubernetes cluster: the DaemonSet manifest, and the merge of its nodes' matrices.
    #[command(subcommand)]
    Kube(kube::Command),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: `seccomp-harness man > seccomp-harness.1`.
    Man,
}

/// Returns the process exit code.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cases(a) => cases::main(a),
        Command::Check(a) => check::main(a),
        Command::Explain(a) => explain::main(a),
        Command::Run(a) => run::main(a),
        Command::Diff(a) => diff::main(a),
        Command::Render(a) => render::main(a),
        Command::Clean(a) => clean::main(a),
        Command::Kube(c) => kube::main(c),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "seccomp-harness", &mut out);
            write_out(&String::from_utf8_lossy(&out), None).map(|_| ExitCode::Ok)
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(Failure::environment)
                .and_then(|_| write_out(&String::from_utf8_lossy(&out), None))
                .map(|_| ExitCode::Ok)
        }
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            f.code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_causes;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        /// Names its cause: printed once.
        #[error("cannot read p.json: {0}")]
        Says(#[source] std::io::Error),
        /// Doesn't: the cause follows.
        #[error("the run failed")]
        Hides(#[source] Middle),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the engine stopped answering")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn every_cause_is_printed_once() {
        let io = || std::io::Error::other("broken pipe");
        assert_eq!(
            with_causes(&Outer::Says(io())),
            "cannot read p.json: broken pipe"
        );
        assert_eq!(
            with_causes(&Outer::Hides(Middle(io()))),
            "the run failed: the engine stopped answering: broken pipe"
        );
    }
}
