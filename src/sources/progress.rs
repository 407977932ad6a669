//! One progress display for a history scan, on stderr and only on a
//! terminal: a spinner while the commits are listed, a bar while they are
//! diffed, then a bar over the blobs with bytes read, rates and time left.
//! Rates are whole numbers above 100 a second (`7,559/s`), one decimal below.

use indicatif::{HumanBytes, ProgressBar, ProgressState, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How often the display is redrawn when nothing else moves it.
const TICK: std::time::Duration = std::time::Duration::from_millis(120);

/// The display (hidden when not asked for).
pub(crate) struct Progress {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
    shown: bool,
}

impl Progress {
    /// Shown when `show` (a terminal, not `--quiet`); starts as the commit
    /// listing's spinner.
    pub(crate) fn new(show: bool) -> Self {
        let bar = if show {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(TICK);
            bar
        } else {
            ProgressBar::hidden()
        };
        let p = Progress {
            bar,
            bytes: Arc::new(AtomicU64::new(0)),
            shown: show,
        };
        p.phase("{spinner} listing commits ({elapsed})", None);
        p
    }

    /// Start a phase: its look and its length, drawn at once (however short
    /// the phase), never a frame mixing two phases.
    fn phase(&self, template: &str, len: Option<u64>) {
        if self.shown {
            self.bar.disable_steady_tick();
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        if let Some(n) = len {
            self.bar.set_length(n);
        }
        self.bar.reset_eta();
        let bytes = Arc::clone(&self.bytes);
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate(s.per_sec()));
            })
            .with_key(
                "bytes",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", HumanBytes(bytes.load(Ordering::Relaxed)));
                },
            );
        self.bar.set_style(style);
        if self.shown {
            self.bar.set_position(0);
            // A fresh target: this first frame is not rate-limited away.
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.bar.tick();
            self.bar.enable_steady_tick(TICK);
        } else {
            self.bar.set_position(0);
        }
    }

    /// The commits are listed: `n` to diff.
    pub(crate) fn diffing(&self, n: u64) {
        self.phase(
            "{spinner} walking commits {bar:20} {human_pos}/{human_len} ({rate}, {eta} left)",
            Some(n),
        );
    }

    /// One commit diffed.
    pub(crate) fn commit_done(&self) {
        self.bar.inc(1);
    }

    /// The walk is done: `n` blobs to read.
    pub(crate) fn scanning(&self, n: u64) {
        self.phase(
            "{spinner} scanning blobs {bar:20} {human_pos}/{human_len}, {bytes} ({rate}, {eta} left)",
            Some(n),
        );
    }

    /// One blob of `bytes` read.
    pub(crate) fn blob_done(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.bar.inc(1);
    }

    /// Remove the display.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A rate for people: `7,559/s`, `12.5/s`.
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "-/s".to_string();
    }
    if per_sec < 100.0 {
        return format!("{per_sec:.1}/s");
    }
    let whole = per_sec.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + "/s"
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_read_well() {
        assert_eq!(super::rate(7558.7553), "7,559/s");
        assert_eq!(super::rate(1_234_567.4), "1,234,567/s");
        assert_eq!(super::rate(999.5), "1,000/s");
        assert_eq!(super::rate(12.46), "12.5/s");
        assert_eq!(super::rate(0.0), "-/s");
        assert_eq!(super::rate(f64::INFINITY), "-/s");
    }
}
