//! Turns raw probe records into outcomes (DESIGN §3). Nothing here guesses: an errno counts as
//! the filter's only when the unconfined baseline (same capabilities) answered differently, or
//! when the tagged run returned one of the sentinels that stand for a rule. What can't be told
//! apart is reported as ambiguous.

use crate::matrix::{Expected, Observed, Verdict};
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::{Action, Profile};
use crate::profile::tag::{Attributed, Sentinels, Slot, Tagged};
use seccomp_catalog::record::CaseRecord;

const SIGSYS: i32 = 31;
/// si_code of a SIGSYS that a seccomp filter raised with SECCOMP_RET_TRAP (asm-generic/siginfo.h).
const SYS_SECCOMP: i32 = 1;
const EPERM: i32 = 1;
const ENOSYS: i32 = 38;

/// The records of one case under one capability set.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseRuns<'a> {
    /// Under the profile as written.
    pub observed: Option<&'a CaseRecord>,
    /// Under `seccomp=unconfined`: what the kernel does alone.
    pub baseline: Option<&'a CaseRecord>,
    /// Under the tagged profile (file profiles only).
    pub tagged: TaggedRun<'a>,
}

/// What the tagged run says about one case.
#[derive(Debug, Clone, Copy, Default)]
pub enum TaggedRun<'a> {
    /// The configuration has no tagged run (builtin, unconfined).
    #[default]
    None,
    Record(&'a CaseRecord),
    /// The tagged run can't speak for this case, for the reason given (a fragment that reads
    /// after "not attributed:"): it never reached the case, its copy failed to start, or its
    /// copy allows the call on purpose. An errno the kernel gives unconfined too can then be
    /// the filter's or the kernel's.
    Silent(&'a str),
}

impl<'a> TaggedRun<'a> {
    fn record(self) -> Option<&'a CaseRecord> {
        match self {
            TaggedRun::Record(r) => Some(r),
            _ => None,
        }
    }
}

/// How a configuration's denials can be attributed.
#[derive(Debug, Clone)]
pub enum Attribution<'a> {
    /// A file profile with a tagged run: sentinel errno on a syscall → the rule that produces
    /// it in the profile as written (the caller maps rules that the runtime drops there to the
    /// default: [`crate::runtime::RuntimeModel`]).
    Tagged {
        sentinels: &'a Sentinels,
        /// The original default is ERRNO and the tagged profile traps it instead
        /// ([`crate::profile::Tagged::default_traps`]): an errno in the as-is run with a
        /// seccomp trap in the tagged run is the default's. A TRAP *rule* of the original
        /// would trap in the as-is run too, so the two can't be confused.
        default_traps: bool,
        /// The errnos the profile as written can answer ([`filter_errnos`]): an errno outside
        /// them, the same as unconfined, is the kernel's even with no tagged record.
        errnos: &'a [i32],
    },
    /// A tagged run whose ERRNO rules and ERRNO default trap (the runtime answers EPERM for
    /// every errno, so sentinels can't come back: [`crate::runtime::Runtime::returns_sentinels`]):
    /// a trap there where this run answered an errno is the filter's denial; which rule, it
    /// can't say.
    Trapping,
    /// The engine's builtin profile: it can't be tagged.
    Untaggable,
    /// `seccomp=unconfined`: no filter, so any denial is the kernel's.
    NoFilter,
}

impl<'a> Attribution<'a> {
    /// A file profile's, from its tagged copy: the one place that decides between sentinels
    /// and traps, for the profile's own column and for builtin's upstream stand-in alike.
    /// `trapping` is the runtime's (its errnos carry no sentinel); `errnos` the profile's as
    /// written ([`filter_errnos`]).
    pub fn of_tagged(tagged: &'a Tagged, trapping: bool, errnos: &'a [i32]) -> Attribution<'a> {
        if trapping {
            return Attribution::Trapping;
        }
        Attribution::Tagged {
            sentinels: &tagged.sentinels,
            default_traps: tagged.default_traps,
            errnos,
        }
    }
}

