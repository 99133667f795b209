//! ONAPI's side of the answer fuzzer: the mock SP's answer to a CO's Activation
//! Notice. The CO decides on the status: a 2xx in time delivers the notice, and
//! ON-CO-* says nothing of a 2xx body, so only other statuses and late answers are
//! fuzzed. What the CO must do then (ON-CO-02, ON-CO-03): after a 400 not resend the
//! notice unchanged; after a 429 with Retry-After not resend before it; after a 5xx
//! retry with a pause; never retry without bound.

use std::time::Duration;

use serde_json::{json, Value};

use crate::profile::{AnswerCase, AnswerOracle, AnswerScenario, AnswerTiming};

/// The oracle for co.
#[derive(Debug, Clone, Copy)]
pub struct NoticeAnswers;

/// The most tries of one notice a CO may make (as in `retries-5xx.yaml`).
const MOST_TRIES: u32 = 10;
/// How early a resend may come before Retry-After has passed (clock granularity).
const EARLY: f64 = 0.05;

/// What the CO must do after `answer`: the checks, as YAML steps.
fn checks(answer: &AnswerCase, timing: &AnswerTiming) -> String {
    let step = |name: &str, requirement: &str, check: &str, expect: &str| {
        format!(
            "  - name: {name}\n    requirement: {requirement}\n    check: \"{check}\"\n    expect: {{json: {{\"$\": {expect}}}}}\n"
        )
    };
    let bounded = step(
        "a bounded number of tries",
        "ON-CO-03",
        "{{ tries }}",
        &format!("{{max: {MOST_TRIES}}}"),
    );
    let timed_out = answer.delay >= timing.peer_timeout;
    let retry_after = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<f64>().ok());
    let mut out = bounded;
    match answer.status {
        _ if timed_out => {}
        400 => out.push_str(&step(
            "no notice sent twice after a 400",
            "ON-CO-03",
            "{{ all_distinct(bodies) }}",
            "true",
        )),
        429 => {
            if let Some(after) = retry_after {
                out.push_str(&step(
                    "no resend before Retry-After",
                    "ON-CO-02",
                    "{{ gaps(times) | min if tries > 1 else 999 }}",
                    &format!("{{min: {:.2}}}", after - EARLY),
                ));
            }
        }
        500..=599 => {
            out.push_str(&step(
                "retried after a 5xx",
                "ON-CO-03",
                "{{ tries }}",
                "{min: 2}",
            ));
            out.push_str(&step(
                "with a pause between tries",
                "ON-CO-03",
                "{{ gaps(times) | min if tries > 1 else 999 }}",
                "{min: 0.1}",
            ));
        }
        _ => {}
    }
    out
}

/// How long the CO is watched after its last try: past its own timeout and past any
/// Retry-After, so that its next try, if any, is seen.
fn quiet(answer: &AnswerCase, timing: &AnswerTiming) -> Duration {
    let after = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_secs);
    let mut quiet = (timing.silence * 2).max(Duration::from_secs(2));
    if answer.delay >= timing.peer_timeout {
        quiet = quiet.max(timing.peer_timeout + Duration::from_millis(1500));
    }
    quiet.max(after + Duration::from_millis(1500))
}

impl AnswerOracle for NoticeAnswers {
    fn valid(&self) -> (u16, Value) {
        (200, json!({"spReference": "sp-ref-1"}))
    }

    fn decisive(&self) -> &'static [&'static str] {
        &["spReference"]
    }

    fn acts_on(&self, answer: &AnswerCase, timing: &AnswerTiming) -> bool {
        (200..300).contains(&answer.status) && answer.delay < timing.peer_timeout
    }

    fn scenario(&self, case: &AnswerScenario<'_>) -> String {
        let quiet = quiet(case.answer, &case.timing);
        let within = quiet + case.answer.delay + Duration::from_secs(20);
        let checks = if case.control {
            String::new()
        } else {
            checks(case.answer, &case.timing)
        };
        let mut requirements = vec!["ON-CO-01"];
        for r in ["ON-CO-02", "ON-CO-03"] {
            if checks.contains(&format!("requirement: {r}")) {
                requirements.push(r);
            }
        }
        let requirements = format!("[{}]", requirements.join(", "));
        let mut text = format!(
            "id: {id}\n\
             title: {title}\n\
             protocol: onapi\n\
             role: co\n\
             requirements: {requirements}\n\
             tags: [timing, fuzz]\n\
             steps:\n  \
               - peer_answer: {{peer: sp, answers: [{answer}]}}\n  \
               - call: trigger_activation\n    \
                 requirement: ON-CO-01\n    \
                 with: {{order: \"{{{{ valid_notice() }}}}\"}}\n    \
                 expect: {{status: 2xx}}\n  \
               - name: take whatever the CO sends\n    \
                 requirement: ON-CO-01\n    \
                 drain_requests: {{peer: sp, quiet_seconds: {quiet:.3}, within_seconds: {within:.3}}}\n    \
                 save: {{bodies: bodies, tries: count, times: arrivals}}\n  \
               - name: it sent the notice (positive control)\n    \
                 requirement: ON-CO-01\n    \
                 check: \"{{{{ tries }}}}\"\n    \
                 expect: {{json: {{\"$\": {{min: 1}}}}}}\n",
            id = case.id,
            title = crate::yaml::quote(&format!("The CO on the SP's answer: {}", case.label)),
            answer = case.answer_yaml,
            quiet = quiet.as_secs_f64(),
            within = within.as_secs_f64(),
        );
        text.push_str(&checks);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> AnswerTiming {
        AnswerTiming {
            peer_timeout: Duration::from_secs(2),
            silence: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_2xx_in_time_is_acted_on_and_nothing_else() {
        let t = timing();
        let o = NoticeAnswers;
        assert!(o.acts_on(&AnswerCase::json(202, &json!("garbage")), &t));
        assert!(!o.acts_on(&AnswerCase::json(400, &json!({})), &t));
        let mut late = AnswerCase::json(200, &json!({}));
        late.delay = Duration::from_millis(2500);
        assert!(!o.acts_on(&late, &t));
    }

    #[test]
    fn each_status_gets_the_checks_of_its_kind() {
        let t = timing();
        let of = |status: u16, headers: &[(&str, &str)]| {
            let mut a = AnswerCase::json(status, &json!({}));
            a.headers = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            checks(&a, &t)
        };
        assert!(of(400, &[]).contains("all_distinct"));
        assert!(of(429, &[("Retry-After", "2")]).contains("{min: 1.95}"));
        assert!(!of(429, &[]).contains("gaps"));
        assert!(of(503, &[]).contains("{min: 2}"));
        assert!(of(302, &[]).contains("{max: 10}") && !of(302, &[]).contains("min"));
        let mut slow = AnswerCase::json(500, &json!({}));
        slow.delay = Duration::from_secs(3);
        assert!(
            !checks(&slow, &t).contains("{min: 2}"),
            "a late answer is no 5xx"
        );
        assert!(quiet(&slow, &t) > t.peer_timeout);
    }
}
