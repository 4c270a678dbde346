//! Tagging: a copy of a profile whose every ERRNO carries a distinct sentinel errno, so that a
//! denial seen in a run names the rule (or the default) that produced it (DESIGN §3).
//!
//! Sentinels come from 3000..4000 (values in this range came back intact on a real host, and
//! stay below MAX_ERRNO 4095). A sentinel only has to tell apart the ERRNO rules that can reach
//! the same syscall, because the case that saw it names its syscall: so they are allocated per
//! syscall slot (ABI and number, the i386 socketcall/ipc multiplexers included), and rules that
//! reach disjoint slots share values. A profile of 10,000 rules with one ERRNO rule per syscall
//! needs one value.
//!
//! Only rules that can match some case of the catalog (any arch) get a value of their own; the
//! others can't decide a cell and share [`SHARED_SENTINEL`]. That keeps the tagged filter the
//! size of the original: distinct errnos keep libseccomp from merging rules, and a tagged copy
//! of a 10,000-rule profile with one value per rule exceeded the kernel's 4,096 BPF
//! instructions (the runtime failed to load it: [`crate::runtime::RuntimeModel`]) while the
//! original loaded. A slot reached by more than 1,000 matching ERRNO rules runs out; the rules
//! beyond that share [`SHARED_SENTINEL`] too, and their cells say they could not be attributed.
//!
//! The default can't be tagged with `defaultErrnoRet`: Docker before 23.0 never passes it to
//! the runtime (see [`Host::honours_default_errno_ret`]). So an ERRNO default becomes
//! `SCMP_ACT_TRAP` in the tagged profile: a call that hits it comes back trapped (SIGSYS with
//! si_code SYS_SECCOMP), which no ERRNO rule can produce. Measured with this host's runtime
//! ([`crate::runtime::Runtime::default`]): a tagged
//! Docker default profile and a strict allow-list with a TRAP default both start, default hits
//! trap with si_errno 0, and allowed calls behave as before.
//!
//! The runtime drops a rule whose action equals the default action, errno included
//! ([`crate::runtime::RuntimeModel`]).
//! Distinct sentinels would un-drop such rules and change what the filter does (it could even
//! make libseccomp refuse two merged rules). So a rule whose action equals the (engine's)
//! default becomes TRAP too: it is still dropped, and its calls are attributed to the default,
//! which is what decides them in the as-is run too.
//!
//! A profile with an ERRNO default and a TRAP rule can't trap its default (the rule would be
//! dropped in the tagged run and change what it does); it keeps the old scheme, the default's
//! sentinel 4000 in `defaultErrnoRet`, which only an engine that honours `defaultErrnoRet`
//! returns.
//!
//! [`Host::honours_default_errno_ret`]: super::Host::honours_default_errno_ret

use super::model::{Action, EffectiveAction, Filter, Profile, Rule};
use super::names;
use super::parse::{parse_str, ProfileError};
use crate::outcome::RuleRef;
use seccomp_catalog::own_calls;
use seccomp_catalog::{Abi, Arch, Case, Catalog};
use std::collections::{BTreeMap, HashMap, HashSet};

pub const RULE_SENTINEL_BASE: u32 = 3000;
pub const DEFAULT_SENTINEL: u32 = 4000;
/// The errno of every ERRNO rule without a sentinel of its own: it can match no case, or one
/// of its slots ran out of values.
pub const SHARED_SENTINEL: u32 = 4001;
/// The ABIs whose slots decide which rules must not share a sentinel: every ABI the catalog
/// has cases for, so a sentinel is unambiguous whichever arch the run is on.
const SLOT_ABIS: [Abi; 4] = [Abi::X86_64, Abi::I386, Abi::X32, Abi::Aarch64];

/// A syscall as a filter sees it: the ABI (audit arch) and the number, and for i386's
/// socketcall and ipc multiplexers the call number in their first argument, which libseccomp
/// compares (a rule on `socket` becomes `socketcall` with `arg0 == SYS_SOCKET`): rules on
/// different socket calls can't meet there, so they may share sentinels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub abi: Abi,
    pub nr: u64,
    pub call: Option<u64>,
}

impl Slot {
    pub fn direct(abi: Abi, nr: u64) -> Slot {
        Slot {
            abi,
            nr,
            call: None,
        }
    }

