//! `seccomp-harness cases [--arch A]`: the catalog's case ids, with their ABI, syscall and why
//! their arguments are harmless, for `--case` and `explain`. No Docker needed.

use super::{exit, Failure};
use seccomp_catalog::{Arch, Catalog};

#[derive(clap::Args)]
pub struct Args {
    /// The arch whose catalog to list (x86_64, aarch64); default: this machine's.
    #[arg(long)]
    pub arch: Option<String>,
    /// Also print each case's ABI, syscall and why its arguments are harmless.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn main(args: Args) -> Result<u8, Failure> {
    let arch = match &args.arch {
        Some(a) => Arch::parse(a).ok_or_else(|| {
            Failure::bad_input(format!("unknown arch {a:?}: use x86_64 or aarch64"))
        })?,
        None => Arch::native(),
    };
    let mut out = String::new();
    for case in Catalog::for_arch(arch).cases() {
        if args.verbose {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                case.id, case.abi, case.syscall, case.harmless
            ));
        } else {
            out.push_str(&case.id);
            out.push('\n');
        }
    }
    print!("{out}");
    Ok(exit::OK)
}
