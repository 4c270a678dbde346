//! Every measured fact about an OCI runtime, in one place: what it does with a resolved
//! profile before libseccomp sees it (splitting argument conditions, an ENOSYS stub and when
//! it is added), which filters it refuses, what it calls after loading the filter (start
//! needs, tolerated calls, before and after the engine reports the start), whether it passes
//! `defaultErrnoRet` on, whether a kill hangs its start, and which calls the calibration
//! must spare. [`RuntimeModel`] holds them per runtime and version range; the oracle, the
//! tagging, the planning and the calibration ask this module, and nothing else names a
//! runtime. A new runtime is one new file here (its models, with their measurements) added
//! to [`models`], plus its tests.

mod crun;
pub mod gvisor;
#[cfg(test)]
mod named_elsewhere;
#[cfg(test)]
mod predictions;
pub mod prose;
mod runc;
pub mod testing;

pub use runc::{CALIBRATION_SKIP, FACCESSAT2_FALLBACK_CALLS, FALLBACK_CALLS};

/// The runtime an engine runs when its configuration names none (Docker's and containerd's
/// default), and the one `explain` assumes.
pub const DEFAULT_NAME: &str = runc::NAME;

/// The annotations of a runtime's OCI features document (runtime-spec `features.md`, which
/// Docker 25+ shows per runtime in `/info`) that carry the runtime's version, in the order
/// they are read.
pub const FEATURES_VERSION_ANNOTATIONS: &[&str] = &[
    crun::FEATURES_VERSION_ANNOTATION,
    runc::FEATURES_VERSION_ANNOTATION,
];

/// Fragments (lower-cased) of the messages a runtime fails a start with when it can't give
/// the container its capabilities, so that such a failure is not blamed on the profile:
/// runc's "unable to apply caps: operation not permitted" (libcontainer `finalizeNamespace`;
/// on this project's host, Docker 20.10.24 with runc 1.1.5, `run builtin --cap-add ALL` failed
/// every configuration so, the unconfined baseline too), crun's "capset: Operation not
/// permitted", and libcap's `cap_set_proc` where a message names the call by it.
pub const CAPABILITY_FAILURES: &[&str] = &["apply caps", "capset", "cap_set_proc"];

/// Whether Docker's `/info` commit (`RuncCommit`: a git description such as
/// `v1.1.12-0-g51d5e94`, or a distribution's version string) is the version of runtime
/// `name`: Docker fills it from runc alone.
pub fn info_commit_is_version_of(name: &str) -> bool {
    name == runc::NAME
}

/// The OCI annotation, with its value, that turns a runtime's use of the profile on per
/// container where the runtime ignores profiles unless told: gVisor's
/// [`gvisor::OCI_SECCOMP_ANNOTATION`], which other runtimes ignore. Docker passes annotations
/// from API 1.43 (Docker 24) on.
pub const PROFILE_ON_ANNOTATION: (&str, &str) = (gvisor::OCI_SECCOMP_ANNOTATION, "true");

/// Freeing a start that hung: which process to kill and what to tell the user. The
/// harness's `engine/hung.rs` reads `/proc` and kills; what it looks for is the runtime's.
/// runc hangs for good when a kill hits its init ([`RuntimeModel::kill_hangs_start`]); any
/// runtime's start hangs when its init does (crun 1.28 was seen stuck under load).
///
/// A profile that kills (SCMP_ACT_KILL, one thread) a call runc makes after loading the filter
/// leaves `runc:[2:INIT]` a zombie whose other Go threads live on: `runc create` waits for it
/// for good, the engine's start never returns, and the engine can't remove the container
/// either. Measured on runc 1.1.5 (Docker 20.10.24), 1.1.15 (Docker 26.1.5) and 1.3.6
/// (Docker 28.5.2) with a default-ALLOW profile killing getppid: the start had not returned
/// after 60 s, `docker rm -f` hung too, SIGTERM to `runc create` changed nothing, and SIGKILL
/// to the zombie init's thread group ended it, after which `runc create` failed and the
/// engine removed the container at once.
///
/// crun 1.28 hangs the same way when its init does (seen under load; reproduced on the lab's
/// sid-crun with the init frozen in its cgroup, see [`hung::is_init`]); no kill, trap or errno
/// on any call crun makes hung it (each failed the start within half a second).
///
/// So the one process whose SIGKILL frees a hung start is the init child ([`hung::is_init`])
/// of the runtime's `create … <container id>` process ([`hung::create_of`]).
pub mod hung {
    pub use super::runc::hung_start_note as note;

