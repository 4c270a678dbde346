//! `seccomp-harness run`: profiles × capability sets on the Docker engine, classified, compared
//! with the oracle and rendered. Exit 0 when every predicted cell passes, 1 when one fails (or
//! a configuration's rule coverage is below `--min-coverage`), 2 on bad input, 3 when the
//! environment is at fault.

use super::{Failure, OutputArgs};
use seccomp_harness::run::several_engines::{execute_on_engines, EngineTarget, EnginesRunError};
use seccomp_harness::run::{self, execute, ProfileInput, RunError, RunOptions};
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::plan::input::{qualify_shared_names, CapSpec, LoadedProfile};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Profiles: files, `builtin` (the engine's own default) or `unconfined`. Kubernetes'
    /// spellings work too: `runtime-default` or `runtime/default` for builtin, `localhost/FILE`
    /// for a file. Without any: builtin, unconfined and every profiles/*.json.
    pub(crate) profiles: Vec<String>,
    /// Capability sets to run each profile with, comma-separated: `default,+SYS_ADMIN,+SYS_PTRACE-NET_RAW`.
    #[arg(long, conflicts_with_all = ["cap_add", "cap_drop"])]
    pub(crate) caps: Option<String>,
    /// A capability to add (Docker's names: SYS_ADMIN, CAP_SYS_ADMIN, ALL). Repeatable.
    #[arg(long = "cap-add")]
    pub(crate) cap_add: Vec<String>,
    /// A capability to drop. Repeatable.
    #[arg(long = "cap-drop")]
    pub(crate) cap_drop: Vec<String>,
    /// Run only these cases (ids such as `mkdir` or `unshare(CLONE_NEWUSER)`). Repeatable.
    #[arg(long = "case")]
    pub(crate) cases: Vec<String>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    /// The engine to use (default: DOCKER_HOST, else the local socket): Docker, or Podman's
    /// Docker-compatible socket (local only: Podman takes profiles as files). Repeat it, or
    /// give a comma-separated list, to run on several engines at once: one matrix whose
    /// configurations are named `<engine>/<profile>`. `NAME=URL` names an engine; otherwise
    /// it is named from its facts (`docker-28.5.2`).
    #[arg(long = "docker-host", value_name = "[NAME=]URL", value_delimiter = ',')]
    pub(crate) docker_host: Vec<String>,
    /// A Kubernetes node's CRI socket (containerd), driven as the kubelet does: a pod sandbox
    /// and a container per run, `builtin` as RuntimeDefault (`runtime-default`), profiles as
    /// Localhost files beside the socket. `unix:///PATH[?runtime-version=X.Y.Z]` (the OCI
    /// runtime's version, which the CRI does not tell). Repeatable, and mixes with
    /// --docker-host in one matrix. Images are imported with containerd's `ctr`
    /// (`SECCOMP_HARNESS_CTR` to use another command); nothing is pulled.
    #[arg(long = "cri", value_name = "[NAME=]URL")]
    pub(crate) cri: Vec<String>,
    /// Runtimes to run every configuration on, comma-separated, as the engine names them
    /// (`runc,crun`): each configuration id gets `@<runtime>`, and `diff --runtimes` compares
    /// them. Default: the engine's default runtime, with ids unchanged.
    #[arg(long, value_name = "NAME[,NAME...]")]
    pub(crate) runtime: Option<String>,
    /// A static probe binary to use instead of the embedded one for the engine's arch.
    #[arg(long)]
    pub(crate) probe: Option<PathBuf>,
    /// How many containers run at once (default: the number of CPUs, at least 4).
    #[arg(long)]
    pub(crate) parallel: Option<usize>,
    /// The watchdog: seconds the probe may go without a record before its container is killed
    /// and the case in progress is recorded as a timeout (the probe's own deadline per case is
    /// 10 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub(crate) case_timeout: u64,
    /// Where the shipped profiles are, for the default run.
    #[arg(long = "profiles-dir")]
    pub(crate) profiles_dir: Option<PathBuf>,
    /// After the run, print on stderr what each container run saw but could not use: output
    /// lines that are not records, the probe's stderr, mode changes, watchdog kills.
    #[arg(long)]
    pub(crate) diagnostics: bool,
    /// Exit 1 when a file configuration proves fewer than PCT percent of its filter's rules on
    /// both sides on the native ABI (the figure under "rule coverage"), for CI. Each one below
    /// is named on stderr.
    #[arg(long = "min-coverage", value_name = "PCT", value_parser = parse_percent)]
    pub(crate) min_coverage: Option<f64>,
    /// Start profiles that are held back because they kill a call runc makes after loading
    /// the filter (runc then hangs for good): the start's 60 s deadline ends the wait, and on
    /// a local engine the harness kills the hung `runc:[2:INIT]` so the container can be
    /// removed. Only on an engine you can afford to disturb (the lab).
    #[arg(long)]
    pub(crate) start_held_back: bool,
    /// Exit 0 even when a runtime ignored the profiles (cells `not_enforced`, e.g. gVisor's
    /// runsc without `--oci-seccomp`): the matrix still says so at the top.
    #[arg(long)]
    pub(crate) allow_unenforced: bool,
    /// Exit 0 once the matrix is written, whatever its cells say (failures, coverage below
    /// `--min-coverage`, unenforced profiles): the matrix holds them. For a DaemonSet's init
    /// container (`kube manifest`), which Kubernetes would run again after an exit 1.
    #[arg(long)]
    pub(crate) findings_exit_zero: bool,
    /// Give every container the annotation `dev.gvisor.flag.oci-seccomp=true`, which turns
    /// gVisor's OCI seccomp on per container (runsc release-20220214.0 or later, registered
    /// with `--allow-flag-override`; other runtimes ignore it). Needs Docker 24 (API 1.43).
    #[arg(long = "gvisor-oci-seccomp-annotation")]
    pub(crate) profile_on_annotation: bool,
    /// On a Podman engine, predict builtin from this containers-common release's
    /// seccomp.json (the distribution's package version, e.g. `0.64.1`): a packaged Podman
    /// reads /usr/share/containers/seccomp.json from that package before the copy its own
    /// release vendors, which is the default prediction. Podman engines only.
    #[arg(long, value_name = "VERSION")]
    pub(crate) containers_common: Option<String>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 100"))
    }
}

