//! Markdown for pull-request comments: the verdict in the heading, counts per configuration and
//! the host, the failures with both sides, and the full matrix folded in a `<details>` so a
//! 400-row table does not bury the rest. GitHub-flavoured tables; every case id and note is
//! escaped, since ids hold `|` and `(` and notes hold whatever a runtime printed.

use super::grid::{self, Grid};
use super::table::config_flag;
use super::{glyph, Options, Summary};
use crate::matrix::{Matrix, Verdict};
use std::fmt::Write;

pub fn render(matrix: &Matrix, options: &Options) -> String {
    let summary = Summary::of(matrix);
    let mut out = String::new();
    heading(&mut out, matrix, &summary);
    counts(&mut out, &summary);
    host(&mut out, matrix);
    failures(&mut out, &summary);
    drifts(&mut out, &summary);
    readiness(&mut out, matrix);
    coverage(&mut out, matrix);
    details(&mut out, matrix, options);
    out
}

/// Builtin cells that behave otherwise than upstream's profile, with the note holding both.
fn drifts(out: &mut String, summary: &Summary<'_>) {
    if summary.drifts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### Drift from upstream's profile ({})\n",
        summary.drifts.len()
    );
    out.push_str("| configuration | case | observed | why |\n|---|---|---|---|\n");
    for cell in &summary.drifts {
        row(
            out,
            &[
                code(&cell.configuration),
                code(&cell.case),
                text(&glyph::describe_observed(&cell.observed)),
                text(cell.observed.note.as_deref().unwrap_or_default()),
            ],
        );
    }
    out.push('\n');
}

/// Rule coverage ([`crate::coverage`]): the figure per configuration, and its argument and
/// unproven rules folded away.
fn coverage(out: &mut String, matrix: &Matrix) {
    if matrix.coverage.is_empty() {
        return;
    }
    out.push_str(
        "#### Rule coverage\n\n| configuration | rules proven on both sides |\n|---|---|\n",
    );
    for c in &matrix.coverage {
        row(
            out,
            &[
                code(&c.configuration),
                text(&crate::coverage::summary_line(c)),
            ],
        );
    }
    out.push('\n');
    for c in &matrix.coverage {
        let rules: Vec<String> = crate::coverage::listed(c)
            .map(|r| format!("- {}", text(&crate::coverage::describe(r))))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<details><summary>{}: argument rules and unproven rules</summary>\n\n{}\n\n</details>\n",
            text(&c.configuration),
            rules.join("\n")
        );
    }
}

/// The readiness summary ([`crate::readiness`]): a table of the calls some listed userspace
/// falls back from, the fix, and the other EPERM denials folded into a count.
fn readiness(out: &mut String, matrix: &Matrix) {
    let Some(r) = crate::readiness::of_matrix(matrix) else {
        return;
    };
    let _ = writeln!(
        out,
        "#### Readiness\n\n{}\n",
        text(&crate::readiness::headline(&r))
    );
    let listed: Vec<_> = r
        .entries
        .iter()
        .filter(|e| !e.userspace.is_empty())
        .collect();
    if !listed.is_empty() {
        out.push_str("| syscall | userspace | on this EPERM | source |\n|---|---|---|---|\n");
        for e in &listed {
            for a in &e.userspace {
                row(
                    out,
                    &[
                        code(&e.syscall),
                        text(&a.who()),
                        text(&a.effect_text()),
                        code(&a.source),
                    ],
                );
            }
        }
        out.push('\n');
    }
    if let Some(place) = &r.fix_placement {
        let _ = writeln!(out, "Fix: {}:\n\n```json", text(place));
        for f in &r.fix {
            let _ = writeln!(out, "{}", f.json());
        }
        out.push_str("```\n\n");
    }
    if !r.enosys.is_empty() {
        let names: Vec<String> = r.enosys.iter().map(|s| code(s)).collect();
        let _ = writeln!(
            out,
            "ENOSYS, so listed userspace falls back: {}\n",
            names.join(" ")
        );
    }
    let rest: Vec<String> = r
        .entries
        .iter()
        .filter(|e| e.userspace.is_empty())
        .map(|e| code(&e.syscall))
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "{} more denied with EPERM, no listed userspace falls back from them: {}\n",
            rest.len(),
            rest.join(" ")
        );
    }
}

