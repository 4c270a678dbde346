//! The static probes, embedded at build time (see build.rs), so the harness can assemble the
//! probe image from its own bytes. A build holds the probe of its own target and any other
//! arch's probe that was supplied with `SECCOMP_HARNESS_PROBE_<ARCH>`; a run picks the one for
//! the engine's arch ([`for_arch`]), and `--probe PATH` overrides the choice.

use seccomp_catalog::Arch;

include!(concat!(env!("OUT_DIR"), "/embedded_probes.rs"));

/// The probe built for the harness's own target: the one that runs on this machine.
pub static EMBEDDED: &[u8] = include_bytes!(env!("SECCOMP_HARNESS_EMBEDDED_PROBE"));

/// The embedded probe for `arch`, if this build has one.
pub fn for_arch(arch: Arch) -> Option<&'static [u8]> {
    EMBEDDED_PROBES
        .iter()
        .find(|(a, _)| *a == arch)
        .map(|(_, bytes)| *bytes)
}

/// The arches this build has a probe for.
pub fn embedded_arches() -> Vec<Arch> {
    EMBEDDED_PROBES.iter().map(|(a, _)| *a).collect()
}

/// The build-time variable that embeds a prebuilt probe for `arch`.
pub fn env_var(arch: Arch) -> String {
    format!(
        "SECCOMP_HARNESS_PROBE_{}",
        arch.uname().to_ascii_uppercase()
    )
}

/// How to get a probe for `arch` when this build has none (the tail of the error message).
pub fn how_to_get(arch: Arch) -> String {
    let build = match arch {
        Arch::Aarch64 => "build one with ci/aarch64/build-probe.sh (it prints its path), then ",
        Arch::X86_64 => "build one with `cargo build --release -p seccomp-probe --target \
                         x86_64-unknown-linux-gnu` and RUSTFLAGS=\"-C target-feature=+crt-static\", then ",
    };
    format!(
        "{build}rebuild the harness with {}=<its path>, or pass it with --probe PATH",
        env_var(arch)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::image::elf_arch;

    #[test]
    fn the_native_probe_is_embedded_and_every_probe_matches_its_arch() {
        assert_eq!(for_arch(Arch::native()), Some(EMBEDDED));
        for (arch, bytes) in EMBEDDED_PROBES {
            assert_eq!(elf_arch(bytes), Some(arch.uname()), "{arch:?}");
        }
    }

    #[test]
    fn the_hint_names_the_variable_and_the_override() {
        assert_eq!(env_var(Arch::Aarch64), "SECCOMP_HARNESS_PROBE_AARCH64");
        let hint = how_to_get(Arch::Aarch64);
        assert!(hint.contains("ci/aarch64/build-probe.sh"), "{hint}");
        assert!(
            hint.contains("SECCOMP_HARNESS_PROBE_AARCH64=<its path>"),
            "{hint}"
        );
        assert!(hint.contains("--probe"), "{hint}");
    }
}