    /// The runtime (runc or crun) whose `create` process for container `id` (the full id)
    /// this command line is, if any.
    pub fn create_of(argv: &[String], id: &str) -> Option<&'static str> {
        let runtime = argv.first()?.rsplit('/').next()?;
        let named = [super::runc::NAME, super::crun::NAME]
            .into_iter()
            .find(|n| *n == runtime)?;
        (argv.iter().any(|a| a == "create") && argv.last().is_some_and(|a| a == id))
            .then_some(named)
    }

    /// Whether a child named `comm` of `runtime`'s `create` is the container's init, the one
    /// process whose SIGKILL frees the start: runc's `runc:[2:INIT]` (see
    /// [`super::runc::INIT_PROCESS`]); crun's init is a clone of `crun create` that keeps
    /// its name until the container's process runs (measured with crun 1.28 on the lab's
    /// sid-crun: with the init frozen, `crun create` waited on its socket for the child, pid
    /// and argv the same as its own, comm `crun`).
    pub fn is_init(runtime: &str, comm: &str) -> bool {
        match runtime {
            super::runc::NAME => comm == super::runc::INIT_PROCESS,
            super::crun::NAME => comm == super::crun::NAME,
            _ => false,
        }
    }

    /// A start that did not return within `seconds` twice, in a configuration no kill was
    /// predicted to hang: the runtime stuck in Created. crun 1.28 was seen waiting in
    /// fifo_open/wait_for_partner under load on the lab. "stuck in Created" is what
    /// [`crate::start_failure`] reads as the engine's or runtime's failure, not the profile's.
    /// `freed`: the hung init processes the harness killed, over both tries.
    pub fn stuck_note(seconds: u64, freed: &[i32]) -> String {
        let cleanup = match freed {
            [] => "no hung init of the container was visible from here (the engine's \
                   processes are elsewhere)"
                .to_string(),
            pids => format!(
                "the harness killed the hung init (pid {}) so that the engine could remove \
                 the container",
                pids.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "stuck in Created: the runtime did not start the container within {seconds} s, \
             twice (the start was tried again in a new container, and the engine removed \
             both). A runtime can wait for good for its container's init under load (crun \
             1.28 in fifo_open/wait_for_partner); {cleanup}"
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn argv(line: &str) -> Vec<String> {
            line.split(' ').map(str::to_string).collect()
        }

        #[test]
        fn runc_and_crun_creates_are_found_and_their_inits_told_apart() {
            let id = "9e5dd40c490aede913b8efbea5419292f254991cbce62b5f0a6cca33cf68ad82";
            let crun = argv(&format!(
                "/usr/bin/crun --root /run/docker/runtime-runc/moby --log /x/log.json --log-format json create --bundle /x --pid-file /x/init.pid {id}"
            ));
            assert_eq!(create_of(&crun, id), Some("crun"));
            assert_eq!(create_of(&crun, "another"), None);
            let runc = argv(&format!("/usr/sbin/runc create --bundle /x {id}"));
            assert_eq!(create_of(&runc, id), Some("runc"));
            assert_eq!(
                create_of(&argv(&format!("/usr/bin/crun start {id}")), id),
                None
            );
            assert_eq!(
                create_of(&argv(&format!("/usr/bin/runsc create {id}")), id),
                None
            );
            assert!(is_init("crun", "crun"));
            assert!(is_init("runc", "runc:[2:INIT]"));
            assert!(!is_init("runc", "runc"));
            assert!(!is_init("runsc", "runsc"));
        }

        #[test]
        fn the_stuck_note_says_what_was_freed() {
            let freed = stuck_note(60, &[12, 34]);
            assert!(freed.starts_with("stuck in Created: "), "{freed}");
            assert!(freed.ends_with("killed the hung init (pid 12, 34) so that the engine could remove the container"), "{freed}");
            assert!(stuck_note(60, &[]).contains("no hung init"));
        }
    }
}

use crate::profile::model::{Action, Arches, ArgCond, EffectiveAction, Profile, MAX_ERRNO_RET};
use crate::profile::names;
use crate::profile::resolve::Resolved;
use crate::profile::Tagged;
use crate::version::Version;
use seccomp_catalog::own_calls::OwnArg;
use seccomp_catalog::{Abi, Arch};
use std::collections::BTreeMap;

/// A container runtime and its version, as the engine reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    pub name: String,
    /// `None` when the engine did not say (a missing patch compares as 0). The patch matters:
    /// runc 1.1.15 builds its ENOSYS stub otherwise than 1.1.5.
    pub version: Option<Version>,
}

impl Runtime {
    /// From the engine's runtime name and version string (`1.3.6+ds1`, `v1.1.5`).
    pub fn parse(name: &str, version: Option<&str>) -> Runtime {
        Runtime {
            name: name.to_string(),
            version: version.and_then(|v| Version::parse(v).ok()),
        }
    }

