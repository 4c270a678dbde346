//! What the Docker-backed test files share: the policy for a missing daemon.
//!
//! Every test that needs the engine is `#[ignore]`d with the reason, so a plain `cargo test`
//! (the README's command) reports it as ignored rather than passed wherever no daemon may
//! answer. `cargo test -- --include-ignored` (what `.ci/run` runs) runs them, and then a
//! missing daemon fails them with the reason.
//!
//! A test on the engine lab's engines (`SECCOMP_HARNESS_LAB_*`) is a [`lab_trial`] instead, in
//! a libtest-mimic file: whether its engine is named is known only at run time, which
//! `#[ignore]` can't express, so an unnamed one is reported as ignored with the reason.
//! Likewise a Docker-backed test whose other needs (the local socket, containerd, root) are
//! known only once the engine answers is a [`docker_trial`] in a libtest-mimic file.

use seccomp_harness::engine::Engine;

#[allow(dead_code)]
pub mod binary;
#[allow(dead_code)]
pub mod containers;
#[allow(dead_code)]
pub mod schema;

/// The engine. Panics with the reason when no daemon answers: a test that asks for it was
/// included on purpose (`--include-ignored`).
pub async fn engine() -> Engine {
    match Engine::connect(None).await {
        Ok(e) => e,
        Err(e) => panic!("this test needs a Docker daemon (it runs with --include-ignored): {e}"),
    }
}

/// [`engine`] for a test without a runtime of its own: panics unless a daemon answers.
#[allow(dead_code)]
pub fn require_engine() {
    tokio::runtime::Runtime::new()
        .expect("a tokio runtime")
        .block_on(engine());
}

/// Runs `profiles` with Docker's default capabilities, as `opts` says but without the progress
/// display, on the engine `opts` names (else the host's): the matrix.
#[allow(dead_code)]
pub async fn run_matrix(
    profiles: Vec<seccomp_harness_core::plan::input::LoadedProfile>,
    opts: seccomp_harness::run::RunOptions,
) -> seccomp_harness_core::matrix::Matrix {
    let opts = seccomp_harness::run::RunOptions {
        progress: false,
        ..opts
    };
    seccomp_harness::run::execute(
        profiles,
        vec![seccomp_harness_core::plan::input::CapSpec::docker_default()],
        &opts,
    )
    .await
    .expect("the run")
    .matrix
}

/// The profile files (`.json`) of `dir`, in a stable order, as `run`'s inputs.
#[allow(dead_code)]
pub fn profile_files(dir: &std::path::Path) -> Vec<seccomp_harness::run::ProfileInput> {
    files_with_extension(dir, "json")
        .into_iter()
        .map(seccomp_harness::run::ProfileInput::File)
        .collect()
}

/// [`run_matrix`] of `inputs`, each loaded as `run` loads it.
#[allow(dead_code)]
pub async fn run_inputs(
    inputs: &[seccomp_harness::run::ProfileInput],
    opts: seccomp_harness::run::RunOptions,
) -> seccomp_harness_core::matrix::Matrix {
    let profiles = inputs
        .iter()
        .map(|p| seccomp_harness::run::load_profile(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .collect();
    run_matrix(profiles, opts).await
}

/// Each failing cell of `m`, with what was observed and expected: empty where the oracle and
/// the engine agree on every cell.
#[allow(dead_code)]
pub fn failing_cells(m: &seccomp_harness_core::matrix::Matrix) -> Vec<String> {
    m.cells
        .iter()
        .filter(|c| c.verdict == seccomp_harness_core::matrix::Verdict::Fail)
        .map(|c| {
            format!(
                "{}::{}: observed {:?}, expected {:?}",
                c.configuration, c.case, c.observed, c.expected
            )
        })
        .collect()
}

/// The profile in file `path`, loaded as `run` loads it.
#[allow(dead_code)]
pub fn load_file(
    path: impl Into<std::path::PathBuf>,
) -> seccomp_harness_core::plan::input::LoadedProfile {
    let path = path.into();
    seccomp_harness::run::load_profile(&seccomp_harness::run::ProfileInput::File(path.clone()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `dir` whose name ends in `.ext`, sorted: a fixture directory in a stable order.
#[allow(dead_code)]
pub fn files_with_extension(dir: &std::path::Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

/// A libtest-mimic trial (in a test file with `harness = false`) that runs `body` on the lab
/// engine `var` names, or is ignored with the reason when `var` is unset or empty: the engine lab is optional, so an unnamed lab engine is never a
/// pass and never a failure, even with `SECCOMP_HARNESS_REQUIRE_DOCKER=1`; a named one that
/// doesn't answer fails. A panic in `body` is the trial's failure (libtest-mimic catches it).
#[allow(dead_code)]
pub fn lab_trial<F, Fut>(name: &str, var: &'static str, body: F) -> libtest_mimic::Trial
where
    F: FnOnce(String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    libtest_mimic::Trial::ignorable_test(name, move || match std::env::var(var) {
        Ok(host) if !host.is_empty() => {
            block_on(body(host));
            Ok(libtest_mimic::Completion::Completed)
        }
        _ => Ok(libtest_mimic::Completion::ignored_with(format!(
            "{var} is not set (ci/lab.sh up … prints the engine's DOCKER_HOST)"
        ))),
    })
}

/// A libtest-mimic trial that needs the host's Docker daemon, as a `#[ignore]`d test is: run
/// with `--include-ignored` or `--ignored` (`args`), and otherwise reported as ignored with the
/// reason (a trial flagged ignored would be reported without one). `runner` may still ignore it
/// with a reason of its own, known only once the engine answers (e.g. a remote engine).
#[allow(dead_code)]
pub fn docker_trial<F>(
    args: &libtest_mimic::Arguments,
    name: &str,
    runner: F,
) -> libtest_mimic::Trial
where
    F: FnOnce() -> Result<libtest_mimic::Completion, libtest_mimic::Failed> + Send + 'static,
{
    if args.include_ignored || args.ignored {
        return libtest_mimic::Trial::ignorable_test(name, runner).with_ignored_flag(true);
    }
    libtest_mimic::Trial::ignorable_test(name, || {
        Ok(libtest_mimic::Completion::ignored_with(
            "needs a Docker daemon: run with `cargo test -- --include-ignored`",
        ))
    })
}

/// Runs `f` to completion on a multi-threaded tokio runtime, as `#[tokio::test(flavor =
/// "multi_thread")]` would: the runner for a libtest-mimic trial's async body.
#[allow(dead_code)]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}
