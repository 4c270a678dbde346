//! JUnit XML for CI test reports: one `<testsuite>` per configuration, one `<testcase>` per
//! cell (classname = configuration, name = case). A failed cell is a `<failure>` whose message
//! holds expected, observed and the rule; an unpredicted cell is `<skipped>`, since there was
//! nothing to check it against. Every attribute and text is escaped: case ids hold `<`, `|`
//! and `(`, and notes hold whatever a runtime printed, control characters included.

use super::glyph;
use crate::matrix::{Cell, Matrix, Verdict};
use std::fmt::Write;

pub fn render(matrix: &Matrix) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (fail, skip) = counts(matrix.cells.iter());
    let missing = missing(matrix);
    let _ = writeln!(
        out,
        "<testsuites name=\"seccomp-harness\" tests=\"{}\" failures=\"{fail}\" errors=\"{}\" \
         skipped=\"{skip}\">",
        matrix.cells.len() + missing.len(),
        missing.len()
    );
    for id in suite_ids(matrix) {
        suite(&mut out, matrix, &id);
    }
    for (name, error) in &missing {
        missing_suite(&mut out, name, error);
    }
    out.push_str("</testsuites>\n");
    out
}

/// What the run lacks, each as (suite name, why): the engines of several that gave no matrix
/// and the configurations whose container runs ended in an engine error.
fn missing(matrix: &Matrix) -> Vec<(String, String)> {
    let engines = matrix.missing_engines.iter().map(|m| {
        (
            format!("engine {}", m.name),
            format!("{} ({})", m.error, m.url),
        )
    });
    let configurations = matrix
        .missing_configurations
        .iter()
        .map(|m| (m.id.clone(), m.error.clone()));
    engines.chain(configurations).collect()
}

/// A suite for an engine or configuration that gave no cells: one testcase in error, so CI
/// shows the run as broken rather than passing on the cells it has.
fn missing_suite(out: &mut String, name: &str, error: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">",
        esc(name)
    );
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"missing from this matrix\">",
        esc(name)
    );
    let _ = writeln!(
        out,
        "      <error message=\"missing from this matrix: {}\" type=\"missing\">{}</error>",
        esc(error),
        esc_text(error)
    );
    out.push_str("    </testcase>\n  </testsuite>\n");
}

/// Configurations in matrix order, then any configuration a cell names that the list lacks:
/// every cell must show up somewhere.
fn suite_ids(matrix: &Matrix) -> Vec<String> {
    let mut ids: Vec<String> = matrix.configurations.iter().map(|c| c.id.clone()).collect();
    for cell in &matrix.cells {
        if !ids.contains(&cell.configuration) {
            ids.push(cell.configuration.clone());
        }
    }
    ids
}

fn counts<'a>(cells: impl Iterator<Item = &'a Cell>) -> (usize, usize) {
    cells.fold((0, 0), |(f, s), c| match c.verdict {
        // The profile was not applied at all: a failure of the host, never a pass.
        Verdict::Fail | Verdict::NotEnforced => (f + 1, s),
        Verdict::Unpredicted | Verdict::Drift | Verdict::HeldBack | Verdict::Undecided => {
            (f, s + 1)
        }
        Verdict::Pass => (f, s),
    })
}

fn suite(out: &mut String, matrix: &Matrix, id: &str) {
    let cells: Vec<&Cell> = matrix.cells_of(id).collect();
    let (fail, skip) = counts(cells.iter().copied());
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fail}\" errors=\"0\" skipped=\"{skip}\">",
        esc(id),
        cells.len()
    );
    properties(out, matrix, id);
    for cell in cells {
        testcase(out, cell);
    }
    readiness(out, matrix, id);
    out.push_str("  </testsuite>\n");
}