/// The errnos a profile's filter can answer: each ERRNO rule's and the ERRNO default's
/// (`errnoRet`, else EPERM), and EPERM for the default too, since an engine before Docker 23
/// drops `defaultErrnoRet`. The runtime's ENOSYS stub
/// ([`crate::runtime::RuntimeModel::enosys_stub`]) is not among them: a call the kernel lacks
/// answers the same.
pub fn filter_errnos(profile: &Profile) -> Vec<i32> {
    let errno = |e: Option<u32>| e.map_or(EPERM, |e| i32::try_from(e).unwrap_or(i32::MAX));
    let mut out: Vec<i32> = profile
        .rules
        .iter()
        .filter(|r| r.action == Action::Errno)
        .map(|r| errno(r.errno_ret))
        .collect();
    if profile.default_action == Some(Action::Errno) {
        out.extend([errno(profile.default_errno_ret), EPERM]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The comparable part of a record: what the call did, ignoring values that legitimately vary
/// between runs (pids, fd numbers, addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Returned,
    Errno(i32),
    Signal(i32),
    Exited(i32),
    Trapped,
    TimedOut,
}

fn shape(r: &CaseRecord) -> Shape {
    if r.timed_out {
        Shape::TimedOut
    } else if r.sigsys.is_some_and(|s| s.code == SYS_SECCOMP) {
        Shape::Trapped
    } else if let Some(sig) = r.signal {
        Shape::Signal(sig)
    } else if let Some(errno) = r.errno {
        Shape::Errno(errno)
    } else if let Some(status) = r.exit_status {
        Shape::Exited(status)
    } else {
        Shape::Returned
    }
}

/// Whether two records of one case show the same behaviour (values that legitimately vary
/// between runs aside): how builtin is compared with upstream's profile run as a file.
pub fn same_behaviour(a: &CaseRecord, b: &CaseRecord) -> bool {
    shape(a) == shape(b)
}

/// A record's behaviour in words, for notes: `returned`, `errno 1`, `signal 31`.
pub fn describe_record(r: &CaseRecord) -> String {
    match shape(r) {
        Shape::Returned => "returned".into(),
        Shape::Errno(e) => format!("errno {e}"),
        Shape::Signal(s) => format!("signal {s}"),
        Shape::Exited(s) => format!("exited {s}"),
        Shape::Trapped => "trapped".into(),
        Shape::TimedOut => "timed out".into(),
    }
}

/// Classifies one cell; `slot` is the case's syscall as the filter sees it (sentinels are
/// allocated per syscall, so the errno alone does not name a rule). The steps, in the order
/// they decide: what stopped the call ([`stopped`]), an errno the tagged run attributes
/// ([`Evidence::attributed`]), then the comparison with the baseline ([`like_baseline`],
/// [`unlike_baseline`]).
pub fn classify(slot: Slot, runs: CaseRuns<'_>, attribution: &Attribution<'_>) -> Observed {
    let Some(rec) = runs.observed else {
        return observed(
            Outcome::NotRun,
            None,
            None,
            None,
            Some("the probe gave no record".into()),
        );
    };
    let seen = shape(rec);
    let base = runs.baseline.map(shape);
    if let Some(o) = stopped(rec, seen, base) {
        return o;
    }
    let evidence = Evidence::read(slot, seen, runs.tagged, attribution);
    if let Shape::Errno(errno) = seen {
        if let Some(o) = evidence.attributed(errno) {
            return o;
        }
    }
    let Some(base) = base else {
        return observed(
            Outcome::Ambiguous,
            rec.errno,
            rec.signal,
            None,
            Some("no baseline record to compare with".into()),
        );
    };
    if seen == base {
        like_baseline(seen, evidence.silent, attribution)
    } else {
        unlike_baseline(seen, base, evidence.silent, attribution)
    }
}

/// A call the filter or the watchdog stopped, whatever the other runs say: a timeout, a
/// seccomp trap, or a SIGSYS death the baseline did not die of.
fn stopped(rec: &CaseRecord, seen: Shape, base: Option<Shape>) -> Option<Observed> {
    match seen {
        Shape::TimedOut => Some(observed(Outcome::Timeout, None, None, None, None)),
        Shape::Trapped => {
            let info = rec.sigsys.unwrap_or_default();
            Some(observed(
                Outcome::Trapped,
                Some(info.errno),
                Some(SIGSYS),
                None,
                None,
            ))
        }
        Shape::Signal(SIGSYS) if base != Some(Shape::Signal(SIGSYS)) => {
            Some(observed(Outcome::Killed, None, Some(SIGSYS), None, None))
        }
        _ => None,
    }
}

/// Why the tagged run can't speak for a case ([`TaggedRun::Silent`]), and the errnos the
/// filter could have answered there.
#[derive(Debug, Clone, Copy)]
struct Silence<'a> {
    why: &'a str,
    filter_errnos: &'a [i32],
}

/// What the tagged run says about one case, read before the as-is run is compared with the
/// baseline.
#[derive(Debug, Clone, Copy, Default)]
struct Evidence<'a> {
    /// The rule (or the default) whose sentinel or trap the tagged run showed.
    rule: Option<RuleRef>,
    /// The tagged run answered the sentinel that rules without one of their own share.
    shared: bool,
    /// A trapping tagged run ([`Attribution::Trapping`]) trapped: the filter denied the call.
    filter_denied: bool,
    silent: Option<Silence<'a>>,
}

