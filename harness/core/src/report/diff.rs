//! Renders a [`MatrixDiff`]: a plain-text report for a terminal or CI log, markdown for a PR
//! comment, and JSON for tools. Behaviour changes come first, grouped by kind; host and
//! configuration details follow as context.

use super::glyph;
use super::markdown::row;
use crate::diff::{CaseChange, CellChange, ChangeKind, FactChange, MatrixDiff};
use serde::Serialize;
use std::fmt::Write;

/// The output formats of `diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffFormat {
    #[default]
    Table,
    Markdown,
    Json,
    /// One self-contained HTML page.
    Html,
    /// SARIF 2.1.0, one result per changed cell (the CLI locates them in the new matrix's
    /// profiles with [`super::sarif::render_diff`]).
    Sarif,
}

impl DiffFormat {
    pub const ALL: [DiffFormat; 5] = [
        DiffFormat::Table,
        DiffFormat::Markdown,
        DiffFormat::Json,
        DiffFormat::Html,
        DiffFormat::Sarif,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DiffFormat::Table => "table",
            DiffFormat::Markdown => "markdown",
            DiffFormat::Json => "json",
            DiffFormat::Html => "html",
            DiffFormat::Sarif => "sarif",
        }
    }
}

impl std::str::FromStr for DiffFormat {
    type Err = super::UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DiffFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| super::UnknownFormat(s.to_string()))
    }
}

/// Which files were compared, as the user named them.
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub old: &'a str,
    pub new: &'a str,
}

pub fn render(format: DiffFormat, diff: &MatrixDiff, sides: Sides<'_>) -> String {
    match format {
        DiffFormat::Table => table(diff, sides),
        DiffFormat::Markdown => markdown(diff, sides),
        DiffFormat::Json => json(diff, sides),
        DiffFormat::Html => super::html::render_diff(diff, sides.old, sides.new),
        DiffFormat::Sarif => super::sarif::render_diff(diff, None, &super::sarif::Sources::new()),
    }
}

/// One line of a changed cell: `errno EPERM (1) by syscalls[3] -> allowed`, with the verdicts
/// where they differ.
fn transition(c: &CellChange) -> String {
    let side = |s: &crate::diff::CellState, show_verdict: bool| {
        let d = glyph::describe_observed(&s.observed);
        if show_verdict {
            format!("{d} [{}]", s.verdict.as_str())
        } else {
            d
        }
    };
    let show = c.old.verdict != c.new.verdict;
    format!("{} -> {}", side(&c.old, show), side(&c.new, show))
}

/// `3 cells changed, 1 case added`, or `no behaviour changed`.
pub(crate) fn headline(d: &MatrixDiff) -> String {
    let counts = [
        (d.cells.len(), "cell changed", "cells changed"),
        (d.cases_added.len(), "case added", "cases added"),
        (d.cases_removed.len(), "case removed", "cases removed"),
        (
            d.configurations_added.len(),
            "configuration added",
            "configurations added",
        ),
        (
            d.configurations_removed.len(),
            "configuration removed",
            "configurations removed",
        ),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    if parts.is_empty() {
        "no behaviour changed".into()
    } else {
        parts.join(", ")
    }
}

fn table(d: &MatrixDiff, sides: Sides<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "seccomp-harness diff {} -> {}", sides.old, sides.new);
    let _ = writeln!(out, "{}", headline(d));
    for kind in ChangeKind::ALL {
        let cells: Vec<&CellChange> = d.cells_of(kind).collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({})", kind.title(), cells.len());
        let wc = cells.iter().map(|c| c.configuration.chars().count()).max();
        let wk = cells.iter().map(|c| c.case.chars().count()).max();
        let (wc, wk) = (wc.unwrap_or(0), wk.unwrap_or(0));
        for c in cells {
            let _ = writeln!(
                out,
                "  {:wc$}  {:wk$}  {}",
                c.configuration,
                c.case,
                transition(c)
            );
        }
    }
    let case_group = |out: &mut String, title: &str, cases: &[CaseChange]| {
        if cases.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title} ({})", cases.len());
        for c in cases {
            let _ = writeln!(out, "  {}  in {}", c.case, c.configurations.join(", "));
        }
    };
    case_group(&mut out, "cases added", &d.cases_added);
    case_group(&mut out, "cases removed", &d.cases_removed);
    for (title, ids) in [
        ("configurations added", &d.configurations_added),
        ("configurations removed", &d.configurations_removed),
    ] {
        if !ids.is_empty() {
            let _ = writeln!(out, "\n{title} ({})", ids.len());
            for id in ids {
                let _ = writeln!(out, "  {id}");
            }
        }
    }
    let facts = |out: &mut String, indent: &str, facts: &[FactChange]| {
        for f in facts {
            let _ = writeln!(out, "{indent}{}: {} -> {}", f.fact, f.old, f.new);
        }
    };
    if !d.readiness.is_empty() {
        let _ = writeln!(
            out,
            "\nreadiness: EPERM on implemented syscalls under builtin"
        );
        for l in d.readiness.lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    if !d.host.is_empty() {
        let _ = writeln!(out, "\nhost (context)");
        facts(&mut out, "  ", &d.host);
    }
    if !d.configurations_changed.is_empty() {
        let _ = writeln!(out, "\nconfiguration details (context)");
        for c in &d.configurations_changed {
            let _ = writeln!(out, "  {}", c.configuration);
            facts(&mut out, "    ", &c.changes);
        }
    }
    out
}

