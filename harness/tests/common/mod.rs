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
