//! `seccomp-harness cases [--arch A] [-v] [--format text|json]`: the catalog's case ids, with
//! their ABI, syscall and why their arguments are harmless, for `--case` and `explain`; as
//! JSON with every argument as the filter sees it, so checks against a peer's test suite (the
//! oracle against libseccomp's bpf-sim rows) can be scripted. No Docker needed.

use super::Failure;
use seccomp_catalog::{Arch, Arg, Case, Catalog};
use seccomp_harness_core::exit::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The arch whose catalog to list (x86_64, aarch64); default: this machine's.
    #[arg(long)]
    pub(crate) arch: Option<String>,
    /// Also print each case's ABI, syscall and why its arguments are harmless.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// `text` (ids, or tab-separated with -v) or `json` (one object per case: id, abi,
    /// syscall, nr, args, harmless, may_block).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub(crate) format: String,
}

/// One argument as JSON: the register value a filter compares, or a pointer to 32-bit words
/// (the filter sees only an address no profile can predict).
fn arg_json(a: Arg) -> serde_json::Value {
    match a {
        Arg::Value(v) => serde_json::json!(v),
        Arg::Words32(w) => serde_json::json!({ "pointer_to_words32": w }),
    }
}

fn case_json(case: &Case) -> serde_json::Value {
    serde_json::json!({
        "id": case.id,
        "abi": case.abi.name(),
        "syscall": case.syscall,
        "nr": case.nr,
        "args": case.args.iter().map(|a| arg_json(*a)).collect::<Vec<_>>(),
        "harmless": case.harmless,
        "may_block": case.may_block,
    })
}

pub(crate) fn main(args: Args) -> Result<ExitCode, Failure> {
    let arch = match &args.arch {
        Some(a) => Arch::parse(a).ok_or_else(|| {
            Failure::bad_input(format!("unknown arch {a:?}: use x86_64 or aarch64"))
        })?,
        None => Arch::native(),
    };
    let catalog = Catalog::for_arch(arch);
    if args.format == "json" {
        let cases: Vec<_> = catalog.cases().iter().map(case_json).collect();
        let doc = serde_json::json!({ "arch": arch.to_string(), "cases": cases });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON of plain data")
        );
        return Ok(ExitCode::Ok);
    }
    let mut out = String::new();
    for case in catalog.cases() {
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
    Ok(ExitCode::Ok)
}
