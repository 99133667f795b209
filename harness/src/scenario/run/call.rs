//! `call` and `http` steps: requests from the harness to the IUT, their expectations
//! and what they save.

use std::collections::BTreeMap;
use tokio::time::Instant;

use serde_json::{Map, Value};

use super::capture::{save, Found, Outputs};
use super::{millis, Ctx, Stop};
use crate::http::{curl, Exchange, Header, HttpRequest, HttpResponse};
use crate::profile::target::Credential;
use crate::profile::Credentials;
use crate::scenario::expect::Subject;
use crate::scenario::model::{Auth, Body, Call, Http, Step};
use crate::scenario::template::Tree;

/// An answer to a binding operation, with the variables (including `arg`) its
/// expectations are rendered with and the binding's outputs.
pub(super) struct Performed {
    /// The answer.
    pub response: HttpResponse,
    /// The variables plus `arg`.
    pub vars: Map<String, Value>,
    /// Output name → JSON path.
    pub outputs: BTreeMap<String, String>,
}

/// A `call` step: perform the operation, check the answer, save from it.
pub(super) async fn call(cx: &mut Ctx<'_>, step: &Step, c: &Call) -> Result<(), Stop> {
    let done = perform(cx, step, &c.operation, &c.with, c.auth.as_ref(), true).await?;
    if !step.expect.is_empty() {
        let text = String::from_utf8_lossy(&done.response.body);
        cx.verify(step, &answer_subject(&done.response, &text), &done.vars)?;
    }
    let outputs = Outputs {
        operation: &c.operation,
        paths: &done.outputs,
    };
    save(cx, step, &Found::answer(&done.response, Some(outputs)))
}

/// An `http` step: send raw HTTP, check the answer, save from it.
pub(super) async fn http(cx: &mut Ctx<'_>, step: &Step, h: &Http) -> Result<(), Stop> {
    let path = cx.text(step, &h.path)?;
    let url = format!("{}{path}", base_url(cx, step, &h.base)?);
    let mut headers = Vec::new();
    let body = match &h.body {
        Body::Json(j) => {
            headers.push(("content-type".to_string(), "application/json".to_string()));
            Some(cx.render(step, j)?.to_string().into_bytes())
        }
        Body::Raw(raw) => Some(cx.text(step, raw)?.into_bytes()),
        Body::None => None,
    };
    for (k, v) in &h.headers {
        let value = cx.text(step, v)?;
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
        headers.push((k.to_ascii_lowercase(), value));
    }
    let default = cx.stage.default_credentials(&h.base);
    if let Some(c) = credential(cx, step, default, h.auth.as_ref())? {
        headers.push((c.header, c.value));
    }
    let request = HttpRequest {
        method: h.method.clone(),
        url,
        headers,
        body,
    };
    let sent = request.body.as_deref().map(identifiers).unwrap_or_default();
    let response = send(cx, step, &request, &sent, true).await?;
    if !step.expect.is_empty() {
        let text = String::from_utf8_lossy(&response.body);
        cx.verify(step, &answer_subject(&response, &text), &cx.vars)?;
    }
    save(cx, step, &Found::answer(&response, None))
}

/// A binding operation's request, built but not sent, with the variables (including
/// `arg`) its expectations are rendered with and the binding's outputs.
pub(super) struct Prepared {
    /// The request.
    pub request: HttpRequest,
    /// The variables plus `arg`.
    pub vars: Map<String, Value>,
    /// Output name → JSON path.
    pub outputs: BTreeMap<String, String>,
    /// What the request tells the IUT: the string values of its body and of its
    /// arguments (which the binding puts in the path or the query).
    pub sent: Vec<String>,
}

/// Performs a binding operation with arguments `with` (recorded as an exchange when
/// `record`, or when it fails).
pub(super) async fn perform(
    cx: &mut Ctx<'_>,
    step: &Step,
    operation: &str,
    with: &Tree,
    auth: Option<&Auth>,
    record: bool,
) -> Result<Performed, Stop> {
    let prepared = prepare(cx, step, operation, with, auth)?;
    let response = send(cx, step, &prepared.request, &prepared.sent, record).await?;
    if let Some(args) = prepared.vars.get("arg") {
        cx.stage
            .protocol
            .performed(operation, args, response.status);
    }
    Ok(Performed {
        response,
        vars: prepared.vars,
        outputs: prepared.outputs,
    })
}