/// Loads what the user named, runs it on the engines, writes the matrix and turns what it
/// holds into the exit code.
pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let profiles = profiles(&args)?;
    let cap_sets = cap_sets(&args)?;
    let targets = targets(&args)?;
    let opts = options(&args, &targets)?;
    args.output.preflight()?;
    let ran = run_on_engines(profiles, cap_sets, &targets, &opts)?;
    print_reports(&ran.reports, args.diagnostics);
    args.output.emit(&ran.matrix)?;
    let findings = Findings::of(&ran, args.min_coverage);
    Ok(findings.exit_code(args.findings_exit_zero, args.allow_unenforced))
}

/// The profiles the user named (builtin, unconfined and the shipped ones when none), loaded,
/// with names that several files share qualified by their file.
fn profiles(args: &Args) -> Result<Vec<LoadedProfile>, Failure> {
    let inputs = if args.profiles.is_empty() {
        default_profiles(args.profiles_dir.as_deref())?
    } else {
        args.profiles
            .iter()
            .map(|p| ProfileInput::parse(p))
            .collect()
    };
    let mut profiles: Vec<_> = inputs
        .iter()
        .map(run::load_profiles)
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?
        .into_iter()
        .flatten()
        .collect();
    qualify_shared_names(&mut profiles);
    Ok(profiles)
}