/// The diff as Markdown (a PR comment): the headline, then one section per kind of change,
/// each a step below.
fn markdown(d: &MatrixDiff, sides: Sides<'_>) -> String {
    let code = super::markdown::code;
    let mut out = String::new();
    let mark = if d.has_changes() { "⚠️" } else { "✅" };
    let _ = writeln!(
        out,
        "### {mark} seccomp-harness diff: {}\n\n{} → {}\n",
        headline(d),
        code(sides.old),
        code(sides.new)
    );
    markdown_cells(&mut out, d);
    markdown_cases_and_configurations(&mut out, d);
    markdown_readiness(&mut out, d);
    markdown_context(&mut out, d);
    out
}

/// One table per kind of cell change.
fn markdown_cells(out: &mut String, d: &MatrixDiff) {
    let code = super::markdown::code;
    let text = super::markdown::text;
    for kind in ChangeKind::ALL {
        let cells: Vec<&CellChange> = d.cells_of(kind).collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {} ({})\n", text(kind.title()), cells.len());
        out.push_str("| configuration | case | change |\n|---|---|---|\n");
        for c in cells {
            row(
                out,
                &[code(&c.configuration), code(&c.case), text(&transition(c))],
            );
        }
        out.push('\n');
    }
}

/// The cases and configurations only one side has.
fn markdown_cases_and_configurations(out: &mut String, d: &MatrixDiff) {
    let code = super::markdown::code;
    for (title, cases) in [
        ("Cases added", &d.cases_added),
        ("Cases removed", &d.cases_removed),
    ] {
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {title} ({})\n", cases.len());
        for c in cases {
            let configs: Vec<String> = c.configurations.iter().map(|s| code(s)).collect();
            let _ = writeln!(out, "- {} in {}", code(&c.case), configs.join(", "));
        }
        out.push('\n');
    }
    for (title, ids) in [
        ("Configurations added", &d.configurations_added),
        ("Configurations removed", &d.configurations_removed),
    ] {
        if ids.is_empty() {
            continue;
        }
        let list: Vec<String> = ids.iter().map(|s| code(s)).collect();
        let _ = writeln!(out, "**{title}:** {}\n", list.join(", "));
    }
}

fn markdown_readiness(out: &mut String, d: &MatrixDiff) {
    if d.readiness.is_empty() {
        return;
    }
    out.push_str("#### Readiness: EPERM on implemented syscalls under builtin\n\n");
    for l in d.readiness.lines() {
        let _ = writeln!(out, "- {}", super::markdown::text(&l));
    }
    out.push('\n');
}

/// What changed around the cells: host facts and each configuration's own.
fn markdown_context(out: &mut String, d: &MatrixDiff) {
    let code = super::markdown::code;
    let text = super::markdown::text;
    if d.host.is_empty() && d.configurations_changed.is_empty() {
        return;
    }
    out.push_str("| context | old | new |\n|---|---|---|\n");
    for f in &d.host {
        let fact = format!("host {}", text(&f.fact));
        row(out, &[fact, code(&f.old), code(&f.new)]);
    }
    for c in &d.configurations_changed {
        for f in &c.changes {
            let fact = format!("{} {}", code(&c.configuration), text(&f.fact));
            row(out, &[fact, code(&f.old), code(&f.new)]);
        }
    }
    out.push('\n');
}