fn heading(out: &mut String, matrix: &Matrix, summary: &Summary<'_>) {
    let cells = matrix.cells.len();
    let configs = matrix.configurations.len();
    let verdict = match (summary.total.fail, summary.total.held_back) {
        (0, 0) => format!("all {cells} cells conformant"),
        (0, h) => format!("{h} of {cells} cells held back (not started), none failed"),
        (1, _) => format!("1 of {cells} cells failed"),
        (n, _) => format!("{n} of {cells} cells failed"),
    };
    // A pass mark only where every cell was observed: held-back cells never ran.
    let mark = match (
        summary.total.fail,
        summary.total.not_enforced,
        summary.total.held_back,
    ) {
        // No pass mark either where an engine of the run gave no matrix.
        (0, 0, 0) if !matrix.is_partial() => "✅",
        (0, 0, _) => "⚠️",
        _ => "❌",
    };
    let _ = writeln!(
        out,
        "### {mark} seccomp-harness: {verdict} ({configs} configurations)\n"
    );
    if let Some(line) = super::missing_engines_headline(matrix) {
        let _ = writeln!(out, "> ⛔ **{}**\n", text(&line));
    }
    if let Some(line) = super::missing_configurations_headline(matrix) {
        let _ = writeln!(out, "> ⛔ **{}**", text(&line));
        for m in super::missing_configurations(matrix) {
            let _ = writeln!(out, "> - {}", text(&m));
        }
        out.push('\n');
    }
    if let Some(headline) = super::not_enforced_headline(matrix, &summary.total) {
        let _ = writeln!(out, "> ⛔ **{}**", text(&headline));
        for (runtime, why) in super::not_enforced(matrix) {
            let _ = writeln!(out, "> - {}: {}", code(&runtime), text(&why));
        }
        out.push('\n');
    }
}

fn counts(out: &mut String, summary: &Summary<'_>) {
    // The held-back and not-enforced columns appear only where such cells exist.
    let held_back = summary.total.held_back > 0;
    let unenforced = summary.total.not_enforced > 0;
    let undecided = summary.total.undecided > 0;
    let _ = writeln!(
        out,
        "| # | configuration | caps | pass | fail |{}{} unpredicted |{}",
        if held_back { " held back |" } else { "" },
        if undecided { " undecided |" } else { "" },
        if unenforced { " not enforced |" } else { "" },
    );
    let _ = writeln!(
        out,
        "|---:|---|---|---:|---:|{}{}---:|{}",
        if held_back { "---:|" } else { "" },
        if undecided { "---:|" } else { "" },
        if unenforced { "---:|" } else { "" },
    );
    for (i, (c, n)) in summary.per_configuration.iter().enumerate() {
        let fail = if n.fail > 0 {
            format!("**{}**", n.fail)
        } else {
            "0".into()
        };
        let caps = if c.caps.is_empty() {
            String::new()
        } else {
            code(&c.caps.join(" "))
        };
        let held = if held_back {
            format!(" {} |", n.held_back)
        } else {
            String::new()
        };
        let extra = if unenforced {
            format!(" {} |", n.not_enforced)
        } else {
            String::new()
        };
        let undecided = if undecided {
            format!(" {} |", n.undecided)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {caps} | {} | {fail} |{held}{undecided} {} |{extra}",
            i + 1,
            code(&c.id),
            n.pass,
            n.unpredicted
        );
    }
    out.push('\n');
    for c in &start_errors(summary) {
        let _ = writeln!(out, "{c}");
    }
}

/// Configurations that never started deserve a line of their own: every cell of theirs is
/// `START!` for one reason.
fn start_errors(summary: &Summary<'_>) -> Vec<String> {
    let lines: Vec<String> = summary
        .per_configuration
        .iter()
        .filter_map(|(c, _)| {
            let e = c.start_error.as_ref()?;
            Some(format!("- {} could not start: {}", code(&c.id), text(e)))
        })
        .collect();
    if lines.is_empty() {
        lines
    } else {
        lines.into_iter().chain([String::new()]).collect()
    }
}

fn host(out: &mut String, matrix: &Matrix) {
    if matrix.engines.is_empty() {
        host_line(out, "Host", &matrix.host);
    } else {
        for e in &matrix.engines {
            host_line(out, &format!("Engine {}", text(&e.name)), &e.host);
        }
        for m in &matrix.missing_engines {
            let _ = writeln!(
                out,
                "**Engine {}: missing from this matrix** ({}): {}\n",
                text(&m.name),
                code(&m.url),
                text(&m.error),
            );
        }
    }
}

