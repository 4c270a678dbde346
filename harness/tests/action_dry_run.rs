//! A dry run of the reusable GitHub Action (`action.yml` at the top level) on this machine's
//! Docker: each `run:` step is executed as a GitHub runner does (`bash --noprofile --norc -eo
//! pipefail`, its `env:` with the `${{ … }}` expressions resolved, `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY` files, the workspace as the working directory), with the harness this
//! test was built with as the `harness-binary` input. The `uses:` steps (code scanning's
//! upload, the artifact upload) need GitHub, so they are not run: their `with:` values are
//! resolved and the files they would upload are checked (the SARIF against the official
//! schema). A conformant run passes every step; coverage below `min-coverage` fails the last.
//! ci/lint.sh lints the file itself with actionlint, through the workflow that uses it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

fn action() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).expect("action.yml is YAML")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// What the dry run saw.
struct Dry {
    /// The `run:` steps' ids (or names) that ran, with their exit codes.
    ran: Vec<(String, i32)>,
    /// `steps.<id>.outputs`.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Each `uses:` step's action and resolved `with:`.
    uses: Vec<(String, BTreeMap<String, String>)>,
    summary: String,
    stdout: String,
}

struct Context<'a> {
    inputs: &'a BTreeMap<String, String>,
    outputs: &'a BTreeMap<String, BTreeMap<String, String>>,
}

impl Context<'_> {
    /// Resolves every `${{ … }}` the action's steps may use; anything else fails the test, so
    /// a step that starts using another expression is dry-run only once this knows it.
    fn resolve(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").expect("a closed expression") + i;
            let expr = rest[i + 3..end].trim();
            out.push_str(&self.value(expr));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn value(&self, expr: &str) -> String {
        if let Some(name) = expr.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .unwrap_or_else(|| panic!("no input {name}"))
                .clone();
        }
        if expr == "github.action_path" {
            return repo_root().display().to_string();
        }
        if let Some(path) = expr.strip_prefix("steps.") {
            let (id, key) = path.split_once(".outputs.").expect("steps.ID.outputs.KEY");
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(key))
                .cloned()
                .unwrap_or_default();
        }
        panic!("the dry run does not know the expression `{expr}`");
    }
}

fn str_map(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let s = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The action's inputs: each one's default, overridden by `given` (each of which the action
/// must declare: a misspelt input would otherwise be ignored and the default tested).
fn inputs(action: &serde_json::Value, given: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut inputs: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let d = match &v["default"] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), d)
        })
        .collect();
    for (k, v) in given {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    inputs
}

/// A step's id, else its name: the key of its outputs.
fn step_id(step: &serde_json::Value) -> String {
    step["id"]
        .as_str()
        .or(step["name"].as_str())
        .unwrap_or("step")
        .to_string()
}

/// What one `run:` step did.
struct Ran {
    code: i32,
    /// Its stdout, then its stderr.
    output: String,
    /// What it wrote to `GITHUB_OUTPUT`, in order.
    outputs: Vec<(String, String)>,
}

/// The files and directories a runner gives every step of a job.
struct Runner<'a> {
    workspace: &'a Path,
    /// `RUNNER_TEMP`, which also holds each step's script and output file.
    scratch: &'a Path,
    /// `GITHUB_STEP_SUMMARY`, shared by the steps.
    summary: PathBuf,
}