impl<'a> Evidence<'a> {
    /// Reads the tagged run of the case on `slot`, whose as-is run showed `seen`.
    fn read(
        slot: Slot,
        seen: Shape,
        tagged: TaggedRun<'a>,
        attribution: &Attribution<'a>,
    ) -> Evidence<'a> {
        // A trapping copy's runtime answers EPERM for every errno
        // (`runtime::Runtime::rewritten_errno`): the only errno its filter can answer.
        let silent = match (attribution, tagged) {
            (Attribution::Tagged { errnos, .. }, TaggedRun::Silent(why)) => Some(Silence {
                why,
                filter_errnos: errnos,
            }),
            (Attribution::Trapping, TaggedRun::Silent(why)) => Some(Silence {
                why,
                filter_errnos: &[EPERM],
            }),
            _ => None,
        };
        let tagged = tagged.record().map(shape);
        let mut evidence = Evidence {
            silent,
            filter_denied: matches!(attribution, Attribution::Trapping)
                && tagged == Some(Shape::Trapped),
            ..Evidence::default()
        };
        match (attribution, tagged) {
            (Attribution::Tagged { sentinels, .. }, Some(Shape::Errno(sentinel))) => {
                match sentinels.attribute_slot(slot, sentinel) {
                    Attributed::Rule(rule) => evidence.rule = Some(rule),
                    Attributed::Shared => evidence.shared = true,
                    Attributed::None => {}
                }
            }
            (
                Attribution::Tagged {
                    default_traps: true,
                    ..
                },
                Some(Shape::Trapped),
            ) => evidence.rule = Some(RuleRef::DEFAULT),
            // The tagged copy's default traps, but a probe that may not install its SIGSYS
            // handler (a profile that denies rt_sigaction) dies of the trap instead of
            // recording it. Where the as-is run got an errno, the copy's ERRNO rules would
            // have answered a sentinel and its kills and bad-arch action would have killed the
            // as-is run too: the signal is the default's trap.
            (
                Attribution::Tagged {
                    default_traps: true,
                    ..
                },
                Some(Shape::Signal(SIGSYS)),
            ) if matches!(seen, Shape::Errno(_)) => evidence.rule = Some(RuleRef::DEFAULT),
            _ => {}
        }
        evidence
    }

    /// An errno of the as-is run that the tagged run shows to be the filter's: a rule's (or the
    /// default's) sentinel, a trap of the trapping copy, or the shared sentinel.
    fn attributed(&self, errno: i32) -> Option<Observed> {
        if let Some(rule) = self.rule {
            return Some(observed(
                Outcome::Errno,
                Some(errno),
                None,
                Some(rule),
                None,
            ));
        }
        let note = if self.filter_denied {
            crate::runtime::prose::TRAPPING_DENIAL
        } else if self.shared {
            "denied by an ERRNO rule without a sentinel of its own (one no case was expected to match, or one beyond the 1,000 sentinels of its syscall): not attributed to a rule"
        } else {
            return None;
        };
        Some(observed(
            Outcome::Errno,
            Some(errno),
            None,
            None,
            Some(note.to_string()),
        ))
    }
}

/// The as-is run answered as the unconfined baseline did.
fn like_baseline(
    seen: Shape,
    silent: Option<Silence<'_>>,
    attribution: &Attribution<'_>,
) -> Observed {
    match (seen, attribution) {
        // No tagged record to tell a rule's answer from the kernel's (a profile may deny with
        // the very errno the kernel gives, as an ERRNO default's EPERM without
        // CAP_SYS_ADMIN): neither "allowed" nor the filter's.
        (Shape::Errno(e), _) if silent.is_some_and(|s| s.filter_errnos.contains(&e)) => observed(
            Outcome::Ambiguous,
            Some(e),
            None,
            None,
            Some(format!(
                "errno {e} here and unconfined alike, and the filter's answer can't be told from the kernel's: not attributed: {}",
                silent.map(|s| s.why).unwrap_or_default()
            )),
        ),
        (Shape::Errno(ENOSYS), _) => observed(Outcome::Absent, Some(ENOSYS), None, None, None),
        (Shape::Errno(e @ EPERM), Attribution::Untaggable) => observed(
            Outcome::Ambiguous,
            Some(e),
            None,
            None,
            Some("EPERM both here and unconfined: the untaggable builtin profile may deny it too".into()),
        ),
        _ => observed(Outcome::Allowed, None, None, None, None),
    }
}

