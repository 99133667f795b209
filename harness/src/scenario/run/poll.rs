//! `poll` steps: call an operation again and again until (or for as long as) a
//! condition holds.

use std::time::Duration;

use tokio::time::Instant;

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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::method;
    use wiremock::{Mock, ResponseTemplate};

    use crate::report::verdict::Ending;
    use crate::scenario::run::play;
    use crate::scenario::run::testing::{scenario, stage, unmet};

    #[tokio::test]
    async fn until_passes_once_the_condition_holds() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&t.iut)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
            .mount(&t.iut)
            .await;
        let s = scenario(
            "  - poll: {call: submit, with: {ticket: {}}, until: {status: 200}, for_seconds: 3, every_seconds: 0.05}\n",
        );
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        assert_eq!(record.exchanges.len(), 3);
    }

    #[tokio::test]
    async fn until_fails_when_time_runs_out_and_always_at_the_first_miss() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"n": 1})))
            .up_to_n_times(3)
            .mount(&t.iut)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"n": 2})))
            .mount(&t.iut)
            .await;
        let always = scenario(
            "  - poll: {call: submit, with: {ticket: {}}, always: {status: 200, json: {\"$.n\": 1}}, for_seconds: 5, every_seconds: 0.02}\n",
        );
        let record = play(&always, &t.stage).await;
        let found = unmet(&record);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "always for 5.0 s: $.n == 1");
        assert!(
            found[0].1.starts_with("after ") && found[0].1.ends_with("(call 4): $.n == 2"),
            "{found:?}"
        );
        let until = scenario(
            "  - poll: {call: submit, with: {ticket: {}}, until: {status: 201}, for_seconds: 0.2, every_seconds: 0.05}\n",
        );
        let record = play(&until, &t.stage).await;
        let found = unmet(&record);
        assert_eq!(found[0].0, "within 0.2 s: status 201");
        assert!(found[0].1.starts_with("still, after "), "{found:?}");
        assert!(record.exchanges.len() <= 10, "at most ten polls recorded");
    }

    #[tokio::test]
    async fn always_passes_when_it_holds_throughout() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&t.iut)
            .await;
        let s = scenario(
            "  - poll: {call: submit, with: {ticket: {}}, always: {status: \"{{ 200 }}\"}, every_seconds: 0.05}\n",
        );
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
    }
}