/// The host facts and the configuration go in each suite's properties, so a CI report alone
/// says where and under what the cells ran.
fn properties(out: &mut String, matrix: &Matrix, id: &str) {
    let h = &matrix.host;
    let mut props: Vec<(&str, String)> = vec![
        ("kernel", h.kernel.clone()),
        ("arch", h.arch.clone()),
        ("engine", format!("{} {}", h.engine, h.engine_version)),
        ("api_version", h.api_version.clone()),
        ("runtime", format!("{} {}", h.runtime, h.runtime_version)),
        ("engine_profile", h.seccomp.engine_profile.clone()),
    ];
    if let Some(c) = matrix.configuration(id) {
        props.push(("profile", c.profile.clone()));
        props.push(("source", c.source.clone()));
        if let Some(sha) = &c.sha256 {
            props.push(("sha256", sha.clone()));
        }
        props.push(("caps", c.caps.join(" ")));
        if let Some(e) = &c.start_error {
            props.push(("start_error", e.clone()));
        }
    }
    if let Some(r) = crate::readiness::of_matrix(matrix).filter(|r| r.configuration == id) {
        let names: Vec<&str> = r.entries.iter().map(|e| e.syscall.as_str()).collect();
        props.push(("readiness_eperm_syscalls", names.join(" ")));
    }
    if let Some(c) = matrix.coverage.iter().find(|c| c.configuration == id) {
        props.push(("rule_coverage", crate::coverage::summary_line(c)));
        if let Some(f) = c.figures.first() {
            props.push(("rules_proven", f.proven.to_string()));
            props.push(("rules", f.rules.to_string()));
        }
        let listed: Vec<String> = crate::coverage::listed(c)
            .map(crate::coverage::describe)
            .collect();
        if !listed.is_empty() {
            props.push(("rule_coverage_detail", listed.join("\n")));
        }
    }
    out.push_str("    <properties>\n");
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            esc(&value)
        );
    }
    out.push_str("    </properties>\n");
}

/// The readiness summary ([`crate::readiness`]) goes with the builtin configuration's suite:
/// a `readiness_eperm_syscalls` property listing the syscalls, and the whole summary as `<system-out>`.
fn readiness(out: &mut String, matrix: &Matrix, id: &str) {
    let Some(r) = crate::readiness::of_matrix(matrix).filter(|r| r.configuration == id) else {
        return;
    };
    let mut text = crate::readiness::headline(&r);
    for e in &r.entries {
        let _ = write!(text, "\n{}: EPERM {}", e.syscall, e.summary());
    }
    if let Some(place) = &r.fix_placement {
        let _ = write!(text, "\nfix: {place}:");
        for f in &r.fix {
            let _ = write!(text, "\n  {}", f.json());
        }
    }
    let _ = writeln!(out, "    <system-out>{}</system-out>", esc_text(&text));
}

fn testcase(out: &mut String, cell: &Cell) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        esc(&cell.configuration),
        esc(&cell.case)
    );
    let observed = glyph::describe_observed(&cell.observed);
    let expected = glyph::describe_expected(&cell.expected);
    let (obs, exp) = (esc(&observed), esc(&expected));
    let note = esc(cell.observed.note.as_deref().unwrap_or_default());
    let inner = match cell.verdict {
        Verdict::Pass => {
            out.push_str("/>\n");
            return;
        }
        Verdict::Drift => skipped(format!(
            "drift: observed {obs}; upstream's profile predicts {exp}; {note}"
        )),
        Verdict::Unpredicted => skipped(format!("unpredicted: observed {obs}")),
        Verdict::HeldBack => skipped(format!("held back: not started; {note}")),
        Verdict::Undecided => skipped(format!(
            "undecided: observed {obs}, expected {exp}; {note}"
        )),
        Verdict::NotEnforced => format!(
            "<failure message=\"not enforced: observed {obs}; {note}\" type=\"seccomp-not-enforced\"/>"
        ),
        Verdict::Fail => mismatch(cell, &observed, &expected),
    };
    let _ = writeln!(out, ">\n      {inner}\n    </testcase>");
}

/// A verdict that is neither a pass nor a failure: CI shows it apart, with its reason.
fn skipped(message: String) -> String {
    format!("<skipped message=\"{message}\"/>")
}

/// A failed cell: both sides in the message, and every fact a reader needs in the body.
fn mismatch(cell: &Cell, observed: &str, expected: &str) -> String {
    let message = format!("expected {expected}, observed {observed}");
    let mut body = format!(
        "configuration: {}\ncase: {}\nsyscall: {} on {}\nexpected: {expected}\nobserved: {observed}\n",
        cell.configuration, cell.case, cell.syscall, cell.abi
    );
    if let Some(n) = &cell.expected.note {
        let _ = writeln!(body, "expected note: {n}");
    }
    if let Some(n) = &cell.observed.note {
        let _ = writeln!(body, "observed note: {n}");
    }
    format!(
        "<failure message=\"{}\" type=\"seccomp-mismatch\">{}</failure>",
        esc(&message),
        esc_text(&body)
    )
}

/// Escapes for an attribute value: markup characters, and the whitespace that attribute
/// normalization would otherwise fold into spaces.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => push_text_char(&mut out, c),
        }
    }
    out
}

/// Escapes for element text.
fn esc_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' | '\r' | '\t' => out.push(ch),
            c => push_text_char(&mut out, c),
        }
    }
    out
}

