//! `seccomp-harness clean`: removes the containers a killed run left behind (found by the
//! harness's run label, whose pid and host tell whether the run is still alive; `--all` takes
//! every run's), the profile directories such runs left beside a local Podman socket, and the
//! probe images no container uses (`--images`: every probe image, forced).

use super::Failure;
use seccomp_harness::engine::cleanup::{remove_containers, Sweep};
use seccomp_harness::engine::image::{remove_probe_images, ImageSweep};
use seccomp_harness::engine::Engine;
use seccomp_harness_core::exit::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The Docker daemon to clean (default: $DOCKER_HOST, else the local socket).
    #[arg(long, value_name = "HOST")]
    pub(crate) docker_host: Option<String>,
    /// Remove every probe image, even one a container uses (by default only those no
    /// container uses go; either way they are rebuilt on the next run).
    #[arg(long)]
    pub(crate) images: bool,
    /// Remove the containers of every run, also of runs still going (by default only those
    /// of runs whose process is gone, so that a clean never breaks a concurrent run).
    #[arg(long)]
    pub(crate) all: bool,
    /// Clean a Kubernetes node's CRI socket instead (`unix:///…/containerd.sock`): the pod
    /// sandboxes of dead runs (`--all`: of every run) and the empty pod cgroups they left.
    #[arg(long, value_name = "URL", conflicts_with_all = ["docker_host", "images"])]
    pub(crate) cri: Option<String>,
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::environment(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(clean(args))
}

async fn clean(args: Args) -> Result<ExitCode, Failure> {
    if let Some(url) = &args.cri {
        let removed = seccomp_harness::run::cri::clean_cri(url, args.all)
            .await
            .map_err(Failure::environment)?;
        println!("{removed} pod sandbox(es) removed from {url}");
        return Ok(ExitCode::Ok);
    }
    let engine = Engine::connect(args.docker_host.as_deref())
        .await
        .map_err(Failure::environment)?;
    let sweep = if args.all { Sweep::All } else { Sweep::Dead };
    let removed = remove_containers(&engine, sweep)
        .await
        .map_err(Failure::environment)?;
    for c in &removed {
        println!(
            "removed container {} ({}, run {}, {})",
            short(&c.id),
            c.name,
            c.run,
            c.state
        );
    }
    println!(
        "{} container(s) removed from {}",
        removed.len(),
        engine.host()
    );
    // Stopped containerd tasks of probe containers the engine lost (a local Docker only).
    match seccomp_harness::engine::orphans::remove_orphan_tasks(&engine)
        .await
        .map_err(Failure::environment)?
    {
        seccomp_harness::engine::orphans::Swept::Removed(ids) => {
            for id in &ids {
                println!(
                    "removed stopped containerd task {} (no Docker container)",
                    short(id)
                );
            }
            println!("{} stopped containerd task(s) removed", ids.len());
        }
        seccomp_harness::engine::orphans::Swept::NotChecked(why) => {
            println!("containerd tasks not checked: {why}");
        }
    }
    // Podman's profile files, beside a local socket (a SIGKILLed run could not remove them).
    if let Some(socket) = seccomp_harness::engine::podman::unix_socket(engine.host()) {
        let dirs = seccomp_harness::engine::podman::remove_left_profile_dirs(socket, args.all);
        for d in &dirs {
            println!("removed profile directory {}", d.display());
        }
    }
    // The probe images no container uses (a killed run's), or with `--images` every one.
    let sweep = if args.images {
        ImageSweep::All
    } else {
        ImageSweep::Unused
    };
    let images = remove_probe_images(&engine, sweep)
        .await
        .map_err(Failure::environment)?;
    for tag in &images.removed {
        println!("removed image {tag}");
    }
    println!(
        "{} probe image(s) removed{}",
        images.removed.len(),
        match images.in_use.len() {
            0 => String::new(),
            n => format!(", {n} kept: a container uses it"),
        }
    );
    Ok(ExitCode::Ok)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
