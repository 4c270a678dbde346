//! A stable text of one configuration's cells, for the conformance suite's insta snapshots
//! (DESIGN §7): one line per catalog case, sorted by case id, holding only what the outcomes
//! say. Host
//! facts, profile paths, hashes and free-text notes (runtime messages) stay out, so a snapshot
//! changes only when behaviour, attribution or a verdict does.

use super::glyph;
use crate::matrix::{Matrix, Verdict};
use std::fmt::Write;

/// The snapshot text of configuration `id`; `None` when the matrix has no such configuration.
///
/// ```text
/// configuration strict+SYS_ADMIN
/// profile strict
/// caps +SYS_ADMIN
///
/// getpid: allowed by syscalls[0] [pass]
/// unshare(CLONE_NEWUSER): allowed [fail; expected errno EPERM (1) by defaultAction]
/// ```
pub fn render_configuration_snapshot(matrix: &Matrix, id: &str) -> Option<String> {
    let c = matrix.configuration(id)?;
    let mut out = String::new();
    let _ = writeln!(out, "configuration {}", c.id);
    let _ = writeln!(out, "profile {}", c.profile);
    let caps = if c.caps.is_empty() {
        "none".to_owned()
    } else {
        c.caps.join(" ")
    };
    let _ = writeln!(out, "caps {caps}");
    if c.start_error.is_some() {
        // The runtime's message names paths and versions: only the fact goes in.
        let _ = writeln!(out, "start failed");
    }
    out.push('\n');
    // Sorted, so that a change in run order (restarts after a kill) never moves lines.
    // The catalog's cases only: a generated case (`read[arg0==0x40]`) is still a trial that
    // must pass and counts in the rule coverage, but its cells follow the profile's conditions,
    // so keeping them out leaves each arch's reviewed snapshot unchanged by them.
    let mut cells: Vec<_> = matrix
        .cells_of(id)
        .filter(|c| !seccomp_catalog::generated::is_generated_id(&c.case))
        .collect();
    cells.sort_by(|a, b| a.case.cmp(&b.case));
    for cell in cells {
        let observed = glyph::describe_observed(&cell.observed);
        let verdict = match cell.verdict {
            Verdict::Pass => "pass".to_owned(),
            Verdict::Unpredicted => "unpredicted".to_owned(),
            Verdict::HeldBack => "held back: not started".to_owned(),
            Verdict::NotEnforced => "not enforced".to_owned(),
            Verdict::Undecided => "undecided".to_owned(),
            Verdict::Drift => format!(
                "drift; upstream's profile predicts {}",
                glyph::describe_expected(&cell.expected)
            ),
            Verdict::Fail => format!(
                "fail; expected {}",
                glyph::describe_expected(&cell.expected)
            ),
        };
        let _ = writeln!(out, "{}: {observed} [{verdict}]", cell.case);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{cell, exp, matrix, obs};
    use crate::outcome::{Outcome, RuleRef};

    #[test]
    fn one_sorted_line_per_case_without_host_noise() {
        let d = Some(RuleRef::DEFAULT);
        let mut m = matrix(
            &["strict+SYS_ADMIN", "other"],
            vec![
                cell(
                    "strict+SYS_ADMIN",
                    "unshare(CLONE_NEWUSER)",
                    obs(Outcome::Allowed, None, None),
                    exp(Outcome::Errno, Some(1), d),
                ),
                cell(
                    "other",
                    "getpid",
                    obs(Outcome::Killed, None, d),
                    exp(Outcome::Killed, None, d),
                ),
                cell(
                    "strict+SYS_ADMIN",
                    "getpid",
                    obs(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                    exp(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                ),
            ],
        );
        m.cells[2].observed.note = Some("rt-a 1.1.12 said something".into());
        m.configurations[0].start_error = Some("fstatfs: operation not permitted".into());
        let out = render_configuration_snapshot(&m, "strict+SYS_ADMIN").unwrap();
        assert_eq!(
            out,
            "\
configuration strict+SYS_ADMIN
profile strict
caps +SYS_ADMIN
start failed

getpid: allowed by syscalls[0] [pass]
unshare(CLONE_NEWUSER): allowed [fail; expected errno EPERM (1) by defaultAction]
"
        );
        assert_eq!(render_configuration_snapshot(&m, "nope"), None);
    }
}
