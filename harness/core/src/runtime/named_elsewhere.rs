//! The rule that keeps this module the one home of runtime knowledge: outside it, the harness
//! and the core do not name a runtime. The grep this test runs: every `.rs` file under
//! `harness/src` and `harness/core/src`, except this module, test files (`tests.rs`) and the
//! generated CRI API; in each, the lines before its `#[cfg(test)]` module: in the core with
//! their comments (a comment that states a runtime's fact states it here, and elsewhere points
//! here), in the harness without them (its comments are still to be moved: [`Scope`]); a name
//! is `runc`, `crun`, `runsc`, `gvisor` or `youki` in any case with no letter on either side
//! (`truncate` is not runc, `is_gvisor` is gVisor). By hand, for the core:
//! `grep -rniE '(^|[^a-z])(runc|crun|runsc|gvisor|youki)([^a-z]|$)' harness/core/src
//! --exclude-dir=runtime` and drop the test modules.
//!
//! The places still left are listed with their count, so that the list can only shrink: a
//! new name elsewhere fails (one moved here leaves its entry too high, which passes, so that
//! the step that moves it need not touch this list).

use std::path::{Path, PathBuf};

const NAMES: &[&str] = &["runc", "crun", "runsc", "gvisor", "youki"];

/// Files that still name a runtime, with how many times, and why: the CLI's help and bollard's
/// field name, nothing else. The core and the run name none: notes and lints take their
/// sentences about a runtime from [`super::prose`], and what differs by runtime is asked of
/// [`super::Runtime`]'s methods (`returns_sentinels`, `resolves_names_itself`,
/// `measured_expectation`, …).
const LEFT: &[(&str, usize)] = &[
    // The CLI's help text and its flag for gVisor's annotation.
    ("src/cli/run.rs", 3),
    // bollard's field for Docker's `/info` commit (`RuncCommit`): the API's name, not a fact
    // about the runtime (what the commit means is `info_commit_is_version_of`).
    ("src/engine/facts.rs", 1),
];

/// How many times `line` names a runtime, as a word.
fn names_in(line: &str) -> usize {
    let lower = line.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let letter = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(u8::is_ascii_alphabetic)
    };
    NAMES
        .iter()
        .map(|name| {
            lower
                .match_indices(name)
                .filter(|(at, _)| !letter(at.checked_sub(1)) && !letter(Some(at + name.len())))
                .count()
        })
        .sum()
}

/// What of a source file the rule reads, per tree.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// Up to its test module, comments dropped (a line comment, or the rest of a line after
    /// ` // `).
    Code,
    /// Up to its test module, comments included.
    CodeAndComments,
}

/// The trees the rule reads, each with its scope.
const TREES: &[(&str, Scope)] = &[("src", Scope::Code), ("core/src", Scope::CodeAndComments)];

/// How many times a source file names a runtime, as the rule reads it.
fn names_in_file(text: &str, scope: Scope) -> usize {
    let before_tests = text.lines().take_while(|l| !l.starts_with("#[cfg(test)]"));
    match scope {
        Scope::Code => before_tests
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| names_in(l.split(" // ").next().unwrap_or(l)))
            .sum(),
        Scope::CodeAndComments => before_tests.map(names_in).sum(),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_names_test_counts_words_not_code_or_comments() {
    assert_eq!(
        names_in("v.truncate(n); is_gvisor(&r); \"runc:[2:INIT]\""),
        2
    );
    assert_eq!(names_in("Crun, RUNSC and youki"), 3);
    let text = "let a = 1; // runc\n// crun\nlet b = \"runsc\";\n#[cfg(test)]\nlet c = \"runc\";\n";
    assert_eq!(names_in_file(text, Scope::Code), 1);
    assert_eq!(names_in_file(text, Scope::CodeAndComments), 3);
}

#[test]
fn no_runtime_is_named_outside_the_runtime_module() {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for (tree, scope) in TREES {
        let mut in_tree = Vec::new();
        rust_files(&harness.join(tree), &mut in_tree);
        files.extend(in_tree.into_iter().map(|f| (f, *scope)));
    }
    let found: Vec<(String, usize)> = files
        .iter()
        .filter_map(|(path, scope)| {
            let rel = path
                .strip_prefix(&harness)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let skipped = rel.starts_with("core/src/runtime/")
                || rel.ends_with("/tests.rs")
                || rel.starts_with("src/engine/cri/api/");
            let n = names_in_file(&std::fs::read_to_string(path).unwrap(), *scope);
            (!skipped && n > 0).then_some((rel, n))
        })
        .collect();
    let more: Vec<String> = found
        .iter()
        .filter(|(file, n)| !LEFT.iter().any(|(f, left)| f == file && n <= left))
        .map(|(file, n)| format!("{file}: {n}"))
        .collect();
    assert!(
        more.is_empty(),
        "a runtime is named outside harness/core/src/runtime, more often than the list allows: {more:?}"
    );
}
