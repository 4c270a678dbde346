//! What the Docker-backed test files share: the policy for a missing daemon.
//!
//! Every test that needs the engine is `#[ignore]`d with the reason, so a plain `cargo test`
//! (the README's command) reports it as ignored rather than passed wherever no daemon may
//! answer. `cargo test -- --include-ignored` (what `.ci/run` runs) runs them, and then a
//! missing daemon fails them with the reason.

use seccomp_harness::engine::Engine;

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
    profiles: Vec<seccomp_harness::run::input::LoadedProfile>,
    opts: seccomp_harness::run::RunOptions,
) -> seccomp_harness_core::matrix::Matrix {
    let opts = seccomp_harness::run::RunOptions {
        progress: false,
        ..opts
    };
    seccomp_harness::run::execute(
        profiles,
        vec![seccomp_harness::run::CapSpec::docker_default()],
        &opts,
    )
    .await
    .expect("the run")
    .matrix
}

/// The profile in file `path`, loaded as `run` loads it.
#[allow(dead_code)]
pub fn load_file(
    path: impl Into<std::path::PathBuf>,
) -> seccomp_harness::run::input::LoadedProfile {
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
