//! The one way the runner's tests build a stage: an ONAPI `sp` target whose IUT is a
//! wiremock server, with one mock peer (`co`) on 127.0.0.1:0 and no counterpart state.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::MockServer;

use crate::http::HttpClient;
use crate::peers::{MockPeer, PeerReply};
use crate::protocols::onapi::stage::builtin_target;
use crate::protocols::Counterpart;
use crate::report::verdict::{Ending, RunRecord};
use crate::scenario::loader::load_str;
use crate::scenario::model::Scenario;
use crate::scenario::stage::Stage;
use crate::target::Target;

/// A stage and the IUT (a wiremock server) behind it.
pub(crate) struct TestStage {
    /// The stage.
    pub stage: Stage,
    /// The IUT: mount answers on it.
    pub iut: MockServer,
}

/// A stage whose target is adjusted by `tune` (after its api_base points at the IUT;
/// short timeouts: step 1 s, silence 0.3 s).
pub(crate) async fn stage(tune: impl FnOnce(&mut Target, &str)) -> TestStage {
    let iut = MockServer::start().await;
    let mut target = builtin_target("sp");
    target.api_base = Some(iut.uri());
    target.step_timeout = Duration::from_secs(1);
    target.silence = Duration::from_millis(300);
    tune(&mut target, &iut.uri());
    let peer = MockPeer::start(
        "co",
        "127.0.0.1:0".parse().expect("address"),
        Arc::new(|_| PeerReply::json(200, &json!({}))),
    )
    .await
    .expect("mock peer starts");
    let http = HttpClient::new().expect("http client");
    TestStage {
        stage: Stage::new(target, Arc::new(peer), Counterpart::Recorder, http),
        iut,
    }
}

/// An ONAPI `sp` scenario with these steps (YAML, indented as a list under `steps:`).
pub(crate) fn scenario(steps: &str) -> Scenario {
    let text = format!(
        "id: t\ntitle: t\nprotocol: onapi\nrole: sp\nrequirements: [ON-SP-01]\nsteps:\n{steps}"
    );
    let mut list = load_str(&text, "test.yaml").unwrap_or_else(|e| panic!("{e:?}"));
    list.remove(0)
}

/// The failure's (expected, actual) pairs, or a panic showing how the run ended.
pub(crate) fn unmet(record: &RunRecord) -> Vec<(String, String)> {
    match &record.ending {
        Ending::Failed { unmet, .. } => unmet
            .iter()
            .map(|u| (u.expected.clone(), u.actual.clone()))
            .collect(),
        other => panic!("expected a failure, got {other:?}"),
    }
}
