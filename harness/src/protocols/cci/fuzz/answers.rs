//! CCI's side of the answer fuzzer: the mock CSP A's ConfirmActivationKey answer to a
//! csp-b IUT. Only `200 {"keyValid": <bool>}`, in time, is an answer B may act on
//! (CCI-B-03/04); on anything else B must fail closed (CCI-B-06): never reach
//! NEGOTIATION, and leave no connection PENDING.

use serde_json::{json, Value};

use crate::profile::{AnswerCase, AnswerOracle, AnswerScenario, AnswerTiming};

/// The oracle for csp-b.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmAnswers;

/// The decisive field.
const KEY_VALID: &str = "keyValid";

impl AnswerOracle for ConfirmAnswers {
    fn valid(&self) -> (u16, Value) {
        (200, json!({ KEY_VALID: true }))
    }

    fn decisive(&self) -> &'static [&'static str] {
        &[KEY_VALID]
    }

    fn acts_on(&self, answer: &AnswerCase, timing: &AnswerTiming) -> bool {
        answer.status == 200
            && answer.delay < timing.peer_timeout
            && answer
                .body_json()
                .and_then(|b| b.get(KEY_VALID).cloned())
                .is_some_and(|v| v.is_boolean())
    }

    fn scenario(&self, case: &AnswerScenario<'_>) -> String {
        let head = format!(
            "id: {id}\n\
             title: {title}\n\
             protocol: cci\n\
             role: csp-b\n\
             requirements: [{requirement}]\n\
             tags: [accept, fuzz]\n\
             steps:\n  \
               - peer_answer: {{peer: csp-a, answers: [{answer}]}}\n  \
               - name: the customer accepts a key A issued\n    \
                 call: accept_key\n    \
                 with: {{key: \"{{{{ issue_key() }}}}\"}}\n    \
                 expect: {{status: [201, 202]}}\n    \
                 save: {{conn: out.connectionId}}\n  \
               - name: B asks A\n    \
                 await_request: {{peer: csp-a}}\n",
            id = case.id,
            title = crate::yaml::quote(&format!("B on A's answer: {}", case.label)),
            requirement = if case.control { "CCI-B-03" } else { "CCI-B-06" },
            answer = case.answer_yaml,
        );
        if case.control {
            return format!(
                "{head}  \
                 - name: B reaches NEGOTIATION on the valid answer (positive control)\n    \
                   poll:\n      \
                     call: get_connection\n      \
                     with: {{id: \"{{{{ conn }}}}\"}}\n      \
                     until: {{status: 200, json: {{\"$.state\": NEGOTIATION}}}}\n"
            );
        }
        // B must have had its answer, or given up waiting, before the watch ends.
        let watch = case.timing.silence + case.answer.delay;
        format!(
            "{head}  \
             - name: B stays out of NEGOTIATION\n    \
               poll:\n      \
                 call: get_connection\n      \
                 with: {{id: \"{{{{ conn }}}}\"}}\n      \
                 always: {{any_of: [{{status: 404}}, {{status: 200, json: {{\"$.state\": {{ne: NEGOTIATION}}}}}}]}}\n      \
                 for_seconds: {watch:.3}\n  \
             - name: B leaves no connection PENDING\n    \
               call: get_connection\n    \
               with: {{id: \"{{{{ conn }}}}\"}}\n    \
               expect:\n      \
                 any_of:\n        \
                   - {{status: 404}}\n        \
                   - {{status: 200, json: {{\"$.state\": {{not_in: [PENDING, NEGOTIATION]}}}}}}\n",
            watch = watch.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn timing() -> AnswerTiming {
        AnswerTiming {
            peer_timeout: Duration::from_secs(1),
            silence: Duration::from_secs(1),
        }
    }

    #[test]
    fn only_a_boolean_key_valid_with_200_in_time_is_acted_on() {
        let t = timing();
        let o = ConfirmAnswers;
        assert!(o.acts_on(&AnswerCase::json(200, &json!({"keyValid": false})), &t));
        assert!(o.acts_on(&AnswerCase::json(200, &json!({"keyValid": true})), &t));
        for odd in [
            AnswerCase::json(200, &json!({"keyValid": "true"})),
            AnswerCase::json(200, &json!({"KeyValid": true})),
            AnswerCase::json(201, &json!({"keyValid": true})),
            AnswerCase::json(500, &json!({"keyValid": true})),
        ] {
            assert!(!o.acts_on(&odd, &t), "{odd:?}");
        }
        let mut late = AnswerCase::json(200, &json!({"keyValid": true}));
        late.delay = Duration::from_millis(1500);
        assert!(!o.acts_on(&late, &t));
    }
}
