//! Loads an HTML report in a real browser: Debian's headless Chromium. Shared by the HTML
//! report's tests and the conformance suite (included there by path), so it uses std only.
//!
//! A missing browser: [`required`] says whether the test is to be reported as ignored with the
//! reason (never as passed), or, under `SECCOMP_HARNESS_REQUIRE_DOCKER=1` (what `.ci/run` sets;
//! it also installs `chromium`), to fail with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the browser made of a page.
#[derive(Debug)]
pub struct Loaded {
    /// The DOM after the page's scripts ran (`--dump-dom`).
    pub dom: String,
    /// Console messages at error level and uncaught exceptions from Chromium's log.
    pub console_errors: Vec<String>,
}

/// The Chromium binary, or why there is none.
pub fn chromium() -> Result<PathBuf, String> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in candidates {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "no headless browser: none of {} is on PATH (Debian: apt-get install chromium)",
        candidates.join(", ")
    ))
}

/// Why a test that needs the browser can't have it, and what that makes of the test.
#[derive(Debug)]
pub enum Missing {
    /// Report the test as ignored with this reason: a browser is optional outside CI.
    Ignore(String),
    /// Fail the test with this reason: CI asked for every test to run.
    Fail(String),
}

/// The browser for a test that needs it, or what its absence makes of the test:
/// [`Missing::Fail`] under `SECCOMP_HARNESS_REQUIRE_DOCKER=1`, else [`Missing::Ignore`].
pub fn required() -> Result<PathBuf, Missing> {
    chromium().map_err(|why| {
        if std::env::var("SECCOMP_HARNESS_REQUIRE_DOCKER").as_deref() == Ok("1") {
            Missing::Fail(format!("SECCOMP_HARNESS_REQUIRE_DOCKER=1 but: {why}"))
        } else {
            Missing::Ignore(why)
        }
    })
}

fn base_args(profile_dir: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        // Root in CI and in containers: Chromium's sandbox needs user namespaces it may not get.
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--hide-scrollbars".into(),
        format!("--user-data-dir={}", profile_dir.display()),
    ]
}

fn scratch_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "seccomp-harness-chromium-{tag}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch dir for the browser profile");
    dir
}

fn url(page: &Path) -> String {
    let abs = std::fs::canonicalize(page).expect("the page exists");
    format!("file://{}", abs.display())
}

/// Loads `page` and returns its DOM after the scripts ran, with the console errors.
pub fn load(browser: &Path, page: &Path) -> Result<Loaded, String> {
    let profile = scratch_dir("dom");
    let out = Command::new(browser)
        .args(base_args(&profile))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(url(page))
        .output()
        .map_err(|e| format!("failed to start {}: {e}", browser.display()))?;
    let _ = std::fs::remove_dir_all(&profile);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {stderr}",
            browser.display(),
            out.status
        ));
    }
    // Chromium logs each console message as `INFO:CONSOLE(line)] "text", source: …`, errors
    // and uncaught exceptions included; the page's own hook also records them in the DOM.
    let console_errors = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .filter(|l| {
            let lower = l.to_lowercase();
            lower.contains("error") || lower.contains("uncaught")
        })
        .map(str::to_owned)
        .collect();
    Ok(Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console_errors,
    })
}

/// Saves a screenshot of `page` to `png`.
pub fn screenshot(browser: &Path, page: &Path, png: &Path, size: (u32, u32)) -> Result<(), String> {
    if let Some(dir) = png.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
    }
    let profile = scratch_dir("shot");
    let out = Command::new(browser)
        .args(base_args(&profile))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(url(page))
        .output()
        .map_err(|e| format!("failed to start {}: {e}", browser.display()))?;
    let _ = std::fs::remove_dir_all(&profile);
    if !out.status.success() || !png.is_file() {
        return Err(format!(
            "no screenshot at {} ({}): {}",
            png.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// The checks every report page must pass in the browser: its script ran to the end
/// (`data-ready`), nothing was recorded as a script error, and the console has no error.
pub fn assert_clean(loaded: &Loaded) {
    assert!(
        loaded.dom.contains("data-ready=\"1\""),
        "the page's script did not run to its end"
    );
    let errors = loaded
        .dom
        .split("id=\"script-errors\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .map(|(_, rest)| {
            rest.split("</pre>")
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_default();
    assert!(errors.is_empty(), "script errors in the page: {errors}");
    assert!(
        loaded.console_errors.is_empty(),
        "console errors: {:#?}",
        loaded.console_errors
    );
}

/// How many elements open with `<tag class="first-class…`.
pub fn count_class(dom: &str, tag: &str, class: &str) -> usize {
    let open = format!("<{tag} class=\"{class}");
    dom.match_indices(&open)
        .filter(|(i, _)| {
            let next = dom[i + open.len()..].chars().next();
            matches!(next, Some('"') | Some(' '))
        })
        .count()
}
