//! Runtimes for tests outside this module that need one's behaviour, or an engine's real
//! output about one, named by what they stand for: so that no test elsewhere names a runtime
//! (the rule `named_elsewhere` checks). A test that only needs a label uses a made-up name
//! (`rt-a`).

use super::{models, Runtime};

/// A second runtime with a measured model of its own beside [`super::DEFAULT_NAME`]: crun,
/// which has no ENOSYS stub, and the OCI runtime Podman 5.8.6 ran on the lab (its
/// `/version` component `OCI Runtime (crun)`, with `crun --version`'s text).
pub const NO_STUB_NAME: &str = super::crun::NAME;

/// A runtime that runs its own kernel and is known by its program, whatever name it is
/// registered under: gVisor ([`super::Runtime::known_by_program`]).
pub const OWN_KERNEL_NAME: &str = super::gvisor::RUNSC;

/// That runtime's program as Docker's `/info` lists it (`path`).
pub const OWN_KERNEL_PROGRAM: &str = "/usr/bin/runsc";

/// The name the default runtime's init takes once it has loaded the filter, as
/// `/proc/PID/stat` shows it: brackets and a colon inside the parentheses
/// (`super::runc::INIT_PROCESS`).
pub const DEFAULT_INIT_COMM: &str = super::runc::INIT_PROCESS;

/// One runtime per model, at the first version the model holds for: every behaviour the
/// oracle knows of, for tests that must hold on each.
pub fn every_model() -> Vec<Runtime> {
    models()
        .map(|m| Runtime {
            name: m.runtime.to_string(),
            version: Some(m.since),
        })
        .collect()
}

/// One runtime per modelled runtime, at its newest model: each runtime's behaviour, for tests
/// too costly to run on every version.
pub fn every_runtime() -> Vec<Runtime> {
    let mut out: Vec<Runtime> = Vec::new();
    for runtime in every_model() {
        if !out.iter().any(|r| r.name == runtime.name) {
            out.push(runtime);
        }
    }
    out
}

/// The arguments with which [`OWN_KERNEL_PROGRAM`] applies profiles: that runtime ignores them
/// otherwise ([`Runtime::known_by_program`]), resolves names with its own table and answers
/// EPERM for every errno.
pub const OWN_KERNEL_ENFORCING_ARGS: &[&str] = &["--oci-seccomp"];

/// The model of [`OWN_KERNEL_PROGRAM`].
pub fn own_kernel() -> Runtime {
    Runtime::parse(OWN_KERNEL_NAME, None)
}

/// The default runtime's message for a start that could not give the container its
/// capabilities ([`super::CAPABILITY_FAILURES`]), as Docker 20.10.24 with runc 1.1.5 gave it
/// on this project's host.
pub const CAPABILITY_FAILURE: &str = "OCI runtime create failed: container_linux.go:380: starting container process caused: unable to apply caps: operation not permitted: unknown";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_kernel_runtime_is_known_by_its_program_and_enforces_with_its_arguments() {
        let args: Vec<String> = OWN_KERNEL_ENFORCING_ARGS
            .iter()
            .map(|a| a.to_string())
            .collect();
        let (model, unenforced) = Runtime::known_by_program(OWN_KERNEL_PROGRAM, &args).unwrap();
        assert_eq!(model, own_kernel());
        assert_eq!(unenforced, None);
        assert!(Runtime::known_by_program(OWN_KERNEL_PROGRAM, &[])
            .unwrap()
            .1
            .is_some());
        assert!(own_kernel().resolves_names_itself() && !own_kernel().returns_sentinels());
        let every = every_model();
        assert!(every.iter().any(|r| r.name == super::super::DEFAULT_NAME));
        assert_eq!(every.len(), models().count());
        let newest = every_runtime();
        assert_eq!(newest.len(), 3, "{newest:?}");
        for runtime in &newest {
            assert_eq!(
                super::super::runtime_model(runtime),
                super::super::runtime_model(&Runtime::parse(&runtime.name, None))
            );
        }
    }
}