/// Builds the request of a binding operation with arguments `with`.
pub(super) fn prepare(
    cx: &Ctx<'_>,
    step: &Step,
    operation: &str,
    with: &Tree,
    auth: Option<&Auth>,
) -> Result<Prepared, Stop> {
    let binding = cx
        .stage
        .binding(operation)
        .map_err(|e| cx.errored(step, e))?;
    let args = cx.render(step, with)?;
    let mut sent = Vec::new();
    string_values(&args, &mut sent);
    let mut vars = cx.vars.clone();
    vars.insert("arg".into(), args);
    let bound = |text: &str| {
        cx.templates
            .render_str(text, &vars)
            .map_err(|e| cx.errored(step, e))
    };
    let path = bound(&binding.path)?;
    let url = format!("{}{path}", base_url(cx, step, &binding.base)?);
    let mut headers = Vec::new();
    let body = match &binding.body {
        Some(b) => {
            headers.push(("content-type".to_string(), "application/json".to_string()));
            let rendered = cx
                .templates
                .render(b, &vars)
                .map_err(|e| cx.errored(step, e))?;
            Some(rendered.to_string().into_bytes())
        }
        None => None,
    };
    for (k, v) in &binding.headers {
        headers.push((k.to_ascii_lowercase(), bound(v)?));
    }
    if let Some(c) = credential(cx, step, binding.credentials, auth)? {
        headers.push((c.header, c.value));
    }
    let request = HttpRequest {
        method: binding.method.clone(),
        url,
        headers,
        body,
    };
    sent.extend(request.body.as_deref().map(identifiers).unwrap_or_default());
    Ok(Prepared {
        request,
        vars,
        outputs: binding.outputs,
        sent,
    })
}

fn base_url(cx: &Ctx<'_>, step: &Step, base: &str) -> Result<String, Stop> {
    cx.stage.base_url(base).map_err(|e| cx.errored(step, e))
}

/// The credential to send: the step's `auth` override, else `default`.
fn credential(
    cx: &Ctx<'_>,
    step: &Step,
    default: Credentials,
    auth: Option<&Auth>,
) -> Result<Option<Credential>, Stop> {
    Ok(match auth {
        None => cx.stage.credential(default),
        Some(Auth::Named(name)) => cx
            .stage
            .credential_named(name)
            .map_err(|e| cx.errored(step, e))?,
        Some(Auth::Custom(tree)) => {
            let v = cx.render(step, tree)?;
            let header = v
                .get("header")
                .and_then(Value::as_str)
                .unwrap_or(cx.stage.credential_header());
            let value = v
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| cx.errored(step, "auth: a map needs `value`"))?;
            Some(Credential {
                header: header.to_ascii_lowercase(),
                value: value.to_string(),
            })
        }
    })
}

/// Sends `request` within the step's timeout; records the exchange when `record`, or
/// when sending failed.
async fn send(
    cx: &mut Ctx<'_>,
    step: &Step,
    request: &HttpRequest,
    sent: &[String],
    record: bool,
) -> Result<HttpResponse, Stop> {
    let timeout = cx.timeout(step);
    let started = Instant::now();
    claim_sent(cx, sent);
    let result = cx.stage.http.send(request, timeout).await;
    claim_answered(cx, &result);
    // Polls make many calls and keep few: only a kept call is written down.
    if record || result.is_err() {
        let label = cx.label(step);
        record_exchange(cx, label, request, &result, started);
    }
    result.map_err(|e| cx.errored(step, e))
}

/// Tells the mock peers what the harness tells the IUT: it identifies this run's
/// traffic there. Only values count, not the words of a binding's path, which every
/// run sends alike (a path word claimed by an earlier run would make this run's
/// callbacks look like that run's late traffic), and not the target's constants
/// (an environment id, say), which every run sends alike too.
pub(super) fn claim_sent(cx: &Ctx<'_>, sent: &[String]) {
    let own = sent.iter().filter(|s| !cx.constants.contains(*s));
    for peer in cx.stage.peers.values() {
        peer.claim(own.clone().map(String::as_str));
    }
}

/// Tells the mock peers the ids the IUT makes and answers with (a resource id its
/// later callbacks carry): a callback that arrives after this run ended is then told
/// apart as late.
pub(super) fn claim_answered(
    cx: &Ctx<'_>,
    result: &Result<HttpResponse, crate::http::TransportError>,
) {
    if let Ok(answer) = result {
        let mut answered = identifiers(&answer.body);
        // The target's constants (an environment id a read echoes) are every run's.
        answered.retain(|s| !cx.constants.contains(s));
        for peer in cx.stage.peers.values() {
            peer.claim(answered.iter().map(String::as_str));
        }
    }
}