/// XML 1.0 can't hold most control characters even as references: they become U+FFFD.
fn push_text_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&apos;"),
        c if (c < ' ' && !matches!(c, '\n' | '\r' | '\t'))
            || c == '\u{FFFE}'
            || c == '\u{FFFF}' =>
        {
            out.push('\u{FFFD}')
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
    use crate::outcome::{Outcome, RuleRef};

    #[test]
    fn missing_engines_and_configurations_are_suites_in_error() {
        let mut m = matrix(&["strict"], vec![allowed("strict", "getpid")]);
        m.missing_engines.push(crate::matrix::MissingEngine {
            name: "sid".into(),
            url: "unix:///gone.sock".into(),
            error: "cannot reach <it>".into(),
        });
        m.missing_configurations
            .push(crate::matrix::MissingConfiguration {
                id: "strict+SYS_ADMIN".into(),
                error: "the engine closed the connection".into(),
            });
        let xml = render(&m);
        assert!(
            xml.contains("tests=\"3\" failures=\"0\" errors=\"2\""),
            "{xml}"
        );
        assert!(xml.contains("<testsuite name=\"engine sid\""), "{xml}");
        assert!(
            xml.contains("cannot reach &lt;it&gt; (unix:///gone.sock)"),
            "{xml}"
        );
        assert!(
            xml.contains("<testsuite name=\"strict+SYS_ADMIN\""),
            "{xml}"
        );
        assert!(
            xml.contains("missing from this matrix: the engine closed the connection"),
            "{xml}"
        );
        // A whole matrix has no error suite.
        m.missing_engines.clear();
        m.missing_configurations.clear();
        assert!(!render(&m).contains("missing from this matrix"));
    }

    fn sample() -> Matrix {
        let d = Some(RuleRef::DEFAULT);
        let mut unpredicted = allowed("builtin", "getpid");
        unpredicted.verdict = Verdict::Unpredicted;
        let mut m = matrix(
            &["strict", "builtin"],
            vec![
                allowed("strict", "getpid"),
                cell(
                    "strict",
                    "i386:socketcall(SYS_SOCKET|<&>\"')",
                    obs(Outcome::Allowed, None, None),
                    exp(Outcome::Errno, Some(1), d),
                ),
                unpredicted,
            ],
        );
        m.cells[1].observed.note = Some("bell\x07 and\nnewline".into());
        m
    }

    /// The properties of a testsuite of [`sample`]: the same host in each, only the profile
    /// and its file differ.
    fn suite_properties(profile: &str) -> String {
        format!(
            r#"    <properties>
      <property name="kernel" value="6.1.0-18-amd64"/>
      <property name="arch" value="x86_64"/>
      <property name="engine" value="docker 25.0.3"/>
      <property name="api_version" value="1.44"/>
      <property name="runtime" value="rt-a 1.1.12"/>
      <property name="engine_profile" value="builtin"/>
      <property name="profile" value="{profile}"/>
      <property name="source" value="profiles/{profile}.json"/>
      <property name="sha256" value="0123abcd"/>
      <property name="caps" value=""/>
    </properties>
"#
        )
    }

    #[test]
    fn one_testcase_per_cell_with_escaping() {
        let out = render(&sample());
        let strict = suite_properties("strict");
        let builtin = suite_properties("builtin");
        assert_eq!(
            out,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="seccomp-harness" tests="3" failures="1" errors="0" skipped="1">
  <testsuite name="strict" tests="2" failures="1" errors="0" skipped="0">
{strict}    <testcase classname="strict" name="getpid"/>
    <testcase classname="strict" name="i386:socketcall(SYS_SOCKET|&lt;&amp;&gt;&quot;&apos;)">
      <failure message="expected errno EPERM (1) by defaultAction, observed allowed" type="seccomp-mismatch">configuration: strict
case: i386:socketcall(SYS_SOCKET|&lt;&amp;&gt;&quot;&apos;)
syscall: socketcall on i386
expected: errno EPERM (1) by defaultAction
observed: allowed
observed note: bell� and
newline
</failure>
    </testcase>
  </testsuite>
  <testsuite name="builtin" tests="1" failures="0" errors="0" skipped="1">
{builtin}    <testcase classname="builtin" name="getpid">
      <skipped message="unpredicted: observed allowed"/>
    </testcase>
  </testsuite>
</testsuites>
"#
            )
        );
    }

    #[test]
    fn attributes_keep_line_breaks_as_references() {
        assert_eq!(esc("a\nb\t<c>"), "a&#10;b&#9;&lt;c&gt;");
        assert_eq!(esc_text("x\u{1b}[0m"), "x\u{FFFD}[0m");
    }

    #[test]
    fn a_cell_of_an_unlisted_configuration_still_has_a_suite() {
        let mut m = sample();
        m.configurations.remove(1);
        let out = render(&m);
        assert!(
            out.contains("<testsuite name=\"builtin\" tests=\"1\""),
            "{out}"
        );
    }
}
