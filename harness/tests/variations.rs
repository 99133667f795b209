//! The simulators really vary their answers when a variation is switched on: the
//! self-test's "every variation passes" would prove nothing otherwise.

use std::collections::BTreeSet;
use std::time::Duration;

use crosscheck::http::{HttpClient, HttpRequest};
use crosscheck::protocols;

#[tokio::test]
async fn extra_fields_reach_the_answers_of_every_role() {
    let http = HttpClient::new().expect("client");
    for p in protocols::all() {
        for role in p.roles() {
            let variant = p.variants()[0];
            let on = BTreeSet::from(["extra-fields"]);
            let prepared = p
                .start_builtin(role.name, variant, &on, &http)
                .await
                .expect("starts");
            let mut seen = false;
            for url in prepared.stage.target.bases.values() {
                let request = HttpRequest {
                    method: "GET".into(),
                    url: format!("{url}/crosscheck-no-such-path"),
                    headers: vec![],
                    body: None,
                };
                let answer = http
                    .send(&request, Duration::from_secs(2))
                    .await
                    .expect("answers");
                let body: serde_json::Value =
                    serde_json::from_slice(&answer.body).unwrap_or_default();
                seen |= body.get("crosscheckVariation").is_some();
            }
            assert!(seen, "{} {}: no varied answer", p.name(), role.name);
        }
    }
}
