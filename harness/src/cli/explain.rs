//! `seccomp-harness explain PROFILE CASE`: the predicted outcome of one case under a profile,
//! with the rule that decides it, without running anything.

use super::Failure;
use seccomp_catalog::{Arch, Case, Catalog};
use seccomp_harness_core::engine_kind::EngineKind;
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::oracle::{Oracle, Prediction, Start};
use seccomp_harness_core::outcome::RuleRef;
use seccomp_harness_core::profile::{self, CapSet, Host, KernelRelease, Profile, ProfileFile};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The profile file.
    pub(crate) profile: PathBuf,
    /// A case id: `mkdir`, `socket(AF_VSOCK)`, `i386:getpid`.
    pub(crate) case: String,
    /// The daemon's arch (default: this machine's).
    #[arg(long, value_parser = parse_arch)]
    pub(crate) arch: Option<Arch>,
    /// A capability added to Docker's default set, as with `docker run --cap-add`.
    #[arg(long = "cap-add", value_name = "CAP")]
    pub(crate) cap_add: Vec<String>,
    /// A capability dropped from Docker's default set, as with `docker run --cap-drop`.
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub(crate) cap_drop: Vec<String>,
    /// The kernel release (default: this machine's). X.Y decides `minKernel` and which
    /// syscalls exist; the sublevel Z, where given, the stable backports (uretprobe passes
    /// every filter from 6.12.14 on).
    #[arg(long, value_name = "X.Y[.Z]", value_parser = parse_kernel)]
    pub(crate) kernel: Option<KernelRelease>,
    /// The Docker engine version (`20.10.24`): Docker before 23.0 drops `defaultErrnoRet`, so
    /// the default's errno is EPERM there (default: an engine that honours it).
    #[arg(long = "engine-version", value_name = "VERSION")]
    pub(crate) engine_version: Option<String>,
    /// A syscall name the runtime's libseccomp doesn't know (runc ignores rules on it), as
    /// `run` measures them (`runtime_unknown_syscalls` in a matrix). Repeatable.
    #[arg(long = "unknown-syscall", value_name = "NAME")]
    pub(crate) unknown_syscalls: Vec<String>,
    /// The runtime and its version (`runc 1.3.6`): what it calls after loading the filter
    /// decides which profiles start (default: runc 1.1).
    #[arg(long = "runtime", value_name = "NAME [VERSION]")]
    pub(crate) runtime: Option<String>,
    /// Which SeccompProfile of a Kubernetes YAML with several (its metadata.name).
    #[arg(long, value_name = "NAME")]
    pub(crate) resource: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
}

fn parse_arch(s: &str) -> Result<Arch, String> {
    Arch::parse(s).ok_or_else(|| format!("unknown arch {s:?} (expected x86_64 or aarch64)"))
}

fn parse_kernel(s: &str) -> Result<KernelRelease, String> {
    KernelRelease::parse(s).map_err(|e| e.to_string())
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let arch = args.arch.unwrap_or_else(Arch::native);
    let kernel = match args.kernel.or_else(KernelRelease::host) {
        Some(k) => k,
        None => {
            return Err(Failure::environment(
                "cannot read the kernel version; pass --kernel X.Y[.Z]",
            ))
        }
    };
    let caps = CapSet::tweak(&CapSet::docker_default(), &args.cap_add, &args.cap_drop)
        .map_err(Failure::bad_input)?;
    let p = chosen_profile(&args)?;
    let catalog = Catalog::for_arch(arch);
    let case = &case_of(&catalog, arch, &args.case)?;
    let host = host_of(&args, arch, caps, kernel);
    let resolved = profile::resolve(&p, &host);
    let oracle = Oracle::new(&resolved);
    let start = oracle.start(&catalog);
    let pred = oracle
        .expect([case], &start, &catalog)
        .pop()
        .expect("one prediction per case");
    // Rules for this syscall that don't apply on this host: the usual surprise behind an
    // unexpected answer (a rule the profile has, skipped for a capability or a kernel).
    let skipped: Vec<&profile::resolve::Skipped> = resolved
        .skipped
        .iter()
        .filter(|s| p.rules[s.rule].names.iter().any(|n| n == case.syscall))
        .collect();
    match args.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "case": case.id,
                "abi": case.abi.name(),
                "args": case.args.iter().map(|a| a.filter_value()).collect::<Vec<_>>(),
                "harmless": case.harmless,
                "outcome": pred.outcome,
                "errno": pred.errno,
                "rule": pred.rule,
                "starts": start == Start::Starts,
            });
            if let Some(n) = &pred.note {
                v["note"] = serde_json::Value::from(n.clone());
            }
            if !skipped.is_empty() {
                v["skipped"] = skipped
                    .iter()
                    .map(|s| serde_json::json!({"rule": s.rule, "reason": s.reason}))
                    .collect();
            }
            println!("{v}");
        }
        Format::Text => print_text(&Explained {
            case,
            arch,
            kernel,
            caps: resolved.host.caps.len(),
            profile: &p,
            start: &start,
            pred: &pred,
            skipped: &skipped,
        }),
    }
    Ok(ExitCode::Ok)
}

