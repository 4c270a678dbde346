//! One self-contained HTML page per matrix (and per diff): no network, no external asset, the
//! style and the script inline, so the file can be attached to a CI run and opened anywhere.
//!
//! The page holds the host header, the counts per configuration, a heatmap of cases (rows) by
//! configurations (columns) coloured by outcome with failures and drift marked, filters (outcome,
//! verdict, syscall family, a search box), each cell's details on hover and click, and the
//! readiness summary ([`crate::readiness`]). The cells
//! are laid out by the same [`Grid`] as the table and the markdown, and their texts come from
//! [`glyph`], so a cell reads the same in every format.
//!
//! The details of every cell travel as one JSON array in a `<script type="application/json">`
//! block (a `title` per cell would repeat the words thousands of times); the script reads it
//! when a cell is hovered or clicked. A first, tiny script records any script error into the
//! page (`#script-errors`), and the main script marks `<body data-ready="1">` when it has run:
//! the browser test reads both from the DOM.

use super::family;
use super::grid::{self, Grid};
use super::table::config_flag;
use super::{glyph, Options, Summary};
use crate::diff::{CellChange, ChangeKind, MatrixDiff};
use crate::matrix::{Cell, Matrix, Verdict};
use crate::outcome::Outcome;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside a `<script>` element: `</script>` and `<!--` can't appear in it.
fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .expect("a JSON value always serializes")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

const STYLE: &str = include_str!("html/style.css");

/// Registered before anything else, so a failure of the main script is seen too.
const ERROR_HOOK: &str = include_str!("html/error_hook.js");

/// The heatmap's behaviour: filters, search, hover titles and the details panel.
const SCRIPT: &str = include_str!("html/script.js");

/// The names of the per-cell details, in the order of each cell's array in `#cell-data`.
const FIELDS: [&str; 9] = [
    "configuration",
    "case",
    "syscall",
    "observed",
    "expected",
    "verdict",
    "rule",
    "expected rule",
    "note",
];

fn page_start(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n<script>{ERROR_HOOK}</script>\n</head>\n<body>\n\
         <pre id=\"script-errors\" class=\"bad\" hidden></pre>\n",
        esc(title)
    );
}

/// Renders the matrix as one HTML page.
pub fn render(matrix: &Matrix, options: &Options) -> String {
    let summary = Summary::of(matrix);
    let grid = Grid::of(matrix, options.only_interesting);
    let mut out = String::new();
    let headline = match summary.total.fail {
        0 => format!("all {} cells conformant", matrix.cells.len()),
        n => format!("{n} of {} cells failed", matrix.cells.len()),
    };
    page_start(&mut out, &format!("seccomp-harness: {headline}"));
    let _ = writeln!(
        out,
        "<h1>seccomp-harness: <span class=\"{}\">{}</span> <span class=\"muted\">({} configurations, {} cases)</span></h1>",
        if summary.total.fail == 0 && summary.total.not_enforced == 0 && !matrix.is_partial() { "good" } else { "bad" },
        esc(&headline),
        matrix.configurations.len(),
        matrix.case_ids().len()
    );
    if let Some(line) = super::missing_engines_headline(matrix) {
        let _ = writeln!(out, "<p class=\"bad\">{}</p>", esc(&line));
    }
    if let Some(line) = super::missing_configurations_headline(matrix) {
        let _ = writeln!(
            out,
            "<section id=\"missing\" class=\"bad\"><h2>{}</h2><ul>",
            esc(&line)
        );
        for m in super::missing_configurations(matrix) {
            let _ = writeln!(out, "<li>{}</li>", esc(&m));
        }
        out.push_str("</ul></section>\n");
    }
    if let Some(headline) = super::not_enforced_headline(matrix, &summary.total) {
        let _ = writeln!(
            out,
            "<section id=\"not-enforced\" class=\"bad\"><h2>{}</h2><ul>",
            esc(&headline)
        );
        for (runtime, why) in super::not_enforced(matrix) {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(&runtime),
                esc(&why)
            );
        }
        out.push_str("</ul></section>\n");
    }
    host(&mut out, matrix);
    counts(&mut out, &summary);
    heatmap(&mut out, &grid);
    readiness(&mut out, matrix);
    coverage(&mut out, matrix);
    failures(&mut out, &summary);
    out.push_str(
        "<aside id=\"detail\" hidden><button id=\"detail-close\" type=\"button\">close</button>\
         <strong>cell details</strong><dl></dl></aside>\n",
    );
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn host(out: &mut String, matrix: &Matrix) {
    if matrix.engines.is_empty() {
        host_table(out, "Host", "host", &matrix.host);
    } else {
        for (i, e) in matrix.engines.iter().enumerate() {
            let id = if i == 0 {
                "host".to_string()
            } else {
                format!("host-{i}")
            };
            host_table(out, &format!("Engine {}", e.name), &id, &e.host);
        }
        for m in &matrix.missing_engines {
            let _ = writeln!(
                out,
                "<p class=\"bad\">Engine {}: missing from this matrix \
                 (<code>{}</code>): {}</p>",
                esc(&m.name),
                esc(&m.url),
                esc(&m.error),
            );
        }
    }
}