    /// The slot a case's call lands on.
    pub fn of(case: &Case) -> Slot {
        let multiplexer = case.abi == Abi::I386 && matches!(case.syscall, "socketcall" | "ipc");
        Slot {
            abi: case.abi,
            nr: case.nr,
            call: if multiplexer {
                case.args[0].filter_value()
            } else {
                None
            },
        }
    }
}

/// Which rule each sentinel errno stands for, per syscall slot.
#[derive(Debug, Clone, Default)]
pub struct Sentinels {
    by_slot: HashMap<Slot, BTreeMap<i32, RuleRef>>,
    /// The default's sentinel, where the default could not be made a trap.
    default: Option<i32>,
    /// Rules that share [`SHARED_SENTINEL`] because one of their slots ran out of values.
    overflowed: usize,
    /// Rules that share [`SHARED_SENTINEL`] because no case can match them.
    unmatched: usize,
}

/// What a sentinel seen in a tagged run says about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attributed {
    Rule(RuleRef),
    /// A rule without a sentinel of its own ([`SHARED_SENTINEL`]): one that no case was
    /// expected to match, or one beyond the 1,000 sentinels of its syscall.
    Shared,
    /// Not a sentinel of a rule that reaches this case's syscall.
    None,
}

impl Sentinels {
    /// The rule that returns `errno` in the tagged run for `case`'s syscall.
    pub fn attribute(&self, case: &Case, errno: i32) -> Attributed {
        self.attribute_slot(Slot::of(case), errno)
    }

    pub fn attribute_slot(&self, slot: Slot, errno: i32) -> Attributed {
        if Some(errno) == self.default {
            return Attributed::Rule(RuleRef::DEFAULT);
        }
        if self.overflowed + self.unmatched > 0 && errno == SHARED_SENTINEL as i32 {
            return Attributed::Shared;
        }
        match self.by_slot.get(&slot).and_then(|m| m.get(&errno)) {
            Some(rule) => Attributed::Rule(*rule),
            None => Attributed::None,
        }
    }

    /// Records that `rule` returns `errno` in the tagged run on `slot`.
    pub(crate) fn insert(&mut self, slot: Slot, errno: i32, rule: RuleRef) {
        self.by_slot.entry(slot).or_default().insert(errno, rule);
    }

    /// How many rules that can match a case got no sentinel of their own (read by the tests;
    /// the run tells such cells by [`Attributed::Shared`]).
    #[cfg(test)]
    pub(crate) fn overflowed(&self) -> usize {
        self.overflowed
    }

    /// How many rules share a value because no case can match them.
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// The distinct sentinel values handed out (the default's included), for the tests.
    #[cfg(test)]
    pub(crate) fn distinct_values(&self) -> usize {
        let mut values: HashSet<i32> = self
            .by_slot
            .values()
            .flat_map(|m| m.keys().copied())
            .collect();
        values.extend(self.default);
        values.len()
    }
}