/// The as-is run answered otherwise than the unconfined baseline (`base`), and nothing above
/// attributed it: [`stopped`] took the timeouts, traps and SIGSYS deaths.
fn unlike_baseline(
    seen: Shape,
    base: Shape,
    silent: Option<Silence<'_>>,
    attribution: &Attribution<'_>,
) -> Observed {
    match seen {
        // No case blocks unconfined (the probe wakes `pause`), so a baseline's timeout is a
        // starved machine's, and what the kernel answers alone is unknown: an errno here can be
        // the filter's or the kernel's. Without this, the kernel's EINVAL for recvmmsg read as
        // a denial in both +SYS_ADMIN configurations on sid's 7.2 under TCG.
        Shape::Errno(e) if base == Shape::TimedOut => observed(
            Outcome::Ambiguous,
            Some(e),
            None,
            None,
            Some(format!(
                "errno {e} here, but the unconfined baseline timed out on this case, so the \
                 kernel's own answer is unknown: not attributed"
            )),
        ),
        Shape::Errno(errno) => {
            let note = match (silent, attribution) {
                (Some(s), _) => Some(format!("not attributed: {}", s.why)),
                (None, Attribution::Tagged { .. }) => {
                    Some(crate::runtime::prose::NO_SENTINEL.to_string())
                }
                (None, Attribution::NoFilter) => {
                    Some("differs from a second unconfined run".to_string())
                }
                (None, Attribution::Trapping) => Some(
                    "denied, but the tagged run did not trap: not an ERRNO rule or default"
                        .to_string(),
                ),
                (None, Attribution::Untaggable) => None,
            };
            observed(Outcome::Errno, Some(errno), None, None, note)
        }
        Shape::Signal(sig) => observed(
            Outcome::Ambiguous,
            None,
            Some(sig),
            None,
            Some(format!("died of signal {sig}; the baseline gave {base:?}")),
        ),
        Shape::Returned | Shape::Exited(_) => observed(
            Outcome::Allowed,
            None,
            None,
            None,
            Some(format!("succeeded here but the baseline gave {base:?}")),
        ),
        Shape::Trapped | Shape::TimedOut => unreachable!("`stopped` decides traps and timeouts"),
    }
}

fn observed(
    outcome: Outcome,
    errno: Option<i32>,
    signal: Option<i32>,
    rule: Option<RuleRef>,
    note: Option<String>,
) -> Observed {
    Observed {
        outcome,
        errno,
        signal,
        rule,
        note,
    }
}

