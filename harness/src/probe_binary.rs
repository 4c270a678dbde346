//! The static probe, built by build.rs and embedded here, so the harness can assemble the probe
//! image from its own bytes.

/// The probe built for the harness's own target.
pub static EMBEDDED: &[u8] = include_bytes!(env!("SECCOMP_HARNESS_EMBEDDED_PROBE"));
