//! containerd's `ctr` command, for the two jobs no API call does: importing the probe and pause
//! images into a CRI node (the CRI has no import), and sweeping the tasks Docker lost from its
//! containerd (the Docker API does not show them). `ctr` on PATH, or `SECCOMP_HARNESS_CTR`
//! (words split on whitespace); every call is bounded by the caller's deadline.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The variable that names another command than `ctr`.
pub const CTR_ENV: &str = "SECCOMP_HARNESS_CTR";

/// Why a `ctr` call gave no answer. [`CtrFailure::NotStarted`] is told apart because a caller
/// may treat a missing `ctr` as "not checked" rather than as an error.
#[derive(Debug, thiserror::Error)]
pub enum CtrFailure {
    #[error("cannot start it ({0}); install containerd's ctr or set {CTR_ENV}")]
    NotStarted(std::io::Error),
    #[error("no answer within {} s", .0.as_secs())]
    Deadline(Duration),
    /// No answer within the patience of a call a busy containerd may be slow over
    /// ([`super::busy`]): the reason says how long and whether containerd still answered.
    #[error("no answer {0}")]
    Unanswered(String),
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{status}: {stderr}")]
    Failed { status: ExitStatus, stderr: String },
}

/// One `ctr` command line: the command's own words, then the caller's arguments.
pub struct Ctr {
    program: String,
    args: Vec<String>,
}

impl Ctr {
    pub fn new<S: Into<String>>(args: impl IntoIterator<Item = S>) -> Ctr {
        let mut words: Vec<String> = std::env::var(CTR_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_else(|| vec!["ctr".to_string()]);
        let program = words.remove(0);
        words.extend(args.into_iter().map(Into::into));
        Ctr {
            program,
            args: words,
        }
    }

    /// The command line, as errors quote it.
    pub fn line(&self) -> String {
        format!("{} {}", self.program, self.args.join(" "))
    }

    /// Runs it, feeding it `input` when given, and gives its standard output. The deadline
    /// covers the whole call, feeding included; past it the child is killed (on drop).
    pub async fn output(
        &self,
        input: Option<&[u8]>,
        deadline: Duration,
    ) -> Result<String, CtrFailure> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(CtrFailure::NotStarted)?;
        let pipe = child.stdin.take();
        let run = async {
            if let (Some(mut pipe), Some(bytes)) = (pipe, input) {
                pipe.write_all(bytes).await?;
                // Dropped here, so that ctr reads the end of its input.
            }
            child.wait_with_output().await
        };
        let out = tokio::time::timeout(deadline, run)
            .await
            .map_err(|_| CtrFailure::Deadline(deadline))?
            .map_err(CtrFailure::Io)?;
        if !out.status.success() {
            return Err(CtrFailure::Failed {
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_command_is_told_apart_and_a_slow_one_meets_its_deadline() {
        let missing = Ctr {
            program: "/nonexistent/ctr".into(),
            args: vec![],
        };
        let got = missing.output(None, Duration::from_secs(5)).await;
        assert!(matches!(got, Err(CtrFailure::NotStarted(_))), "{got:?}");
        let slow = Ctr {
            program: "sleep".into(),
            args: vec!["30".into()],
        };
        let got = slow.output(None, Duration::from_millis(200)).await;
        assert!(matches!(got, Err(CtrFailure::Deadline(_))), "{got:?}");
    }

    #[tokio::test]
    async fn input_is_fed_and_a_failure_status_carries_stderr() {
        let cat = Ctr {
            program: "cat".into(),
            args: vec![],
        };
        let got = cat.output(Some(b"archive"), Duration::from_secs(5)).await;
        assert_eq!(got.unwrap(), "archive");
        let failing = Ctr {
            program: "sh".into(),
            args: vec!["-c".into(), "echo refused >&2; exit 3".into()],
        };
        let got = failing
            .output(None, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(got, CtrFailure::Failed { .. }));
        assert!(got.to_string().ends_with(": refused"), "{got}");
    }
}