fn host_table(out: &mut String, title: &str, id: &str, h: &crate::matrix::HostFacts) {
    let s = &h.seccomp;
    let unknown = match &s.runtime_unknown_syscalls {
        None => "not measured".to_string(),
        Some(v) if v.is_empty() => "none".to_string(),
        Some(v) => v.join(", "),
    };
    let rows = [
        ("kernel", format!("{} ({})", h.kernel, h.arch)),
        (
            "engine",
            format!("{} {} (API {})", h.engine, h.engine_version, h.api_version),
        ),
        ("runtime", format!("{} {}", h.runtime, h.runtime_version)),
        (
            "CONFIG_SECCOMP",
            format!(
                "{} (filter: {})",
                config_flag(s.config_seccomp),
                config_flag(s.config_seccomp_filter)
            ),
        ),
        ("seccomp actions", s.actions_available.join(", ")),
        ("engine profile", s.engine_profile.clone()),
        ("unknown to the runtime's libseccomp", unknown),
    ];
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<table class=\"facts\" id=\"{}\">",
        esc(title),
        esc(id)
    );
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    out.push_str("</table>\n");
}

/// Rule coverage ([`crate::coverage`]): the figure per configuration, and its argument and
/// unproven rules.
fn coverage(out: &mut String, matrix: &Matrix) {
    if matrix.coverage.is_empty() {
        return;
    }
    out.push_str("<h2>Rule coverage</h2>\n<table class=\"list\" id=\"coverage\">\n<tr><th>configuration</th><th>rules proven on both sides</th></tr>\n");
    for c in &matrix.coverage {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(&c.configuration),
            esc(&crate::coverage::summary_line(c))
        );
    }
    out.push_str("</table>\n");
    for c in &matrix.coverage {
        let rules: Vec<String> = crate::coverage::listed(c)
            .map(|r| format!("<li>{}</li>", esc(&crate::coverage::describe(r))))
            .collect();
        if !rules.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>{}: argument rules and unproven rules</summary><ul>{}</ul></details>",
                esc(&c.configuration),
                rules.concat()
            );
        }
    }
}

