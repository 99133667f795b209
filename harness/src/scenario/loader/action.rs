//! Compiling each kind of action: the fields it takes, checked and typed once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::scenario::expect::Expect;
use crate::scenario::model::{
    Action, Answer, AnswerFile, Auth, AwaitFile, AwaitRequest, Body, Call, CompileError, Drain,
    DrainFile, ForEach, Http, HttpFile, Matching, MatchingFile, NoRequests, NoRequestsFile,
    Parallel, ParallelFile, PeerAnswer, PeerAnswerFile, Poll, PollFile, Save, SaveFrom, StepFile,
};
use crate::scenario::template::{Text, Tree};
use crate::yaml::InputError;

use super::context::StepContext;

/// The action fields of a step as written, once the one given is taken out.
pub(super) enum RawAction {
    Call(String),
    Http(HttpFile),
    PeerAnswer(PeerAnswerFile),
    AwaitRequest(AwaitFile),
    NoRequests(NoRequestsFile),
    DrainRequests(DrainFile),
    Poll(PollFile),
    Parallel(ParallelFile),
    AdvanceClock(Value),
    Let(Map<String, Value>),
    Check(Value),
    ForEach(Value),
    Skip(String),
}

/// The action field names, in the order messages list them.
pub(super) const ACTIONS: [&str; 13] = [
    "call",
    "http",
    "peer_answer",
    "await_request",
    "no_requests",
    "drain_requests",
    "poll",
    "parallel",
    "advance_clock",
    "let",
    "check",
    "for_each",
    "skip",
];

impl RawAction {
    pub(super) fn name(&self) -> &'static str {
        match self {
            RawAction::Call(_) => "call",
            RawAction::Http(_) => "http",
            RawAction::PeerAnswer(_) => "peer_answer",
            RawAction::AwaitRequest(_) => "await_request",
            RawAction::NoRequests(_) => "no_requests",
            RawAction::DrainRequests(_) => "drain_requests",
            RawAction::Poll(_) => "poll",
            RawAction::Parallel(_) => "parallel",
            RawAction::AdvanceClock(_) => "advance_clock",
            RawAction::Let(_) => "let",
            RawAction::Check(_) => "check",
            RawAction::ForEach(_) => "for_each",
            RawAction::Skip(_) => "skip",
        }
    }

    /// Every action field set in `s`, taken out of it.
    pub(super) fn take_all(s: &mut StepFile) -> Vec<RawAction> {
        let found = [
            s.call.take().map(RawAction::Call),
            s.http.take().map(RawAction::Http),
            s.peer_answer.take().map(RawAction::PeerAnswer),
            s.await_request.take().map(RawAction::AwaitRequest),
            s.no_requests.take().map(RawAction::NoRequests),
            s.drain_requests.take().map(RawAction::DrainRequests),
            s.poll.take().map(RawAction::Poll),
            s.parallel.take().map(RawAction::Parallel),
            s.advance_clock.take().map(RawAction::AdvanceClock),
            s.let_vars.take().map(RawAction::Let),
            s.check.take().map(RawAction::Check),
            s.for_each.take().map(RawAction::ForEach),
            s.skip.take().map(RawAction::Skip),
        ];
        found.into_iter().flatten().collect()
    }
}

pub(super) fn err(message: impl Into<String>) -> CompileError {
    CompileError(message.into())
}

/// `seconds` as a duration (a load-time constant such as `delay_seconds`).
pub(super) fn fixed_seconds(what: &str, s: f64) -> Result<Duration, CompileError> {
    if s.is_finite() && (0.0..=86_400.0 * 366.0).contains(&s) {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(err(format!("{what}: `{s}` is not a number of seconds")))
    }
}