    /// runc 1.1.5, the oldest runtime users have (this project's host).
    pub fn runc_1_1() -> Runtime {
        Runtime {
            name: runc::NAME.into(),
            version: Some(Version::new(1, 1, 5)),
        }
    }

    /// gVisor, whatever name the engine registered it under (its model has no version).
    pub fn gvisor() -> Runtime {
        Runtime::parse(gvisor::RUNSC, None)
    }

    /// Whether this is gVisor.
    pub fn is_gvisor(&self) -> bool {
        gvisor::is_gvisor(self)
    }

    /// Whether the host kernel's seccomp exceptions (the oracle's kernel layer: uprobe,
    /// uretprobe) pass this runtime's filter: not on gVisor, whose Sentry applies the filter
    /// to every call, so the host kernel's exceptions never see the sandboxed call.
    pub fn host_kernel_exceptions_apply(&self) -> bool {
        !self.is_gvisor()
    }

    /// Why calls of `abi` reach no filter on this runtime, as a cell's note: gVisor runs the
    /// native ABI only ([`gvisor::runs_abi`]).
    pub fn abi_not_run(&self, abi: Abi) -> Option<String> {
        (self.is_gvisor() && !gvisor::runs_abi(abi)).then(|| gvisor::compat_note(abi))
    }

    /// The errno every ERRNO action answers on this runtime whatever it asks, with the note of
    /// an action that asked `asked`: gVisor's EPERM ([`gvisor::ERRNO_ANSWER`]). `None` where
    /// the runtime passes the errno on. TRACE keeps its ENOSYS there (measured with
    /// `profiles/demo-trace.json` on both runsc versions).
    pub fn rewritten_errno(&self, asked: u16) -> Option<(i32, String)> {
        self.is_gvisor()
            .then(|| (gvisor::ERRNO_ANSWER, gvisor::errno_note(asked)))
    }

    /// Whether a sentinel errno comes back from this runtime's filter, so that a tagged run
    /// names the rule that denied: not on gVisor, which answers EPERM for every errno, so its
    /// tagged copy traps instead (and gVisor's TRAP carries no data, so the trap shows that
    /// the filter denied, not which rule) ([`crate::profile::Tagged::trapping_errno_rules`],
    /// [`crate::classify::Attribution::Trapping`]).
    pub fn returns_sentinels(&self) -> bool {
        !self.is_gvisor()
    }

    /// Whether the runtime resolves a profile's names with a syscall table of its own, not
    /// libseccomp's, so that the calibration must try every native syscall to learn which
    /// names it ignores: gVisor, whose table changes with its version. Bookworm's runsc
    /// 0.0~20221219 knows neither `pselect6` (its table calls it `pselect`), nor uprobe and
    /// uretprobe, nor openat2; sid's 0.0~20240729 lacks openat2 too: their rules were skipped
    /// and the default answered. runsc makes no call under the filter (its model has no start
    /// needs), so the calibration need spare only the probe's own calls.
    pub fn resolves_names_itself(&self) -> bool {
        self.is_gvisor()
    }

    /// Whether a container on this runtime sees the host's kernel, so that a baseline on it
    /// reports the host's facts: not on gVisor, whose Sentry reports its own (kernel 4.4.0, no
    /// `/proc/config.gz`).
    pub fn runs_on_host_kernel(&self) -> bool {
        !self.is_gvisor()
    }

    /// What this runtime does to `case` whatever the profile says, where the run measured it
    /// (`baseline`: the case's unconfined record on this runtime): on gVisor no compat call
    /// runs, and on its systrap platform the host kernel runs uretprobe and uprobe before any
    /// filter ([`gvisor::expectation`]).
    pub fn measured_expectation(
        &self,
        case: &seccomp_catalog::Case,
        baseline: Option<&seccomp_catalog::record::CaseRecord>,
    ) -> Option<crate::matrix::Expected> {
        self.is_gvisor()
            .then(|| gvisor::expectation(case, baseline))
            .flatten()
    }

    /// The runtime a program is, where the program tells (`/info`'s `path` and `runtimeArgs`):
    /// gVisor's runsc under whatever name it is registered, with why it ignores profiles where
    /// its arguments say so (`--oci-seccomp`). runsc reports no version and no OCI features in
    /// `/info`, so its program and arguments are all the engine tells of it. `None` for any
    /// other program: its registered name says.
    pub fn known_by_program(program: &str, args: &[String]) -> Option<(Runtime, Option<String>)> {
        gvisor::is_runsc_program(program)
            .then(|| (Runtime::gvisor(), gvisor::unenforced_cause(program, args)))
    }

