//! The rule that keeps this module the one home of runtime knowledge: outside it, the harness,
//! the core and their tests do not name a runtime. The grep this test runs: every `.rs` file
//! under `harness/src`, `harness/core/src`, `harness/tests`, `harness/benches` and the
//! workspace's `tests/` ([`TREES`]), except this module, the generated CRI API and the runtime
//! module's end-to-end tests ([`END_TO_END`]): every line, comments and tests included (a
//! comment that states a runtime's fact states it here, and elsewhere points here; a test that
//! needs a runtime's behaviour takes it from [`super::testing`] or lives here, as
//! [`super::predictions`] does, and one that needs a label uses a made-up one such as `rt-a`),
//! except the CLI's definition (the help text and the flags users type: [`cli_definition`]).
//! The file names of the test fixtures are data, not names ([`without_fixture_names`]). A name
//! is `runc`, `crun`, `runsc`, `gvisor` or `youki` in any case with no letter on either side
//! (`truncate` is not runc, `is_gvisor` is gVisor). By hand:
//! `grep -rniE '(^|[^a-z])(runc|crun|runsc|gvisor|youki)([^a-z]|$)' harness/src
//! harness/core/src harness/tests harness/benches tests --include='*.rs'
//! --exclude-dir=runtime --exclude-dir=api`, and drop the CLI's help text, the two end-to-end
//! files and the fixtures' file names.
//!
//! The places still left are listed with their count, so that the list can only shrink: a
//! new name elsewhere fails (one moved here leaves its entry too high, which passes, so that
//! the step that moves it need not touch this list).

use std::path::{Path, PathBuf};

const NAMES: &[&str] = &["runc", "crun", "runsc", "gvisor", "youki"];

/// Files that still name a runtime, with how many times, and why: bollard's field name,
/// nothing else. The core and the run name none: notes and lints take their sentences about a
/// runtime from [`super::prose`], and what differs by runtime is asked of [`super::Runtime`]'s
/// methods (`returns_sentinels`, `resolves_names_itself`, `measured_expectation`, …).
const LEFT: &[(&str, usize)] = &[
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

/// The trees the rule reads (relative to `harness/`), every line of each.
const TREES: &[&str] = &["src", "core/src", "tests", "benches", "../tests"];

/// The runtime module's end-to-end tests, left out: their subject is each runtime's measured
/// behaviour on the engine that runs it (the lab's engines, named after their runtimes, and
/// the host's), so each trial names the runtime and version it pins.
const END_TO_END: &[&str] = &["tests/lab_runtimes.rs", "tests/runtime_predictions.rs"];

/// Where the test fixtures are, relative to `harness/`.
const FIXTURES: &str = "tests/fixtures";

/// The file names of the fixtures under `dir` that name a runtime, longest first: a fixture's
/// name says where its data came from (`docker-20.10.24-runc-1.1.5.json`, a matrix recorded
/// there), and a test that reads it must spell it.
fn fixture_names(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    every_file(dir, &mut files);
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|f| Some(f.file_name()?.to_str()?.to_string()))
        .filter(|n| names_in(n) > 0)
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    names
}

/// `text` with every fixture file name in `fixtures` taken out, so that only what the text
/// says itself is counted (longest names first, so that none is cut by a shorter one).
fn without_fixture_names(text: &str, fixtures: &[String]) -> String {
    fixtures
        .iter()
        .fold(text.to_string(), |t, name| t.replace(name.as_str(), ""))
}

/// How many times a source file names a runtime: every line, comments and tests included.
fn names_in_file(text: &str) -> usize {
    text.lines().map(names_in).sum()
}

/// A CLI source file without its definition as clap reads it: in each item that derives one
/// of clap's traits (top-level, ending at its `}` line), the doc comments (the help text) and
/// the `#[arg(…)]` and `#[command(…)]` attributes (the flags users type, a contract). The rest
/// of the item, its field names included, is kept: no runtime's name needs to be there.
fn cli_definition(text: &str) -> String {
    let mut kept = String::new();
    let mut in_clap_item = false;
    for line in text.lines() {
        if line.starts_with("#[derive(") {
            in_clap_item = ["Args", "Parser", "Subcommand", "ValueEnum"]
                .iter()
                .any(|t| line.contains(t));
        }
        let t = line.trim_start();
        let help_or_flag =
            t.starts_with("///") || t.starts_with("#[arg(") || t.starts_with("#[command(");
        if !(in_clap_item && help_or_flag) {
            kept.push_str(line);
            kept.push('\n');
        }
        if line == "}" {
            in_clap_item = false;
        }
    }
    kept
}

fn every_file(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_file(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut all = Vec::new();
    every_file(dir, &mut all);
    out.extend(
        all.into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rs")),
    );
}

#[test]
fn the_names_test_counts_words_not_code_or_comments() {
    assert_eq!(
        names_in("v.truncate(n); is_gvisor(&r); \"runc:[2:INIT]\""),
        2
    );
    assert_eq!(names_in("Crun, RUNSC and youki"), 3);
    let text = "let a = 1; // runc\n// crun\nlet b = \"runsc\";\n#[cfg(test)]\nlet c = \"runc\";\n";
    assert_eq!(names_in_file(text), 4);
}

#[test]
fn only_the_clis_help_text_and_flags_may_name_a_runtime() {
    let cli = "/// A runc note.\n#[derive(clap::Args)]\npub struct Args {\n    /// Help on gVisor.\n    #[arg(long = \"gvisor-x\")]\n    runc_field: bool,\n}\n/// Not help: crun.\nfn f() {}\n";
    let left = cli_definition(cli);
    assert_eq!(names_in_file(&left), 3, "{left}");
    assert!(
        left.contains("runc_field") && left.contains("crun"),
        "{left}"
    );
    assert!(
        !left.contains("gVisor") && !left.contains("gvisor-x"),
        "{left}"
    );
}

#[test]
fn a_fixtures_file_name_is_data_not_a_name() {
    let fixtures = vec!["runc-a.053f6a0.json".to_string(), "runc-a.json".to_string()];
    let text =
        "read(\"wild/runc-a.json\"); read(\"wild/runc-a.053f6a0.json\"); // crun, runc-b.json";
    let left = without_fixture_names(text, &fixtures);
    assert_eq!(names_in(&left), 2, "{left}");
    let real = fixture_names(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(FIXTURES),
    );
    assert!(
        real.iter().any(|n| n.ends_with(".json")) && real.iter().all(|n| names_in(n) > 0),
        "{real:?}"
    );
    assert!(
        real.windows(2).all(|w| w[0].len() >= w[1].len()),
        "{real:?}"
    );
}

#[test]
fn no_runtime_is_named_outside_the_runtime_module() {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixtures = fixture_names(&harness.join(FIXTURES));
    let mut files = Vec::new();
    for tree in TREES {
        rust_files(&harness.join(tree), &mut files);
    }
    let found: Vec<(String, usize)> = files
        .iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&harness)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let skipped = rel.starts_with("core/src/runtime/")
                || rel.starts_with("src/engine/cri/api/")
                || END_TO_END.contains(&rel.as_str());
            let mut text =
                without_fixture_names(&std::fs::read_to_string(path).unwrap(), &fixtures);
            if rel.starts_with("src/cli/") {
                text = cli_definition(&text);
            }
            let n = names_in_file(&text);
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
        "a runtime is named outside harness/core/src/runtime (and its end-to-end tests), more often than the list allows: {more:?}"
    );
}