fn host_line(out: &mut String, title: &str, h: &crate::matrix::HostFacts) {
    let s = &h.seccomp;
    let actions = if s.actions_available.is_empty() {
        "unknown".to_owned()
    } else {
        s.actions_available.join(" ")
    };
    let _ = writeln!(
        out,
        "**{title}:** kernel {} on {}, {} {} (API {}), {} {}{}; CONFIG_SECCOMP={}, \
         CONFIG_SECCOMP_FILTER={}; actions: {}; engine profile: {}\n",
        code(&h.kernel),
        code(&h.arch),
        text(&h.engine),
        text(&h.engine_version),
        text(&h.api_version),
        text(&h.runtime),
        text(&h.runtime_version),
        text(&runtime_extras(h)),
        config_flag(s.config_seccomp),
        config_flag(s.config_seccomp_filter),
        text(&actions),
        code(&s.engine_profile),
    );
}

/// After the default runtime: its libseccomp and the other registered runtimes, where the
/// engine told them (empty otherwise, as in matrices from before they were recorded).
pub(super) fn runtime_extras(h: &crate::matrix::HostFacts) -> String {
    let mut out = String::new();
    if let Some(v) = &h.libseccomp_version {
        out.push_str(&format!(" with libseccomp {v}"));
    }
    let others: Vec<String> = h
        .runtimes
        .iter()
        .filter(|(name, _)| **name != h.runtime)
        .map(|(name, v)| {
            if v.is_empty() {
                name.clone()
            } else {
                format!("{name} {v}")
            }
        })
        .collect();
    if !others.is_empty() {
        out.push_str(&format!(" (also registered: {})", others.join(", ")));
    }
    out
}

fn failures(out: &mut String, summary: &Summary<'_>) {
    if summary.failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "#### Failures\n");
    out.push_str("| configuration | case | observed | expected |\n");
    out.push_str("|---|---|---|---|\n");
    for cell in &summary.failures {
        let mut observed = glyph::describe_observed(&cell.observed);
        if let Some(n) = &cell.observed.note {
            let _ = write!(observed, "; {n}");
        }
        let mut expected = glyph::describe_expected(&cell.expected);
        if let Some(n) = &cell.expected.note {
            let _ = write!(expected, "; {n}");
        }
        row(
            out,
            &[
                code(&cell.configuration),
                code(&cell.case),
                text(&observed),
                text(&expected),
            ],
        );
    }
    out.push('\n');
}