    /// Whether MASKED_EQ compares `arg & value` with `valueTwo` as written (gVisor's
    /// `seccomp.MaskedEqual`), where libseccomp masks `valueTwo` first
    /// (`_db_node_mask_fixup`). Measured with docker-default-hardened's `socket` rules (mask
    /// 48, valueTwo 0xff…f0): all-ones arguments matched on runc and fell to the default on
    /// runsc.
    pub fn masked_eq_as_written(&self) -> bool {
        self.is_gvisor()
    }
}

/// The runtime a [`crate::profile::Host`] assumes where none is given: runc 1.1.5, the oldest
/// users have ([`Runtime::runc_1_1`]).
impl Default for Runtime {
    fn default() -> Runtime {
        Runtime::runc_1_1()
    }
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // major.minor.patch always (`crun 1.28.0`), as the notes have said since before
        // [`Version`] kept a missing patch missing.
        match self.version.map(Version::triple) {
            Some((a, b, c)) => write!(f, "{} {a}.{b}.{c}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What one runtime, from one version on, does with a profile. Both runc and crun drop a rule
/// whose action equals the default (runc `matchCall`; crun 1.28 `libcrun_generate_seccomp`:
/// `if (action == default_action) continue;`), split several conditions on one argument
/// index into separate rules, and ignore names libseccomp doesn't know; they differ in what
/// follows.
///
/// # The reading of a profile that the profile code follows
///
/// The parser, the resolution and the tagging (`crate::profile`) follow runc's reading of a
/// profile, each point read in runc's source (`libcontainer/seccomp`, `libcontainer/specconv`),
/// crun alike where measured:
/// - the names it accepts: `config.go`'s `actions` (`SCMP_ACT_*`), `operators`
///   (`SCMP_CMP_*`) and `archs` (`SCMP_ARCH_*`); `ConvertStringToAction` rejects an empty
///   action, and a condition's index goes into a 6-slot array (0 to 5);
/// - `getAction` (`seccomp_linux.go`): `errnoRet` means something for ERRNO and TRACE only,
///   absent it is EPERM for both, and it is cast to `int16`, so libseccomp sees the low 16
///   bits (70000 reaches it as 4464 and fails with libseccomp-golang's misleading "two checks
///   on same syscall argument");
/// - `SetupSeccomp` (specconv): one `configs.Syscall` per name of a rule, the `architectures`
///   as listed (libseccomp's filter holds the native arch anyway), and no filter at all for a
///   profile with neither a default action nor rules ("assume seccomp disabled");
/// - `matchCall`: a rule whose action, after `getAction` (errno included), equals the
///   default's is dropped ("This rule is redundant, silently skip it"), and a name libseccomp
///   can't resolve is ignored ("unknown seccomp syscall ignored"); the ENOSYS stub's highest
///   syscall is taken over every rule, dropped ones included (`findLastSyscalls` over
///   `config.Syscalls`, resolving names with libseccomp, so an unknown name doesn't count);
/// - libseccomp's bad-arch action (SCMP_ACT_KILL) is left as it is;
/// - its messages name no call: a rule libseccomp refuses to merge fails the start with
///   "error adding seccomp rule for syscall …: file exists", a filter over the kernel's 4,096
///   BPF instructions with "error loading seccomp filter: invalid argument", and a call killed
///   during the start with "cannot start a stopped process" (runc 1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeModel {
    pub runtime: &'static str,
    /// The first version this model holds for.
    pub since: Version,
    /// runc prepends an ENOSYS stub for syscalls above the profile's highest known one
    /// (`patchbpf`); crun has none. Measured on Docker 28.5.2 (the lab's sid-crun, both
    /// runtimes registered): under a default of ERRNO 72 whose highest named syscall is
    /// faccessat2 (439), mseal (462) answered ENOSYS with `--runtime runc` and 72 with crun.
    pub enosys_stub: bool,
    /// The stub always covers the native arch, listed in `architectures` or not (runc
    /// 618e149e4 "always include native architecture in stub", first in v1.1.15, and
    /// ccc500c42 in v1.2.0); before, only the listed arches get a stub. Measured with a
    /// default of ERRNO allowing every x86_64 syscall up to clone3 (435): with no
    /// `architectures`, mseal and process_madvise answered EPERM on runc 1.1.5 (this host)
    /// and ENOSYS on runc 1.1.15 and 1.3.6 (the lab's trixie-runc and sid-runc); with only
    /// SCMP_ARCH_X86 listed, EPERM on 1.1.5 and ENOSYS on 1.1.15 and 1.3.6.
    pub stub_covers_native: bool,
    /// The runtime passes `defaultErrnoRet` to libseccomp. Measured with runc 1.3.6 and crun
    /// 1.28: defaults of ERRNO with `defaultErrnoRet` 71, 72 and 73 answered 71, 72 and 73
    /// (the engine must pass it on too: Docker from 23.0).
    pub honours_default_errno_ret: bool,
    /// A kill on a call the runtime makes after loading the filter hangs the start for good
    /// (runc's Go `runc init` keeps living threads), so the harness never starts such a
    /// container unless asked to. Measured with a default-ALLOW profile killing getppid: the
    /// start had not returned after 60 s on runc 1.1.5, 1.1.15 and 1.3.6 alike, the init a
    /// zombie with live threads (`engine/hung.rs` frees it), and the engine could neither start
    /// nor remove the container; crun's init is a single C thread: it dies and the start fails
    /// at once ("read from the init process", measured with crun 1.28).
    pub kill_hangs_start: bool,
    /// Calls after loading the filter that the start needs: any denial fails it.
    pub fatal: &'static [&'static str],
    /// Calls after loading the filter that survive an errno, but not a kill or a trap.
    pub tolerated: &'static [&'static str],
    /// Calls made after the engine has reported the container started (crun reads its exec
    /// fifo, closes fds and execs the probe after `crun start` returned): denying them ends
    /// the container before the probe's first case, so the cells are `not_run`, not
    /// `start_failed`. An errno on these is fatal …
    pub after_start_fatal: &'static [&'static str],
    /// … and on these tolerated (a kill or a trap is fatal).
    pub after_start_tolerated: &'static [&'static str],
    /// The runtime refuses `errnoRet` (or `defaultErrnoRet`) on an action other than ERRNO
    /// and TRACE, where runc ignores it: crun 1.28 failed dangerzone's permissive gVisor
    /// profile (ALLOW rules with `errnoRet`) with "errno value specified for action
    /// `SCMP_ACT_ALLOW`" (`libcrun_generate_seccomp` checks before it drops rules equal to
    /// the default, so even those count).
    pub refuses_stray_errno_ret: bool,
    /// The arguments the runtime really passes to some of its calls after loading the filter,
    /// one entry per call site; a call with no entry is judged with the catalog's arguments
    /// (all ones, which miss every condition such as `fd <= 8`).
    pub sites: &'static [RuntimeSite],
    /// Calls the start needs only where another call fails under the filter, because the
    /// runtime then takes a fallback path that makes them (runc from 1.3.3 walks /proc by
    /// hand when `openat2` fails: [`FallbackNeeds`]).
    pub fallback_needs: &'static [FallbackNeeds],
}

