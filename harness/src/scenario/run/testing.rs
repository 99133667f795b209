//! The one way the runner's tests build a stage: a target of the fictional `demo`
//! protocol (role `server`) whose IUT is a wiremock server, with one mock peer
//! (`client`) on 127.0.0.1:0.

use wiremock::MockServer;

use crate::http::HttpClient;
use crate::profile::demo::{profiles, DemoSection};
use crate::profile::target::Target;
use crate::profile::{loopback, Stage, TargetSection};
use crate::report::verdict::{Ending, RunRecord};
use crate::scenario::loader::load_str;
use crate::scenario::model::Scenario;

/// A stage and the IUT (a wiremock server) behind it.
pub(crate) struct TestStage {
    /// The stage.
    pub stage: Stage,
    /// The IUT: mount answers on it.
    pub iut: MockServer,
}

/// A stage whose target is adjusted by `tune` (after its service_base points at the IUT;
/// short timeouts: step 1 s, silence 0.3 s).
pub(crate) async fn stage(tune: impl FnOnce(&mut Target, &str)) -> TestStage {
    let iut = MockServer::start().await;
    let text = format!(
        "protocol: demo\nrole: server\nservice_base: {}\ncredentials:\n  harness: {{token: t-harness}}\n  iut: {{token: t-iut}}\n  guest: {{token: t-guest}}\ntimeouts: {{step_seconds: 1, silence_seconds: 0.3}}\n",
        iut.uri()
    );
    let mut target =
        Target::parse(&text, "demo.yaml", profiles(), &|_| None).expect("demo target parses");
    tune(&mut target, &iut.uri());
    let counterpart = DemoSection
        .start_counterpart(&target, loopback())
        .await
        .expect("mock peer starts");
    let http = HttpClient::new().expect("http client");
    TestStage {
        stage: Stage::new(target, counterpart, http),
        iut,
    }
}

/// A demo `server` scenario with these steps (YAML, indented as a list under `steps:`).
pub(crate) fn scenario(steps: &str) -> Scenario {
    scenario_of("DEMO-01", steps)
}

/// A demo `server` scenario covering `requirements` (comma separated) with these steps.
pub(crate) fn scenario_of(requirements: &str, steps: &str) -> Scenario {
    let text = format!(
        "id: t\ntitle: t\nprotocol: demo\nrole: server\nrequirements: [{requirements}]\nsteps:\n{steps}"
    );
    let mut list = load_str(&text, "test.yaml", profiles()).unwrap_or_else(|e| panic!("{e:?}"));
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
