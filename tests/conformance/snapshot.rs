//! One insta snapshot per configuration, keyed by what decides its cells (DESIGN §7): arch,
//! kernel and runtime, plus the engine for `builtin`. A new kernel, arch or runtime gives a new
//! snapshot for a person to review with `cargo insta review`.

use crate::matrix_run;
use libtest_mimic::{Completion, Failed};
use seccomp_catalog::Arch;
use seccomp_harness_core::configuration_id::ConfigurationId;
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::plan::input::BUILTIN_UPSTREAM;
use seccomp_harness_core::report::render_configuration_snapshot;
use seccomp_harness_core::version::Version;

pub fn trial(id: &ConfigurationId) -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    let configuration = &id.to_string();
    if id.profile == BUILTIN_UPSTREAM && matrix.configuration(configuration).is_none() {
        return Ok(Completion::ignored_with(
            "no upstream default profile for this engine's release",
        ));
    }
    let text = render_configuration_snapshot(matrix, configuration)
        .ok_or_else(|| format!("the matrix has no configuration {configuration}"))?;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_suffix(suffix(matrix, id));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(configuration.to_string(), text));
    Ok(Completion::Completed)
}

/// `<arch>-linux-<major>.<minor>-<runtime>-<major>.<minor>`, plus `-<engine>-<version>` for
/// `builtin` and upstream's default beside it, whose profiles change with the engine. The arch
/// is uname's spelling whatever the engine reported (`arm64` is `aarch64`).
fn suffix(matrix: &Matrix, id: &ConfigurationId) -> String {
    let host = &matrix.host;
    let arch: &str = Arch::parse(&host.arch).map_or(&host.arch, |a| a.uname());
    let runtime = if host.runtime.is_empty() {
        "unknown"
    } else {
        host.runtime.as_str()
    };
    let mut s = format!(
        "{arch}-linux-{}-{runtime}-{}",
        major_minor(&host.kernel),
        major_minor(&host.runtime_version)
    );
    if id.profile == "builtin" || id.profile == BUILTIN_UPSTREAM {
        let version = host
            .engine_version
            .split(['+', '-', '~'])
            .next()
            .unwrap_or("unknown");
        s.push_str(&format!("-{}-{version}", host.engine));
    }
    s
}

/// `6.18.44-fc` → `6.18`, `1.1.5+ds1` → `1.1`; `0.0` for what gives no number.
fn major_minor(version: &str) -> String {
    Version::parse(version).map_or_else(
        |_| "0.0".to_string(),
        |v| format!("{}.{}", v.major, v.minor),
    )
}
