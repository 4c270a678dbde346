//! The default `run` output for a terminal: the host facts, the configurations, the matrix
//! (cases × configurations, one glyph per cell), a legend, the verdict counts and, last, where
//! the eye lands when the command ends, each failing cell with both sides and the rule.

use super::grid::{self, Grid, NO_CELL};
use super::{glyph, Options, Summary};
use crate::matrix::{Cell, HostFacts, Matrix, Verdict};
use crate::outcome::Outcome;
use std::fmt::Write;

/// Column headers are the configuration ids when the whole table fits this width, else their
/// `[n]` keys: ids like `docker-default-v25+SYS_ADMIN` times ten would not fit a terminal.
const MAX_WIDTH_WITH_IDS: usize = 120;

pub fn render(matrix: &Matrix, options: &Options) -> String {
    let paint = Paint(options.color);
    let summary = Summary::of(matrix);
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.bold("seccomp-harness matrix"));
    if let Some(line) = super::missing_engines_headline(matrix) {
        let _ = writeln!(out, "{}", paint.fail(&line));
    }
    if let Some(line) = super::missing_configurations_headline(matrix) {
        let _ = writeln!(out, "{}", paint.fail(&line));
        for m in super::missing_configurations(matrix) {
            let _ = writeln!(out, "  {m}");
        }
    }
    if let Some(headline) = super::not_enforced_headline(matrix, &summary.total) {
        let _ = writeln!(out, "{}", paint.fail(&headline));
        for (runtime, why) in super::not_enforced(matrix) {
            let _ = writeln!(out, "  {runtime}: {why}");
        }
        out.push('\n');
    }
    if matrix.engines.is_empty() {
        host(&mut out, &matrix.host);
    } else {
        for e in &matrix.engines {
            let _ = writeln!(out, "  [{}]", e.name);
            host(&mut out, &e.host);
        }
        for m in &matrix.missing_engines {
            let _ = writeln!(out, "  [{}]", m.name);
            let line = format!("    missing from this matrix ({}): {}", m.url, m.error);
            let _ = writeln!(out, "{}", paint.fail(&line));
        }
    }
    out.push('\n');
    configurations(&mut out, matrix, paint);
    grid(&mut out, &Grid::of(matrix, options.only_interesting), paint);
    legend(&mut out, paint);
    counts(&mut out, &summary, paint);
    readiness(&mut out, matrix, paint);
    coverage(&mut out, matrix, paint);
    drifts(&mut out, &summary.drifts);
    failures(&mut out, matrix, &summary.failures, paint);
    out
}

/// Rule coverage ([`crate::coverage`]): each file configuration's figure, then its argument
/// rules and its unproven rules one per line.
fn coverage(out: &mut String, matrix: &Matrix, paint: Paint) {
    if matrix.coverage.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        paint.bold("rule coverage (rules proven on both sides):")
    );
    for c in &matrix.coverage {
        let _ = writeln!(
            out,
            "  {}: {}",
            c.configuration,
            crate::coverage::summary_line(c)
        );
        for r in crate::coverage::listed(c) {
            let _ = writeln!(out, "    {}", crate::coverage::describe(r));
        }
    }
    out.push('\n');
}

/// Builtin cells that behave otherwise than upstream's profile: each with the note that
/// holds both observations.
fn drifts(out: &mut String, drifts: &[&Cell]) {
    if drifts.is_empty() {
        return;
    }
    let _ = writeln!(out, "drift from upstream's profile ({})", drifts.len());
    for cell in drifts {
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            cell.configuration,
            cell.case,
            cell.observed.note.as_deref().unwrap_or_default()
        );
    }
    out.push('\n');
}

/// The readiness summary ([`crate::readiness`]): the calls some listed userspace falls back
/// from, one line per userspace with the source of its decision, the rules that fix what
/// breaks, and the other EPERM denials folded into a count.
fn readiness(out: &mut String, matrix: &Matrix, paint: Paint) {
    let Some(r) = crate::readiness::of_matrix(matrix) else {
        return;
    };
    let _ = writeln!(out, "{}", paint.bold(&crate::readiness::headline(&r)));
    let listed: Vec<_> = r
        .entries
        .iter()
        .filter(|e| !e.userspace.is_empty())
        .collect();
    let w = listed.iter().map(|e| e.syscall.len()).max().unwrap_or(0);
    for e in &listed {
        for a in &e.userspace {
            let _ = writeln!(
                out,
                "  {:w$}  {}: {}  ({})",
                e.syscall,
                a.who(),
                a.effect_text(),
                a.source
            );
        }
    }
    if let Some(place) = &r.fix_placement {
        let _ = writeln!(out, "  fix: {place}:");
        for f in &r.fix {
            let _ = writeln!(out, "    {}", f.json());
        }
    }
    if !r.enosys.is_empty() {
        let _ = writeln!(
            out,
            "  ENOSYS, so listed userspace falls back: {}",
            r.enosys.join(" ")
        );
    }
    let rest: Vec<&str> = r
        .entries
        .iter()
        .filter(|e| e.userspace.is_empty())
        .map(|e| e.syscall.as_str())
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "  {} more denied with EPERM, no listed userspace falls back from them: {} (--format json or html: each one's rule, upstream naming, libseccomp and release)",
            rest.len(),
            rest.join(" ")
        );
    }
    out.push('\n');
}