impl<'a> Runner<'a> {
    fn new(workspace: &'a Path, scratch: &'a Path) -> Runner<'a> {
        let summary = scratch.join("summary.md");
        std::fs::write(&summary, "").unwrap();
        Runner {
            workspace,
            scratch,
            summary,
        }
    }

    /// Runs step `n`'s script as a runner does, its `env:` resolved in `ctx`.
    fn run_script(&self, n: usize, id: &str, step: &serde_json::Value, ctx: &Context) -> Ran {
        let script = step["run"].as_str().expect("a step runs or uses");
        assert_eq!(
            step["shell"], "bash",
            "composite run steps name their shell"
        );
        assert!(
            !script.contains("${{"),
            "step {id}: expressions go through env:, not into the script"
        );
        let file = self.scratch.join(format!("step{n}.sh"));
        std::fs::write(&file, script).unwrap();
        let output = self.scratch.join(format!("output{n}"));
        std::fs::write(&output, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(self.workspace)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_WORKSPACE", self.workspace)
            .env("RUNNER_TEMP", self.scratch);
        for (k, v) in str_map(&step["env"]) {
            cmd.env(k, ctx.resolve(&v));
        }
        let o = cmd.output().unwrap();
        let outputs = std::fs::read_to_string(&output).unwrap();
        Ran {
            code: o.status.code().unwrap_or(-1),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            outputs: outputs
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// Runs the action's steps in `workspace` with `given` inputs over the defaults.
fn dry_run(workspace: &Path, given: &[(&str, &str)]) -> Dry {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = inputs(&action, given);
    let scratch = tempfile::tempdir().unwrap();
    let runner = Runner::new(workspace, scratch.path());
    let mut dry = Dry {
        ran: Vec::new(),
        outputs: BTreeMap::new(),
        uses: Vec::new(),
        summary: String::new(),
        stdout: String::new(),
    };
    let mut failed = false;
    for (n, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let id = step_id(step);
        let condition = step["if"].as_str().unwrap_or("");
        // A step without `always()` runs only while every step before it succeeded.
        if failed && !condition.contains("always()") {
            continue;
        }
        let ctx = Context {
            inputs: &inputs,
            outputs: &dry.outputs,
        };
        if let Some(uses) = step["uses"].as_str() {
            let with = str_map(&step["with"])
                .into_iter()
                .map(|(k, v)| (k, ctx.resolve(&v)))
                .collect();
            dry.uses.push((uses.to_string(), with));
            continue;
        }
        let ran = runner.run_script(n, &id, step, &ctx);
        dry.stdout.push_str(&ran.output);
        dry.ran.push((id.clone(), ran.code));
        dry.outputs.entry(id).or_default().extend(ran.outputs);
        failed |= ran.code != 0;
    }
    dry.summary = std::fs::read_to_string(&runner.summary).unwrap();
    dry
}

/// mkdir denied with EACCES, everything else allowed: every cell conformant, the one rule proven.
const DENY_MKDIR: &str = r#"{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 }
  ]
}
"#;

/// A second rule on an argument no case passes (personality(12345)): the run proves only its
/// miss side, so coverage is 1 of 2 rules.
const HALF_PROVEN: &str = r#"{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
    { "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
      "args": [ { "index": 0, "value": 12345, "op": "SCMP_CMP_EQ" } ] }
  ]
}
"#;

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn the_action_proves_profiles_and_uploads_sarif_and_the_report() {
    common::require_engine();
    let ws = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::create_dir(ws.path().join("seccomp")).unwrap();
    std::fs::write(ws.path().join("seccomp/deny-mkdir.json"), DENY_MKDIR).unwrap();
    let dry = dry_run(
        ws.path(),
        &[
            ("profiles", "builtin\nseccomp/deny-mkdir.json"),
            ("formats", "sarif, html markdown junit"),
            // builtin-upstream proves 292 of 297 here (the rest are calls this kernel lacks).
            ("min-coverage", "95"),
            ("harness-binary", BIN),
        ],
    );
    let codes: Vec<i32> = dry.ran.iter().map(|(_, c)| *c).collect();
    assert!(
        codes.iter().all(|c| *c == 0),
        "{:?}\n{}",
        dry.ran,
        dry.stdout
    );
    assert_eq!(dry.ran.len(), 4, "{:?}", dry.ran);
    let run = &dry.outputs["run"];
    assert_eq!(run["exit-code"], "0");
    let out = ws.path().join("seccomp-harness-report");
    for f in [
        "matrix.json",
        "report.sarif",
        "report.html",
        "report.md",
        "report.xml",
    ] {
        assert!(out.join(f).is_file(), "{f} missing: {}", dry.stdout);
    }
    let matrix: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("matrix.json")).unwrap()).unwrap();
    let configs: Vec<&str> = matrix["configurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["profile"].as_str().unwrap())
        .collect();
    assert!(
        configs.contains(&"builtin") && configs.contains(&"deny-mkdir"),
        "{configs:?}"
    );
    // The uploads get what the run wrote: the SARIF (valid, its locations relative to the
    // workspace as code scanning resolves them) and the report directory.
    let (sarif_action, with) = &dry.uses[0];
    assert!(sarif_action.starts_with("github/codeql-action/upload-sarif@"));
    assert_eq!(with["sarif_file"], "seccomp-harness-report/report.sarif");
    assert_eq!(with["category"], "seccomp-harness");
    let sarif = std::fs::read_to_string(ws.path().join(&with["sarif_file"])).unwrap();
    let v = common::schema::valid_sarif(&sarif);
    assert!(!v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "cell-failed"));
    let (artifact_action, with) = &dry.uses[1];
    assert!(artifact_action.starts_with("actions/upload-artifact@"));
    assert!(ws.path().join(&with["path"]).join("report.html").is_file());
    // The Markdown report is the job's summary.
    assert!(dry.summary.contains("#### Readiness"), "{}", dry.summary);
    assert!(
        dry.stdout.contains("every cell conformant"),
        "{}",
        dry.stdout
    );
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn coverage_below_min_coverage_fails_the_job_after_the_uploads() {
    common::require_engine();
    let ws = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::write(ws.path().join("half.json"), HALF_PROVEN).unwrap();
    let dry = dry_run(
        ws.path(),
        &[
            ("profiles", "half.json"),
            ("min-coverage", "90"),
            ("harness-binary", BIN),
        ],
    );
    assert_eq!(dry.outputs["run"]["exit-code"], "1", "{}", dry.stdout);
    // The run step itself succeeds (the reports are written and uploaded); the last step fails.
    let last = dry.ran.last().unwrap();
    assert_eq!(last.1, 1, "{:?}\n{}", dry.ran, dry.stdout);
    assert!(dry.ran[..dry.ran.len() - 1].iter().all(|(_, c)| *c == 0));
    assert_eq!(dry.uses.len(), 2);
    assert!(ws
        .path()
        .join("seccomp-harness-report/report.sarif")
        .is_file());
    assert!(dry
        .stdout
        .contains("::error::seccomp-harness: a cell failed, or coverage is below min-coverage"));
}