/// The capability sets: `--caps`' list, else one set from `--cap-add` and `--cap-drop`.
fn cap_sets(args: &Args) -> Result<Vec<CapSpec>, Failure> {
    let cap_sets = match &args.caps {
        Some(list) => list
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| CapSpec::parse(t.trim()))
            .collect::<Result<Vec<_>, _>>(),
        None => CapSpec::from_add_drop(&args.cap_add, &args.cap_drop).map(|c| vec![c]),
    }
    .map_err(Failure::bad_input)?;
    if cap_sets.is_empty() {
        return Err(Failure::bad_input("--caps names no capability set"));
    }
    Ok(cap_sets)
}

/// The engines of `--docker-host` and `--cri`, checked together (no two of one name).
fn targets(args: &Args) -> Result<Vec<EngineTarget>, Failure> {
    let targets: Vec<EngineTarget> = args
        .docker_host
        .iter()
        .filter(|h| !h.trim().is_empty())
        .map(|h| EngineTarget::parse(h.trim()))
        .chain(
            args.cri
                .iter()
                .filter(|h| !h.trim().is_empty())
                .map(|h| EngineTarget::parse_cri(h.trim())),
        )
        .collect::<Result<_, _>>()
        .map_err(Failure::bad_input)?;
    EngineTarget::check_all(&targets).map_err(Failure::bad_input)?;
    Ok(targets)
}

/// The run's options from the arguments; the engine is the one target's, if there is one.
fn options(args: &Args, targets: &[EngineTarget]) -> Result<RunOptions, Failure> {
    let probe = match &args.probe {
        Some(p) => Some(std::fs::read(p).map_err(|e| {
            Failure::bad_input(format!("cannot read the probe {}: {e}", p.display()))
        })?),
        None => None,
    };
    let mut opts = RunOptions {
        docker_host: match targets {
            [one] => Some(one.url.clone()),
            _ => None,
        },
        probe,
        cases: args.cases.clone(),
        ..Default::default()
    };
    if args.profile_on_annotation {
        let (name, value) = seccomp_harness_core::runtime::PROFILE_ON_ANNOTATION;
        opts.annotations.insert(name.to_string(), value.to_string());
    }
    if let Some(list) = &args.runtime {
        opts.runtimes = runtimes(list)?;
    }
    opts.case_timeout = std::time::Duration::from_secs(args.case_timeout.max(1));
    opts.start_held_back = args.start_held_back;
    if let Some(version) = &args.containers_common {
        // A release the data doesn't hold is bad input whatever the engines are: said before
        // any engine is asked (the plan checks it again, for the library's callers).
        seccomp_harness_core::upstream::containers_common(version)
            .map_err(|e| Failure::bad_input(RunError::ContainersCommon(e)))?;
    }
    opts.containers_common = args.containers_common.clone();
    if let Some(n) = args.parallel {
        opts.parallel = n;
    }
    Ok(opts)
}

