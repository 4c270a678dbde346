//! The probe's entry point. Everything else is the library (lib.rs), whose module doc
//! describes the probe.

#![no_main]

/// Called by glibc's start-up code: no std runtime init runs before it (see
/// `seccomp_catalog::own_calls` for the footprint this keeps small).
#[no_mangle]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    seccomp_probe::main_entry()
}