fn host(out: &mut String, h: &HostFacts) {
    let s = &h.seccomp;
    let actions = if s.actions_available.is_empty() {
        "unknown".to_owned()
    } else {
        s.actions_available.join(" ")
    };
    let _ = writeln!(out, "  host     kernel {}, arch {}", h.kernel, h.arch);
    let _ = writeln!(
        out,
        "  engine   {} {} (API {}), runtime {} {}{}",
        h.engine,
        h.engine_version,
        h.api_version,
        h.runtime,
        h.runtime_version,
        super::markdown::runtime_extras(h)
    );
    let _ = writeln!(
        out,
        "  seccomp  CONFIG_SECCOMP={}, CONFIG_SECCOMP_FILTER={}, engine profile {}",
        config_flag(s.config_seccomp),
        config_flag(s.config_seccomp_filter),
        if s.engine_profile.is_empty() {
            "unknown"
        } else {
            &s.engine_profile
        }
    );
    let _ = writeln!(out, "  actions  {actions}");
}

/// `y`/`n` as in a kernel config; `unknown` where /proc/config.gz was not readable.
pub(crate) fn config_flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "y",
        Some(false) => "n",
        None => "unknown",
    }
}

fn configurations(out: &mut String, matrix: &Matrix, paint: Paint) {
    let _ = writeln!(out, "{}", paint.bold("configurations"));
    let width = matrix
        .configurations
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0);
    for (i, c) in matrix.configurations.iter().enumerate() {
        let key = format!("[{}]", i + 1);
        let mut line = format!("  {key:>4} {:width$}  {}", c.id, c.source);
        if let Some(sha) = &c.sha256 {
            let short: String = sha.chars().take(12).collect();
            let _ = write!(line, " sha256:{short}");
        }
        if !c.caps.is_empty() {
            let _ = write!(line, "  caps {}", c.caps.join(" "));
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if let Some(e) = &c.start_error {
            let _ = writeln!(out, "       {}", paint.fail(&format!("start failed: {e}")));
        }
    }
    out.push('\n');
}