/// The slots a rule naming `names` reaches, on every ABI of [`SLOT_ABIS`].
fn slots_of(names: &[String]) -> Vec<Slot> {
    let mut slots = Vec::new();
    for abi in SLOT_ABIS {
        for name in names {
            if let Some(nr) = names::number(abi, name) {
                slots.push(Slot::direct(abi, nr));
            }
            if let Some((mux, call)) = names::multiplexed(abi, name) {
                if let Some(nr) = names::number(abi, mux) {
                    slots.push(Slot {
                        abi,
                        nr,
                        call: Some(call),
                    });
                }
            }
        }
    }
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// A rule on a multiplexer itself (`socketcall`, `ipc` on i386) decides every call through
/// it, and a case through it lands on the slot of its call number ([`Slot::of`]): so the rule
/// holds its sentinel on each of those slots too, where rules on the calls (`socket`) must
/// not share it. Found by the pipeline's property test (`harness/tests/fuzz_pipeline.rs`): a
/// rule on `socketcall` had its denials of `i386:socketcall(SYS_SOCKET,…)` unattributed.
fn with_multiplexed_calls(mut slots: Vec<Slot>, cases: &HashMap<Slot, Vec<Case>>) -> Vec<Slot> {
    let direct: Vec<Slot> = slots.iter().filter(|s| s.call.is_none()).copied().collect();
    slots.extend(
        cases
            .keys()
            .filter(|k| k.call.is_some() && direct.iter().any(|d| (d.abi, d.nr) == (k.abi, k.nr))),
    );
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Every case of every arch's catalog, and every case the profile's own conditions generate
/// ([`crate::coverage::generate`]), by the slot a filter sees it on.
fn cases_by_slot(profile: &Profile) -> HashMap<Slot, Vec<Case>> {
    let mut out: HashMap<Slot, Vec<Case>> = HashMap::new();
    for arch in Arch::ALL {
        for case in Catalog::for_arch(*arch).cases() {
            out.entry(Slot::of(case)).or_default().push(case.clone());
        }
        let generated = crate::coverage::generate::for_profile_on(profile, *arch);
        for case in generated.cases.into_values() {
            out.entry(Slot::of(&case)).or_default().push(case);
        }
    }
    out
}

/// Whether a rule can decide some case: a case on one of its slots whose arguments its
/// conditions may match. Through a multiplexer the arguments sit in memory, so any case there
/// counts.
fn may_decide_a_case(
    slots: &[Slot],
    args: &[super::model::ArgCond],
    cases: &HashMap<Slot, Vec<Case>>,
) -> bool {
    slots.iter().any(|slot| {
        cases.get(slot).is_some_and(|list| {
            slot.call.is_some()
                || list
                    .iter()
                    .any(|c| crate::oracle::conditions_may_match(args, c))
        })
    })
}

/// Hands out sentinels: for each rule, the lowest value no earlier rule on any of its slots
/// holds. Greedy colouring is enough: a value is refused only by rules that share a slot, so a
/// rule runs out only where more than 1,000 ERRNO rules reach one syscall.
#[derive(Default)]
struct Allocator {
    used: HashMap<Slot, HashSet<u32>>,
}

impl Allocator {
    fn allocate(&mut self, slots: &[Slot]) -> Option<u32> {
        let taken = |v: u32| {
            slots
                .iter()
                .any(|s| self.used.get(s).is_some_and(|u| u.contains(&v)))
        };
        let value = (RULE_SENTINEL_BASE..DEFAULT_SENTINEL).find(|v| !taken(*v))?;
        for s in slots {
            self.used.entry(*s).or_default().insert(value);
        }
        Some(value)
    }
}

/// A tagged profile: the model the oracle reads and the engine gets serialized, and which
/// sentinel errno stands for which rule.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub profile: Profile,
    pub sentinels: Sentinels,
    /// The tagged profile's default is `SCMP_ACT_TRAP` in place of the original's ERRNO: a
    /// trap in the tagged run where the as-is run denied with an errno is the default's.
    pub default_traps: bool,
}

/// The calls the tagged copy allows where the original leaves them to its ERRNO default: the
/// runtime's fallback calls and the probe's footprint survive an errno, but the tagged
/// copy's TRAP default would kill the runtime's init or the probe before its first case, and
/// then no case is attributed at all (measured with this host's runtime,
/// [`crate::runtime::Runtime::default`], on jessfraz's Chrome profile: the tagged run died on
/// faccessat2, then on rseq). A name is added only where it can't move the runtime's ENOSYS
/// stub: on every arch the profile already names a higher syscall. (A profile with no
/// architectures has no stub on some versions of a runtime and a native one on others,
/// [`crate::runtime::RuntimeModel::stub_covers_native`], so the tagging can't tell; the run
/// adds the rest per runtime where no native stub exists:
/// [`crate::runtime::tagged_runtime_allowances`].)
///
/// The probe's SIGSYS handler calls ([`trap_handler_calls`]) are allowed too: a probe that
/// can't install the handler dies of the copy's first trap instead of recording it, and the
/// harness restarts it at the next case, one container per denied case, until its restart limit
/// leaves the rest of the catalog with no tagged record (measured on Docker 20.10.24 and
/// containerd 1.7.24 and 2.1.9 with SPO's base profile for the default runtime, which allows no
/// `rt_sigaction`: 256 containers, then 101 denials unattributed and 11 cells where the
/// kernel's EPERM, as unconfined, read as the filter letting the call through).
pub fn tagged_allowances(original: &Profile) -> Vec<&'static str> {
    let named = |n: &str| {
        original
            .rules
            .iter()
            .any(|r| r.names.iter().any(|m| m == n))
    };
    let mut candidates: Vec<&'static str> = crate::runtime::FALLBACK_CALLS.to_vec();
    // The runtime falls back from faccessat2 (`runtime::FACCESSAT2_FALLBACK_CALLS`) only
    // where the profile doesn't allow it outright.
    let allows_faccessat2 = original.rules.iter().any(|r| {
        r.action == Action::Allow
            && r.args.is_empty()
            && r.includes.is_empty()
            && r.excludes.is_empty()
            && r.names.iter().any(|n| n == "faccessat2")
    });
    if !allows_faccessat2 {
        candidates.extend(crate::runtime::FACCESSAT2_FALLBACK_CALLS);
    }
    for arch in Arch::ALL {
        let footprint = own_calls::footprint(*arch);
        for name in footprint
            .iter()
            .map(|f| f.syscall)
            .chain(trap_handler_calls(*arch).iter().copied())
        {
            if !candidates.contains(&name) {
                candidates.push(name);
            }
        }
    }
    // Every stub the filter has, compat ones included: i386 numbers its calls otherwise, so a
    // name below the highest on x86_64 can be above it on i386 (found by the pipeline's
    // property test: `i386:unshare` went from the stub's ENOSYS to the default in the tagged
    // copy). Only the ABIs the filter holds (`abis_of`, on either host arch) have a stub: an
    // x32 number counted for a profile that lists no x32 kept glibc's set_robust_list (273,
    // x32's own 530) out of the copy of SPO's base profile for the default runtime (x86_64
    // only, highest call faccessat2 439), and the probe died of the copy's trap at start-up,
    // before its handler.
    let stub_abis: Vec<Abi> = Arch::ALL
        .iter()
        .flat_map(|&arch| crate::coverage::generate::abis_of(original, arch))
        .collect();
    let below_stub = |name: &str| {
        stub_abis.iter().all(|&abi| {
            let Some(nr) = names::number(abi, name) else {
                return true;
            };
            // Only rules every host keeps: one whose includes or excludes drop it on this host
            // names nothing in the runtime's stub (found by the pipeline's property test: with
            // clone3's rule excluded by minKernel the copy gained a stub the original lacked).
            original
                .rules
                .iter()
                .filter(|r| r.includes.is_empty() && r.excludes.is_empty())
                .flat_map(|r| &r.names)
                .filter_map(|n| names::number(abi, n))
                .any(|max| max > nr)
        })
    };
    candidates
        .into_iter()
        .filter(|n| !named(n) && below_stub(n))
        .collect()
}

