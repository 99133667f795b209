//! Steps at the mock peers: scripting their answers (`peer_answer`) and watching what
//! the IUT sends them (`await_request`, `no_requests`, `drain_requests`).

use std::time::Duration;

use tokio::time::Instant;

use serde_json::Value;

use super::capture::{save, Found};
use super::{millis, Ctx, Stop};
use crate::http::{Exchange, Header};
use crate::peers::{FieldPattern, PeerReply, RecordedRequest, RequestMatch, ScriptedAnswer};
use crate::scenario::expect::{Mismatch, Subject};
use crate::scenario::model::{
    Answer, AwaitRequest, Body, Drain, Matching, NoRequests, PeerAnswer, Step,
};

/// A `peer_answer` step: queue the answers at the mock peer.
pub(super) fn peer_answer(cx: &mut Ctx<'_>, step: &Step, p: &PeerAnswer) -> Result<(), Stop> {
    let peer = cx.peer(step, p.peer.as_deref())?;
    let mut scripted = Vec::new();
    for answer in &p.answers {
        let one = scripted_answer(cx, step, answer)?;
        for _ in 0..answer.times {
            scripted.push(one.clone());
        }
    }
    peer.script_matching(&like(cx, step, &p.matching)?, scripted);
    Ok(())
}

/// A step's `matching`, its path and field patterns rendered.
fn like(cx: &Ctx<'_>, step: &Step, m: &Matching) -> Result<RequestMatch, Stop> {
    let mut fields = Vec::new();
    for (name, pattern) in &m.fields {
        let rendered = cx.text(step, pattern)?;
        let pattern = regex::Regex::new(&rendered).map_err(|e| {
            cx.errored(
                step,
                format!("matching.fields.{name}: `{rendered}` is not a regular expression: {e}"),
            )
        })?;
        fields.push(FieldPattern {
            name: name.clone(),
            pattern,
        });
    }
    Ok(RequestMatch {
        method: m.method.clone(),
        path_ends_with: match &m.path_ends_with {
            Some(t) => Some(cx.text(step, t)?),
            None => None,
        },
        path_contains: match &m.path_contains {
            Some(t) => Some(cx.text(step, t)?),
            None => None,
        },
        path_excludes: match &m.path_excludes {
            Some(t) => Some(cx.text(step, t)?),
            None => None,
        },
        fields,
    })
}

fn scripted_answer(cx: &Ctx<'_>, step: &Step, a: &Answer) -> Result<ScriptedAnswer, Stop> {
    if let Some(name) = &a.preset {
        let name = cx.text(step, name)?;
        let mut preset = cx.stage.preset(&name).map_err(|e| cx.errored(step, e))?;
        preset.delay += a.delay;
        return Ok(preset);
    }
    if a.close || a.close_after_storing {
        let reply = if a.close {
            PeerReply::closed()
        } else {
            PeerReply::stored_then_closed()
        };
        return Ok(ScriptedAnswer {
            delay: a.delay,
            reply: Some(reply),
        });
    }
    let mut headers = Vec::new();
    for (k, v) in &a.headers {
        headers.push((k.clone(), cx.text(step, v)?));
    }
    let reply = match (&a.body, a.status) {
        (Body::None, None) => None,
        (body, status) => {
            let body = match body {
                Body::Json(j) => cx.render(step, j)?.to_string().into_bytes(),
                Body::Raw(r) => cx.text(step, r)?.into_bytes(),
                Body::None => Vec::new(),
            };
            Some(PeerReply {
                status: status.unwrap_or(200),
                content_type: a
                    .content_type
                    .clone()
                    .or_else(|| Some("application/json".into())),
                headers,
                body,
            })
        }
    };
    Ok(ScriptedAnswer {
        delay: a.delay,
        reply,
    })
}