/// Start needs behind a fallback: when `unless_allowed` is not allowed after the filter loads
/// (an errno, the ENOSYS stub, a kernel that lacks it), the runtime falls back to a path that
/// makes the `fatal` calls, and any denial of one fails the start; the path also makes
/// `sites`, more call sites of calls the runtime needs anyway ([`RuntimeModel::sites`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FallbackNeeds {
    pub unless_allowed: &'static str,
    pub fatal: &'static [&'static str],
    pub sites: &'static [RuntimeSite],
}

/// One call the runtime makes after loading the filter, with the arguments it passes there
/// (`RunTime` for a pointer or anything else no profile can predict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeSite {
    pub syscall: &'static str,
    pub args: [OwnArg; 6],
}

pub(crate) const fn site(syscall: &'static str, args: [OwnArg; 6]) -> RuntimeSite {
    RuntimeSite { syscall, args }
}

/// Every model: per runtime, the newest first.
pub fn models() -> impl Iterator<Item = &'static RuntimeModel> {
    runc::MODELS
        .iter()
        .chain(gvisor::MODELS)
        .chain(crun::MODELS)
}

/// The model of `runtime`: the newest for its version. A version the engine did not report
/// gets the newest model; a runtime with no model of its own gets runc's (the notes name the
/// runtime that ran).
pub fn runtime_model(runtime: &Runtime) -> &'static RuntimeModel {
    let name = if models().any(|m| m.runtime == runtime.name) {
        runtime.name.as_str()
    } else {
        runc::NAME
    };
    let version = runtime.version.filter(|_| name == runtime.name);
    models()
        .find(|m| m.runtime == name && version.is_none_or(|v| v >= m.since))
        .expect("a model for every version of each modelled runtime")
}

/// `SCMP_ACT_ERRNO(ENOSYS)`, the value runc's `generatePatch` compares `defaultErrnoRet` with
/// (a bare errno never equals it, so runc skips the stub only for a `defaultErrnoRet` of
/// 0x50026, which the parser rejects: in effect the stub is always there).
pub(crate) const RET_ERRNO_ENOSYS: u32 = 0x0005_0026;