/// The calls the probe needs to install its SIGSYS handler and return from it: without them
/// the tagged copy's trapping default kills the probe where it would record a trap.
pub(crate) fn trap_handler_calls(arch: Arch) -> &'static [&'static str] {
    own_calls::Role::SignalHandlers.options(arch)
}

const FALLBACKS_COMMENT: &str =
    "seccomp-harness: the runtime and the probe survive an errno here, not the tagged run's trap";

fn allow_runtime_fallbacks(tagged: &mut Profile, original: &Profile) {
    let names = tagged_allowances(original);
    if !names.is_empty() {
        append_allow(tagged, &names, FALLBACKS_COMMENT);
    }
}

/// Podman's profile format has `errno` (a name, "EPERM") and `defaultErrno` beside `errnoRet`,
/// and Podman prefers them. Measured with Podman 5.8.6: a rule with `"errno": "EPERM"` and the
/// tagged run's `"errnoRet": 3000` answered EPERM, and a rule the tagging turned into TRAP kept
/// its `errno`, which Podman passed on as errnoRet and its runtime refused
/// ([`crate::runtime::RuntimeModel::refuses_stray_errno_ret`]). The tagging's errnos must win;
/// Docker ignores both fields, so they go wherever an `errnoRet` is set or the action takes
/// none.
fn drop_podman_errno_names(profile: &mut Profile) {
    let takes_errno = |a: Option<Action>| a.is_some_and(Action::takes_errno_ret);
    if profile.default_errno_ret.is_some() || !takes_errno(profile.default_action) {
        profile.default_errno_name = None;
    }
    for rule in &mut profile.rules {
        if rule.errno_ret.is_some() || !takes_errno(Some(rule.action)) {
            rule.errno_name = None;
        }
    }
}

