//! What the Docker-backed test files share: the policy for a missing daemon.

use seccomp_harness::engine::Engine;

/// The engine, or `None` (after saying why) when no daemon answers; with
/// `SECCOMP_HARNESS_REQUIRE_DOCKER=1` (as CI sets it) a missing daemon fails the test instead.
pub async fn engine_or_skip() -> Option<Engine> {
    match Engine::connect(None).await {
        Ok(e) => Some(e),
        Err(e) if std::env::var("SECCOMP_HARNESS_REQUIRE_DOCKER").as_deref() == Ok("1") => {
            panic!("SECCOMP_HARNESS_REQUIRE_DOCKER=1 but: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no docker daemon ({e})");
            None
        }
    }
}