/// The diff as JSON, with the compared files and the verdict `diff`'s exit code reports.
fn json(d: &MatrixDiff, sides: Sides<'_>) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        old: &'a str,
        new: &'a str,
        changed: bool,
        #[serde(flatten)]
        diff: &'a MatrixDiff,
    }
    let report = Report {
        old: sides.old,
        new: sides.new,
        changed: d.has_changes(),
        diff: d,
    };
    // Strings, numbers, sequences and structs only: serializing cannot fail.
    let mut s = serde_json::to_string_pretty(&report).expect("a MatrixDiff always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
    use crate::matrix::Matrix;
    use crate::outcome::{Outcome, RuleRef};

    fn pair() -> (Matrix, Matrix) {
        let d = Some(RuleRef::DEFAULT);
        let old = matrix(
            &["strict", "gone"],
            vec![
                allowed("strict", "mkdir"),
                cell(
                    "strict",
                    "clone3",
                    obs(Outcome::Errno, Some(1), d),
                    exp(Outcome::Errno, Some(1), d),
                ),
                cell(
                    "strict",
                    "x32:getpid",
                    obs(Outcome::Killed, None, Some(RuleRef::BAD_ARCH)),
                    exp(Outcome::Killed, None, Some(RuleRef::BAD_ARCH)),
                ),
            ],
        );
        let mut new = matrix(
            &["strict"],
            vec![
                cell(
                    "strict",
                    "mkdir",
                    obs(Outcome::Errno, Some(1), d),
                    exp(Outcome::Allowed, None, None),
                ),
                cell(
                    "strict",
                    "clone3",
                    obs(Outcome::Errno, Some(38), Some(RuleRef::Index(2))),
                    exp(Outcome::Errno, Some(38), Some(RuleRef::Index(2))),
                ),
                allowed("strict", "open_tree(a|b)"),
            ],
        );
        new.host.kernel = "6.8.0".into();
        new.host.engine_version = "26.1.0".into();
        (old, new)
    }

    const SIDES: Sides<'static> = Sides {
        old: "old.json",
        new: "new.json",
    };

    #[test]
    fn table_lists_changes_by_kind_then_context() {
        let (old, new) = pair();
        let out = render(DiffFormat::Table, &MatrixDiff::between(&old, &new), SIDES);
        assert_eq!(
            out,
            "\
seccomp-harness diff old.json -> new.json
2 cells changed, 1 case added, 1 case removed, 1 configuration removed

newly denied (1)
  strict  mkdir  allowed [pass] -> errno EPERM (1) by defaultAction [fail]

errno changed (1)
  strict  clone3  errno EPERM (1) by defaultAction -> errno ENOSYS (38) by syscalls[2]

cases added (1)
  open_tree(a|b)  in strict

cases removed (1)
  x32:getpid  in strict

configurations removed (1)
  gone

host (context)
  kernel: 6.1.0-18-amd64 -> 6.8.0
  engine_version: 25.0.3 -> 26.1.0
"
        );
    }

    #[test]
    fn markdown_escapes_case_ids() {
        let (old, new) = pair();
        let out = render(
            DiffFormat::Markdown,
            &MatrixDiff::between(&old, &new),
            SIDES,
        );
        assert!(
            out.starts_with("### ⚠️ seccomp-harness diff: 2 cells changed"),
            "{out}"
        );
        assert!(out.contains("- `open_tree(a\\|b)` in `strict`"), "{out}");
        assert!(
            out.contains("| host kernel | `6.1.0-18-amd64` | `6.8.0` |"),
            "{out}"
        );
        assert!(out.contains(
            "| `strict` | `mkdir` | allowed \\[pass\\] -\\> errno EPERM (1) by defaultAction \\[fail\\] |"
        ), "{out}");
    }

    #[test]
    fn json_says_whether_anything_changed() {
        let (old, new) = pair();
        let out = render(DiffFormat::Json, &MatrixDiff::between(&old, &new), SIDES);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["changed"], true);
        assert_eq!(v["old"], "old.json");
        assert_eq!(v["configurations_removed"][0], "gone");
        let same = render(DiffFormat::Json, &MatrixDiff::between(&old, &old), SIDES);
        let v: serde_json::Value = serde_json::from_str(&same).unwrap();
        assert_eq!(v["changed"], false);
    }

    #[test]
    fn no_change_reads_as_such() {
        let (old, _) = pair();
        let out = render(DiffFormat::Table, &MatrixDiff::between(&old, &old), SIDES);
        assert_eq!(
            out,
            "seccomp-harness diff old.json -> new.json\nno behaviour changed\n"
        );
    }
}
