//! The README and the book (docs/src, an mdBook) have no broken links: every relative link
//! names a file that exists, every `#anchor` a heading of its page, and every chapter is in
//! SUMMARY.md. `.ci/run` also builds the book with mdbook; this is its link check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pages: README.md and every docs/src/*.md.
fn pages() -> Vec<PathBuf> {
    let mut v = vec![root().join("README.md")];
    let mut book: Vec<PathBuf> = std::fs::read_dir(root().join("docs/src"))
        .expect("docs/src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    book.sort();
    v.extend(book);
    v
}

/// Markdown outside code: fenced blocks and inline code are dropped.
fn prose(text: &str) -> Vec<String> {
    let mut fence = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if !fence {
            let mut keep = String::new();
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 0 {
                    keep.push_str(part);
                }
            }
            out.push(keep);
        }
    }
    out
}

/// `[label](target)` targets.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            match after.find(')') {
                Some(j) => {
                    out.push(
                        after[..j]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    );
                    rest = &after[j..];
                }
                None => break,
            }
        }
    }
    out
}

/// GitHub's and mdBook's heading ids: lowercase, punctuation dropped, spaces as dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The ids of a page's headings (outside code blocks; inline code in a heading counts, as
/// GitHub keeps its text: "The kernel lab (`ci/kernels/`)" is `the-kernel-lab-cikernels`).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fence = false;
    text.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fence = !fence;
            }
            !fence
        })
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_of_the_readme_and_the_book_resolves() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for link in links(&text) {
            if link.is_empty() || link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match link.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", page.display()));
                continue;
            }
            if let Some(a) = anchor {
                let t = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&t).contains(a) {
                    broken.push(format!("{}: {link}: no heading #{a}", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_chapter_is_in_the_summary() {
    let summary = std::fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        if name != "SUMMARY.md" {
            assert!(
                listed.contains(&name),
                "{name} is not in docs/src/SUMMARY.md"
            );
        }
    }
}

#[test]
fn the_checker_finds_a_broken_link() {
    assert_eq!(links("see [a](b.md#c) and `[x](y)`"), ["b.md#c"]);
    assert!(anchors("# How a run works\n## Exit codes").contains("how-a-run-works"));
    assert!(anchors("## The kernel lab (`ci/kernels/`)").contains("the-kernel-lab-cikernels"));
    assert_eq!(
        slug("The JSON matrix (schema_version 1)"),
        "the-json-matrix-schema_version-1"
    );
}