/// The profile to explain: the file's only one, or the SeccompProfile resource `--resource`
/// names.
fn chosen_profile(args: &Args) -> Result<Profile, Failure> {
    let mut all = ProfileFile::read(&args.profile)
        .and_then(|f| f.profiles())
        .map_err(Failure::bad_input)?;
    let names: Vec<String> = all.iter().filter_map(|p| p.resource.clone()).collect();
    let chosen = match &args.resource {
        Some(r) => all
            .iter()
            .position(|p| p.resource.as_deref() == Some(r.as_str())),
        None if all.len() == 1 => Some(0),
        None => None,
    }
    .ok_or_else(|| {
        Failure::bad_input(format!(
            "{} holds the SeccompProfile resources {}: pick one with --resource",
            args.profile.display(),
            names.join(", ")
        ))
    })?;
    Ok(all.swap_remove(chosen).profile)
}

/// A catalog case, or one generated from a profile's conditions, rebuilt from its id.
fn case_of(catalog: &Catalog, arch: Arch, id: &str) -> Result<Case, Failure> {
    match catalog.get(id) {
        Some(c) => Ok(c.clone()),
        None if seccomp_catalog::generated::is_generated_id(id) => {
            seccomp_catalog::generated::parse(arch, id)
                .map_err(|e| Failure::bad_input(format!("case {id:?} can't be made: {e}")))
        }
        None => Err(Failure::bad_input(format!(
            "unknown case {id:?} for {arch}: expected a syscall name such as `mkdir`, a variant such as `socket(AF_VSOCK)`, a compat case such as `i386:getpid`, or a generated case such as `read[arg0==0x40]`"
        ))),
    }
}

/// What `explain` found, for its text form.
struct Explained<'a> {
    case: &'a Case,
    arch: Arch,
    kernel: KernelRelease,
    caps: usize,
    profile: &'a Profile,
    start: &'a Start,
    pred: &'a Prediction,
    skipped: &'a [&'a profile::resolve::Skipped],
}

fn print_text(e: &Explained<'_>) {
    println!("case:    {} ({}, nr {})", e.case.id, e.case.abi, e.case.nr);
    if seccomp_catalog::generated::is_generated_id(&e.case.id) {
        let args: Vec<String> = e
            .case
            .args
            .iter()
            .map(|a| match a.filter_value() {
                Some(v) => format!("{v:#x}"),
                None => "pointer".to_string(),
            })
            .collect();
        println!("args:    {}", args.join(", "));
        println!("poison:  {}", e.case.harmless);
    }
    println!(
        "host:    {}, kernel {}, {} capabilities",
        e.arch, e.kernel, e.caps
    );
    if let Some(why) = e.start.note() {
        println!("start:   {why}");
    }
    match e.pred.errno {
        Some(errno) => println!("outcome: {} {errno}", e.pred.outcome),
        None => println!("outcome: {}", e.pred.outcome),
    }
    match e.pred.rule {
        Some(RuleRef::Index(i)) => {
            let r = &e.profile.rules[i];
            let conds: Vec<String> = r.args.iter().map(|c| c.to_string()).collect();
            let when = if conds.is_empty() {
                String::new()
            } else {
                format!(" when {}", conds.join(", "))
            };
            println!("rule:    syscalls[{i}]: {}{when}", r.effective_action());
        }
        Some(other) => println!("rule:    {other}"),
        None => println!("rule:    none"),
    }
    if let Some(n) = &e.pred.note {
        println!("note:    {n}");
    }
    for s in e.skipped {
        println!("skipped: syscalls[{}]: {}", s.rule, s.reason);
    }
}

/// The host the prediction is for: this machine's arch and kernel unless told, Docker's
/// capabilities as tweaked, and the engine's and runtime's versions where given.
fn host_of(args: &Args, arch: Arch, caps: CapSet, kernel: KernelRelease) -> Host {
    let honours = args
        .engine_version
        .as_deref()
        .is_none_or(|v| profile::engine_honours_default_errno_ret(EngineKind::Docker.name(), v));
    let host = Host::new(arch, caps, kernel.version)
        .with_kernel_sublevel(kernel.sublevel)
        .with_default_errno_ret(honours)
        .with_unknown_names(args.unknown_syscalls.iter().cloned().collect());
    match &args.runtime {
        Some(r) => {
            let mut parts = r.split_whitespace();
            let name = parts
                .next()
                .unwrap_or(seccomp_harness_core::runtime::DEFAULT_NAME);
            host.with_runtime(seccomp_harness_core::runtime::Runtime::parse(
                name,
                parts.next(),
            ))
        }
        None => host,
    }
}
