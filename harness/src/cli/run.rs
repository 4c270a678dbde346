//! `seccomp-harness run`: profiles × capability sets on the Docker engine, classified, compared
//! with the oracle and rendered. Exit 0 when every predicted cell passes, 1 when one fails,
//! 2 on bad input, 3 when the environment is at fault.

use super::{exit, Failure, OutputArgs};
use seccomp_harness::run::{self, execute, CapSpec, ProfileInput, RunError, RunOptions};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Profiles: files, `builtin` (the engine's own default) or `unconfined`. Without any:
    /// builtin, unconfined and every profiles/*.json.
    pub profiles: Vec<String>,
    /// Capability sets to run each profile with, comma-separated: `default,+SYS_ADMIN,+SYS_PTRACE-NET_RAW`.
    #[arg(long, conflicts_with_all = ["cap_add", "cap_drop"])]
    pub caps: Option<String>,
    /// A capability to add (Docker's names: SYS_ADMIN, CAP_SYS_ADMIN, ALL). Repeatable.
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// A capability to drop. Repeatable.
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Run only these cases (ids such as `mkdir` or `unshare(CLONE_NEWUSER)`). Repeatable.
    #[arg(long = "case")]
    pub cases: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The engine to use (default: DOCKER_HOST, else the local socket).
    #[arg(long = "docker-host")]
    pub docker_host: Option<String>,
    /// A static probe binary to use instead of the embedded one for the engine's arch.
    #[arg(long)]
    pub probe: Option<PathBuf>,
    /// How many containers run at once (default: the number of CPUs).
    #[arg(long)]
    pub parallel: Option<usize>,
    /// The watchdog: seconds the probe may go without a record before its container is killed
    /// and the case in progress is recorded as a timeout (the probe's own deadline per case is
    /// 10 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub case_timeout: u64,
    /// Where the shipped profiles are, for the default run.
    #[arg(long = "profiles-dir")]
    pub profiles_dir: Option<PathBuf>,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    let inputs = if args.profiles.is_empty() {
        default_profiles(args.profiles_dir.as_deref())?
    } else {
        args.profiles
            .iter()
            .map(|p| ProfileInput::parse(p))
            .collect()
    };
    let profiles: Vec<_> = inputs
        .iter()
        .map(run::load_profiles)
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?
        .into_iter()
        .flatten()
        .collect();
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
    let probe = match &args.probe {
        Some(p) => Some(std::fs::read(p).map_err(|e| {
            Failure::bad_input(format!("cannot read the probe {}: {e}", p.display()))
        })?),
        None => None,
    };
    let mut opts = RunOptions {
        docker_host: args.docker_host.clone(),
        probe,
        cases: args.cases.clone(),
        ..Default::default()
    };
    opts.case_timeout = std::time::Duration::from_secs(args.case_timeout.max(1));
    if let Some(n) = args.parallel {
        opts.parallel = n;
    }

    let runtime = tokio::runtime::Runtime::new().map_err(Failure::environment)?;
    let report = runtime
        .block_on(execute(profiles, cap_sets, &opts))
        .map_err(|e| match e {
            RunError::Plan(_) => Failure::bad_input(e),
            RunError::Interrupted(i) => Failure {
                code: i.exit_code(),
                message: i.to_string(),
            },
            other => Failure::environment(other),
        })?;
    if opts.progress {
        eprintln!(
            "{} containers in {:.1} s",
            report.containers, report.seconds
        );
    }

    args.output.emit(&report.matrix)?;
    Ok(if run::assemble::has_failures(&report.matrix) {
        exit::FINDINGS
    } else {
        exit::OK
    })
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