fn details(out: &mut String, matrix: &Matrix, options: &Options) {
    let g = Grid::of(matrix, options.only_interesting);
    let shown = if g.hidden > 0 {
        format!("{} of {} cases", g.rows.len(), g.rows.len() + g.hidden)
    } else {
        format!("{} cases", g.rows.len())
    };
    let _ = writeln!(
        out,
        "<details><summary>Matrix: {shown} × {} configurations</summary>\n",
        g.columns.len()
    );
    out.push_str("| case |");
    for i in 1..=g.columns.len() {
        let _ = write!(out, " {i} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(g.columns.len()));
    out.push('\n');
    for row in &g.rows {
        let _ = write!(out, "| {} |", code(row.case));
        for cell in &row.cells {
            let t = text(&grid::cell_text(*cell));
            if cell.is_some_and(|c| c.verdict == Verdict::Fail) {
                let _ = write!(out, " **{t}** |");
            } else {
                let _ = write!(out, " {t} |");
            }
        }
        out.push('\n');
    }
    out.push('\n');
    if g.hidden > 0 {
        let _ = writeln!(
            out,
            "{} where every configuration agrees and passes not shown.\n",
            super::plural(g.hidden, "case")
        );
    }
    let legend: Vec<String> = glyph::LEGEND
        .iter()
        .chain(&[("A!=B", "failed: observed A, expected B")])
        .map(|(g, m)| format!("{} {}", code(g), text(m)))
        .collect();
    let _ = writeln!(out, "Legend: {}\n", legend.join(" · "));
    out.push_str("</details>\n");
}

/// One table row of cells already made safe by [`code`] or [`text`]: every table of the
/// Markdown reports pads its cells the same way, so one place writes them.
pub(crate) fn row(out: &mut String, cells: &[String]) {
    for cell in cells {
        let _ = write!(out, "| {cell} ");
    }
    out.push_str("|\n");
}

/// Inline code, safe in a table cell: a fence longer than any backtick run inside, `|`
/// escaped (GFM splits cells before it parses code spans), line breaks flattened.
pub(crate) fn code(s: &str) -> String {
    let flat = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let longest_run = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// Plain text, safe in a table cell: every character markdown or HTML could act on is
/// backslash-escaped (CommonMark allows it for any ASCII punctuation), line breaks flattened.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
    use crate::outcome::{Outcome, RuleRef};

    fn sample() -> Matrix {
        let d = Some(RuleRef::DEFAULT);
        let mut m = matrix(
            &["strict", "strict+SYS_ADMIN"],
            vec![
                allowed("strict", "getpid"),
                cell(
                    "strict",
                    "i386:socketcall(SYS_SOCKET|X,<AF_VSOCK>)",
                    obs(Outcome::Allowed, None, None),
                    exp(Outcome::Errno, Some(97), d),
                ),
                allowed("strict+SYS_ADMIN", "getpid"),
                cell(
                    "strict+SYS_ADMIN",
                    "i386:socketcall(SYS_SOCKET|X,<AF_VSOCK>)",
                    obs(Outcome::Errno, Some(97), d),
                    exp(Outcome::Errno, Some(97), d),
                ),
            ],
        );
        m.cells[1].observed.note = Some("the runtime said: a|b <x>\nline two".into());
        m
    }

    /// A runtime that ignored the profile is the first thing every format says, before the
    /// counts; the table, HTML and JUnit say it too.
    #[test]
    fn not_enforced_comes_first_with_the_cause() {
        let mut m = sample();
        for c in &mut m.cells {
            c.verdict = crate::matrix::Verdict::NotEnforced;
        }
        m.host
            .seccomp
            .not_enforced
            .insert("rt-b".into(), "runs without --oci-seccomp".into());
        let md = render(&m, &Options::default());
        let first = md.find("PROFILES NOT ENFORCED").expect(&md);
        assert!(first < md.find("| # |").unwrap(), "{md}");
        assert!(md.contains("> - `rt-b`: runs without"), "{md}");
        assert!(md.starts_with("### ❌"), "{md}");
        let table = crate::report::table::render(&m, &Options::default());
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .contains("PROFILES NOT ENFORCED on rt-b"),
            "{table}"
        );
        assert!(table.contains("4 not enforced"), "{table}");
        let html = crate::report::html::render(&m, &Options::default());
        assert!(html.contains("id=\"not-enforced\""), "no section");
        let junit = crate::report::junit::render(&m);
        assert!(junit.contains("seccomp-not-enforced"), "{junit}");
    }

    /// `held_back` (the runtime would hang: not started) and `not_enforced` (the runtime ignored the
    /// profile) are both schema_version 2 verdicts: one matrix can hold both, and every format
    /// counts each apart, never as a pass.
    #[test]
    fn held_back_and_not_enforced_are_counted_apart_side_by_side() {
        let mut m = sample();
        m.cells[0].verdict = Verdict::HeldBack;
        m.cells[0].observed = obs(Outcome::NotRun, None, None);
        m.cells[0].observed.note = Some("held back: kills getppid".into());
        m.cells[3].verdict = Verdict::NotEnforced;
        m.host
            .seccomp
            .not_enforced
            .insert("rt-b".into(), "runs without --oci-seccomp".into());
        let md = render(&m, &Options::default());
        assert!(
            md.contains("| # | configuration | caps | pass | fail | held back | unpredicted | not enforced |\n|---:|---|---|---:|---:|---:|---:|---:|\n"),
            "{md}"
        );
        assert!(
            md.contains("| 1 | `strict` |  | 0 | **1** | 1 | 0 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("| 2 | `strict+SYS_ADMIN` | `+SYS_ADMIN` | 1 | 0 | 0 | 0 | 1 |"),
            "{md}"
        );
        let table = crate::report::table::render(&m, &Options::default());
        assert!(table.contains("1 held back"), "{table}");
        assert!(table.contains("1 not enforced"), "{table}");
        let junit = crate::report::junit::render(&m);
        assert!(junit.contains("held back: not started"), "{junit}");
        assert!(junit.contains("seccomp-not-enforced"), "{junit}");
        let html = crate::report::html::render(&m, &Options::default());
        assert!(
            html.contains("held_back") && html.contains("not_enforced"),
            "{html}"
        );
        let json = crate::report::json::render(&m);
        let back = Matrix::from_json(&json).unwrap();
        assert_eq!(back.cells[0].verdict, Verdict::HeldBack);
        assert_eq!(back.cells[3].verdict, Verdict::NotEnforced);
        let snap = crate::report::snapshot::render_configuration_snapshot(&m, "strict").unwrap();
        assert!(snap.contains("held back: not started"), "{snap}");
        let snap =
            crate::report::snapshot::render_configuration_snapshot(&m, "strict+SYS_ADMIN").unwrap();
        assert!(snap.contains("not enforced"), "{snap}");
        let summary = Summary::of(&m);
        assert_eq!(
            (summary.total.held_back, summary.total.not_enforced),
            (1, 1)
        );
    }

    #[test]
    fn summary_first_then_failures_then_the_folded_matrix() {
        let out = render(&sample(), &Options::default());
        assert_eq!(
            out,
            r#"### ❌ seccomp-harness: 1 of 4 cells failed (2 configurations)

| # | configuration | caps | pass | fail | unpredicted |
|---:|---|---|---:|---:|---:|
| 1 | `strict` |  | 1 | **1** | 0 |
| 2 | `strict+SYS_ADMIN` | `+SYS_ADMIN` | 2 | 0 | 0 |

**Host:** kernel `6.1.0-18-amd64` on `x86_64`, docker 25.0.3 (API 1.44), rt-a 1.1.12; CONFIG_SECCOMP=y, CONFIG_SECCOMP_FILTER=y; actions: kill\_process errno log; engine profile: `builtin`

#### Failures

| configuration | case | observed | expected |
|---|---|---|---|
| `strict` | `i386:socketcall(SYS_SOCKET\|X,<AF_VSOCK>)` | allowed; the runtime said: a\|b \<x\> line two | errno EAFNOSUPPORT (97) by defaultAction |

<details><summary>Matrix: 2 cases × 2 configurations</summary>

| case | 1 | 2 |
|---|---|---|
| `getpid` | ok | ok |
| `i386:socketcall(SYS_SOCKET\|X,<AF_VSOCK>)` | **ok\!=EAFNOSUPPORT** | EAFNOSUPPORT |

Legend: `ok` allowed: the call got what it gets unconfined · `EPERM, E4000` errno from the filter (name, or number where it has none) · `KILL` killed by SIGSYS (KILL\_THREAD, KILL\_PROCESS or the bad-arch action) · `TRAP` SIGSYS delivered to the probe's handler (SCMP\_ACT\_TRAP) · `T/O` the case timed out · `START!` the runtime could not start the container · `-` not run · `?` ambiguous: a denial not attributable to the filter (e.g. builtin) · `absent` the kernel lacks the syscall · `A!=B` failed: observed A, expected B

</details>
"#
        );
    }

    #[test]
    fn only_interesting_folds_away_rows_that_agree() {
        let out = render(
            &sample(),
            &Options {
                only_interesting: true,
                ..Options::default()
            },
        );
        assert!(
            out.contains("Matrix: 1 of 2 cases × 2 configurations"),
            "{out}"
        );
        assert!(!out.contains("| `getpid` |"), "{out}");
        assert!(
            out.contains("1 case where every configuration agrees"),
            "{out}"
        );
    }

    #[test]
    fn a_conformant_matrix_says_so_and_has_no_failure_section() {
        let mut m = sample();
        m.cells.remove(1);
        let out = render(&m, &Options::default());
        assert!(out.starts_with("### ✅ seccomp-harness: all 3 cells conformant"));
        assert!(!out.contains("Failures"));
    }

    /// A run whose only non-passing cells are held back (never started) gets no pass mark:
    /// nothing ran for them.
    #[test]
    fn a_held_back_run_has_no_pass_mark() {
        let mut m = sample();
        m.cells.remove(1);
        for c in &mut m.cells {
            c.verdict = Verdict::HeldBack;
            c.observed = obs(Outcome::NotRun, None, None);
        }
        let out = render(&m, &Options::default());
        assert!(
            out.starts_with(
                "### ⚠️ seccomp-harness: 3 of 3 cells held back (not started), none failed"
            ),
            "{out}"
        );
        assert!(!out.contains('✅'), "{out}");
    }

    #[test]
    fn a_row_pads_every_cell_and_ends_its_line() {
        let mut out = String::new();
        row(&mut out, &[code("a|b"), text("x_y")]);
        assert_eq!(out, "| `a\\|b` | x\\_y |\n");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