/// How runc's `matchCall` (and crun alike) splits a rule's argument conditions: when any
/// argument index carries more than one condition, every condition becomes a rule of its own
/// (OR), otherwise all conditions form one rule (AND).
pub(crate) fn split_conditions(args: &[ArgCond]) -> Vec<Vec<ArgCond>> {
    if args.is_empty() {
        return vec![Vec::new()];
    }
    let mut counts = [0usize; 6];
    for a in args {
        counts[a.index as usize] += 1;
    }
    if counts.iter().any(|&n| n > 1) {
        args.iter().map(|a| vec![*a]).collect()
    } else {
        vec![args.to_vec()]
    }
}

/// Whether the runtime will refuse this filter before any case runs.
pub(crate) fn refusal(r: &Resolved) -> Option<String> {
    // runc `InitSeccomp`: "SCMP_ACT_NOTIFY cannot be used as default action" and "… for the
    // write syscall". crun was not measured here: taken to refuse them too (it needs a
    // listener for any notify action).
    let runtime = &r.host.runtime.name;
    // gVisor compiles the profile itself (no libseccomp): its own refusals only.
    if gvisor::is_gvisor(&r.host.runtime) {
        return gvisor::refusal(r);
    }
    if r.default == EffectiveAction::Notify {
        return Some(format!(
            "{runtime} refuses SCMP_ACT_NOTIFY as the default action"
        ));
    }
    // libseccomp accepts SCMP_ACT_ERRNO(n) only for n < MAX_ERRNO (`sys_chk_seccomp_action`);
    // runc passes int16(errnoRet), so the check sees the low 16 bits.
    if let EffectiveAction::Errno(n) = r.default {
        if u32::from(n) > MAX_ERRNO_RET {
            return Some(format!(
                "libseccomp rejects the default action SCMP_ACT_ERRNO({n}): errno must be below 4095"
            ));
        }
    }
    if let Some(c) = r.calls.iter().find(|c| {
        !c.dropped && matches!(c.action, EffectiveAction::Errno(n) if u32::from(n) > MAX_ERRNO_RET)
    }) {
        return Some(format!(
            "libseccomp rejects syscalls[{}]'s {} (errno must be below 4095), so {runtime} fails to load the filter (runc with a misleading \"two checks on same syscall argument\")",
            c.rule, c.action
        ));
    }
    if runtime_model(&r.host.runtime).refuses_stray_errno_ret {
        if r.default_errno_ret.is_some() && !r.default_action.takes_errno_ret() {
            return Some(format!(
                "{runtime} refuses defaultErrnoRet with the default action {} (\"errno value specified for action\")",
                r.default_action.name()
            ));
        }
        if let Some(c) = r.calls.iter().find(|c| c.stray_errno_ret) {
            return Some(format!(
                "{runtime} refuses errnoRet on syscalls[{}], whose action takes none (\"errno value specified for action\"; runc ignores it)",
                c.rule
            ));
        }
    }
    if let Some(c) = r
        .calls
        .iter()
        .find(|c| c.action == EffectiveAction::Notify && c.name == "write")
    {
        return Some(format!(
            "{runtime} refuses SCMP_ACT_NOTIFY for write (syscalls[{}])",
            c.rule
        ));
    }
    None
}

