//! `parallel` steps: several calls sent at once (a race for the last of something), each
//! answer checked against the step's expectations, and all of them saved together so
//! that later `check` steps can judge them as a whole ("exactly one got 2xx").

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::call::{answer_subject, claim_answered, claim_sent, prepare, record_exchange};
use super::capture::{output_values, Found};
use super::{Ctx, Stop};
use crate::scenario::model::{Parallel, Step};

/// A `parallel` step: build every request first, send them all at once, then record,
/// check and save their answers in the order written.
pub(super) async fn parallel(cx: &mut Ctx<'_>, step: &Step, p: &Parallel) -> Result<(), Stop> {
    let mut prepared = Vec::with_capacity(p.calls.len());
    for c in &p.calls {
        prepared.push(prepare(cx, step, &c.operation, &c.with, c.auth.as_ref())?);
    }
    for one in &prepared {
        claim_sent(cx, &one.sent);
    }
    let timeout = cx.timeout(step);
    let started = Instant::now();
    let http = &cx.stage.http;
    let results = join_all(prepared.iter().map(|one| http.send(&one.request, timeout))).await;
    let total = p.calls.len();
    let mut answers = Vec::with_capacity(total);
    for (i, (one, result)) in prepared.iter().zip(results).enumerate() {
        claim_answered(cx, &result);
        let label = format!("{} [call {} of {total}]", cx.label(step), i + 1);
        record_exchange(cx, label.clone(), &one.request, &result, started);
        let response = result.map_err(|e| Stop::Errored(format!("{label}: {e}")))?;
        if !step.expect.is_empty() {
            let text = String::from_utf8_lossy(&response.body);
            let inner = format!("{} [call {} of {total}]", cx.loop_label, i + 1);
            let outer = std::mem::replace(&mut cx.loop_label, inner);
            let verdict = cx.verify(step, &answer_subject(&response, &text), &one.vars);
            cx.loop_label = outer;
            verdict?;
        }
        answers.push(json!({
            "status": response.status,
            "ok": (200..300).contains(&response.status),
            "json": response.json.clone().unwrap_or(Value::Null),
            "out": output_values(&Found::answer(&response, None), &one.outputs),
        }));
    }
    if let Some(name) = &p.into {
        cx.vars.insert(name.clone(), Value::Array(answers));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};

    use super::super::play;
    use super::super::testing::{scenario, stage, unmet};
    use crate::report::verdict::Ending;

    const RACE: &str = "  - name: two submits at once
    parallel:
      calls:
        - {call: submit, with: {ticket: {n: 1}}}
        - {call: submit, with: {ticket: {n: 2}}}
      into: race
    expect: {status: [2xx, 409]}
  - name: exactly one of them got through
    check: \"{{ race | selectattr('ok') | list | length }}\"
    expect: {json: {\"$\": 1}}
";

    #[tokio::test]
    async fn the_calls_go_out_together_and_are_judged_together() {
        let t = stage(|_, _| {}).await;
        let delay = Duration::from_millis(600);
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(json!({"reference": "r-1"}))
                    .set_delay(delay),
            )
            .up_to_n_times(1)
            .mount(&t.iut)
            .await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(ResponseTemplate::new(409).set_delay(delay))
            .mount(&t.iut)
            .await;
        let started = std::time::Instant::now();
        let record = play(&scenario(RACE), &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        // Sent one after the other they would take two delays; at once, about one.
        assert!(started.elapsed() < delay * 2 - delay / 4, "{record:?}");
        assert_eq!(record.exchanges.len(), 2);
        assert!(record.exchanges[1].step.ends_with("[call 2 of 2]"));
        assert_eq!(
            record.exchanges[0].at_ms.map(|a| a / 100),
            record.exchanges[1].at_ms.map(|a| a / 100),
            "both requests leave at once: {record:?}"
        );
    }

    #[tokio::test]
    async fn two_winners_fail_the_judgement_and_a_bad_answer_names_its_call() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"reference": "r"})))
            .mount(&t.iut)
            .await;
        let record = play(&scenario(RACE), &t.stage).await;
        match &record.ending {
            Ending::Failed { step, .. } => {
                assert!(step.contains("exactly one of them got through"), "{step}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(unmet(&record)[0].1, "$ == 2");

        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&t.iut)
            .await;
        let record = play(&scenario(RACE), &t.stage).await;
        match &record.ending {
            Ending::Failed { step, unmet, .. } => {
                assert!(step.contains("[call 1 of 2]"), "{step}");
                assert!(unmet[0].actual.contains("500"), "{unmet:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