/// `--runtime`'s comma-separated names: at least one, none twice.
fn runtimes(list: &str) -> Result<Vec<String>, Failure> {
    let runtimes: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if runtimes.is_empty() {
        return Err(Failure::bad_input("--runtime names no runtime"));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = runtimes.iter().find(|r| !seen.insert(*r)) {
        return Err(Failure::bad_input(format!("--runtime names {dup} twice")));
    }
    Ok(runtimes)
}

/// What a run on one engine or several gave: the matrix, each engine's report by name, and
/// the engines that gave no matrix, with their errors.
struct Ran {
    matrix: seccomp_harness_core::matrix::Matrix,
    reports: Vec<(String, run::execute::RunReport)>,
    failed: Vec<(String, RunError)>,
}

/// Runs on the one Docker engine, or on several engines (or any CRI node) at once.
fn run_on_engines(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    targets: &[EngineTarget],
    opts: &RunOptions,
) -> Result<Ran, Failure> {
    let runtime = tokio::runtime::Runtime::new().map_err(Failure::environment)?;
    if targets.len() > 1 || targets.iter().any(|t| t.cri) {
        let r = runtime
            .block_on(execute_on_engines(profiles, cap_sets, targets, opts))
            .map_err(|e| Failure {
                code: engines_error_code(&e),
                message: super::with_causes(&e),
            })?;
        Ok(Ran {
            matrix: r.matrix,
            reports: r.reports,
            failed: r.failed,
        })
    } else {
        let r = runtime
            .block_on(execute(profiles, cap_sets, opts))
            .map_err(|e| Failure {
                code: run_error_code(&e),
                message: super::with_causes(&e),
            })?;
        Ok(Ran {
            matrix: r.matrix.clone(),
            reports: vec![(String::new(), r)],
            failed: Vec::new(),
        })
    }
}

/// On stderr: each engine's containers and seconds (on a terminal), and with `--diagnostics`
/// where the run's time went and what each container run saw but could not use.
fn print_reports(reports: &[(String, run::execute::RunReport)], diagnostics: bool) {
    let several = reports.len() > 1;
    for (name, report) in reports {
        if std::io::stderr().is_terminal() {
            let engine = if several {
                format!("engine {name}: ")
            } else {
                String::new()
            };
            eprintln!(
                "{engine}{} containers in {:.1} s",
                report.containers, report.seconds
            );
        }
        if !diagnostics {
            continue;
        }
        let prefix = if several {
            format!("{name}: ")
        } else {
            String::new()
        };
        for line in report.timings.lines() {
            eprintln!("{prefix}{line}");
        }
        for (job, lines) in &report.diagnostics {
            eprintln!(
                "diagnostics of {name}{}{job}:",
                if several { "/" } else { "" }
            );
            for line in lines {
                eprintln!("  {line}");
            }
        }
    }
}

/// What a written matrix holds that decides the exit code, each named on stderr as it is
/// found.
#[derive(Debug, Default, PartialEq)]
struct Findings {
    /// The code of the worst error among the engines that gave no matrix.
    missing_engine: Option<ExitCode>,
    missing_configurations: bool,
    failures: bool,
    below_coverage: bool,
    unenforced: bool,
}

impl Findings {
    fn of(ran: &Ran, min_coverage: Option<f64>) -> Findings {
        let matrix = &ran.matrix;
        let mut below_coverage = false;
        if let Some(min) = min_coverage {
            for (c, f) in seccomp_harness_core::coverage::below(&matrix.coverage, min) {
                below_coverage = true;
                eprintln!(
                    "{}: {}/{} rules proven on both sides on {} ({:.1}%), below --min-coverage {min}%",
                    c.configuration,
                    f.proven,
                    f.rules,
                    f.abi,
                    f.percent()
                );
            }
        }
        let unenforced = seccomp_harness_core::assemble::has_unenforced(matrix);
        if unenforced {
            for (runtime, why) in seccomp_harness_core::report::not_enforced(matrix) {
                eprintln!("not enforced: {runtime} ignored the profiles: {why}");
            }
        }
        for (name, error) in &ran.failed {
            eprintln!(
                "engine {name} is missing from the matrix: {}",
                super::with_causes(error)
            );
        }
        let missing_engine = ran
            .failed
            .iter()
            .map(|(_, e)| run_error_code(e))
            .max_by_key(|c| c.code());
        // Printed only where no engine is missing, whose code decides first.
        if missing_engine.is_none() {
            for m in &matrix.missing_configurations {
                eprintln!(
                    "configuration {} is missing from the matrix: {}",
                    m.id, m.error
                );
            }
        }
        Findings {
            missing_engine,
            missing_configurations: !matrix.missing_configurations.is_empty(),
            failures: seccomp_harness_core::assemble::has_failures(matrix),
            below_coverage,
            unenforced,
        }
    }

    /// An engine of several that gave no matrix: the others' matrix is written, and the run
    /// still ends with that engine's error code (3 for an engine down or gone), whatever the
    /// findings, so a matrix with an engine missing never passes for a complete one.
    /// Configurations whose container runs ended in an engine error (the engine died or
    /// stopped answering mid-run) exit 3 like any engine failure, so a partial matrix never
    /// passes. Then 1 for a failing or held-back cell, coverage below `--min-coverage` or a
    /// runtime that ignored the profiles, unless the findings are to exit 0.
    fn exit_code(&self, findings_exit_zero: bool, allow_unenforced: bool) -> ExitCode {
        if let Some(code) = self.missing_engine {
            return code;
        }
        if self.missing_configurations {
            return ExitCode::Environment;
        }
        if findings_exit_zero {
            return ExitCode::Ok;
        }
        if self.failures || self.below_coverage || (self.unenforced && !allow_unenforced) {
            ExitCode::Findings
        } else {
            ExitCode::Ok
        }
    }
}

/// Bad input is 2, an interrupted run its signal's code, the engine and the host 3. No
/// wildcard: a new kind of error has to be given its code here.
fn run_error_code(e: &RunError) -> ExitCode {
    match e {
        RunError::Plan(_)
        | RunError::UnknownRuntime { .. }
        | RunError::ContainersCommonNotPodman { .. }
        | RunError::ContainersCommon(_) => ExitCode::BadInput,
        RunError::Interrupted(i) => i.exit_code(),
        RunError::Engine(_)
        | RunError::UnsupportedArch(_)
        | RunError::NoProbe { .. }
        | RunError::Kernel { .. } => ExitCode::Environment,
    }
}

/// A run over several engines: the failing engine's error decides; engines that can't be
/// combined (two of one name) are bad input.
fn engines_error_code(e: &EnginesRunError) -> ExitCode {
    match e {
        EnginesRunError::Engine { source, .. } => run_error_code(source),
        EnginesRunError::Combine(_) => ExitCode::BadInput,
    }
}

/// builtin, unconfined and every `*.json` of the shipped profiles directory: `./profiles` when
/// it exists, else the one of the source tree this binary was built from.
fn default_profiles(dir: Option<&Path>) -> Result<Vec<ProfileInput>, Failure> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => {
            let here = PathBuf::from("profiles");
            if here.is_dir() {
                here
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join("profiles")
            }
        }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| {
            Failure::bad_input(format!(
                "cannot read the profiles directory {}: {e}",
                dir.display()
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    let mut inputs = vec![ProfileInput::Builtin, ProfileInput::Unconfined];
    inputs.extend(files.into_iter().map(ProfileInput::File));
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_are_listed_once_each() {
        assert_eq!(runtimes(" rt-a, rt-b ,").unwrap(), ["rt-a", "rt-b"]);
        let none = runtimes(" , ").unwrap_err();
        assert_eq!(
            (none.code, none.message.as_str()),
            (ExitCode::BadInput, "--runtime names no runtime")
        );
        let twice = runtimes("rt-a,rt-b,rt-a").unwrap_err();
        assert_eq!(twice.message, "--runtime names rt-a twice");
    }

    #[test]
    fn a_missing_engine_decides_first_then_a_partial_matrix_then_the_findings() {
        let code = |f: &Findings| f.exit_code(false, false);
        assert_eq!(code(&Findings::default()), ExitCode::Ok);
        let failing = Findings {
            failures: true,
            ..Findings::default()
        };
        assert_eq!(code(&failing), ExitCode::Findings);
        assert_eq!(failing.exit_code(true, false), ExitCode::Ok);
        let partial = Findings {
            missing_configurations: true,
            ..failing
        };
        assert_eq!(code(&partial), ExitCode::Environment);
        assert_eq!(partial.exit_code(true, false), ExitCode::Environment);
        let engine_gone = Findings {
            missing_engine: Some(ExitCode::BadInput),
            ..partial
        };
        assert_eq!(engine_gone.exit_code(true, true), ExitCode::BadInput);
    }

    #[test]
    fn coverage_below_the_minimum_and_ignored_profiles_are_findings() {
        let below = Findings {
            below_coverage: true,
            ..Findings::default()
        };
        assert_eq!(below.exit_code(false, true), ExitCode::Findings);
        let unenforced = Findings {
            unenforced: true,
            ..Findings::default()
        };
        assert_eq!(unenforced.exit_code(false, false), ExitCode::Findings);
        assert_eq!(unenforced.exit_code(false, true), ExitCode::Ok);
    }
}
