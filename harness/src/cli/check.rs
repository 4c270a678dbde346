//! `seccomp-harness check PROFILE…`: validates and lints profiles. Exit 0 when every profile
//! is valid (warnings allowed), 2 when any is invalid. Findings go to stderr, naming the file;
//! with `--format sarif` they are also written as SARIF 2.1.0 (stdout or `--output`), each at
//! its line and column in the profile.

use super::Failure;
use seccomp_catalog::Arch;
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::profile::{
    self, CapSet, Host, KernelVersion, Pos, ProfileFile, SourceMap, Span,
};
use seccomp_harness_core::report::sarif::{self, Finding, Kind};
use std::path::PathBuf;

/// What `check` writes besides its lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CheckFormat {
    /// Findings on stderr only.
    Text,
    /// SARIF 2.1.0 on stdout (or `--output`), for code scanning; stderr as with `text`.
    Sarif,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Profile files (Docker seccomp profiles, OCI config.json, or Kubernetes SeccompProfile
    /// YAML, each resource checked).
    #[arg(required = true)]
    pub(crate) profiles: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: CheckFormat,
    /// Write the SARIF log here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// A finding of `check` at `span` of `file` (the whole file where the span is unknown).
fn finding(kind: Kind, file: &str, span: Option<Span>, message: String) -> Finding {
    let at = span.map_or(String::new(), |s| {
        format!(":{}:{}", s.start.line, s.start.column)
    });
    Finding {
        kind,
        fingerprint: format!("check/{file}{at}/{message}"),
        message,
        file: Some(file.to_string()),
        span,
        logical: None,
        level: None,
    }
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    // Host-dependent lints (never-enabled rules) use this machine and Docker's default caps.
    let kernel = KernelVersion::host().unwrap_or(KernelVersion::new(6, 1));
    let host = Host::new(Arch::native(), CapSet::docker_default(), kernel);
    let mut code = ExitCode::Ok;
    let mut findings = Vec::new();
    for path in &args.profiles {
        let file = path.display().to_string();
        // The file's errors (unreadable, no profile in it) name the file alone.
        let (read, docs) = match ProfileFile::read(path).and_then(|f| Ok((f.documents()?, f))) {
            Ok((docs, read)) => (read, docs),
            Err(e) => {
                eprintln!("error: {e}");
                findings.push(finding(Kind::CheckError, &file, None, e.to_string()));
                code = ExitCode::BadInput;
                continue;
            }
        };
        // Positions in the file itself: a JSON profile's (a YAML resource's JSON is derived,
        // so its findings name the file alone).
        let spans = SourceMap::of(&read.text);
        let at_path = |path: &str| spans.as_ref().map(|m| m.locate(path));
        for doc in docs {
            // A resource of a Kubernetes YAML is named after its file.
            let at = read.label(&doc);
            let resource = doc.name.is_some();
            match read.parse(doc).map(|loaded| loaded.profile) {
                Err(e) => {
                    eprintln!("error: {e}");
                    let span = error_position(&e).filter(|_| !resource);
                    findings.push(finding(Kind::CheckError, &file, span, e.to_string()));
                    code = ExitCode::BadInput;
                }
                Ok(p) if !profile::errno_out_of_range(&p).is_empty() => {
                    for e in profile::errno_out_of_range(&p) {
                        eprintln!("error: {at}: {e}");
                        let span = match &e {
                            profile::Invalid::ErrnoOutOfRange { path, .. } => at_path(path),
                            _ => None,
                        };
                        findings.push(finding(Kind::CheckError, &file, span, format!("{at}: {e}")));
                    }
                    code = ExitCode::BadInput;
                }
                Ok(p) => {
                    let mut warnings = profile::lint(&p, &host);
                    // What a Kubernetes node running containerd would not see (issue 21).
                    warnings.extend(profile::node::containerd_warnings(&p));
                    for w in &warnings {
                        eprintln!("warning: {at}: {w}");
                        let span = at_path(&w.path).filter(|_| !resource);
                        findings.push(finding(
                            Kind::CheckWarning,
                            &file,
                            span,
                            format!("{at}: {w}"),
                        ));
                    }
                    eprintln!("{at}: valid, {} warning(s)", warnings.len());
                }
            }
        }
    }
    if args.format == CheckFormat::Sarif {
        super::write_out(&sarif::render_findings(&findings), args.output.as_deref())?;
    }
    Ok(code)
}

/// Where a parse error is, when serde_json said.
fn error_position(e: &profile::ProfileError) -> Option<Span> {
    let (line, column) = match e {
        profile::ProfileError::Syntax { line, column, .. } => (*line, *column),
        profile::ProfileError::Invalid {
            line: Some(line),
            column: Some(column),
            ..
        } => (*line, *column),
        _ => return None,
    };
    let at = Pos {
        line,
        column: column.max(1),
    };
    Some(Span { start: at, end: at })
}