/// Writes down one exchange under `label`, secrets redacted; `started` is when its
/// request went out.
pub(super) fn record_exchange(
    cx: &mut Ctx<'_>,
    label: String,
    request: &HttpRequest,
    result: &Result<HttpResponse, crate::http::TransportError>,
    started: Instant,
) {
    let redactor = &cx.stage.redactor;
    let exchange = Exchange {
        step: label,
        direction: "harness->iut".into(),
        method: request.method.clone(),
        url: redactor.show(&request.url),
        request_headers: Header::shown(&request.headers, redactor),
        request_body: request.body.as_deref().map(|b| redactor.body(b)),
        status: result.as_ref().ok().map(|r| r.status),
        response_headers: result
            .as_ref()
            .map(|r| Header::shown(&r.headers, redactor))
            .unwrap_or_default(),
        response_body: result.as_ref().ok().map(|r| redactor.body(&r.body)),
        error: result.as_ref().err().map(|e| redactor.show(&e.to_string())),
        duration_ms: millis(started.elapsed()),
        at_ms: Some(millis(started.saturating_duration_since(cx.started))),
        tls: result.as_ref().ok().and_then(|r| r.tls.clone()),
        curl: Some(curl::command(request, redactor)),
    };
    cx.exchanges.push(exchange);
}

/// The string values of a JSON body, at any depth: the ids, keys and names the IUT
/// may carry into its own requests.
fn identifiers(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        string_values(&v, &mut out);
    }
    out
}

/// Every string in `v`, at any depth, appended to `out`.
pub(super) fn string_values(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| string_values(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| string_values(i, out)),
        _ => {}
    }
}

