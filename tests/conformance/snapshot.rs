//! One insta snapshot per configuration, per arch and kernel (DESIGN §7): a new kernel or arch
//! gives a new snapshot for a person to review with `cargo insta review`.

use crate::matrix_run;
use libtest_mimic::{Completion, Failed};
use seccomp_harness::matrix::Matrix;
use seccomp_harness::report::render_configuration_snapshot;

pub fn trial(configuration: &str) -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    if configuration.starts_with(seccomp_harness::run::input::BUILTIN_UPSTREAM)
        && matrix.configuration(configuration).is_none()
    {
        return Ok(Completion::ignored_with(
            "no upstream default profile for this engine's release",
        ));
    }
    let text = render_configuration_snapshot(matrix, configuration)
        .ok_or_else(|| format!("the matrix has no configuration {configuration}"))?;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_suffix(suffix(matrix, configuration));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(configuration.to_string(), text));
    Ok(Completion::Completed)
}

/// `<arch>-linux-<major>.<minor>`, plus the engine version for `builtin`, whose profile
/// changes with the engine.
fn suffix(matrix: &Matrix, configuration: &str) -> String {
    let mut parts = matrix.host.kernel.split(['.', '-']);
    let major = parts.next().unwrap_or("0");
    let minor = parts.next().unwrap_or("0");
    let mut s = format!("{}-linux-{major}.{minor}", matrix.host.arch);
    if configuration.starts_with("builtin") {
        let version = matrix
            .host
            .engine_version
            .split(['+', '-', '~'])
            .next()
            .unwrap_or("unknown");
        s.push_str(&format!("-{}-{version}", matrix.host.engine));
    }
    s
}