/// An `await_request` step: the next request at the mock peer, within the time given;
/// its expectations; what it saves (`received_at` included).
pub(super) async fn await_request(
    cx: &mut Ctx<'_>,
    step: &Step,
    a: &AwaitRequest,
) -> Result<(), Stop> {
    let peer = cx.peer(step, a.peer.as_deref())?;
    let within = match &a.within {
        Some(v) => cx.seconds(step, v, "within_seconds")?,
        None => cx.timeout(step),
    };
    let like = like(cx, step, &a.matching)?;
    let Some(request) = peer.next_matching(within, &like).await else {
        let what = if like == RequestMatch::default() {
            "a request".to_string()
        } else {
            format!("a request {like}")
        };
        return Err(cx.fail(
            step,
            vec![Mismatch {
                expected: format!(
                    "{what} at the mock {} within {:.1} s",
                    peer.name(),
                    within.as_secs_f64()
                ),
                actual: "no request arrived".into(),
            }],
        ));
    };
    record_request(cx, step, peer.name(), &request);
    if !step.expect.is_empty() {
        let text = String::from_utf8_lossy(&request.body).into_owned();
        let subject = Subject {
            status: None,
            method: Some(&request.method),
            path: Some(&request.path),
            query: request.query.as_deref(),
            headers: &request.headers,
            json: request.json.as_ref(),
            text: &text,
            elapsed: None,
        };
        cx.verify(step, &subject, &cx.vars)?;
    }
    let found = Found {
        json: request.json.as_ref(),
        headers: &request.headers,
        received_at: Some(peer.seconds_at(&request)),
        request_path: Some(&request.path),
        ..Found::default()
    };
    save(cx, step, &found)
}

/// A `no_requests` step: a failure if any request arrives at the mock peer in time.
pub(super) async fn no_requests(cx: &mut Ctx<'_>, step: &Step, n: &NoRequests) -> Result<(), Stop> {
    let peer = cx.peer(step, n.peer.as_deref())?;
    let quiet = match &n.for_seconds {
        Some(v) => cx.seconds(step, v, "for_seconds")?,
        None => cx.stage.silence(),
    };
    let like = like(cx, step, &n.matching)?;
    if let Some(request) = peer.peek_matching(quiet, &like).await {
        record_request(cx, step, peer.name(), &request);
        let body = cx.stage.redactor.body(&request.body);
        let what = if like == RequestMatch::default() {
            "no request".to_string()
        } else {
            format!("no request {like}")
        };
        return Err(cx.fail(
            step,
            vec![Mismatch {
                expected: format!(
                    "{what} at the mock {} for {:.1} s",
                    peer.name(),
                    quiet.as_secs_f64()
                ),
                actual: format!("{} {} with body `{body}`", request.method, request.path),
            }],
        ));
    }
    Ok(())
}

/// A `drain_requests` step: take requests until none arrives for the quiet spell; a
/// failure when that takes longer than `within`. Saves `count`, `arrivals`, `bodies`.
pub(super) async fn drain_requests(cx: &mut Ctx<'_>, step: &Step, d: &Drain) -> Result<(), Stop> {
    let peer = cx.peer(step, d.peer.as_deref())?;
    let quiet = cx.seconds(step, &d.quiet, "quiet_seconds")?;
    let within = cx.seconds(step, &d.within, "within_seconds")?;
    let started = Instant::now();
    let mut taken = Vec::new();
    while let Some(request) = peer.next_request(quiet).await {
        record_request(cx, step, peer.name(), &request);
        taken.push(request);
        if started.elapsed() > within {
            return Err(cx.fail(step, still_sending(quiet, within, taken.len(), started)));
        }
    }
    let arrivals: Vec<Value> = taken
        .iter()
        .map(|r| Value::from(peer.seconds_at(r)))
        .collect();
    let bodies: Vec<Value> = taken
        .iter()
        .map(|r| {
            r.json
                .clone()
                .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&r.body).into_owned()))
        })
        .collect();
    let summary = serde_json::json!({"count": taken.len(), "arrivals": arrivals, "bodies": bodies});
    let found = Found {
        summary: Some(&summary),
        ..Found::default()
    };
    save(cx, step, &found)
}

fn still_sending(
    quiet: Duration,
    within: Duration,
    count: usize,
    started: Instant,
) -> Vec<Mismatch> {
    vec![Mismatch {
        expected: format!(
            "the IUT to fall quiet for {:.1} s within {:.1} s",
            quiet.as_secs_f64(),
            within.as_secs_f64()
        ),
        actual: format!(
            "{count} requests and still sending after {:.1} s",
            started.elapsed().as_secs_f64()
        ),
    }]
}

