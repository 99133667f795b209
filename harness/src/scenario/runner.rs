//! Plays one scenario against a stage (target + mock peers) and records the result.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use super::binding::{Binding, Credentials};
use super::expect::{Expect, Mismatch, Subject};
use super::model::{Action, AnswerFile, HttpFile, PollFile, Scenario, Step};
use super::stage::Stage;
use super::template::Templates;
use crate::http::{Exchange, HttpRequest, HttpResponse};
use crate::peers::{MockPeer, PeerReply, RecordedRequest, ScriptedAnswer};
use crate::protocols::requirements;
use crate::report::model::ScenarioResult;
use crate::report::verdict::{self, Ending, RunIdentity, RunRecord, Unmet};
use crate::target::Credential;

/// The longest one scenario may run before it is stopped as errored.
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);
/// The most exchanges one polling step records.
const POLL_EXCHANGES: usize = 10;

enum Stop {
    Failed {
        step: String,
        requirement: String,
        mismatches: Vec<Mismatch>,
    },
    Errored(String),
    Skipped(String),
}

struct Run<'a> {
    stage: &'a Stage,
    scenario: &'a Scenario,
    templates: Templates,
    vars: Map<String, Value>,
    exchanges: Vec<Exchange>,
    context: String,
}

/// Runs `scenario` on `stage`; never panics on anything the IUT does.
pub async fn run_scenario(scenario: &Scenario, stage: &Stage, id: String) -> ScenarioResult {
    let started = Instant::now();
    let templates = stage.templates();
    let vars = stage.base_vars();
    let mut run = Run {
        stage,
        scenario,
        templates,
        vars,
        exchanges: Vec::new(),
        context: String::new(),
    };
    let stopped = match tokio::time::timeout(SCENARIO_LIMIT, run.steps(&scenario.steps)).await {
        Ok(result) => result.err(),
        Err(_) => Some(Stop::Errored(format!(
            "the scenario did not finish within {} s",
            SCENARIO_LIMIT.as_secs()
        ))),
    };
    let ending = match stopped {
        None => Ending::Passed,
        Some(Stop::Skipped(why)) => Ending::Skipped(why),
        Some(Stop::Errored(why)) => Ending::Errored(why),
        Some(Stop::Failed {
            step,
            requirement,
            mismatches,
        }) => Ending::Failed {
            step,
            requirement,
            unmet: mismatches
                .into_iter()
                .map(|m| Unmet {
                    expected: m.expected,
                    actual: m.actual,
                })
                .collect(),
        },
    };
    let record = RunRecord {
        ending,
        exchanges: run.exchanges,
        duration: started.elapsed(),
    };
    let who = RunIdentity {
        id,
        scenario: scenario.id.clone(),
        title: scenario.title.clone(),
        protocol: scenario.protocol.name().to_string(),
        role: scenario.role.clone(),
        dialect: stage.variant_label(),
        requirements: scenario.requirements.clone(),
        source: scenario.source.clone(),
    };
    verdict::decide(
        who,
        record,
        &|r| requirements::find(r).map(|q| q.level),
        &stage.redactor,
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn seconds(v: &Value, what: &str) -> Result<Duration, String> {
    let s = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0 * 366.0)
    .ok_or_else(|| format!("{what}: `{v}` is not a number of seconds"))?;
    Ok(Duration::from_secs_f64(s))
}

impl Run<'_> {
    fn label(&self, step: &Step) -> String {
        format!("{}{}", step.label(), self.context)
    }

    fn requirement(&self, step: &Step) -> String {
        step.requirement
            .clone()
            .unwrap_or_else(|| self.scenario.requirements.join(", "))
    }

    fn fail(&self, step: &Step, mismatches: Vec<Mismatch>) -> Stop {
        Stop::Failed {
            step: self.label(step),
            requirement: self.requirement(step),
            mismatches,
        }
    }

    fn errored(&self, step: &Step, why: impl std::fmt::Display) -> Stop {
        Stop::Errored(format!("{}: {why}", self.label(step)))
    }

    fn render(&self, step: &Step, v: &Value) -> Result<Value, Stop> {
        self.templates
            .render(v, &self.vars)
            .map_err(|e| self.errored(step, e))
    }

    fn render_with(
        &self,
        step: &Step,
        v: &Value,
        vars: &Map<String, Value>,
    ) -> Result<Value, Stop> {
        self.templates
            .render(v, vars)
            .map_err(|e| self.errored(step, e))
    }

    fn timeout(&self, step: &Step) -> Duration {
        step.timeout.unwrap_or(self.stage.step_timeout())
    }

    fn peer(&self, step: &Step, name: &Option<String>) -> Result<Arc<MockPeer>, Stop> {
        self.stage
            .peer(name.as_deref())
            .map_err(|e| self.errored(step, e))
    }

    async fn steps(&mut self, steps: &[Step]) -> Result<(), Stop> {
        for step in steps {
            tracing::debug!(scenario = %self.scenario.id, step = %step.label(), "step");
            self.step(step).await?;
        }
        Ok(())
    }

    async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        match &step.action {
            Action::Call {
                operation,
                with,
                auth,
            } => {
                let (response, vars, outputs) = self
                    .call(step, operation, with, auth.as_ref(), true)
                    .await?;
                self.verify_answer(step, &response, &vars)?;
                self.save_answer(step, &response, &outputs)
            }
            Action::Http { http, auth } => {
                let response = self.http(step, http, auth.as_ref()).await?;
                let vars = self.vars.clone();
                self.verify_answer(step, &response, &vars)?;
                self.save_answer(step, &response, &BTreeMap::new())
            }
            Action::PeerAnswer(spec) => {
                let peer = self.peer(step, &spec.peer)?;
                let mut scripted = Vec::new();
                for answer in &spec.answers {
                    let one = self.answer(step, answer)?;
                    for _ in 0..answer.times.unwrap_or(1) {
                        scripted.push(one.clone());
                    }
                }
                peer.script(scripted);
                Ok(())
            }
            Action::AwaitRequest(spec) => {
                let peer = self.peer(step, &spec.peer)?;
                let within = match &spec.within_seconds {
                    Some(v) => seconds(&self.render(step, v)?, "within_seconds")
                        .map_err(|e| self.errored(step, e))?,
                    None => self.timeout(step),
                };
                let Some(request) = peer.next_request(within).await else {
                    return Err(self.fail(
                        step,
                        vec![Mismatch {
                            expected: format!(
                                "a request at the mock {} within {:.1} s",
                                peer.name(),
                                within.as_secs_f64()
                            ),
                            actual: "no request arrived".into(),
                        }],
                    ));
                };
                self.record_request(step, peer.name(), &request);
                if let Some(expect) = &step.expect {
                    let expect = self.expectation(step, expect, &self.vars.clone())?;
                    let text = String::from_utf8_lossy(&request.body).into_owned();
                    let subject = Subject {
                        status: None,
                        method: Some(&request.method),
                        path: Some(&request.path),
                        headers: &request.headers,
                        json: request.json.as_ref(),
                        text: &text,
                        elapsed: None,
                    };
                    let mismatches = expect.check(&subject);
                    if !mismatches.is_empty() {
                        return Err(self.fail(step, mismatches));
                    }
                }
                let at = peer.seconds_at(&request);
                self.save(
                    step,
                    request.json.as_ref(),
                    None,
                    &request.headers,
                    &BTreeMap::new(),
                    Some(at),
                )
            }
            Action::NoRequests(spec) => {
                let peer = self.peer(step, &spec.peer)?;
                let quiet = match &spec.for_seconds {
                    Some(v) => seconds(&self.render(step, v)?, "for_seconds")
                        .map_err(|e| self.errored(step, e))?,
                    None => self.stage.silence(),
                };
                if let Some(request) = peer.peek_request(quiet).await {
                    self.record_request(step, peer.name(), &request);
                    let body = self.stage.redactor.body(&request.body);
                    return Err(self.fail(
                        step,
                        vec![Mismatch {
                            expected: format!(
                                "no request at the mock {} for {:.1} s",
                                peer.name(),
                                quiet.as_secs_f64()
                            ),
                            actual: format!(
                                "{} {} with body `{body}`",
                                request.method, request.path
                            ),
                        }],
                    ));
                }
                Ok(())
            }
            Action::DrainRequests(spec) => {
                let peer = self.peer(step, &spec.peer)?;
                let quiet = seconds(&self.render(step, &spec.quiet_seconds)?, "quiet_seconds")
                    .map_err(|e| self.errored(step, e))?;
                let within = seconds(&self.render(step, &spec.within_seconds)?, "within_seconds")
                    .map_err(|e| self.errored(step, e))?;
                let started = Instant::now();
                let mut taken = Vec::new();
                while let Some(request) = peer.next_request(quiet).await {
                    self.record_request(step, peer.name(), &request);
                    taken.push(request);
                    if started.elapsed() > within {
                        return Err(self.fail(
                            step,
                            vec![Mismatch {
                                expected: format!(
                                    "the IUT to fall quiet for {:.1} s within {:.1} s",
                                    quiet.as_secs_f64(),
                                    within.as_secs_f64()
                                ),
                                actual: format!(
                                    "{} requests and still sending after {:.1} s",
                                    taken.len(),
                                    started.elapsed().as_secs_f64()
                                ),
                            }],
                        ));
                    }
                }
                let arrivals: Vec<Value> = taken
                    .iter()
                    .map(|r| Value::from(peer.seconds_at(r)))
                    .collect();
                let bodies: Vec<Value> = taken
                    .iter()
                    .map(|r| {
                        r.json.clone().unwrap_or_else(|| {
                            Value::String(String::from_utf8_lossy(&r.body).into_owned())
                        })
                    })
                    .collect();
                let summary = serde_json::json!({"count": taken.len(), "arrivals": arrivals, "bodies": bodies});
                for (name, source) in &step.save {
                    let value = summary
                        .get(source)
                        .cloned()
                        .ok_or_else(|| self.errored(step, format!("save {name}: drain_requests saves count, arrivals or bodies, not `{source}`")))?;
                    self.vars.insert(name.clone(), value);
                }
                Ok(())
            }
            Action::Poll(spec) => self.poll(step, spec).await,
            Action::AdvanceClock(v) => {
                let by = seconds(&self.render(step, v)?, "advance_clock")
                    .map_err(|e| self.errored(step, e))?;
                if self.stage.has_test_clock() {
                    let mut with = Map::new();
                    with.insert("seconds".into(), Value::from(by.as_secs_f64()));
                    let (response, _, _) =
                        self.call(step, "advance_clock", &with, None, true).await?;
                    if !(200..300).contains(&response.status) {
                        return Err(self.errored(
                            step,
                            format!("the test clock answered {}", response.status),
                        ));
                    }
                    Ok(())
                } else if by <= self.stage.real_wait_limit() {
                    tokio::time::sleep(by).await;
                    Ok(())
                } else {
                    Err(Stop::Skipped(format!(
                        "{}: the target has no test clock (test_base) and waiting {:.0} s exceeds real_wait_limit_seconds ({})",
                        self.label(step),
                        by.as_secs_f64(),
                        self.stage.real_wait_limit().as_secs()
                    )))
                }
            }
            Action::Let(vars) => {
                for (name, template) in vars {
                    let value = self.render(step, template)?;
                    self.vars.insert(name.clone(), value);
                }
                Ok(())
            }
            Action::Check(template) => {
                let value = self.render(step, template)?;
                if let Some(expect) = &step.expect {
                    let expect = self.expectation(step, expect, &self.vars.clone())?;
                    let text = value.to_string();
                    let subject = Subject {
                        json: Some(&value),
                        text: &text,
                        ..Subject::default()
                    };
                    let mismatches = expect.check(&subject);
                    if !mismatches.is_empty() {
                        return Err(self.fail(step, mismatches));
                    }
                }
                self.save(step, Some(&value), None, &[], &BTreeMap::new(), None)
            }
            Action::ForEach { items, var, steps } => {
                let items = match self.render(step, items)? {
                    Value::Array(items) => items,
                    other => {
                        return Err(
                            self.errored(step, format!("for_each needs a list, got {other}"))
                        )
                    }
                };
                if items.is_empty() {
                    return Err(self.errored(
                        step,
                        "for_each: the list is empty, so nothing would be checked",
                    ));
                }
                let outer = self.context.clone();
                let count = items.len();
                for (i, item) in items.into_iter().enumerate() {
                    let shown = item
                        .get("name")
                        .and_then(Value::as_str)
                        .map_or_else(|| short(&item.to_string()), str::to_string);
                    self.context = format!("{outer} [{var} {} of {count}: {shown}]", i + 1);
                    self.vars.insert(var.clone(), item);
                    let result = Box::pin(self.steps(steps)).await;
                    self.context = outer.clone();
                    result?;
                }
                Ok(())
            }
        }
    }

    fn binding(&self, step: &Step, operation: &str) -> Result<Binding, Stop> {
        self.stage
            .binding(operation)
            .map_err(|e| self.errored(step, e))
    }

    fn base_url(&self, step: &Step, base: &str) -> Result<String, Stop> {
        self.stage.base_url(base).map_err(|e| self.errored(step, e))
    }

    fn credential(
        &self,
        step: &Step,
        default: Credentials,
        auth: Option<&Value>,
    ) -> Result<Option<Credential>, Stop> {
        Ok(match auth {
            None => self.stage.credential(default),
            Some(Value::String(s)) => self
                .stage
                .credential_named(s)
                .map_err(|e| self.errored(step, e))?,
            Some(v) => {
                let v = self.render(step, v)?;
                let header = v
                    .get("header")
                    .and_then(Value::as_str)
                    .unwrap_or(self.stage.credential_header());
                let value = v
                    .get("value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| self.errored(step, "auth: a map needs `value`"))?;
                Some(Credential {
                    header: header.to_ascii_lowercase(),
                    value: value.to_string(),
                })
            }
        })
    }

    /// Performs a binding operation; returns the answer, the variables (with `arg`) its
    /// expectations are rendered with, and the binding's outputs.
    async fn call(
        &mut self,
        step: &Step,
        operation: &str,
        with: &Map<String, Value>,
        auth: Option<&Value>,
        record: bool,
    ) -> Result<(HttpResponse, Map<String, Value>, BTreeMap<String, String>), Stop> {
        let binding = self.binding(step, operation)?;
        let args = self.render(step, &Value::Object(with.clone()))?;
        let mut vars = self.vars.clone();
        vars.insert("arg".into(), args);
        let path = self
            .templates
            .render_str(&binding.path, &vars)
            .map_err(|e| self.errored(step, e))?;
        let url = format!("{}{path}", self.base_url(step, &binding.base)?);
        let mut headers = Vec::new();
        let body = match &binding.body {
            Some(b) => {
                headers.push(("content-type".to_string(), "application/json".to_string()));
                Some(self.render_with(step, b, &vars)?.to_string().into_bytes())
            }
            None => None,
        };
        for (k, v) in &binding.headers {
            let value = self
                .templates
                .render_str(v, &vars)
                .map_err(|e| self.errored(step, e))?;
            headers.push((k.to_ascii_lowercase(), value));
        }
        if let Some(c) = self.credential(step, binding.credentials, auth)? {
            headers.push((c.header, c.value));
        }
        let request = HttpRequest {
            method: binding.method.clone(),
            url,
            headers,
            body,
        };
        let response = self.send(step, &request, record).await?;
        Ok((response, vars, binding.outputs))
    }

    async fn http(
        &mut self,
        step: &Step,
        http: &HttpFile,
        auth: Option<&Value>,
    ) -> Result<HttpResponse, Stop> {
        let path = self
            .templates
            .render_str(&http.path, &self.vars)
            .map_err(|e| self.errored(step, e))?;
        let url = format!("{}{path}", self.base_url(step, &http.base)?);
        let mut headers = Vec::new();
        let body = match (&http.json, &http.raw) {
            (Some(j), _) => {
                headers.push(("content-type".to_string(), "application/json".to_string()));
                Some(self.render(step, j)?.to_string().into_bytes())
            }
            (None, Some(raw)) => Some(
                self.templates
                    .render_str(raw, &self.vars)
                    .map_err(|e| self.errored(step, e))?
                    .into_bytes(),
            ),
            (None, None) => None,
        };
        for (k, v) in &http.headers {
            let value = self
                .templates
                .render_str(v, &self.vars)
                .map_err(|e| self.errored(step, e))?;
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
            headers.push((k.to_ascii_lowercase(), value));
        }
        let default = self.stage.default_credentials(&http.base);
        if let Some(c) = self.credential(step, default, auth)? {
            headers.push((c.header, c.value));
        }
        let request = HttpRequest {
            method: http.method.to_ascii_uppercase(),
            url,
            headers,
            body,
        };
        self.send(step, &request, true).await
    }

    async fn send(
        &mut self,
        step: &Step,
        request: &HttpRequest,
        record: bool,
    ) -> Result<HttpResponse, Stop> {
        let timeout = self.timeout(step);
        let started = Instant::now();
        let result = self.stage.http.send(request, timeout).await;
        let redactor = &self.stage.redactor;
        let exchange = Exchange {
            step: self.label(step),
            direction: "harness->iut".into(),
            method: request.method.clone(),
            url: redactor.redact(&request.url),
            request_body: request.body.as_deref().map(|b| redactor.body(b)),
            status: result.as_ref().ok().map(|r| r.status),
            response_body: result.as_ref().ok().map(|r| redactor.body(&r.body)),
            error: result
                .as_ref()
                .err()
                .map(|e| redactor.redact(&e.to_string())),
            duration_ms: millis(started.elapsed()),
        };
        if record || result.is_err() {
            self.exchanges.push(exchange);
        }
        result.map_err(|e| self.errored(step, e))
    }

    fn record_request(&mut self, step: &Step, peer: &str, request: &RecordedRequest) {
        self.exchanges.push(Exchange {
            step: self.label(step),
            direction: format!("iut->{peer}"),
            method: request.method.clone(),
            url: request.path.clone(),
            request_body: Some(self.stage.redactor.body(&request.body)),
            status: None,
            response_body: None,
            error: None,
            duration_ms: 0,
        });
    }

    fn expectation(
        &self,
        step: &Step,
        raw: &Value,
        vars: &Map<String, Value>,
    ) -> Result<Expect, Stop> {
        let rendered = self.render_with(step, raw, vars)?;
        Expect::parse(&rendered).map_err(|e| self.errored(step, e))
    }

    fn verify_answer(
        &self,
        step: &Step,
        response: &HttpResponse,
        vars: &Map<String, Value>,
    ) -> Result<(), Stop> {
        let Some(expect) = &step.expect else {
            return Ok(());
        };
        let expect = self.expectation(step, expect, vars)?;
        let mismatches = expect.check(&answer_subject(
            response,
            &String::from_utf8_lossy(&response.body),
        ));
        if mismatches.is_empty() {
            Ok(())
        } else {
            Err(self.fail(step, mismatches))
        }
    }

    fn save_answer(
        &mut self,
        step: &Step,
        response: &HttpResponse,
        outputs: &BTreeMap<String, String>,
    ) -> Result<(), Stop> {
        self.save(
            step,
            response.json.as_ref(),
            Some(response.status),
            &response.headers,
            outputs,
            None,
        )
    }

    /// Saves variables from a JSON body, status, headers or binding outputs.
    fn save(
        &mut self,
        step: &Step,
        json: Option<&Value>,
        status: Option<u16>,
        headers: &[(String, String)],
        outputs: &BTreeMap<String, String>,
        received_at: Option<f64>,
    ) -> Result<(), Stop> {
        for (name, source) in &step.save {
            if source == "received_at" {
                let at = received_at.ok_or_else(|| {
                    self.errored(
                        step,
                        format!("save {name}: received_at exists only for await_request"),
                    )
                })?;
                self.vars.insert(name.clone(), Value::from(at));
                continue;
            }
            let path = if let Some(out) = source.strip_prefix("out.") {
                outputs.get(out).cloned().ok_or_else(|| {
                    self.errored(
                        step,
                        format!("save {name}: the binding has no output `{out}`"),
                    )
                })?
            } else {
                source.clone()
            };
            let value = if path == "status" {
                status.map(Value::from)
            } else if let Some(h) = path.strip_prefix("header.") {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(h))
                    .map(|(_, v)| Value::String(v.clone()))
            } else {
                let parsed = JsonPath::parse(&path)
                    .map_err(|e| self.errored(step, format!("save {name}: {e}")))?;
                json.and_then(|j| parsed.query(j).exactly_one().ok().cloned())
            };
            match value {
                Some(v) => {
                    self.vars.insert(name.clone(), v);
                }
                None => {
                    return Err(self.fail(
                        step,
                        vec![Mismatch {
                            expected: format!("a value at {source} to save as `{name}`"),
                            actual: match json {
                                Some(j) => format!("none in {}", short(&j.to_string())),
                                None => "no JSON body".into(),
                            },
                        }],
                    ))
                }
            }
        }
        Ok(())
    }

    fn answer(&self, step: &Step, a: &AnswerFile) -> Result<ScriptedAnswer, Stop> {
        let delay = match a.delay_seconds {
            Some(d) => {
                seconds(&Value::from(d), "delay_seconds").map_err(|e| self.errored(step, e))?
            }
            None => Duration::ZERO,
        };
        if let Some(name) = &a.preset {
            let name = self
                .templates
                .render_str(name, &self.vars)
                .map_err(|e| self.errored(step, e))?;
            let mut preset = self
                .stage
                .preset(&name)
                .map_err(|e| self.errored(step, e))?;
            preset.delay += delay;
            return Ok(preset);
        }
        let mut headers = Vec::new();
        for (k, v) in &a.headers {
            let value = self
                .templates
                .render_str(v, &self.vars)
                .map_err(|e| self.errored(step, e))?;
            headers.push((k.clone(), value));
        }
        let reply = match (&a.json, &a.raw, a.status) {
            (None, None, None) => None,
            (json, raw, status) => {
                let body = match (json, raw) {
                    (Some(j), _) => self.render(step, j)?.to_string().into_bytes(),
                    (None, Some(r)) => self
                        .templates
                        .render_str(r, &self.vars)
                        .map_err(|e| self.errored(step, e))?
                        .into_bytes(),
                    (None, None) => Vec::new(),
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
        Ok(ScriptedAnswer { delay, reply })
    }

    async fn poll(&mut self, step: &Step, spec: &PollFile) -> Result<(), Stop> {
        let (raw, until) = match (&spec.until, &spec.always) {
            (Some(u), None) => (u, true),
            (None, Some(a)) => (a, false),
            _ => return Err(self.errored(step, "poll needs exactly one of `until` and `always`")),
        };
        let span = match &spec.for_seconds {
            Some(v) => {
                seconds(&self.render(step, v)?, "for_seconds").map_err(|e| self.errored(step, e))?
            }
            None if until => self.timeout(step),
            None => self.stage.silence(),
        };
        let every = Duration::from_secs_f64(spec.every_seconds.unwrap_or(0.1).clamp(0.01, 10.0));
        let with = spec.with.clone().unwrap_or_default();
        let deadline = Instant::now() + span;
        let mut calls = 0usize;
        loop {
            calls += 1;
            let (response, vars, _) = self
                .call(step, &spec.call, &with, None, calls <= POLL_EXCHANGES)
                .await?;
            let expect = self.expectation(step, raw, &vars)?;
            let mismatches = expect.check(&answer_subject(
                &response,
                &String::from_utf8_lossy(&response.body),
            ));
            let done = Instant::now() >= deadline;
            match (until, mismatches.is_empty()) {
                (true, true) => return Ok(()),
                (false, false) => {
                    let at = format!(
                        "after {:.1} s (call {calls})",
                        (span.saturating_sub(deadline.saturating_duration_since(Instant::now())))
                            .as_secs_f64()
                    );
                    return Err(self.fail(
                        step,
                        prefix(
                            mismatches,
                            &format!("always for {:.1} s", span.as_secs_f64()),
                            &at,
                        ),
                    ));
                }
                (true, false) if done => {
                    return Err(self.fail(
                        step,
                        prefix(
                            mismatches,
                            &format!("within {:.1} s", span.as_secs_f64()),
                            &format!("still, after {calls} calls"),
                        ),
                    ));
                }
                (false, true) if done => return Ok(()),
                _ => {
                    tokio::time::sleep(
                        every.min(
                            deadline
                                .saturating_duration_since(Instant::now())
                                .max(Duration::from_millis(1)),
                        ),
                    )
                    .await
                }
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

fn answer_subject<'a>(response: &'a HttpResponse, text: &'a str) -> Subject<'a> {
    Subject {
        status: Some(response.status),
        method: None,
        path: None,
        headers: &response.headers,
        json: response.json.as_ref(),
        text,
        elapsed: Some(response.elapsed),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}