impl Tagged {
    /// The tagged copy for a runtime that answers EPERM for every errno
    /// ([`crate::runtime::Runtime::returns_sentinels`]): sentinels can't come back, so every
    /// ERRNO rule traps instead, as the ERRNO default already does where
    /// [`Tagged::default_traps`]. A trap in this copy where the as-is run answered an errno
    /// then shows the filter denied the call, not the kernel (or the runtime's own); which
    /// rule, the trap can't say (that runtime's TRAP carries no data).
    pub(crate) fn trapping_errno_rules(&self) -> Tagged {
        let mut profile = self.profile.clone();
        for rule in profile
            .rules
            .iter_mut()
            .filter(|r| r.action == Action::Errno)
        {
            trap_rule(rule);
        }
        Tagged {
            profile,
            sentinels: Sentinels::default(),
            default_traps: self.default_traps,
        }
    }

    /// The tagged model serialized as Docker reads it ([`Profile::to_json`]); the engine gets
    /// it with its salt (`salt::salted_json`).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.profile.to_json()).expect("a JSON value serializes")
    }

    /// The calls this copy allows on purpose where `original` leaves them to its default (the
    /// rules the tagging appended: the runtime's fallbacks, the probe's footprint and its
    /// SIGSYS handler): the tagged run says nothing about what the filter does with them.
    pub fn allowed_on_purpose(&self, original: &Profile) -> Vec<String> {
        let mut names: Vec<String> = self
            .profile
            .rules
            .iter()
            .skip(original.rules.len())
            .flat_map(|r| r.names.iter().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The tagged copy for one runtime: `names` (calls that runtime survives an errno on but
    /// not the copy's TRAP default, from `runtime::tagged_runtime_allowances`) allowed, so the
    /// tagged job's predictions see what the engine gets. Unchanged when the default doesn't
    /// trap or nothing is to be allowed.
    pub fn for_runtime(&self, names: &[&str], runtime: &str) -> Tagged {
        let mut tagged = self.clone();
        if self.default_traps && !names.is_empty() {
            let comment = format!(
                "seccomp-harness: {runtime} survives an errno here, not the tagged run's trap"
            );
            append_allow(&mut tagged.profile, names, &comment);
        }
        tagged
    }
}

/// Parses and tags the profile in `text` (`file` names it in errors) for an engine that
/// honours `defaultErrnoRet`.
pub fn tag(text: &str, file: &str) -> Result<Tagged, ProfileError> {
    let original = parse_str(text, file)?;
    Ok(tag_for(&original, true))
}

/// Tags `original` for an engine that passes `defaultErrnoRet` on to the runtime or not
/// (which rules the runtime drops depends on it). What to do is decided on the original
/// ([`Tagger`]) and applied to a copy of its model, which the engine then gets serialized:
/// the oracle's model and the engine's JSON can't drift apart.
pub fn tag_for(original: &Profile, honours_default_errno_ret: bool) -> Tagged {
    let mut profile = original.clone();
    let mut tagger = Tagger::new(original, honours_default_errno_ret);
    tagger.tag_default(&mut profile);
    for (i, (rule, model)) in original.rules.iter().zip(&mut profile.rules).enumerate() {
        match tagger.rule_tag(i, rule) {
            RuleTag::Keep => {}
            RuleTag::Trap => trap_rule(model),
            RuleTag::Errno(errno) => model.errno_ret = Some(errno),
        }
    }
    drop_podman_errno_names(&mut profile);
    if tagger.default_traps {
        allow_runtime_fallbacks(&mut profile, original);
    }
    Tagged {
        profile,
        sentinels: tagger.sentinels,
        default_traps: tagger.default_traps,
    }
}

/// Makes one ERRNO rule a TRAP. Podman's errno name goes too: Podman would pass it on as the
/// TRAP's errno, which its runtime refuses ([`drop_podman_errno_names`]).
fn trap_rule(rule: &mut Rule) {
    rule.action = Action::Trap;
    rule.errno_ret = None;
    rule.errno_name = None;
}

/// Appends a rule allowing `names`.
fn append_allow(profile: &mut Profile, names: &[&str], comment: &str) {
    profile.rules.push(Rule {
        names: names.iter().map(|n| n.to_string()).collect(),
        action: Action::Allow,
        errno_ret: None,
        errno_name: None,
        args: Vec::new(),
        includes: Filter::default(),
        excludes: Filter::default(),
        comment: Some(comment.to_string()),
    });
}

/// Whether libseccomp refuses an action's errno: such an action stays as it is, so the tagged
/// run fails to start the same way.
fn refused(e: Option<EffectiveAction>) -> bool {
    matches!(e, Some(EffectiveAction::Errno(n)) if u32::from(n) > super::model::MAX_ERRNO_RET)
}

/// What the tagging does to one rule of the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleTag {
    /// Left as written: not an ERRNO rule, an errno libseccomp refuses, or one equal to a
    /// default whose errno the engine drops.
    Keep,
    /// Equal to the ERRNO default, which traps in the copy: it must stay equal (and dropped).
    Trap,
    /// The errno it answers in the copy: its sentinel.
    Errno(u32),
}

/// The tagging's decisions for one profile, and the sentinels they hand out.
struct Tagger {
    /// The original's default as the runtime gets it.
    default: Option<EffectiveAction>,
    /// The original's default is an ERRNO libseccomp accepts.
    errno_default: bool,
    /// [`Tagged::default_traps`].
    default_traps: bool,
    honours_default_errno_ret: bool,
    cases: HashMap<Slot, Vec<Case>>,
    allocator: Allocator,
    sentinels: Sentinels,
}

impl Tagger {
    fn new(original: &Profile, honours_default_errno_ret: bool) -> Tagger {
        let default = original.default_action.map(|a| {
            a.effective(
                original
                    .default_errno_ret
                    .filter(|_| honours_default_errno_ret),
            )
        });
        let errno_default = original.default_action == Some(Action::Errno) && !refused(default);
        let has_trap_rule = original.rules.iter().any(|r| r.action == Action::Trap);
        Tagger {
            default,
            errno_default,
            default_traps: errno_default && !has_trap_rule,
            honours_default_errno_ret,
            cases: cases_by_slot(original),
            allocator: Allocator::default(),
            sentinels: Sentinels::default(),
        }
    }

    /// Tags the default: a trap where it can, else the default's sentinel in
    /// `defaultErrnoRet` (module doc).
    fn tag_default(&mut self, profile: &mut Profile) {
        if self.default_traps {
            profile.default_action = Some(Action::Trap);
            profile.default_errno_ret = None;
        } else if self.errno_default {
            profile.default_errno_ret = Some(DEFAULT_SENTINEL);
            self.sentinels.default = Some(DEFAULT_SENTINEL as i32);
        }
    }

    /// What becomes of rule `i`; a sentinel it gets is recorded for its slots.
    fn rule_tag(&mut self, i: usize, rule: &Rule) -> RuleTag {
        if rule.action != Action::Errno || refused(Some(rule.effective_action())) {
            return RuleTag::Keep;
        }
        if Some(rule.effective_action()) == self.default {
            return if self.default_traps {
                RuleTag::Trap
            } else if !self.honours_default_errno_ret {
                // The engine drops the default's sentinel (before Docker 23), so the default
                // stays as it was: a rule equal to it must stay equal too, or the runtime keeps
                // in the copy a rule it drops from the original (found by the pipeline's property
                // test: a dropped ERRNO rule beside a conditional ALLOW on mkdir denied it in
                // the copy only).
                RuleTag::Keep
            } else {
                RuleTag::Errno(DEFAULT_SENTINEL)
            };
        }
        let slots = with_multiplexed_calls(slots_of(&rule.names), &self.cases);
        if !may_decide_a_case(&slots, &rule.args, &self.cases) {
            self.sentinels.unmatched += 1;
            RuleTag::Errno(SHARED_SENTINEL)
        } else if let Some(s) = self.allocator.allocate(&slots) {
            for slot in slots {
                self.sentinels.insert(slot, s as i32, RuleRef::Index(i));
            }
            RuleTag::Errno(s)
        } else {
            self.sentinels.overflowed += 1;
            RuleTag::Errno(SHARED_SENTINEL)
        }
    }
}

#[cfg(test)]
mod tests;
