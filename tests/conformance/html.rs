//! The default run's HTML report in a real browser: the suite's matrix rendered with
//! `--format html`'s renderer, loaded by headless Chromium, and its DOM checked: one heatmap
//! row per case, one column per configuration, no script or console error. The page and a
//! screenshot stay under `target/tmp/html-report/` for CI to keep as artifacts.

#[path = "../../harness/tests/common/browser.rs"]
mod browser;

use crate::matrix_run;
use libtest_mimic::{Completion, Failed};
use seccomp_harness_core::report::{self, Format, Options};
use std::path::Path;

pub fn trial() -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    let chromium = match browser::required() {
        Ok(p) => p,
        Err(browser::Missing::Fail(why)) => return Err(why.into()),
        Err(browser::Missing::Ignore(why)) => return Ok(Completion::ignored_with(why)),
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
    let page = dir.join("conformance.html");
    let html = report::render(Format::Html, matrix, &Options::default());
    std::fs::write(&page, html).map_err(|e| format!("failed to write {}: {e}", page.display()))?;
    let loaded = browser::load(&chromium, &page)?;
    std::panic::catch_unwind(|| browser::assert_clean(&loaded))
        .map_err(|_| "the page is not clean in the browser (see the panic above)")?;
    let rows = browser::count_class(&loaded.dom, "tr", "case");
    let columns = browser::count_class(&loaded.dom, "th", "conf");
    let cases = matrix.case_ids().len();
    let configurations = matrix.configurations.len();
    if (rows, columns) != (cases, configurations) {
        return Err(format!(
            "the heatmap has {rows} rows × {columns} columns; the matrix has {cases} cases × {configurations} configurations"
        )
        .into());
    }
    browser::screenshot(&chromium, &page, &dir.join("conformance.png"), (1400, 1000))?;
    Ok(Completion::Completed)
}
