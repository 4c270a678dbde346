//! `seccomp-harness check PROFILE…`: validates and lints profiles. Exit 0 when every profile
//! is valid (warnings allowed), 2 when any is invalid. Findings go to stderr, naming the file.

use super::{exit, Failure};
use seccomp_catalog::Arch;
use seccomp_harness::profile::{self, CapSet, Host, KernelVersion};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Profile files (Docker seccomp profiles, OCI config.json, or Kubernetes SeccompProfile
    /// YAML, each resource checked).
    #[arg(required = true)]
    pub profiles: Vec<PathBuf>,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    // Host-dependent lints (never-enabled rules) use this machine and Docker's default caps.
    let kernel = KernelVersion::host().unwrap_or(KernelVersion::new(6, 1));
    let host = Host::new(Arch::native(), CapSet::docker_default(), kernel);
    let mut code = exit::OK;
    for path in &args.profiles {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {file}: {e}");
                code = exit::BAD_INPUT;
                continue;
            }
        };
        let docs = match profile::k8s::split(&text, &file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                code = exit::BAD_INPUT;
                continue;
            }
        };
        for doc in docs {
            // A resource of a Kubernetes YAML is named after its file.
            let at = match &doc.name {
                Some(n) => format!("{file} ({n})"),
                None => file.clone(),
            };
            match profile::parse_str(&doc.json, &at) {
                Err(e) => {
                    eprintln!("error: {e}");
                    code = exit::BAD_INPUT;
                }
                Ok(p) if !profile::errno_out_of_range(&p).is_empty() => {
                    for e in profile::errno_out_of_range(&p) {
                        eprintln!("error: {at}: {e}");
                    }
                    code = exit::BAD_INPUT;
                }
                Ok(p) => {
                    let mut warnings = profile::lint(&p, &host);
                    // What a Kubernetes node running containerd would not see (issue 21).
                    warnings.extend(profile::node::containerd_warnings(&p));
                    for w in &warnings {
                        eprintln!("warning: {at}: {w}");
                    }
                    eprintln!("{at}: valid, {} warning(s)", warnings.len());
                }
            }
        }
    }
    Ok(code)
}
