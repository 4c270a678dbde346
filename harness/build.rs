//! Builds the static probe and hands its path to the harness, which embeds it: the probe image
//! is assembled from these bytes, so a user needs nothing but this binary and a Docker engine.
//!
//! The probe is built by a nested cargo with its own target dir (the outer build holds a lock on
//! ours), for an explicit `--target`, so that `+crt-static` applies to the probe and not to
//! build scripts or proc macros.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    for dir in ["probes/probe", "probes/catalog"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=SECCOMP_HARNESS_PROBE");

    // A prebuilt probe (e.g. from CI's cross job) may be supplied instead.
    if let Ok(path) = env::var("SECCOMP_HARNESS_PROBE") {
        println!("cargo:rustc-env=SECCOMP_HARNESS_EMBEDDED_PROBE={path}");
        return;
    }

    let target = env::var("TARGET").unwrap();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    // Shared by every profile of the outer build, so debug, release and clippy runs reuse one
    // probe build instead of compiling it once each.
    let probe_target_dir = out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .map(|t| t.join("probe"))
        .unwrap_or_else(|| out_dir.join("probe"));

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "seccomp-probe",
            "--target",
        ])
        .arg(&target)
        .arg("--target-dir")
        .arg(&probe_target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+crt-static");
    for var in [
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
    ] {
        cmd.env_remove(var);
    }
    for (k, _) in env::vars() {
        if k.starts_with("CARGO_PROFILE_") || k.starts_with("CARGO_CFG_") || k.starts_with("DEP_") {
            cmd.env_remove(k);
        }
    }
    let status = cmd
        .status()
        .expect("failed to run cargo to build the probe");
    if !status.success() {
        panic!("failed to build the static probe for {target} ({status})");
    }
    let probe = probe_target_dir
        .join(&target)
        .join("release")
        .join("seccomp-probe");
    println!(
        "cargo:rustc-env=SECCOMP_HARNESS_EMBEDDED_PROBE={}",
        probe.display()
    );
}
