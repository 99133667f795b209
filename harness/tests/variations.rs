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

#[tokio::test]
async fn a_shape_variation_shapes_the_simulator_and_the_target_alike() {
    use crosscheck::protocols::cci::target::CciTarget;
    let http = HttpClient::new().expect("client");
    let cci = protocols::find("cci").expect("cci");
    let on = BTreeSet::from(["other-identities"]);
    let prepared = cci
        .start_builtin("csp-a", Some("seed"), &on, &http)
        .await
        .expect("starts");
    let api = &prepared.stage.target.bases["api"];
    assert!(api.ends_with("/interconnect/api/v2"), "{api}");
    let section = CciTarget::of(&prepared.stage.target).expect("cci target");
    assert_eq!(section.providers.iut, "provider.alpha-7");
    // The simulator serves the same shape: its API answers under the new prefix.
    let request = HttpRequest {
        method: "POST".into(),
        url: format!(
            "{api}/providers/{}/environments/{}/ConfirmActivationKey",
            section.providers.harness, section.environments[0].id
        ),
        headers: vec![("authorization".into(), "Bearer sim-token-b".into())],
        body: Some(br#"{"key": "e30="}"#.to_vec()),
    };
    let answer = http
        .send(&request, Duration::from_secs(2))
        .await
        .expect("answers");
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    let on = BTreeSet::from(["single-environment"]);
    let prepared = cci
        .start_builtin("csp-b", Some("v1"), &on, &http)
        .await
        .expect("starts");
    let section = CciTarget::of(&prepared.stage.target).expect("cci target");
    assert_eq!(section.environments.len(), 1);
}