/// Records a request the IUT sent to a mock peer.
fn record_request(cx: &mut Ctx<'_>, step: &Step, peer: &str, request: &RecordedRequest) {
    cx.exchanges.push(Exchange {
        step: cx.label(step),
        direction: format!("iut->{peer}"),
        method: request.method.clone(),
        url: cx.stage.redactor.show(&request.path),
        request_headers: Header::shown(&request.headers, &cx.stage.redactor),
        request_body: Some(cx.stage.redactor.body(&request.body)),
        status: None,
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        duration_ms: 0,
        at_ms: Some(millis(request.at.saturating_duration_since(cx.started))),
        tls: request.tls.clone(),
        curl: None,
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::http::HttpRequest;
    use crate::report::verdict::Ending;
    use crate::scenario::run::play;
    use crate::scenario::run::testing::{scenario, stage, unmet, TestStage};

    /// Sends `body` to the mock peer as the IUT would, after `after`.
    fn send_later(t: &TestStage, after: Duration, body: &str) {
        let url = format!("{}/tickets", t.stage.peer(None).expect("one peer").url());
        let http = t.stage.http.clone();
        let body = body.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let request = HttpRequest {
                method: "POST".into(),
                url,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Some(body.into_bytes()),
            };
            http.send(&request, Duration::from_secs(2)).await
        });
    }

    #[tokio::test]
    async fn await_request_times_out_as_a_failure() {
        let t = stage(|_, _| {}).await;
        let s = scenario("  - await_request: {within_seconds: 0.2}\n");
        let record = play(&s, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [(
                "a request at the mock client within 0.2 s".to_string(),
                "no request arrived".to_string()
            )]
        );
    }

    #[tokio::test]
    async fn await_request_checks_and_saves_the_request() {
        let t = stage(|_, _| {}).await;
        send_later(&t, Duration::from_millis(50), r#"{"a": 1}"#);
        let s = scenario(concat!(
            "  - await_request: {}\n",
            "    expect: {method: post, path: /tickets, json: {\"$.a\": 1}}\n",
            "    save: {a: $.a, at: received_at, p: request_path}\n",
            "  - check: \"{{ [a, at > 0, p] }}\"\n",
            "    expect: {json: {\"$\": [1, true, /tickets]}}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        assert_eq!(record.exchanges[0].direction, "iut->client");
        send_later(&t, Duration::ZERO, r#"{"a": 2}"#);
        let record = play(&s, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [("$.a == 1".to_string(), "$.a == 2".to_string())]
        );
    }

    #[tokio::test]
    async fn no_requests_fails_on_a_request_and_passes_on_silence() {
        let t = stage(|_, _| {}).await;
        let s = scenario("  - no_requests: {for_seconds: 0.5}\n");
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        send_later(&t, Duration::from_millis(50), r#"{"x": "y"}"#);
        let record = play(&s, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [(
                "no request at the mock client for 0.5 s".to_string(),
                "POST /tickets with body `{\"x\": \"y\"}`".to_string()
            )]
        );
    }

    #[tokio::test]
    async fn drain_requests_counts_until_quiet() {
        let t = stage(|_, _| {}).await;
        send_later(&t, Duration::ZERO, r#"{"n": 1}"#);
        send_later(&t, Duration::from_millis(100), r#"{"n": 2}"#);
        let s = scenario(concat!(
            "  - drain_requests: {quiet_seconds: 0.4, within_seconds: 5}\n",
            "    save: {tries: count, bodies: bodies}\n",
            "  - check: \"{{ tries }}\"\n",
            "    expect: {json: {\"$\": 2}}\n",
            "  - check: \"{{ bodies | map(attribute='n') | sort | list }}\"\n",
            "    expect: {json: {\"$\": [1, 2]}}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed, "{record:?}");
        assert_eq!(record.exchanges.len(), 2);
    }

    fn post_x(base: &str) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: format!("{base}/x"),
            headers: vec![],
            body: None,
        }
    }

    #[tokio::test]
    async fn peer_answer_scripts_the_next_answers() {
        let t = stage(|_, _| {}).await;
        let s = scenario(
            "  - peer_answer: {answers: [{status: 503, json: {e: \"{{ silence }}\"}, times: 2}, {preset: ok}]}\n",
        );
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        let peer = t.stage.peer(None).expect("peer");
        let request = post_x(&peer.url());
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let r = t.stage.http.send(&request, Duration::from_secs(2)).await;
            statuses.push(r.expect("answers").status);
        }
        assert_eq!(statuses[..2], [503, 503]);
        assert_eq!(statuses[2], 200, "then the preset");
    }

    #[tokio::test]
    async fn a_closed_answer_leaves_the_caller_without_one() {
        let t = stage(|_, _| {}).await;
        let s = scenario("  - peer_answer: {answers: [{close: true}]}\n");
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        let peer = t.stage.peer(None).expect("peer");
        let request = post_x(&peer.url());
        let first = t.stage.http.send(&request, Duration::from_secs(2)).await;
        assert!(first.is_err(), "{first:?}");
    }
}