/// The compiled form of `save`: what each source means for this kind of action.
pub(super) fn compile_save(
    kind: &str,
    save: BTreeMap<String, String>,
) -> Result<Vec<Save>, CompileError> {
    let mut out = Vec::new();
    for (name, written) in save {
        let (source, optional) = match written.strip_suffix('?') {
            Some(s) => (s.trim_end().to_string(), true),
            None => (written.clone(), false),
        };
        let from = if kind == "drain_requests" {
            if !["count", "arrivals", "bodies"].contains(&source.as_str()) {
                return Err(err(format!(
                    "save {name}: drain_requests saves count, arrivals or bodies, not `{source}`"
                )));
            }
            SaveFrom::Summary(source.clone())
        } else if source == "received_at" || source == "request_path" {
            if kind != "await_request" {
                return Err(err(format!(
                    "save {name}: {source} exists only for await_request"
                )));
            }
            if source == "received_at" {
                SaveFrom::ReceivedAt
            } else {
                SaveFrom::RequestPath
            }
        } else if let Some(out) = source.strip_prefix("out.") {
            SaveFrom::Output(out.to_string())
        } else if source == "status" {
            SaveFrom::Status
        } else if let Some(h) = source.strip_prefix("header.") {
            SaveFrom::Header(h.to_string())
        } else {
            SaveFrom::Path(JsonPath::parse(&source).map_err(|e| err(format!("save {name}: {e}")))?)
        };
        out.push(Save {
            name,
            source: written,
            from,
            optional,
        });
    }
    Ok(out)
}

fn headers(map: BTreeMap<String, String>) -> Vec<(String, Text)> {
    map.into_iter().map(|(k, v)| (k, Text::new(v))).collect()
}

fn body(json: Option<Value>, raw: Option<String>) -> Body {
    match (json, raw) {
        (Some(j), _) => Body::Json(Tree::new(j)),
        (None, Some(r)) => Body::Raw(Text::new(r)),
        (None, None) => Body::None,
    }
}

fn auth(a: Option<Value>) -> Option<Auth> {
    a.map(|v| match v {
        Value::String(s) => Auth::Named(s),
        other => Auth::Custom(Tree::new(other)),
    })
}