/// The readiness summary ([`crate::readiness`]).
fn readiness(out: &mut String, matrix: &Matrix) {
    let Some(r) = crate::readiness::of_matrix(matrix) else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2>Readiness for newer images</h2>\n<p id=\"readiness-headline\">{}</p>",
        esc(&crate::readiness::headline(&r))
    );
    if !r.entries.is_empty() {
        out.push_str(
            "<table class=\"list\" id=\"readiness\">\n<tr><th>syscall</th><th>listed userspace</th><th>EPERM by</th>\
             <th>upstream profile names it</th><th>runtime's libseccomp knows it</th><th>upstream Docker default allows it</th></tr>\n",
        );
        for e in &r.entries {
            let userspace = if e.userspace.is_empty() {
                "none listed".to_string()
            } else {
                e.userspace
                    .iter()
                    .map(|a| {
                        format!(
                            "{}: {} (<code>{}</code>)",
                            esc(&a.who()),
                            esc(&a.effect_text()),
                            esc(&a.source)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let class = if e.breaks().next().is_some() {
                "ready breaks"
            } else {
                "ready"
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td><code>{}</code></td><td>{userspace}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.syscall),
                esc(&e.by()),
                esc(e.naming()),
                esc(e.knows()),
                esc(&e.allowance())
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(place) = &r.fix_placement {
        let rules: Vec<String> = r.fix.iter().map(|f| esc(&f.json())).collect();
        let _ = writeln!(
            out,
            "<p id=\"readiness-fix\">Fix: {}:</p>\n<pre>{}</pre>",
            esc(place),
            rules.join("\n")
        );
    }
    if !r.enosys.is_empty() {
        let names: Vec<String> = r
            .enosys
            .iter()
            .map(|s| format!("<code>{}</code>", esc(s)))
            .collect();
        let _ = writeln!(
            out,
            "<p id=\"readiness-enosys\">ENOSYS, so listed userspace falls back: {}</p>",
            names.join(" ")
        );
    }
}

fn counts(out: &mut String, summary: &Summary<'_>) {
    // The undecided column appears only where a cell fits the prediction without proving it.
    let undecided = summary.total.undecided > 0;
    let _ = writeln!(
        out,
        "<h2>Configurations</h2>\n<table class=\"counts\" id=\"counts\">\n\
         <tr><th>configuration</th><th>source</th><th>caps</th><th>pass</th><th>fail</th><th>drift</th><th>held back</th>{}<th>unpredicted</th></tr>",
        if undecided { "<th>undecided</th>" } else { "" }
    );
    for (c, n) in &summary.per_configuration {
        let fail = if n.fail > 0 {
            format!("<span class=\"bad\">{}</span>", n.fail)
        } else {
            "0".into()
        };
        let start = c
            .start_error
            .as_ref()
            .map(|e| format!("<br><span class=\"bad\">could not start: {}</span>", esc(e)))
            .unwrap_or_default();
        let undecided_cell = if undecided {
            format!("<td class=\"n\">{}</td>", n.undecided)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code>{start}</td><td class=\"muted\">{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{fail}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{undecided_cell}<td class=\"n\">{}</td></tr>",
            esc(&c.id),
            esc(&c.source),
            esc(&c.caps.join(" ")),
            n.pass,
            n.drift,
            n.held_back,
            n.unpredicted
        );
    }
    out.push_str("</table>\n");
}

/// The outcomes in the order of the legend and the filter.
const OUTCOMES: [Outcome; 9] = [
    Outcome::Allowed,
    Outcome::Errno,
    Outcome::Killed,
    Outcome::Trapped,
    Outcome::Timeout,
    Outcome::StartFailed,
    Outcome::NotRun,
    Outcome::Ambiguous,
    Outcome::Absent,
];

/// The matrix as a heatmap under its filters; each cell's details ride along as JSON, for the
/// page's script to show on a click.
fn heatmap(out: &mut String, grid: &Grid<'_>) {
    heatmap_filters(out, grid);
    if grid.hidden > 0 {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{} rows where every configuration agrees and nothing failed are left out.</p>",
            grid.hidden
        );
    }
    let details = heatmap_table(out, grid);
    let data = serde_json::json!({ "fields": FIELDS, "cells": details });
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"cell-data\">{}</script>",
        script_json(&data)
    );
}

/// The filters above the heatmap (outcome, verdict, the families present, a search) and the
/// glyphs' legend.
fn heatmap_filters(out: &mut String, grid: &Grid<'_>) {
    let families: BTreeSet<&str> = grid
        .rows
        .iter()
        .filter_map(|r| r.cells.iter().flatten().next())
        .map(|c| family::of_syscall(&c.syscall))
        .collect();
    out.push_str("<h2>Matrix</h2>\n<form id=\"filters\" onsubmit=\"return false\">\n");
    out.push_str("<fieldset><legend>outcome</legend>");
    for o in OUTCOMES {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"outcome\" value=\"{o}\" checked> <span class=\"chip o-{o}\">{o}</span></label>"
        );
    }
    out.push_str("</fieldset>\n<fieldset><legend>verdict</legend>");
    for v in Verdict::ALL {
        let v = v.as_str();
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"verdict\" value=\"{v}\" checked> {v}</label>"
        );
    }
    out.push_str(
        "</fieldset>\n<label>family <select id=\"family\"><option value=\"\">all</option>",
    );
    for f in family::all().into_iter().filter(|f| families.contains(f)) {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", esc(f));
    }
    out.push_str(
        "</select></label>\n<label>search <input type=\"search\" id=\"search\" placeholder=\"case id, e.g. unshare\"></label>\n\
         <span id=\"shown\"></span>\n</form>\n<div id=\"legend\">",
    );
    for (g, meaning) in glyph::LEGEND {
        let _ = write!(out, "<span><code>{}</code> {}</span>", esc(g), esc(meaning));
    }
    out.push_str(
        "<span><code>!</code> failed: observed differs from the prediction (red frame)</span>\
         <span><code>~</code> drift: builtin differs from upstream's profile for the engine's release (dashed frame)</span></div>\n",
    );
}

/// The heatmap's table, a row per case and a column per configuration; returns each cell's
/// details, which the table's cells point to by index.
fn heatmap_table(out: &mut String, grid: &Grid<'_>) -> Vec<serde_json::Value> {
    out.push_str(
        "<div class=\"wrap\"><table id=\"heatmap\">\n<thead><tr><th class=\"corner\">case</th>",
    );
    for c in &grid.columns {
        let _ = write!(
            out,
            "<th class=\"conf\" scope=\"col\" title=\"{0}\">{0}</th>",
            esc(&c.id)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut details = Vec::new();
    for row in &grid.rows {
        let syscall = row
            .cells
            .iter()
            .flatten()
            .next()
            .map_or(row.case, |c| c.syscall.as_str());
        let _ = write!(
            out,
            "<tr class=\"case\" data-case=\"{}\" data-family=\"{}\"><th class=\"case\" scope=\"row\">{}</th>",
            esc(row.case),
            esc(family::of_syscall(syscall)),
            esc(row.case)
        );
        for (cell, conf) in row.cells.iter().zip(&grid.columns) {
            match cell {
                None => {
                    let _ = write!(
                        out,
                        "<td class=\"c o-none\" data-o=\"none\" data-v=\"none\" title=\"{}: no cell\">{}</td>",
                        esc(&conf.id),
                        grid::NO_CELL
                    );
                }
                Some(c) => {
                    let i = details.len();
                    details.push(cell_details(c));
                    let _ = write!(
                        out,
                        "<td class=\"c o-{o} v-{v}\" data-o=\"{o}\" data-v=\"{v}\" data-i=\"{i}\">{}</td>",
                        esc(&glyph::observed(&c.observed)),
                        o = c.observed.outcome,
                        v = c.verdict.as_str(),
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    details
}

/// One cell's details, in [`FIELDS`] order.
fn cell_details(c: &Cell) -> serde_json::Value {
    let note = [c.observed.note.as_deref(), c.expected.note.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
    serde_json::json!([
        c.configuration,
        c.case,
        format!("{} ({})", c.syscall, c.abi),
        glyph::describe_observed(&c.observed),
        glyph::describe_expected(&c.expected),
        c.verdict.as_str(),
        c.observed.rule.map(|r| r.to_string()),
        c.expected.rule.map(|r| r.to_string()),
        note,
    ])
}

fn failures(out: &mut String, summary: &Summary<'_>) {
    cell_list(out, "Failures", "failures", &summary.failures);
    cell_list(
        out,
        "Drift from upstream's profile",
        "drift",
        &summary.drifts,
    );
}

fn cell_list(out: &mut String, title: &str, id: &str, cells: &[&Cell]) {
    if cells.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>{title} ({})</h2>\n<table class=\"list\" id=\"{id}\">\n\
         <tr><th>configuration</th><th>case</th><th>observed</th><th>expected</th><th>note</th></tr>",
        cells.len()
    );
    for c in cells {
        let note = [c.observed.note.as_deref(), c.expected.note.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.configuration),
            esc(&c.case),
            esc(&glyph::describe_observed(&c.observed)),
            esc(&glyph::describe_expected(&c.expected)),
            esc(&note)
        );
    }
    out.push_str("</table>\n");
}

/// Renders a diff as one HTML page: the headline, host differences as context, then one table
/// per kind of change, the worst first.
pub fn render_diff(diff: &MatrixDiff, old: &str, new: &str) -> String {
    let mut out = String::new();
    let headline = super::diff::headline(diff);
    page_start(&mut out, &format!("seccomp-harness diff: {headline}"));
    let _ = writeln!(
        out,
        "<h1>seccomp-harness diff: <span class=\"{}\">{}</span></h1>\n<p><code>{}</code> &rarr; <code>{}</code></p>",
        if diff.has_changes() { "bad" } else { "good" },
        esc(&headline),
        esc(old),
        esc(new)
    );
    diff_host(&mut out, diff);
    diff_cells(&mut out, diff);
    diff_readiness(&mut out, diff);
    diff_lists(&mut out, diff);
    out.push_str("<script>document.body.dataset.ready = \"1\";</script>\n</body>\n</html>\n");
    out
}

/// The host facts that differ, as context.
fn diff_host(out: &mut String, diff: &MatrixDiff) {
    if !diff.host.is_empty() {
        out.push_str("<h2>Host (context)</h2>\n<table class=\"facts\" id=\"host\">\n<tr><th>fact</th><th>old</th><th>new</th></tr>\n");
        for f in &diff.host {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                esc(&f.fact),
                esc(&f.old),
                esc(&f.new)
            );
        }
        out.push_str("</table>\n");
    }
}

/// One table per kind of cell change, the worst first.
fn diff_cells(out: &mut String, diff: &MatrixDiff) {
    for kind in ChangeKind::ALL {
        let cells: Vec<&CellChange> = diff.cells_of(kind).collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h2>{} ({})</h2>\n<table class=\"list changes\" data-kind=\"{}\">\n<tr><th>configuration</th><th>case</th><th>old</th><th>new</th></tr>",
            esc(kind.title()),
            cells.len(),
            esc(kind.title())
        );
        for c in cells {
            let side = |s: &crate::diff::CellState| {
                format!(
                    "<span class=\"chip o-{}\">{}</span> {} <span class=\"muted\">[{}]</span>",
                    s.observed.outcome,
                    esc(&glyph::observed(&s.observed)),
                    esc(&glyph::describe_observed(&s.observed)),
                    s.verdict.as_str()
                )
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&c.configuration),
                esc(&c.case),
                side(&c.old),
                side(&c.new)
            );
        }
        out.push_str("</table>\n");
    }
}

fn diff_readiness(out: &mut String, diff: &MatrixDiff) {
    if !diff.readiness.is_empty() {
        out.push_str("<h2>Readiness: EPERM on implemented syscalls under builtin</h2>\n<ul id=\"readiness-changes\">\n");
        for l in diff.readiness.lines() {
            let _ = writeln!(out, "<li><code>{}</code></li>", esc(&l));
        }
        out.push_str("</ul>\n");
    }
}

/// The cases and configurations only one side has.
fn diff_lists(out: &mut String, diff: &MatrixDiff) {
    let lists = [
        (
            "cases added",
            diff.cases_added
                .iter()
                .map(|c| format!("{} in {}", c.case, c.configurations.join(", ")))
                .collect::<Vec<_>>(),
        ),
        (
            "cases removed",
            diff.cases_removed
                .iter()
                .map(|c| format!("{} in {}", c.case, c.configurations.join(", ")))
                .collect(),
        ),
        ("configurations added", diff.configurations_added.clone()),
        (
            "configurations removed",
            diff.configurations_removed.clone(),
        ),
    ];
    for (title, items) in lists {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h2>{title} ({})</h2>\n<ul>", items.len());
        for i in items {
            let _ = writeln!(out, "<li><code>{}</code></li>", esc(&i));
        }
        out.push_str("</ul>\n");
    }
}

#[cfg(test)]
mod tests;
