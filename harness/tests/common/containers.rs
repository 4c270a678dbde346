//! The containers runs of the harness left on an engine, told apart by the pid in their run
//! label ([`RunId::pid_of`]): other runs share the engine (the CI's, other test files'), and a
//! test must count only its own.

use seccomp_harness::engine::cleanup::{RunId, RUN_LABEL};
use seccomp_harness::engine::Engine;
use std::time::Duration;

/// The containers on `engine` whose run label carries a pid `ours` accepts.
pub async fn of_runs(engine: &Engine, ours: impl Fn(u32) -> bool) -> Vec<String> {
    labelled(engine, |run| RunId::pid_of(run).is_some_and(&ours)).await
}

/// The containers of run `run` (one run of several in this process: the pid can't tell them
/// apart).
pub async fn of_run_id(engine: &Engine, run: &RunId) -> Vec<String> {
    let run = run.to_string();
    labelled(engine, |r| r == run).await
}

/// The containers on `engine` whose run label `ours` accepts.
async fn labelled(engine: &Engine, ours: impl Fn(&str) -> bool) -> Vec<String> {
    let filters =
        std::collections::HashMap::from([("label".to_string(), vec![RUN_LABEL.to_string()])]);
    let opts = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    // Podman lists a container it is tearing down as "stopped", which bollard can't parse
    // (the harness's own sweep asks again the same way): ask again for a few seconds.
    let mut tries = 0;
    let list = loop {
        match engine.docker().list_containers(Some(opts.clone())).await {
            Err(bollard::errors::Error::JsonDataError { .. }) if tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            r => break r.unwrap(),
        }
    };
    list.into_iter()
        .filter(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get(RUN_LABEL))
                .is_some_and(|r| ours(r))
        })
        .filter_map(|c| c.id)
        .collect()
}

/// The containers of the run of process `pid`.
pub async fn of_run(engine: &Engine, pid: u32) -> Vec<String> {
    of_runs(engine, |p| p == pid).await
}

/// [`of_run`] once the engine has settled: asked again for up to 10 s while any is left (a
/// removal the run asked for, or a create a proxy held, may still be under way).
pub async fn settled_of_run(engine: &Engine, pid: u32) -> Vec<String> {
    for _ in 0..20 {
        if of_run(engine, pid).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    of_run(engine, pid).await
}
