//! `poll` steps: call an operation again and again until (or for as long as) a
//! condition holds.

use std::time::{Duration, Instant};

use super::call::{answer_subject, perform};
use super::{Ctx, Stop};
use crate::scenario::expect::Mismatch;
use crate::scenario::model::{Poll, Step};

/// The most exchanges one polling step records.
const POLL_EXCHANGES: usize = 10;

/// A `poll` step. `until`: passes as soon as the condition holds, fails if it still
/// does not at the end. `always`: fails as soon as it does not hold, passes at the end.
pub(super) async fn poll(cx: &mut Ctx<'_>, step: &Step, p: &Poll) -> Result<(), Stop> {
    let span = match &p.for_seconds {
        Some(v) => cx.seconds(step, v, "for_seconds")?,
        None if p.until => cx.timeout(step),
        None => cx.stage.silence(),
    };
    let deadline = Instant::now() + span;
    let mut calls = 0usize;
    loop {
        calls += 1;
        let done = perform(cx, step, &p.call, &p.with, None, calls <= POLL_EXCHANGES).await?;
        let text = String::from_utf8_lossy(&done.response.body);
        let subject = answer_subject(&done.response, &text);
        let mismatches = cx.mismatches(step, &p.condition, &subject, &done.vars)?;
        let over = Instant::now() >= deadline;
        match (p.until, mismatches.is_empty()) {
            (true, true) => return Ok(()),
            (false, false) => {
                let at = format!(
                    "after {:.1} s (call {calls})",
                    (span.saturating_sub(deadline.saturating_duration_since(Instant::now())))
                        .as_secs_f64()
                );
                return Err(cx.fail(
                    step,
                    prefix(
                        mismatches,
                        &format!("always for {:.1} s", span.as_secs_f64()),
                        &at,
                    ),
                ));
            }
            (true, false) if over => {
                return Err(cx.fail(
                    step,
                    prefix(
                        mismatches,
                        &format!("within {:.1} s", span.as_secs_f64()),
                        &format!("still, after {calls} calls"),
                    ),
                ));
            }
            (false, true) if over => return Ok(()),
            _ => {
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1));
                tokio::time::sleep(p.every.min(left)).await;
            }
        }
    }
}

fn prefix(mismatches: Vec<Mismatch>, expected: &str, actual: &str) -> Vec<Mismatch> {
    mismatches
        .into_iter()
        .map(|m| Mismatch {
            expected: format!("{expected}: {}", m.expected),
            actual: format!("{actual}: {}", m.actual),
        })
        .collect()
}