impl StepContext<'_> {
    /// The compiled action; checks the names its templates use and adds those it
    /// defines (let, for_each) to `defined`.
    pub(super) fn action(
        &self,
        raw: RawAction,
        s: &mut StepFile,
        number: &str,
        defined: &mut BTreeSet<String>,
        errors: &mut Vec<InputError>,
    ) -> Result<Action, CompileError> {
        Ok(match raw {
            RawAction::Call(operation) => {
                self.check_op(&operation)?;
                let with = Value::Object(s.with.take().unwrap_or_default());
                self.names("with", &with, defined)?;
                self.names_opt("auth", s.auth.as_ref(), defined)?;
                Action::Call(Call {
                    operation,
                    with: Tree::new(with),
                    auth: auth(s.auth.take()),
                })
            }
            RawAction::Http(http) => {
                if !self.bases.contains(&http.base.as_str()) {
                    return Err(err(format!(
                        "http.base: `{}` ({})",
                        http.base,
                        self.bases.join(", ")
                    )));
                }
                if http.json.is_some() && http.raw.is_some() {
                    return Err(err("http: give json or raw, not both"));
                }
                self.names("http.path", &Value::String(http.path.clone()), defined)?;
                self.names("http.headers", &serde_json::json!(http.headers), defined)?;
                self.names_opt("http.json", http.json.as_ref(), defined)?;
                self.names_opt(
                    "http.raw",
                    http.raw.clone().map(Value::String).as_ref(),
                    defined,
                )?;
                self.names_opt("auth", s.auth.as_ref(), defined)?;
                Action::Http(Http {
                    method: http.method.to_ascii_uppercase(),
                    base: http.base,
                    path: Text::new(http.path),
                    headers: headers(http.headers),
                    body: body(http.json, http.raw),
                    auth: auth(s.auth.take()),
                })
            }
            RawAction::PeerAnswer(p) => {
                if p.answers.is_empty() {
                    return Err(err("peer_answer.answers: give at least one answer"));
                }
                let mut answers = Vec::new();
                for (i, a) in p.answers.into_iter().enumerate() {
                    answers.push(self.answer(i, a, defined)?);
                }
                Action::PeerAnswer(PeerAnswer {
                    peer: p.peer,
                    matching: self.matching("peer_answer", p.matching, defined)?,
                    answers,
                })
            }
            RawAction::AwaitRequest(a) => {
                self.names_opt(
                    "await_request.within_seconds",
                    a.within_seconds.as_ref(),
                    defined,
                )?;
                Action::AwaitRequest(AwaitRequest {
                    peer: a.peer,
                    matching: self.matching("await_request", a.matching, defined)?,
                    within: a.within_seconds.map(Tree::new),
                })
            }
            RawAction::NoRequests(n) => {
                self.names_opt("no_requests.for_seconds", n.for_seconds.as_ref(), defined)?;
                Action::NoRequests(NoRequests {
                    peer: n.peer,
                    matching: self.matching("no_requests", n.matching, defined)?,
                    for_seconds: n.for_seconds.map(Tree::new),
                })
            }
            RawAction::DrainRequests(d) => {
                self.names("drain_requests.quiet_seconds", &d.quiet_seconds, defined)?;
                self.names("drain_requests.within_seconds", &d.within_seconds, defined)?;
                Action::DrainRequests(Drain {
                    peer: d.peer,
                    quiet: Tree::new(d.quiet_seconds),
                    within: Tree::new(d.within_seconds),
                })
            }
            RawAction::Poll(p) => {
                self.check_op(&p.call)?;
                let (condition, until) = match (&p.until, &p.always) {
                    (Some(c), None) => (c, true),
                    (None, Some(c)) => (c, false),
                    _ => return Err(err("poll: give exactly one of `until` and `always`")),
                };
                let compiled = Expect::compile(condition, &|n| self.schema(n))
                    .map_err(|m| err(format!("poll: {m}")))?;
                if !until && !compiled.constrains_status() {
                    return Err(err(
                        "poll.always: must constrain `status` (for example `status: 200`): \
                         without one, an answer of 500 or 404 holds every other check",
                    ));
                }
                let with = Value::Object(p.with.clone().unwrap_or_default());
                self.names("poll.with", &with, defined)?;
                self.names(
                    if until { "poll.until" } else { "poll.always" },
                    condition,
                    defined,
                )?;
                self.names_opt("poll.for_seconds", p.for_seconds.as_ref(), defined)?;
                Action::Poll(Box::new(Poll {
                    call: p.call,
                    with: Tree::new(with),
                    condition: compiled,
                    until,
                    for_seconds: p.for_seconds.map(Tree::new),
                    every: Duration::from_secs_f64(
                        p.every_seconds.unwrap_or(0.1).clamp(0.01, 10.0),
                    ),
                }))
            }
            RawAction::Parallel(p) => {
                if p.calls.len() < 2 {
                    return Err(err("parallel.calls: give at least two calls"));
                }
                let mut calls = Vec::new();
                for (i, c) in p.calls.into_iter().enumerate() {
                    self.check_op(&c.call)
                        .map_err(|e| err(format!("parallel.calls[{i}]: {}", e.0)))?;
                    let with = Value::Object(c.with.unwrap_or_default());
                    self.names(&format!("parallel.calls[{i}].with"), &with, defined)?;
                    self.names_opt(
                        &format!("parallel.calls[{i}].auth"),
                        c.auth.as_ref(),
                        defined,
                    )?;
                    calls.push(Call {
                        operation: c.call,
                        with: Tree::new(with),
                        auth: auth(c.auth),
                    });
                }
                if let Some(name) = &p.into {
                    defined.insert(name.clone());
                }
                Action::Parallel(Parallel {
                    calls,
                    into: p.into,
                })
            }
            RawAction::AdvanceClock(v) => {
                self.names("advance_clock", &v, defined)?;
                Action::AdvanceClock(Tree::new(v))
            }
            RawAction::Let(vars) => {
                let mut out = Vec::new();
                for (name, v) in vars {
                    self.names(&format!("let.{name}"), &v, defined)?;
                    defined.insert(name.clone());
                    out.push((name, Tree::new(v)));
                }
                Action::Let(out)
            }
            RawAction::Check(v) => {
                if s.expect.is_none() {
                    return Err(err("check: needs an expect"));
                }
                self.names("check", &v, defined)?;
                Action::Check(Tree::new(v))
            }
            RawAction::ForEach(items) => {
                let var = s
                    .as_var
                    .take()
                    .ok_or_else(|| err("for_each: needs `as` (the loop variable)"))?;
                let nested = s
                    .steps
                    .take()
                    .ok_or_else(|| err("for_each: needs `steps`"))?;
                if nested.is_empty() {
                    return Err(err("for_each: `steps` is empty"));
                }
                self.names("for_each", &items, defined)?;
                let mut inner = defined.clone();
                inner.insert(var.clone());
                let steps = self.steps(nested, &format!("{number}."), &mut inner, errors);
                if !defined.contains(&var) {
                    inner.remove(&var);
                }
                *defined = inner;
                Action::ForEach(ForEach {
                    items: Tree::new(items),
                    var,
                    steps,
                })
            }
            RawAction::Skip(reason) => {
                if s.when.is_none() {
                    return Err(err(
                        "skip: needs a `when`; without one every run would be skipped",
                    ));
                }
                self.names("skip", &Value::String(reason.clone()), defined)?;
                Action::Skip(Text::new(reason))
            }
        })
    }

    /// A step's `matching`, its path checked for template names.
    fn matching(
        &self,
        action: &str,
        m: Option<MatchingFile>,
        defined: &BTreeSet<String>,
    ) -> Result<Matching, CompileError> {
        let Some(m) = m else {
            return Ok(Matching::default());
        };
        if m.method.is_none()
            && m.path_ends_with.is_none()
            && m.path_contains.is_none()
            && m.path_excludes.is_none()
            && m.fields.is_empty()
        {
            return Err(err(format!(
                "{action}.matching: give method, path_ends_with, path_contains, path_excludes, fields or several"
            )));
        }
        for (field, value) in [
            ("path_ends_with", &m.path_ends_with),
            ("path_contains", &m.path_contains),
            ("path_excludes", &m.path_excludes),
        ] {
            self.names_opt(
                &format!("{action}.matching.{field}"),
                value.clone().map(Value::String).as_ref(),
                defined,
            )?;
        }
        let mut fields = Vec::new();
        for (name, pattern) in m.fields {
            let at = format!("{action}.matching.fields.{name}");
            self.names(&at, &Value::String(pattern.clone()), defined)?;
            if !pattern.contains("{{") {
                regex::Regex::new(&pattern)
                    .map_err(|e| err(format!("{at}: not a regular expression: {e}")))?;
            }
            fields.push((name, Text::new(pattern)));
        }
        Ok(Matching {
            method: m.method.map(|x| x.to_ascii_uppercase()),
            path_ends_with: m.path_ends_with.map(Text::new),
            path_contains: m.path_contains.map(Text::new),
            path_excludes: m.path_excludes.map(Text::new),
            fields,
        })
    }

    pub(super) fn answer(
        &self,
        i: usize,
        a: AnswerFile,
        defined: &BTreeSet<String>,
    ) -> Result<Answer, CompileError> {
        let at = format!("peer_answer.answers[{i}]");
        if let Some(name) = &a.preset {
            if !name.contains("{{") && !self.presets.contains(&name.as_str()) {
                return Err(err(format!(
                    "{at}.preset: `{name}` ({})",
                    self.presets.join(", ")
                )));
            }
            if a.status.is_some() || a.json.is_some() || a.raw.is_some() {
                return Err(err(format!("{at}: a preset takes no status, json or raw")));
            }
        }
        if a.json.is_some() && a.raw.is_some() {
            return Err(err(format!("{at}: give json or raw, not both")));
        }
        if a.close && a.close_after_storing {
            return Err(err(format!(
                "{at}: give close or close_after_storing, not both"
            )));
        }
        if (a.close || a.close_after_storing)
            && (a.preset.is_some()
                || a.status.is_some()
                || a.json.is_some()
                || a.raw.is_some()
                || a.content_type.is_some()
                || !a.headers.is_empty())
        {
            return Err(err(format!(
                "{at}: close answers nothing: it takes only delay_seconds and times"
            )));
        }
        self.names_opt(
            &format!("{at}.preset"),
            a.preset.clone().map(Value::String).as_ref(),
            defined,
        )?;
        self.names(
            &format!("{at}.headers"),
            &serde_json::json!(a.headers),
            defined,
        )?;
        self.names_opt(&format!("{at}.json"), a.json.as_ref(), defined)?;
        self.names_opt(
            &format!("{at}.raw"),
            a.raw.clone().map(Value::String).as_ref(),
            defined,
        )?;
        let delay = match a.delay_seconds {
            Some(d) => fixed_seconds("delay_seconds", d)?,
            None => Duration::ZERO,
        };
        Ok(Answer {
            preset: a.preset.map(Text::new),
            status: a.status,
            body: body(a.json, a.raw),
            content_type: a.content_type,
            headers: headers(a.headers),
            delay,
            times: a.times.unwrap_or(1),
            close: a.close,
            close_after_storing: a.close_after_storing,
        })
    }
}