/// Compares a classified cell with the oracle's prediction.
pub fn verdict(observed: &Observed, expected: Option<&Expected>) -> Verdict {
    let Some(expected) = expected else {
        return Verdict::Unpredicted;
    };
    // An errno that may be the filter's or the kernel's: it fits a prediction that the filter
    // answers that errno, and one that the filter lets the call through to the kernel, but
    // proves neither. Any other prediction (a kill, a trap, another errno) it contradicts.
    if let (Outcome::Ambiguous, Some(e)) = (observed.outcome, observed.errno) {
        let fits = match expected.outcome {
            Outcome::Allowed => true,
            Outcome::Errno => expected.errno == Some(e),
            _ => false,
        };
        return if fits {
            Verdict::Undecided
        } else {
            Verdict::Fail
        };
    }
    let outcome_matches = match (observed.outcome, expected.outcome) {
        (a, b) if a == b => true,
        // A syscall the kernel lacks answers ENOSYS whatever the filter allows, and the
        // runtime's ENOSYS stub answers the same: the two can't be told apart.
        (Outcome::Absent, Outcome::Allowed) => true,
        (Outcome::Absent, Outcome::Errno) => expected.errno == Some(ENOSYS),
        _ => false,
    };
    let errno_matches = match observed.outcome {
        Outcome::Errno | Outcome::Trapped => observed.errno == expected.errno,
        _ => true,
    };
    let rule_matches = match (observed.rule, expected.rule) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if outcome_matches && errno_matches && rule_matches {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_catalog::record::SigsysInfo;

    fn ok() -> CaseRecord {
        CaseRecord::returned(0)
    }
    fn errno(e: i32) -> CaseRecord {
        CaseRecord::failed(e)
    }
    fn signal(s: i32) -> CaseRecord {
        CaseRecord {
            signal: Some(s),
            ..Default::default()
        }
    }

    const SLOT: Slot = Slot {
        abi: seccomp_catalog::Abi::X86_64,
        nr: 103,
        call: None,
    };

    fn sentinels(entries: &[(Slot, i32, RuleRef)]) -> Sentinels {
        let mut s = Sentinels::default();
        for (slot, errno, rule) in entries {
            s.insert(*slot, *errno, *rule);
        }
        s
    }

    /// The errnos of an allow-list whose ERRNO default answers EPERM.
    const EPERM_ONLY: &[i32] = &[EPERM];

    fn tagged(map: &Sentinels, default_traps: bool) -> Attribution<'_> {
        Attribution::Tagged {
            sentinels: map,
            default_traps,
            errnos: EPERM_ONLY,
        }
    }

    fn trap(nr: i32) -> CaseRecord {
        CaseRecord {
            sigsys: Some(SigsysInfo {
                code: 1,
                syscall: nr,
                errno: 0,
                arch: 0xc000_003e,
            }),
            ..errno(38)
        }
    }

    /// A file profile's attribution is its tagged copy's sentinels, unless the runtime's
    /// errnos carry none: then only a trap can say the filter denied.
    #[test]
    fn a_tagged_profile_attributes_by_sentinel_unless_the_runtime_traps() {
        let profile = crate::profile::parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["syslog"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
            "p.json",
        )
        .unwrap();
        let (t, errnos) = (
            crate::profile::tag_for(&profile, true),
            filter_errnos(&profile),
        );
        let by_sentinel = Attribution::of_tagged(&t, false, &errnos);
        let Attribution::Tagged {
            sentinels,
            default_traps,
            errnos: e,
        } = &by_sentinel
        else {
            panic!("a runtime that returns sentinels attributes by them: {by_sentinel:?}");
        };
        assert!(std::ptr::eq(*sentinels, &t.sentinels) && *default_traps && *e == &errnos[..]);
        let sentinel = i32::try_from(t.profile.rules[0].errno_ret.unwrap()).unwrap();
        let got = classify(
            SLOT,
            runs(&errno(13), &ok(), Some(&errno(sentinel))),
            &by_sentinel,
        );
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Errno, Some(RuleRef::Index(0)))
        );
        assert!(matches!(
            Attribution::of_tagged(&t, true, &errnos),
            Attribution::Trapping
        ));
    }

    /// An EPERM in the as-is run and in the baseline, beside a tagged run that ended in
    /// SIGSYS (`tagged_run`): the errno default's where the tagged copy traps its default,
    /// and the kernel's own answer (allowed) where it doesn't.
    fn an_eperm_is_the_errno_defaults_where_the_tagged_copy_traps_it(tagged_run: &CaseRecord) {
        let (o, b) = (errno(1), errno(1));
        let map = Sentinels::default();
        let got = classify(SLOT, runs(&o, &b, Some(tagged_run)), &tagged(&map, true));
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Errno, Some(1), Some(RuleRef::DEFAULT))
        );
        let got = classify(SLOT, runs(&o, &b, Some(tagged_run)), &tagged(&map, false));
        assert_eq!(got.outcome, Outcome::Allowed);
    }

    #[test]
    fn a_tagged_run_killed_by_its_trapping_default_is_the_errno_defaults() {
        // SPO's base profile for the default runtime allows no rt_sigaction: the tagged probe has no SIGSYS
        // handler, so the copy's trapping default kills it (measured on Docker 20.10.24 and
        // containerd 1.7.24 and 2.1.9: syslog, setsid, mkdir).
        let t = signal(SIGSYS);
        an_eperm_is_the_errno_defaults_where_the_tagged_copy_traps_it(&t);
        // Nor where the as-is run was killed too.
        let (b, map) = (errno(1), Sentinels::default());
        let killed = signal(SIGSYS);
        let got = classify(SLOT, runs(&killed, &b, Some(&t)), &tagged(&map, true));
        assert_eq!((got.outcome, got.rule), (Outcome::Killed, None));
    }

    #[test]
    fn a_trap_in_the_tagged_run_is_the_errno_defaults() {
        // Without CAP_SYS_ADMIN the kernel answers EPERM too: the tagged run's trap tells.
        let t = trap(103);
        an_eperm_is_the_errno_defaults_where_the_tagged_copy_traps_it(&t);
        let map = Sentinels::default();
        // A call the filter lets through is not attributed.
        let (o, b) = (errno(22), errno(22));
        let got = classify(SLOT, runs(&o, &b, Some(&errno(22))), &tagged(&map, true));
        assert_eq!(got.outcome, Outcome::Allowed);
        // A trap in the as-is run is a TRAP rule's, whatever the tagged run did.
        let got = classify(SLOT, runs(&trap(103), &ok(), Some(&t)), &tagged(&map, true));
        assert_eq!(got.outcome, Outcome::Trapped);
    }

    #[test]
    fn an_errno_against_a_timed_out_baseline_is_not_a_denial() {
        // The kernel's EINVAL for recvmmsg (all-ones flags hold MSG_CMSG_COMPAT) where the
        // baseline timed out and the tagged run got no sentinel: it read as the filter's errno.
        let timed_out = CaseRecord {
            timed_out: true,
            ..Default::default()
        };
        let (o, t) = (errno(22), errno(22));
        let map = Sentinels::default();
        let got = classify(SLOT, runs(&o, &timed_out, Some(&t)), &tagged(&map, false));
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Ambiguous, Some(22), None)
        );
        assert!(got.note.as_deref().unwrap().contains("baseline timed out"));
        let allowed = Expected {
            outcome: Outcome::Allowed,
            errno: None,
            rule: None,
            note: None,
        };
        assert_eq!(verdict(&got, Some(&allowed)), Verdict::Undecided);
        // A sentinel still names its rule, and a success is still the call let through.
        let map = sentinels(&[(SLOT, 3001, RuleRef::Index(0))]);
        let got = classify(
            SLOT,
            runs(&o, &timed_out, Some(&errno(3001))),
            &tagged(&map, false),
        );
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Errno, Some(RuleRef::Index(0)))
        );
        let got = classify(
            SLOT,
            runs(&ok(), &timed_out, Some(&ok())),
            &tagged(&map, false),
        );
        assert_eq!(got.outcome, Outcome::Allowed);
    }

    fn runs<'a>(o: &'a CaseRecord, b: &'a CaseRecord, t: Option<&'a CaseRecord>) -> CaseRuns<'a> {
        CaseRuns {
            observed: Some(o),
            baseline: Some(b),
            tagged: t.map_or(TaggedRun::None, TaggedRun::Record),
        }
    }

    fn silent<'a>(o: &'a CaseRecord, b: &'a CaseRecord, why: &'a str) -> CaseRuns<'a> {
        CaseRuns {
            observed: Some(o),
            baseline: Some(b),
            tagged: TaggedRun::Silent(why),
        }
    }

    const UNREACHED: &str =
        "the tagged run did not reach this case (stopped after 256 containers (restart limit))";

    #[test]
    fn a_filters_errnos_are_its_errno_rules_and_default() {
        let p = crate::profile::parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
              {"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
              {"names":["rmdir"],"action":"SCMP_ACT_ERRNO"},
              {"names":["open"],"action":"SCMP_ACT_TRACE","errnoRet":5}]}"#,
            "p",
        )
        .unwrap();
        assert_eq!(filter_errnos(&p), [1, 13, 38]);
    }

    #[test]
    fn the_kernels_errno_with_a_silent_tagged_run_is_undecided() {
        // SPO's base profile for the default runtime on Docker 20.10.24 and containerd 1.7.24 and 2.1.9: the
        // ERRNO default answers EPERM for unshare(CLONE_NEWNS) and fsopen, and so does the
        // kernel without CAP_SYS_ADMIN; the tagged run never reached them. The cells read
        // "allowed" and failed against the default's predicted EPERM (and would have passed,
        // unproven, against a prediction of "allowed").
        let (o, b) = (errno(1), errno(1));
        let map = Sentinels::default();
        let got = classify(SLOT, silent(&o, &b, UNREACHED), &tagged(&map, true));
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Ambiguous, Some(1), None)
        );
        let note = got.note.clone().unwrap();
        assert!(note.contains(UNREACHED), "{note}");
        let exp = |outcome, errno| Expected {
            outcome,
            errno,
            rule: Some(RuleRef::DEFAULT),
            note: None,
        };
        // It fits the default's EPERM and the filter letting the call through alike.
        assert_eq!(
            verdict(&got, Some(&exp(Outcome::Errno, Some(1)))),
            Verdict::Undecided
        );
        assert_eq!(
            verdict(&got, Some(&exp(Outcome::Allowed, None))),
            Verdict::Undecided
        );
        // A kill or another errno would have shown: those predictions fail.
        assert_eq!(
            verdict(&got, Some(&exp(Outcome::Killed, None))),
            Verdict::Fail
        );
        assert_eq!(
            verdict(&got, Some(&exp(Outcome::Errno, Some(13)))),
            Verdict::Fail
        );
        // A trapping copy (`runtime::Runtime::returns_sentinels`), silent the same way.
        let got = classify(SLOT, silent(&o, &b, UNREACHED), &Attribution::Trapping);
        assert_eq!(got.outcome, Outcome::Ambiguous);
    }

    #[test]
    fn a_silent_tagged_run_leaves_what_the_baseline_decides() {
        let map = Sentinels::default();
        let t = tagged(&map, true);
        // Denied where the kernel allows it: the filter's, not attributed, with the reason.
        let (o, b) = (errno(1), ok());
        let why = "the tagged copy allows rt_sigaction on purpose";
        let got = classify(SLOT, silent(&o, &b, why), &t);
        assert_eq!((got.outcome, got.rule), (Outcome::Errno, None));
        assert_eq!(
            got.note.as_deref(),
            Some(format!("not attributed: {why}").as_str())
        );
        // Succeeded as unconfined: no filter answers with success.
        let got = classify(SLOT, silent(&ok(), &ok(), why), &t);
        assert_eq!(got.outcome, Outcome::Allowed);
        // EBADF as unconfined, which this filter (EPERM only) can't answer: the kernel's.
        let got = classify(SLOT, silent(&errno(9), &errno(9), why), &t);
        assert_eq!(got.outcome, Outcome::Allowed);
        // A profile whose rule answers EBADF could have: undecided.
        let ebadf = Attribution::Tagged {
            sentinels: &map,
            default_traps: true,
            errnos: &[1, 9],
        };
        let got = classify(SLOT, silent(&errno(9), &errno(9), why), &ebadf);
        assert_eq!((got.outcome, got.errno), (Outcome::Ambiguous, Some(9)));
        // ENOSYS as unconfined: the kernel lacks the call.
        let got = classify(SLOT, silent(&errno(38), &errno(38), why), &t);
        assert_eq!(got.outcome, Outcome::Absent);
        // Unconfined has no tagged run to be silent: its errno is the kernel's.
        let got = classify(SLOT, silent(&o, &errno(1), why), &Attribution::NoFilter);
        assert_eq!(got.outcome, Outcome::Allowed);
    }

    #[test]
    fn same_as_baseline_is_allowed_even_when_it_failed() {
        let (o, b) = (errno(9), errno(9));
        let map = Sentinels::default();
        let got = classify(SLOT, runs(&o, &b, Some(&errno(9))), &tagged(&map, false));
        assert_eq!(got.outcome, Outcome::Allowed);
    }

    #[test]
    fn a_sentinel_attributes_an_eperm_the_kernel_would_also_give() {
        // Without CAP_SYS_ADMIN the kernel answers EPERM too: only the tagged run can tell.
        let (o, b, t) = (errno(1), errno(1), errno(3007));
        let map = sentinels(&[(SLOT, 3007, RuleRef::Index(7))]);
        let got = classify(SLOT, runs(&o, &b, Some(&t)), &tagged(&map, false));
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Errno, Some(1), Some(RuleRef::Index(7)))
        );
        // The same value on another syscall stands for another rule, or for none.
        let other = Slot::direct(seccomp_catalog::Abi::X86_64, 39);
        let map = sentinels(&[
            (SLOT, 3007, RuleRef::Index(7)),
            (other, 3007, RuleRef::Index(2)),
        ]);
        let got = classify(other, runs(&o, &b, Some(&t)), &tagged(&map, false));
        assert_eq!(got.rule, Some(RuleRef::Index(2)));
        let got = classify(
            Slot::direct(seccomp_catalog::Abi::I386, 20),
            runs(&o, &b, Some(&t)),
            &tagged(&map, false),
        );
        assert_eq!(got.rule, None);
    }

    #[test]
    fn builtin_eperm_equal_to_baseline_is_ambiguous() {
        let (o, b) = (errno(1), errno(1));
        let got = classify(SLOT, runs(&o, &b, None), &Attribution::Untaggable);
        assert_eq!(got.outcome, Outcome::Ambiguous);
        let (o, b) = (errno(1), ok());
        assert_eq!(
            classify(SLOT, runs(&o, &b, None), &Attribution::Untaggable).outcome,
            Outcome::Errno
        );
    }

    #[test]
    fn enosys_in_baseline_and_here_is_absent() {
        let (o, b) = (errno(38), errno(38));
        let got = classify(SLOT, runs(&o, &b, None), &Attribution::NoFilter);
        assert_eq!(got.outcome, Outcome::Absent);
    }

    #[test]
    fn sigsys_death_is_killed_and_handled_sigsys_is_trapped() {
        let (o, b) = (signal(31), ok());
        assert_eq!(
            classify(SLOT, runs(&o, &b, None), &Attribution::Untaggable).outcome,
            Outcome::Killed
        );
        let trapped = CaseRecord {
            sigsys: Some(SigsysInfo {
                code: 1,
                syscall: 39,
                errno: 5,
                arch: 0xc000_003e,
            }),
            ..errno(38)
        };
        let got = classify(SLOT, runs(&trapped, &b, None), &Attribution::Untaggable);
        assert_eq!((got.outcome, got.errno), (Outcome::Trapped, Some(5)));
    }

    #[test]
    fn other_signals_matching_the_baseline_are_allowed() {
        let (o, b) = (signal(11), signal(11));
        assert_eq!(
            classify(SLOT, runs(&o, &b, None), &Attribution::NoFilter).outcome,
            Outcome::Allowed
        );
    }

    #[test]
    fn missing_record_is_not_run() {
        let got = classify(SLOT, CaseRuns::default(), &Attribution::NoFilter);
        assert_eq!(got.outcome, Outcome::NotRun);
    }

    #[test]
    fn verdicts_compare_outcome_errno_and_rule() {
        let exp = |outcome, errno, rule| Expected {
            outcome,
            errno,
            rule,
            note: None,
        };
        let obs = |outcome, errno, rule| Observed {
            outcome,
            errno,
            signal: None,
            rule,
            note: None,
        };
        let e1 = obs(Outcome::Errno, Some(1), Some(RuleRef::Index(3)));
        assert_eq!(
            verdict(
                &e1,
                Some(&exp(Outcome::Errno, Some(1), Some(RuleRef::Index(3))))
            ),
            Verdict::Pass
        );
        assert_eq!(
            verdict(
                &e1,
                Some(&exp(Outcome::Errno, Some(1), Some(RuleRef::Index(4))))
            ),
            Verdict::Fail
        );
        assert_eq!(
            verdict(&e1, Some(&exp(Outcome::Errno, Some(38), None))),
            Verdict::Fail
        );
        assert_eq!(
            verdict(&e1, Some(&exp(Outcome::Allowed, None, None))),
            Verdict::Fail
        );
        assert_eq!(verdict(&e1, None), Verdict::Unpredicted);
        let absent = obs(Outcome::Absent, Some(38), None);
        assert_eq!(
            verdict(&absent, Some(&exp(Outcome::Allowed, None, None))),
            Verdict::Pass
        );
        assert_eq!(
            verdict(
                &absent,
                Some(&exp(Outcome::Errno, Some(38), Some(RuleRef::ENOSYS_STUB)))
            ),
            Verdict::Pass
        );
    }

    /// The first step: what stopped the call decides, whatever the tagged run says.
    #[test]
    fn stopped_takes_timeouts_traps_and_sigsys_deaths_the_baseline_lacks() {
        let timed_out = CaseRecord {
            timed_out: true,
            ..ok()
        };
        let base = Some(Shape::Returned);
        let o = stopped(&timed_out, shape(&timed_out), base).unwrap();
        assert_eq!(o.outcome, Outcome::Timeout);
        let t = trap(39);
        assert_eq!(
            stopped(&t, shape(&t), base).unwrap().outcome,
            Outcome::Trapped
        );
        let killed = signal(SIGSYS);
        let o = stopped(&killed, shape(&killed), base).unwrap();
        assert_eq!((o.outcome, o.signal), (Outcome::Killed, Some(SIGSYS)));
        // A SIGSYS death unconfined too is the kernel's, and an errno is left to the next steps.
        assert!(stopped(&killed, shape(&killed), Some(Shape::Signal(SIGSYS))).is_none());
        assert!(stopped(&errno(1), Shape::Errno(1), base).is_none());
    }

    /// The second step reads the tagged run once: a rule's sentinel, the shared sentinel, a
    /// trap of the trapping copy, or why it is silent.
    #[test]
    fn evidence_names_a_rule_the_shared_sentinel_a_trap_or_the_silence() {
        let map = sentinels(&[(SLOT, 3000, RuleRef::Index(2))]);
        let rec = errno(3000);
        let e = Evidence::read(
            SLOT,
            Shape::Errno(1),
            TaggedRun::Record(&rec),
            &tagged(&map, true),
        );
        assert_eq!(e.rule, Some(RuleRef::Index(2)));
        assert_eq!(e.attributed(1).unwrap().rule, Some(RuleRef::Index(2)));
        // No sentinel of a rule on this slot: nothing attributed, nothing silent.
        let other = errno(3001);
        let e = Evidence::read(
            SLOT,
            Shape::Errno(1),
            TaggedRun::Record(&other),
            &tagged(&map, true),
        );
        assert!(e.attributed(1).is_none() && e.silent.is_none());
        let t = trap(39);
        let e = Evidence::read(
            SLOT,
            Shape::Errno(1),
            TaggedRun::Record(&t),
            &Attribution::Trapping,
        );
        let o = e.attributed(1).unwrap();
        assert_eq!((o.outcome, o.rule), (Outcome::Errno, None));
        assert!(o.note.unwrap().starts_with("denied by the filter"));
        let e = Evidence::read(
            SLOT,
            Shape::Errno(1),
            TaggedRun::Silent("why"),
            &Attribution::Trapping,
        );
        let s = e.silent.unwrap();
        assert_eq!((s.why, s.filter_errnos), ("why", &[EPERM][..]));
    }

    /// The last steps compare with the baseline; `base` is what the note quotes.
    #[test]
    fn like_and_unlike_the_baseline() {
        let silent = Some(Silence {
            why: "its copy failed to start",
            filter_errnos: &[EPERM],
        });
        let o = like_baseline(Shape::Errno(EPERM), silent, &Attribution::NoFilter);
        assert_eq!(o.outcome, Outcome::Ambiguous);
        assert!(o
            .note
            .unwrap()
            .ends_with("not attributed: its copy failed to start"));
        let o = like_baseline(Shape::Errno(ENOSYS), None, &Attribution::NoFilter);
        assert_eq!(o.outcome, Outcome::Absent);
        let o = like_baseline(Shape::Errno(EPERM), None, &Attribution::NoFilter);
        assert_eq!(o.outcome, Outcome::Allowed);
        let map = Sentinels::default();
        let o = unlike_baseline(Shape::Errno(13), Shape::Returned, None, &tagged(&map, true));
        assert_eq!((o.outcome, o.errno), (Outcome::Errno, Some(13)));
        let o = unlike_baseline(
            Shape::Returned,
            Shape::Errno(1),
            None,
            &Attribution::NoFilter,
        );
        assert_eq!(
            o.note.as_deref(),
            Some("succeeded here but the baseline gave Errno(1)")
        );
        let o = unlike_baseline(
            Shape::Signal(9),
            Shape::Returned,
            None,
            &Attribution::NoFilter,
        );
        assert_eq!((o.outcome, o.signal), (Outcome::Ambiguous, Some(9)));
    }
}