/// The stub's per-ABI limits, or `None` when runc adds no stub: a default of ALLOW, LOG or
/// TRACE (`isAllowAction`), or the never-met `defaultErrnoRet == SCMP_ACT_ERRNO(ENOSYS)` test
/// of `generatePatch`. Limits come from `findLastSyscalls`: every rule name of the resolved
/// config (runc computes it before dropping rules), resolved per arch, pseudo numbers (i386
/// socket and ipc calls: `abi_syscall_resolve_name_munge`) ignored; an ABI with no known name
/// gets no section.
pub(crate) fn stub_limits(r: &Resolved, covered: &[Abi]) -> Option<BTreeMap<Abi, u64>> {
    // crun has no stub: a call above the profile's highest one gets the default action.
    if !runtime_model(&r.host.runtime).enosys_stub {
        return None;
    }
    // runc builds the stub per entry of the config's architectures (`findLastSyscalls` walks
    // `config.Architectures`), from 1.1.15 on with the native arch added (see
    // [`RuntimeModel::stub_covers_native`]). Before, a profile that lists none (or an archMap
    // with no entry for the daemon's arch) gets no stub at all, and one that lists only a
    // compat arch gets a stub for that arch only. Measured with runc 1.1.5: jessfraz's Chrome
    // profile (no architectures) answered EPERM from its default for pkey_mprotect and
    // userfaultfd; the same profile with SCMP_ARCH_X86_64, X86 and X32 added answered ENOSYS.
    // Measured through containerd's CRI too, which drops a Localhost profile's `archMap`
    // (profile::node): with no architectures left, runc 1.1.15 (containerd 1.7.24) and runc
    // 1.3.6 (containerd 2.1.9) answered ENOSYS for fchmodat2, futex_wake and every call above
    // static-server-allowlist's highest name.
    let model = runtime_model(&r.host.runtime);
    let native = r.host.arch.native_abi();
    let stubbed: Vec<Abi> = covered
        .iter()
        .copied()
        .filter(|abi| {
            (model.stub_covers_native && *abi == native)
                || r.architectures.iter().any(|a| {
                    crate::profile::resolve::abi_of_scmp_arch(a) == Some(*abi)
                        || (a == "SCMP_ARCH_NATIVE" && *abi == native)
                })
        })
        .collect();
    if stubbed.is_empty() {
        return None;
    }
    if matches!(
        r.default_action,
        Action::Allow | Action::Log | Action::Trace
    ) {
        return None;
    }
    if r.default_errno_ret == Some(RET_ERRNO_ENOSYS) {
        return None;
    }
    let mut out = BTreeMap::new();
    for abi in stubbed {
        let max = r
            .calls
            .iter()
            .filter(|c| !c.unknown && names::multiplexed(abi, &c.name).is_none())
            .filter_map(|c| names::number(abi, &c.name))
            .max()
            .unwrap_or(0);
        if max != 0 {
            out.insert(abi, max);
        }
    }
    Some(out)
}

/// Whether `model` gives the native ABI of `arch` an ENOSYS stub under a profile whose
/// architectures are `arches`: runc from 1.1.15 always does, older runc only where the list
/// (or the archMap entry for the daemon's arch) names it, crun never
/// ([`RuntimeModel::stub_covers_native`]).
pub fn native_stub(model: &RuntimeModel, arches: &Arches, arch: Arch) -> bool {
    if !model.enosys_stub {
        return false;
    }
    if model.stub_covers_native {
        return true;
    }
    let native = arch.native_abi().scmp_arch();
    match arches {
        Arches::Unspecified => false,
        Arches::List(l) => l.iter().any(|a| a == native || a == "SCMP_ARCH_NATIVE"),
        Arches::Map(m) => m.iter().any(|e| e.architecture == native),
    }
}