/// What an answer's expectations are checked against.
pub(super) fn answer_subject<'a>(response: &'a HttpResponse, text: &'a str) -> Subject<'a> {
    Subject {
        status: Some(response.status),
        method: None,
        path: None,
        query: None,
        headers: &response.headers,
        json: response.json.as_ref(),
        text,
        elapsed: Some(response.elapsed),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, ResponseTemplate};

    use super::super::play;
    use super::super::testing::{scenario, scenario_of, stage, unmet};
    use crate::report::verdict::Ending;

    /// The IUT POSTs `body` to `path` at the peer at `peer_url`, which answers without a server error.
    async fn call_back(
        t: &super::super::testing::TestStage,
        peer_url: &str,
        path: &str,
        body: &[u8],
    ) {
        let callback = crate::http::HttpRequest {
            method: "POST".into(),
            url: format!("{peer_url}{path}"),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(body.to_vec()),
        };
        let answered = t
            .stage
            .http
            .send(&callback, std::time::Duration::from_secs(2))
            .await
            .expect("the mock peer answers");
        assert!(answered.status < 500);
    }

    #[tokio::test]
    async fn a_path_word_an_earlier_run_sent_does_not_make_a_callback_late() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("GET"))
            .and(path("/demo/archived-tickets"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&t.iut)
            .await;
        let peer = t.stage.peer(None).expect("one peer");
        peer.begin_run("first");
        let s = scenario(
            "  - http: {base: service, method: GET, path: /demo/archived-tickets}\n    expect: {status: 200}\n",
        );
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        peer.begin_run("second");
        // The second run's IUT calls back with a path word, before the harness heard
        // the id of what it calls about: it is the second run's traffic.
        call_back(
            &t,
            &peer.url(),
            "/archived-tickets",
            br#"{"about": "not-yet-heard-of"}"#,
        )
        .await;
        assert!(peer.take_late().is_empty());
        assert_eq!(peer.requests().len(), 1, "the second run sees it");
    }

    #[tokio::test]
    async fn a_call_sends_the_binding_and_a_failing_expectation_says_what_and_why() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .and(header("authorization", "Bearer t-harness"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"reference": "r-1"})))
            .mount(&t.iut)
            .await;
        let ok = scenario(
            "  - call: submit\n    with: {ticket: {a: 1}}\n    expect: {status: 200, json: {\"$.reference\": r-1}}\n",
        );
        let record = play(&ok, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        assert_eq!(record.exchanges.len(), 1);
        assert_eq!(
            record.exchanges[0].request_body.as_deref(),
            Some("{\"a\":1}")
        );
        // Headers are recorded, the credential as a fingerprint; curl reads it from
        // the environment.
        let e = &record.exchanges[0];
        let auth = e
            .request_headers
            .iter()
            .find(|h| h.name == "authorization")
            .expect("the credential header is recorded");
        assert_eq!(
            auth.value,
            crate::http::fingerprint::credential("Bearer t-harness")
        );
        assert!(
            e.response_headers.iter().any(|h| h.name == "content-type"),
            "{e:?}"
        );
        let curl = e.curl.as_deref().expect("a curl command");
        assert!(curl.contains("\"$CROSSCHECK_TOKEN_HARNESS\""), "{curl}");
        assert!(!format!("{e:?}").contains("t-harness"), "{e:?}");
        let bad = scenario(
            "  - call: submit\n    with: {ticket: {a: 1}}\n    expect: {status: 201, json: {\"$.reference\": r-2}}\n",
        );
        let record = play(&bad, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [
                (
                    "status 201".to_string(),
                    "status 200 with {\"reference\":\"r-1\"}".to_string()
                ),
                (
                    "$.reference == \"r-2\"".to_string(),
                    "$.reference == \"r-1\"".to_string()
                )
            ]
        );
    }

    #[tokio::test]
    async fn an_id_the_iut_answers_with_belongs_to_the_run_at_the_mock_peers() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(json!({"reference": "made-by-the-iut-1"})),
            )
            .mount(&t.iut)
            .await;
        let peer = t.stage.peer(None).expect("one peer");
        peer.begin_run("first");
        let s = scenario("  - call: submit\n    with: {ticket: 1}\n    expect: {status: 201}\n");
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        peer.begin_run("second");
        // The IUT calls back about the first run's resource during the second run.
        call_back(
            &t,
            &peer.url(),
            "/callback",
            br#"{"about": "made-by-the-iut-1"}"#,
        )
        .await;
        let late = peer.take_late();
        assert_eq!(late.len(), 1, "{late:?}");
        assert_eq!(late[0].from, "first");
        assert_eq!(late[0].during.as_deref(), Some("second"));
        assert!(peer.requests().is_empty(), "the second run never sees it");
    }

    #[tokio::test]
    async fn a_failing_expect_group_is_charged_to_its_own_requirement() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .and(path("/demo/tickets"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"reference": "r-1"})))
            .mount(&t.iut)
            .await;
        let s = scenario_of(
            "DEMO-01, DEMO-02",
            concat!(
                "  - call: submit\n",
                "    with: {ticket: 1}\n",
                "    expect:\n",
                "      - {requirement: DEMO-01, status: 200}\n",
                "      - {requirement: DEMO-02, json: {\"$.reference\": r-2}}\n",
            ),
        );
        match play(&s, &t.stage).await.ending {
            Ending::Failed {
                requirement, unmet, ..
            } => {
                assert_eq!(requirement, "DEMO-02");
                assert_eq!(unmet.len(), 1, "only the failing group's: {unmet:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn http_saves_from_a_json_path_the_status_and_a_header() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("PUT"))
            .and(path("/x/7"))
            .and(header("x-k", "v-7"))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("x-ref", "h-1")
                    .set_body_json(json!({"items": [{"id": "i-1"}]})),
            )
            .mount(&t.iut)
            .await;
        let s = scenario(concat!(
            "  - let: {n: 7}\n",
            "  - http: {method: put, base: service, path: \"/x/{{ n }}\", headers: {x-k: \"v-{{ n }}\"}, json: {n: \"{{ n }}\"}}\n",
            "    save: {id: \"$.items[0].id\", code: status, ref: header.x-ref}\n",
            "  - check: \"{{ [id, code, ref] }}\"\n",
            "    expect: {json: {\"$\": [i-1, 202, h-1]}}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        assert_eq!(
            record.exchanges[0].request_body.as_deref(),
            Some("{\"n\":7}")
        );
    }

    #[tokio::test]
    async fn a_missing_value_to_save_is_a_failure_and_a_dead_iut_an_error() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"a": 1})))
            .mount(&t.iut)
            .await;
        let s = scenario("  - http: {method: get, base: service, path: /}\n    save: {b: $.b}\n");
        let record = play(&s, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [(
                "a value at $.b to save as `b`".to_string(),
                "none in {\"a\":1}".to_string()
            )]
        );
        let dead = stage(|target, _| {
            target
                .bases
                .insert("service".into(), "http://127.0.0.1:9".into());
        })
        .await;
        let record = play(&s, &dead.stage).await;
        assert!(
            matches!(&record.ending, Ending::Errored(why) if why.starts_with("step 1 \"http\" (line 7)")),
            "{record:?}"
        );
        assert_eq!(record.exchanges.len(), 1, "a failed send is recorded");
    }

    #[tokio::test]
    async fn an_optional_save_takes_null_when_the_value_is_missing() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_string("no JSON here"))
            .mount(&t.iut)
            .await;
        let s = scenario(concat!(
            "  - http: {method: get, base: service, path: /}\n",
            "    save: {code: status, id: \"$.id?\", ref: \"header.x-ref ?\"}\n",
            "  - check: \"{{ [code, id, ref] }}\"\n",
            "    expect: {json: {\"$\": [400, null, null]}}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
    }

    #[tokio::test]
    async fn a_custom_auth_map_sends_its_header() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("GET"))
            .and(header("x-key", "k-1"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&t.iut)
            .await;
        let s = scenario(
            "  - http: {method: get, base: service, path: /}\n    auth: {header: X-Key, value: k-1}\n    expect: {status: 204}\n",
        );
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
    }
}