fn grid(out: &mut String, g: &Grid<'_>, paint: Paint) {
    if g.rows.is_empty() && g.hidden == 0 {
        let _ = writeln!(out, "no cells\n");
        return;
    }
    let texts: Vec<Vec<String>> = g
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| grid::cell_text(*c)).collect())
        .collect();
    let case_width = g
        .rows
        .iter()
        .map(|r| r.case.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let content_width = |col: usize| texts.iter().map(|r| width(&r[col])).max().unwrap_or(0);
    let with_ids: Vec<String> = g.columns.iter().map(|c| c.id.clone()).collect();
    let total_with_ids: usize = case_width
        + with_ids
            .iter()
            .enumerate()
            .map(|(i, id)| 2 + width(id).max(content_width(i)))
            .sum::<usize>();
    let headers = if total_with_ids <= MAX_WIDTH_WITH_IDS {
        with_ids
    } else {
        (1..=g.columns.len()).map(|i| format!("[{i}]")).collect()
    };
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| width(h).max(content_width(i)))
        .collect();

    let mut line = format!("{:case_width$}", "case");
    for (h, w) in headers.iter().zip(&widths) {
        let _ = write!(line, "  {h:w$}");
    }
    let _ = writeln!(out, "{}", paint.bold(line.trim_end()));
    for (row, texts) in g.rows.iter().zip(&texts) {
        let mut line = format!("{:case_width$}", row.case);
        for ((cell, text), w) in row.cells.iter().zip(texts).zip(&widths) {
            let pad = " ".repeat(w - width(text));
            let _ = write!(line, "  {}{pad}", paint.cell(*cell, text));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if g.hidden > 0 {
        let _ = writeln!(
            out,
            "({} not shown: every configuration agrees and passes)",
            super::plural(g.hidden, "case")
        );
    }
    out.push('\n');
}

fn legend(out: &mut String, paint: Paint) {
    let _ = writeln!(out, "{}", paint.bold("legend"));
    let extra = [
        ("A!=B", "failed: observed A, expected B"),
        (NO_CELL, "no cell for this configuration"),
    ];
    for (g, meaning) in glyph::LEGEND.iter().chain(&extra) {
        let _ = writeln!(out, "  {g:12}  {meaning}");
    }
    out.push('\n');
}

fn counts(out: &mut String, summary: &Summary<'_>, paint: Paint) {
    let _ = writeln!(out, "{}", paint.bold("summary"));
    let width = summary
        .per_configuration
        .iter()
        .map(|(c, _)| width(&c.id))
        .chain([5])
        .max()
        .unwrap_or(5);
    let rows = summary
        .per_configuration
        .iter()
        .enumerate()
        .map(|(i, (c, n))| (format!("[{}]", i + 1), c.id.as_str(), *n))
        .chain([(String::new(), "total", summary.total)]);
    // The drift column appears only where a builtin cell drifted.
    let show_drift = summary.total.drift > 0;
    // So does the held-back column, where a profile was not started: never a pass.
    let show_held_back = summary.total.held_back > 0;
    // And the undecided column, where a cell fits the prediction without proving it.
    let show_undecided = summary.total.undecided > 0;
    for (key, id, n) in rows {
        let fail = format!("{:>4} fail", n.fail);
        let fail = if n.fail > 0 { paint.fail(&fail) } else { fail };
        let drift = if show_drift {
            format!("  {:>4} drift", n.drift)
        } else {
            String::new()
        };
        let held_back = if show_held_back {
            format!("  {:>4} held back", n.held_back)
        } else {
            String::new()
        };
        let undecided = if show_undecided {
            format!("  {:>4} undecided", n.undecided)
        } else {
            String::new()
        };
        let unenforced = if summary.total.not_enforced > 0 {
            paint.fail(&format!("  {:>4} not enforced", n.not_enforced))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {key:>4} {id:width$}  {:>4} pass  {fail}{drift}{held_back}{undecided}  {:>4} unpredicted{unenforced}",
            n.pass, n.unpredicted
        );
    }
    out.push('\n');
}

fn failures(out: &mut String, matrix: &Matrix, failures: &[&Cell], paint: Paint) {
    if failures.is_empty() {
        let _ = writeln!(out, "no failures");
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        paint.fail(&format!("failures ({})", failures.len()))
    );
    for cell in failures {
        let key = matrix
            .configurations
            .iter()
            .position(|c| c.id == cell.configuration)
            .map_or_else(|| "[?]".to_owned(), |i| format!("[{}]", i + 1));
        let _ = writeln!(
            out,
            "  {key} {}  {}  ({} on {})",
            cell.configuration, cell.case, cell.syscall, cell.abi
        );
        let mut observed = glyph::describe_observed(&cell.observed);
        if let Some(note) = &cell.observed.note {
            let _ = write!(observed, "; {note}");
        }
        let mut expected = glyph::describe_expected(&cell.expected);
        if let Some(note) = &cell.expected.note {
            let _ = write!(expected, "; {note}");
        }
        let _ = writeln!(out, "      observed  {observed}");
        let _ = writeln!(out, "      expected  {expected}");
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// ANSI styling that is a no-op without colour, so layout code never branches on it.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn fail(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Failures stand out in red; denials are coloured by kind so a column's shape shows at a
    /// glance; `ok` stays plain because it is most of the table.
    fn cell(self, cell: Option<&Cell>, text: &str) -> String {
        let Some(cell) = cell else {
            return self.wrap("2", text);
        };
        if cell.verdict == Verdict::Fail {
            return self.fail(text);
        }
        match cell.observed.outcome {
            Outcome::Allowed => text.to_owned(),
            Outcome::Errno => self.wrap("33", text),
            Outcome::Killed | Outcome::Trapped => self.wrap("35", text),
            Outcome::Timeout | Outcome::StartFailed => self.wrap("31", text),
            Outcome::NotRun | Outcome::Ambiguous | Outcome::Absent => self.wrap("2", text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
    use crate::outcome::RuleRef;

    fn sample() -> Matrix {
        let d = Some(RuleRef::DEFAULT);
        let mut unpredicted = allowed("builtin", "mkdir");
        unpredicted.verdict = Verdict::Unpredicted;
        matrix(
            &["strict", "strict+SYS_ADMIN", "builtin"],
            vec![
                cell(
                    "strict",
                    "getpid",
                    obs(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                    exp(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                ),
                cell(
                    "strict",
                    "mkdir",
                    obs(Outcome::Errno, Some(1), d),
                    exp(Outcome::Errno, Some(1), d),
                ),
                cell(
                    "strict",
                    "unshare(CLONE_NEWUSER)",
                    obs(Outcome::Allowed, None, None),
                    exp(Outcome::Errno, Some(1), d),
                ),
                cell(
                    "strict+SYS_ADMIN",
                    "getpid",
                    obs(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                    exp(Outcome::Allowed, None, Some(RuleRef::Index(0))),
                ),
                cell(
                    "strict+SYS_ADMIN",
                    "mkdir",
                    obs(Outcome::Killed, None, Some(RuleRef::Index(4))),
                    exp(Outcome::Killed, None, Some(RuleRef::Index(4))),
                ),
                cell(
                    "strict+SYS_ADMIN",
                    "unshare(CLONE_NEWUSER)",
                    obs(Outcome::Allowed, None, Some(RuleRef::Index(7))),
                    exp(Outcome::Allowed, None, Some(RuleRef::Index(7))),
                ),
                unpredicted,
            ],
        )
    }

    #[test]
    fn the_full_table() {
        let out = render(&sample(), &Options::default());
        let expected = "\
seccomp-harness matrix
  host     kernel 6.1.0-18-amd64, arch x86_64
  engine   docker 25.0.3 (API 1.44), runtime rt-a 1.1.12
  seccomp  CONFIG_SECCOMP=y, CONFIG_SECCOMP_FILTER=y, engine profile builtin
  actions  kill_process errno log

configurations
   [1] strict            profiles/strict.json sha256:0123abcd
   [2] strict+SYS_ADMIN  profiles/strict.json sha256:0123abcd  caps +SYS_ADMIN
   [3] builtin           profiles/builtin.json sha256:0123abcd

case                    strict     strict+SYS_ADMIN  builtin
getpid                  ok         ok                .
mkdir                   EPERM      KILL              ok
unshare(CLONE_NEWUSER)  ok!=EPERM  ok                .

legend
  ok            allowed: the call got what it gets unconfined
  EPERM, E4000  errno from the filter (name, or number where it has none)
  KILL          killed by SIGSYS (KILL_THREAD, KILL_PROCESS or the bad-arch action)
  TRAP          SIGSYS delivered to the probe's handler (SCMP_ACT_TRAP)
  T/O           the case timed out
  START!        the runtime could not start the container
  -             not run
  ?             ambiguous: a denial not attributable to the filter (e.g. builtin)
  absent        the kernel lacks the syscall
  A!=B          failed: observed A, expected B
  .             no cell for this configuration

summary
   [1] strict               2 pass     1 fail     0 unpredicted
   [2] strict+SYS_ADMIN     3 pass     0 fail     0 unpredicted
   [3] builtin              0 pass     0 fail     1 unpredicted
       total                5 pass     1 fail     1 unpredicted

failures (1)
  [1] strict  unshare(CLONE_NEWUSER)  (unshare on x86_64)
      observed  allowed
      expected  errno EPERM (1) by defaultAction
";
        assert_eq!(out, expected);
    }

    #[test]
    fn only_interesting_hides_rows_where_all_agree_and_pass() {
        let mut m = sample();
        m.cells.retain(|c| c.configuration != "builtin");
        m.configurations.retain(|c| c.id != "builtin");
        let out = render(
            &m,
            &Options {
                only_interesting: true,
                ..Options::default()
            },
        );
        assert!(!out.contains("\ngetpid "), "{out}");
        assert!(out.contains("\nmkdir "), "{out}");
        assert!(out.contains("\nunshare(CLONE_NEWUSER) "), "{out}");
        assert!(out.contains("(1 case not shown: every configuration agrees and passes)"));
    }

    #[test]
    fn colour_is_only_added_when_asked_and_keeps_columns_aligned() {
        let out = render(
            &sample(),
            &Options {
                color: true,
                ..Options::default()
            },
        );
        assert!(out.contains("\x1b[1;31mok!=EPERM\x1b[0m"), "{out}");
        let strip = |s: &str| {
            let mut r = String::new();
            let mut esc = false;
            for ch in s.chars() {
                match (esc, ch) {
                    (false, '\x1b') => esc = true,
                    (true, 'm') => esc = false,
                    (true, _) => {}
                    (false, c) => r.push(c),
                }
            }
            r
        };
        assert_eq!(strip(&out), render(&sample(), &Options::default()));
    }

    #[test]
    fn many_wide_configurations_get_numbered_columns() {
        let ids: Vec<String> = (0..10)
            .map(|i| format!("docker-default-v25+SYS_ADMIN-{i}"))
            .collect();
        let cells = ids.iter().map(|id| allowed(id, "getpid")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let out = render(&matrix(&refs, cells), &Options::default());
        assert!(out.contains("\ncase    [1]  [2]  [3]"), "{out}");
        assert!(out.contains("\ngetpid  ok   ok   ok"), "{out}");
    }

    #[test]
    fn unknown_host_facts_say_so() {
        let mut m = sample();
        m.host.seccomp.config_seccomp_filter = None;
        m.host.seccomp.actions_available.clear();
        let out = render(&m, &Options::default());
        assert!(out.contains("CONFIG_SECCOMP_FILTER=unknown"), "{out}");
        assert!(out.contains("  actions  unknown\n"), "{out}");
    }
}