/// What the tagged copy of a profile must allow on this runtime where the original leaves it
/// to its ERRNO default and the copy's TRAP default would stop the runtime or the probe:
/// crun's calls that survive an errno but not a trap (close, and close_range after the start:
/// measured with crun 1.28; old profiles such as moby v1.12's default don't name
/// close_range), runc's (faccessat2, and openat2 and tgkill from 1.3), and `also` (the
/// probe's footprint and the fallbacks the tagging allows where runc's stub can't move). Only
/// where the runtime builds no native stub for the profile (`native_stub` is false: crun, or
/// runc before 1.1.15 with the native arch unlisted), so that a new name moves no stub limit
/// the native cases meet; with a native stub the tagging itself decides
/// (`profile::tag::tagged_allowances`). Measured with runc 1.1.5: a profile listing only
/// SCMP_ARCH_X86 (no native stub) had its tagged copy killed on faccessat2 before this.
pub fn tagged_runtime_allowances(
    model: &RuntimeModel,
    native_stub: bool,
    named: impl Fn(&str) -> bool,
    also: &[&'static str],
) -> Vec<&'static str> {
    if native_stub {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = Vec::new();
    for n in model
        .tolerated
        .iter()
        .chain(model.after_start_tolerated)
        .chain(also)
    {
        if !named(n) && !out.contains(n) {
            out.push(n);
        }
    }
    out
}

/// The tagged copy for one runtime: the calls this runtime or the probe survives an errno on
/// but not the copy's TRAP default are allowed where the original leaves them to its default
/// ([`tagged_runtime_allowances`]; the tagging itself does the rest); on gVisor, which
/// answers EPERM for every errno so no sentinel comes back, every ERRNO rule traps
/// ([`Tagged::trapping_errno_rules`]).
pub fn tagged_for(tagged: &Tagged, original: &Profile, runtime: &Runtime, arch: Arch) -> Tagged {
    let model = runtime_model(runtime);
    let already = crate::profile::tag::tagged_allowances(original);
    let named = |n: &str| {
        already.contains(&n)
            || original
                .rules
                .iter()
                .any(|r| r.names.iter().any(|m| m == n))
    };
    let mut also: Vec<&'static str> = FALLBACK_CALLS.to_vec();
    also.extend(
        seccomp_catalog::own_calls::footprint(arch)
            .iter()
            .map(|f| f.syscall),
    );
    also.extend(crate::profile::tag::trap_handler_calls(arch));
    let native_stub = native_stub(model, &original.arches, arch);
    let names = tagged_runtime_allowances(model, native_stub, named, &also);
    let tagged = tagged.for_runtime(&names, &runtime.name);
    if runtime.is_gvisor() {
        tagged.trapping_errno_rules()
    } else {
        tagged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile;

    #[test]
    fn the_tagged_copy_drops_podmans_errno_names_and_allows_cruns_tolerated_calls() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/podman-containers-common-2025-08.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let profile = profile::parse_str(&text, path).unwrap();
        let tagged = profile::tag_for(&profile, true);
        // Podman's own errno names are in the profile, and the tagging drops them.
        assert!(text.contains("\"errno\""));
        let crun = Runtime::parse("crun", Some("1.28"));
        let t = tagged_for(&tagged, &profile, &crun, Arch::X86_64);
        let json = &t.json();
        let doc: serde_json::Value = serde_json::from_str(json).unwrap();
        let rules = doc["syscalls"].as_array().unwrap();
        assert!(rules.iter().all(|r| r.get("errno").is_none()), "{json}");
        assert!(doc.get("defaultErrno").is_none());
        assert_eq!(rules[0]["errnoRet"], 3000);
        // On a strict profile crun's tolerated calls are allowed, in the JSON and in the
        // model alike; runc from 1.1.15, whose native stub answers above the profile, gets
        // nothing more; runc 1.1.5 builds no stub for a profile without architectures, so it
        // gets the same allowances as crun.
        let strict = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let original = profile::parse_str(strict, "strict.json").unwrap();
        let tagged = profile::tag_for(&original, true);
        let t = tagged_for(&tagged, &original, &crun, Arch::X86_64);
        assert!(t.default_traps);
        let doc: serde_json::Value = serde_json::from_str(&t.json()).unwrap();
        let last = doc["syscalls"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "SCMP_ACT_ALLOW");
        assert!(last["comment"].as_str().unwrap().contains("crun"), "{last}");
        let reparsed = profile::parse_str(&t.json(), "p").unwrap();
        assert_eq!(reparsed.rules, t.profile.rules);
        assert!(t.profile.rules.len() > tagged.profile.rules.len());
        let runc = Runtime::parse("runc", Some("1.3.6"));
        let runc = tagged_for(&tagged, &original, &runc, Arch::X86_64);
        assert_eq!(runc.profile.rules.len(), tagged.profile.rules.len());
        let old = tagged_for(&tagged, &original, &Runtime::runc_1_1(), Arch::X86_64);
        assert_eq!(old.profile.rules.len(), tagged.profile.rules.len() + 1);
        let last = old.profile.rules.last().unwrap();
        assert!(last.names.iter().any(|n| n == "faccessat2"), "{last:?}");
    }

    /// What the oracle asks a runtime instead of its name: gVisor differs on each point.
    #[test]
    fn the_oracle_asks_the_runtime_for_its_behaviour() {
        let runc = Runtime::default();
        assert_eq!(runc, Runtime::runc_1_1());
        assert!(runc.host_kernel_exceptions_apply() && !runc.masked_eq_as_written());
        assert_eq!(runc.abi_not_run(Abi::I386), None);
        assert_eq!(runc.rewritten_errno(38), None);
        let runsc = Runtime::gvisor();
        assert!(!runsc.host_kernel_exceptions_apply() && runsc.masked_eq_as_written());
        assert_eq!(runsc.abi_not_run(Abi::X86_64), None);
        assert!(runsc.abi_not_run(Abi::I386).is_some());
        let (errno, note) = runsc.rewritten_errno(38).unwrap();
        assert_eq!(errno, 1);
        assert!(note.contains("errno 38"), "{note}");
    }

    #[test]
    fn every_runtime_has_a_model_from_version_zero_and_the_newest_first() {
        let mut names: Vec<&str> = models().map(|m| m.runtime).collect();
        names.dedup();
        for name in &names {
            let versions: Vec<_> = models()
                .filter(|m| m.runtime == *name)
                .map(|m| m.since)
                .collect();
            assert!(
                versions.windows(2).all(|w| w[0] > w[1]),
                "{name}: {versions:?}"
            );
            assert_eq!(versions.last(), Some(&Version::new(0, 0, 0)), "{name}");
        }
        // Each runtime's models are together, so the list reads per runtime.
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
