//! Progress of a long run on a terminal: containers done out of the plan's, restarts so far,
//! and the slowest configuration yet. Shown only when stderr is a terminal (the caller decides:
//! `RunOptions::progress`) and only once the run has taken a few seconds, so short runs and
//! logs stay as they were. Plain text under `NO_COLOR`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// How long a run goes before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Tally {
    restarts: usize,
    slowest: Option<(String, f64)>,
}

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    tally: Mutex<Tally>,
}

impl Progress {
    /// A bar over `total` jobs; `shown` false gives one that draws nothing.
    pub(crate) fn new(shown: bool, total: usize) -> Progress {
        let bar = shown.then(|| {
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let template = if color {
                "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} runs · {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs · {msg}"
            };
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_message("restarts 0");
            let delayed = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AFTER);
                if !delayed.is_finished() {
                    delayed.set_draw_target(ProgressDrawTarget::stderr());
                    delayed.enable_steady_tick(Duration::from_millis(200));
                }
            });
            bar
        });
        Progress {
            bar,
            tally: Mutex::new(Tally::default()),
        }
    }

    /// One job done: `label` took `seconds` in `containers` containers.
    pub(crate) fn job_done(&self, label: &str, seconds: f64, containers: usize) {
        let Some(bar) = &self.bar else {
            return;
        };
        let mut t = self.tally.lock().expect("progress lock");
        t.restarts += containers.saturating_sub(1);
        if t.slowest.as_ref().is_none_or(|(_, s)| seconds > *s) {
            t.slowest = Some((label.to_string(), seconds));
        }
        let (name, secs) = t.slowest.clone().unwrap_or_default();
        bar.set_message(format!(
            "restarts {} · slowest {name} {secs:.1} s",
            t.restarts
        ));
        bar.inc(1);
    }

    /// Removes the bar; the caller prints its own summary.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
