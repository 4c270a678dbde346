//! Shell completions and the man page come from the CLI definition: each names every command.

use seccomp_harness_core::exit::ExitCode;
use std::process::Command;

fn out(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_seccomp-harness"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{args:?}");
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn completions_and_man_page_name_every_command() {
    let bash = out(&["completions", "bash"]);
    let man = out(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "{man}");
    for cmd in [
        "run", "check", "explain", "diff", "render", "clean", "cases",
    ] {
        assert!(bash.contains(cmd), "bash completion lacks {cmd}");
        assert!(man.contains(cmd), "man page lacks {cmd}");
    }
    assert!(out(&["completions", "zsh"]).contains("#compdef seccomp-harness"));
    // An unknown shell is bad input (exit 2).
    let o = Command::new(env!("CARGO_BIN_EXE_seccomp-harness"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(ExitCode::BadInput.code()));
}
