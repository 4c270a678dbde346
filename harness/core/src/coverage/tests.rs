use super::*;
use crate::matrix::{Expected, Observed};
use crate::profile::{parse_str, resolve, CapSet, Host, KernelVersion};
use seccomp_catalog::Arch;

const PROFILE: &str = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":64,"op":"SCMP_CMP_LE"}]},
    {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
    {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":5},
    {"names":["getuid"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
    {"names":["dup"],"action":"SCMP_ACT_ALLOW"},
    {"names":["dup"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":8,"op":"SCMP_CMP_LE"}]}]}"#;

fn cell(case: &str, syscall: &str, outcome: Outcome, errno: Option<i32>, rule: RuleRef) -> Cell {
    Cell {
        configuration: "p".into(),
        profile: "p".into(),
        caps: vec![],
        case: case.into(),
        syscall: syscall.into(),
        abi: "x86_64".into(),
        observed: Observed {
            outcome,
            errno,
            signal: None,
            rule: (outcome == Outcome::Errno).then_some(rule),
            note: None,
        },
        expected: Expected {
            outcome,
            errno,
            rule: Some(rule),
            note: None,
        },
        verdict: Verdict::Pass,
    }
}

fn coverage_with(cells: &[Cell], start_error: Option<&str>) -> Coverage {
    let p = parse_str(PROFILE, "p.json").unwrap();
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 18),
    );
    let r = resolve(&p, &host);
    let o = Oracle::new(&r);
    let cells: Vec<&Cell> = cells.iter().collect();
    of(&Input {
        configuration: "p",
        profile_name: "p",
        profile: &p,
        resolved: &r,
        oracle: &o,
        cells: &cells,
        not_generated: &[],
        start_error,
    })
}

fn coverage_of(cells: &[Cell]) -> Coverage {
    coverage_with(cells, None)
}

fn rule(c: &Coverage, i: usize) -> &RuleCoverage {
    c.rules
        .iter()
        .find(|r| r.rule == i && r.abi == "x86_64")
        .unwrap()
}

#[test]
fn an_argument_rule_is_proven_by_a_hit_and_a_miss_with_another_answer() {
    let allowed = |id: &str| cell(id, "read", Outcome::Allowed, None, RuleRef::Index(0));
    let denied = |id: &str| cell(id, "read", Outcome::Errno, Some(1), RuleRef::DEFAULT);
    let c = coverage_of(&[allowed("read[arg0==0x40]")]);
    assert_eq!(rule(&c, 0).state, RuleState::HitOnly);
    assert!(rule(&c, 0)
        .reason
        .as_deref()
        .unwrap()
        .contains("fell outside"));
    let c = coverage_of(&[denied("read"), allowed("read[arg0==0x40]")]);
    let r = rule(&c, 0);
    assert_eq!(r.state, RuleState::Proven, "{r:?}");
    assert_eq!(r.hit.as_deref(), Some("read[arg0==0x40]"));
    assert_eq!(r.miss.as_deref(), Some("read"));
    assert_eq!(r.conditions, ["arg0 <= 0x40"]);
    let c = coverage_of(&[denied("read")]);
    assert_eq!(rule(&c, 0).state, RuleState::MissOnly);
}

#[test]
fn an_errno_hit_needs_the_tagged_runs_attribution() {
    let mut getppid = cell(
        "getppid",
        "getppid",
        Outcome::Errno,
        Some(5),
        RuleRef::Index(2),
    );
    getppid.observed.rule = None;
    let c = coverage_of(std::slice::from_ref(&getppid));
    assert_eq!(rule(&c, 2).state, RuleState::NotExercised);
    getppid.observed.rule = Some(RuleRef::Index(2));
    let c = coverage_of(&[getppid]);
    let r = rule(&c, 2);
    assert_eq!(r.state, RuleState::Proven);
    assert!(r.reason.as_deref().unwrap().contains("no conditions"));
}

#[test]
fn rules_out_of_the_filter_and_shadowed_rules_are_named_and_counted_apart() {
    let c = coverage_of(&[cell(
        "getpid",
        "getpid",
        Outcome::Allowed,
        None,
        RuleRef::Index(1),
    )]);
    let uid = rule(&c, 3);
    assert_eq!(uid.state, RuleState::NotInFilter);
    assert!(
        uid.reason.as_deref().unwrap().contains("CAP_SYS_ADMIN"),
        "{uid:?}"
    );
    let dup = rule(&c, 5);
    assert_eq!(dup.state, RuleState::NotExercised);
    assert!(dup
        .reason
        .as_deref()
        .unwrap()
        .contains("shadowed by syscalls[4]"));
    let f = &c.figures[0];
    assert_eq!(
        (f.abi.as_str(), f.proven, f.rules, f.not_in_filter),
        ("x86_64", 1, 5, 1)
    );
    assert_eq!((f.argument_proven, f.argument_rules), (0, 2));
    assert_eq!(below(std::slice::from_ref(&c), 20.0).len(), 0);
    assert_eq!(below(std::slice::from_ref(&c), 20.1).len(), 1);
    assert!(
        summary_line(&c).starts_with("x86_64 1/5 (20%), argument rules 0/2, 1 not in the filter"),
        "{}",
        summary_line(&c)
    );
}

#[test]
fn a_configuration_that_never_ran_says_so_for_every_rule() {
    let c = coverage_with(&[], Some("the runtime could not start it"));
    assert!(c
        .rules
        .iter()
        .filter(|r| r.state != RuleState::NotInFilter)
        .all(|r| r.state == RuleState::NotExercised
            && r.reason
                .as_deref()
                .unwrap()
                .contains("the runtime could not start it")));
}

/// A runtime that ignores the profile (one that applies it only when its arguments say so)
/// answers every case as unconfined: the cells are `not_enforced`, and each rule names that, not "no case matched".
#[test]
fn a_profile_the_runtime_does_not_enforce_names_that_reason() {
    let mut c = cell("read", "read", Outcome::Allowed, None, RuleRef::Index(0));
    c.verdict = Verdict::NotEnforced;
    c.observed.note = Some("rt-b runs without --enforce-profiles".into());
    let cov = coverage_with(&[c], None);
    let read = cov.rules.iter().find(|r| r.syscall == "read").unwrap();
    assert_ne!(read.state, RuleState::Proven);
    let why = read.reason.as_deref().unwrap();
    assert!(why.starts_with("not enforced"), "{why}");
    assert!(why.contains("--enforce-profiles"), "{why}");
    assert!(cov.figures[0].proven == 0, "{:?}", cov.figures);
}

/// The figure counts per ABI, the rules not in the filter apart.
#[test]
fn a_figure_counts_proven_rules_and_argument_rules_of_its_abi() {
    let rc = |rule: usize, abi: &str, conditions: &[&str], state: RuleState| RuleCoverage {
        rule,
        syscall: "read".into(),
        abi: abi.into(),
        conditions: conditions.iter().map(|c| c.to_string()).collect(),
        state,
        hit: None,
        miss: None,
        reason: None,
    };
    let rules = [
        rc(0, "x86_64", &["arg0 <= 0x40"], RuleState::Proven),
        rc(1, "x86_64", &["arg0 <= 0x40"], RuleState::HitOnly),
        rc(2, "x86_64", &[], RuleState::Proven),
        rc(3, "x86_64", &[], RuleState::NotInFilter),
        rc(0, "i386", &[], RuleState::Proven),
    ];
    let f = figure(Abi::X86_64, &rules);
    assert_eq!(
        (
            f.proven,
            f.rules,
            f.not_in_filter,
            f.argument_proven,
            f.argument_rules
        ),
        (2, 3, 1, 1, 2)
    );
    assert_eq!(figure(Abi::I386, &rules).rules, 1);
}

/// Why a rule goes unproven: the generator's reason first, then what the cells show.
#[test]
fn no_hit_and_no_miss_say_what_the_cells_show() {
    let rc = RuleCoverage {
        rule: 0,
        syscall: "read".into(),
        abi: "x86_64".into(),
        conditions: vec![],
        state: RuleState::NotExercised,
        hit: None,
        miss: None,
        reason: None,
    };
    let none = Seen::default();
    assert_eq!(none.no_hit(&rc, None), "no case on x86_64 calls read");
    assert_eq!(
        none.no_hit(&rc, Some("read[x]: no harmless call")),
        "read[x]: no harmless call"
    );
    assert_eq!(none.no_miss(None), "no case fell outside its conditions");
    let absent = Seen {
        absent: Some("read"),
        any_cell: true,
        same_answer: Some("read(big)"),
        ..Seen::default()
    };
    assert!(absent
        .no_hit(&rc, None)
        .starts_with("the kernel lacks read (ENOSYS unconfined, read)"));
    assert!(absent
        .no_miss(Some("ignored"))
        .contains("(read(big)), so a miss can't be told"));
}
