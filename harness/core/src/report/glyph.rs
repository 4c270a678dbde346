//! How one outcome is written: a short glyph for a matrix cell (`ok`, `EPERM`, `KILL`) and a
//! longer phrase for lists of failures (`errno EPERM (1) by syscalls[12]`). Every renderer and
//! `diff` use these, so a cell reads the same in every format.

use crate::matrix::{Expected, Observed};
use crate::outcome::{Outcome, RuleRef};

/// The short glyph of an observed cell.
pub fn observed(o: &Observed) -> String {
    short(o.outcome, o.errno)
}

/// The short glyph of a prediction.
pub fn expected(e: &Expected) -> String {
    short(e.outcome, e.errno)
}

/// `ok`, `EPERM` (or `E4000` without a name), `KILL`, `TRAP`, `T/O`, `START!`, `-` (not run),
/// `?` (ambiguous, with the errno it saw: `?EPERM`), `absent`.
pub fn short(outcome: Outcome, errno: Option<i32>) -> String {
    match outcome {
        Outcome::Allowed => "ok".into(),
        Outcome::Errno => errno.map_or_else(|| "E?".into(), errno_glyph),
        Outcome::Killed => "KILL".into(),
        Outcome::Trapped => "TRAP".into(),
        Outcome::Timeout => "T/O".into(),
        Outcome::StartFailed => "START!".into(),
        Outcome::NotRun => "-".into(),
        Outcome::Ambiguous => match errno {
            Some(n) => format!("?{}", errno_glyph(n)),
            None => "?".into(),
        },
        Outcome::Absent => "absent".into(),
    }
}

/// The legend of [`short`], one `(glyph, meaning)` per line, for the table and markdown.
pub const LEGEND: &[(&str, &str)] = &[
    ("ok", "allowed: the call got what it gets unconfined"),
    (
        "EPERM, E4000",
        "errno from the filter (name, or number where it has none)",
    ),
    (
        "KILL",
        "killed by SIGSYS (KILL_THREAD, KILL_PROCESS or the bad-arch action)",
    ),
    (
        "TRAP",
        "SIGSYS delivered to the probe's handler (SCMP_ACT_TRAP)",
    ),
    ("T/O", "the case timed out"),
    ("START!", "the runtime could not start the container"),
    ("-", "not run"),
    (
        "?",
        "ambiguous: a denial not attributable to the filter (e.g. builtin)",
    ),
    ("absent", "the kernel lacks the syscall"),
];

/// `errno EPERM (1)`, `killed by SIGSYS`, `allowed`, with ` by <rule>` where one is known.
pub fn describe_observed(o: &Observed) -> String {
    let mut s = long(o.outcome, o.errno);
    if matches!(o.outcome, Outcome::Killed | Outcome::Trapped) {
        if let Some(sig) = o.signal {
            s.push_str(&format!(" ({})", signal_glyph(sig)));
        }
    }
    push_rule(&mut s, o.rule);
    s
}

/// Like [`describe_observed`], for the prediction.
pub fn describe_expected(e: &Expected) -> String {
    let mut s = long(e.outcome, e.errno);
    push_rule(&mut s, e.rule);
    s
}

fn long(outcome: Outcome, errno: Option<i32>) -> String {
    match (outcome, errno) {
        (Outcome::Errno | Outcome::Ambiguous, Some(n)) => match errno_name(n) {
            Some(name) => format!("{outcome} {name} ({n})"),
            None => format!("{outcome} {n}"),
        },
        (outcome, _) => outcome.to_string(),
    }
}

fn push_rule(s: &mut String, rule: Option<RuleRef>) {
    if let Some(rule) = rule {
        s.push_str(&format!(" by {rule}"));
    }
}

fn errno_glyph(n: i32) -> String {
    errno_name(n).map_or_else(|| format!("E{n}"), str::to_owned)
}

/// `SIGSYS`, or `signal 7` for one without a name here.
pub(crate) fn signal_glyph(n: i32) -> String {
    // Numbers as on x86_64 and aarch64 (asm-generic), the arches the harness runs on.
    let name = match n {
        6 => "SIGABRT",
        7 => "SIGBUS",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => return format!("signal {n}"),
    };
    name.into()
}

/// The symbolic name of a Linux errno. Numbers as in asm-generic/errno{,-base}.h, which x86_64
/// and aarch64 share; sentinel values (3000 and up) have none.
pub(crate) fn errno_name(n: i32) -> Option<&'static str> {
    // The syscalls crate's table is generated from the kernel's errno headers.
    if n <= 0 {
        return None;
    }
    syscalls::Errno::new(n).name()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{exp, obs};

    #[test]
    fn errno_names_follow_asm_generic() {
        assert_eq!(errno_name(1), Some("EPERM"));
        assert_eq!(errno_name(13), Some("EACCES"));
        assert_eq!(errno_name(22), Some("EINVAL"));
        assert_eq!(errno_name(38), Some("ENOSYS"));
        assert_eq!(errno_name(95), Some("EOPNOTSUPP"));
        assert_eq!(errno_name(97), Some("EAFNOSUPPORT"));
        assert_eq!(errno_name(133), Some("EHWPOISON"));
        assert_eq!(errno_name(41), None, "EWOULDBLOCK is EAGAIN, 41 is unused");
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-1), None);
        assert_eq!(errno_name(4000), None);
    }

    #[test]
    fn glyphs_are_short_and_distinct() {
        assert_eq!(short(Outcome::Allowed, None), "ok");
        assert_eq!(short(Outcome::Errno, Some(1)), "EPERM");
        assert_eq!(short(Outcome::Errno, Some(3012)), "E3012");
        assert_eq!(short(Outcome::Errno, None), "E?");
        assert_eq!(short(Outcome::Ambiguous, Some(1)), "?EPERM");
        assert_eq!(short(Outcome::Ambiguous, None), "?");
        let all = [
            Outcome::Allowed,
            Outcome::Killed,
            Outcome::Trapped,
            Outcome::Timeout,
            Outcome::StartFailed,
            Outcome::NotRun,
            Outcome::Absent,
        ];
        let glyphs: std::collections::HashSet<_> = all.iter().map(|o| short(*o, None)).collect();
        assert_eq!(glyphs.len(), all.len());
    }

    #[test]
    fn descriptions_name_errno_signal_and_rule() {
        let o = obs(Outcome::Errno, Some(1), Some(RuleRef::Index(12)));
        assert_eq!(describe_observed(&o), "errno EPERM (1) by syscalls[12]");
        let o = obs(Outcome::Killed, None, Some(RuleRef::BAD_ARCH));
        assert_eq!(describe_observed(&o), "killed (SIGSYS) by bad-arch action");
        let e = exp(Outcome::Allowed, None, Some(RuleRef::DEFAULT));
        assert_eq!(describe_expected(&e), "allowed by defaultAction");
        let e = exp(Outcome::Errno, Some(3001), None);
        assert_eq!(describe_expected(&e), "errno 3001");
    }
}
