//! Loading scenario files: YAML errors and semantic errors both name the file, the
//! line and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;

use super::expect::Expect;
use super::model::{
    Action, Answer, AnswerFile, Auth, AwaitFile, AwaitRequest, Body, Call, CompileError, Drain,
    DrainFile, ForEach, Http, HttpFile, NoRequests, NoRequestsFile, PeerAnswer, PeerAnswerFile,
    Poll, PollFile, Save, SaveFrom, Scenario, ScenarioFile, Step, StepFile,
};
use super::template::{Templates, Text, Tree};
use crate::protocols::cci::key::Dialect;
use crate::protocols::requirements;
use crate::protocols::Protocol;
use crate::yaml::{self, InputError};

/// The variables and functions a protocol gives every scenario's templates.
// TODO(profile): comes from the protocol profile
fn protocol_template_names(p: Protocol) -> Vec<&'static str> {
    let mut names = match p {
        Protocol::Cci => vec![
            // Variables (protocols/cci/binding.rs base_vars).
            "dialect",
            "key_field",
            "material_field",
            "env",
            "env2",
            "size",
            "sizes",
            "size_not_offered",
            "size_only_on_env2",
            "unknown_env",
            "customer_account",
            "other_account",
            "provider_iut",
            "provider_harness",
            "provider_other",
            "peer_prefix",
            "key_lifetime",
            "iut_peer_timeout",
            "iut_credential_header",
            "iut_credential",
            // Functions (register_functions).
            "issue_key",
            "spoof_key",
            "tweak_key",
            "drop_key_field",
            "reencodings",
            "field_tweaks",
            "inspect_key",
            "check_key_material",
        ],
        Protocol::Onapi => vec![
            // Variables (protocols/onapi/binding.rs base_vars).
            "notice_path",
            "id_pattern",
            "iut_credential_header",
            "iut_credential",
            "no_right_header",
            "no_right_credential",
            // Functions (register_functions).
            "valid_notice",
            "notice_without",
            "notice_with",
            "notice_library",
            "mandatory_fields",
        ],
    };
    // Every protocol (protocols/mod.rs base_vars).
    names.extend(["has_test_clock", "step_timeout", "silence"]);
    names
}

/// Everything wrong with a set of scenario files.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct LoadError(pub Vec<InputError>);

/// Loads every scenario under `paths` (files, or folders searched for .yaml/.yml).
/// Reports every problem found, not just the first; ids must be unique.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Scenario>, LoadError> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect(p, &mut files, &mut errors);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            errors.push(InputError::whole(
                &p.display().to_string(),
                "no such file or folder",
            ));
        }
    }
    files.sort();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for f in files {
        match load_file(&f) {
            Ok(list) => {
                for s in list {
                    if let Some(first) = scenarios.iter().find(|o| o.id == s.id) {
                        errors.push(InputError::whole(
                            &s.source,
                            format!("id: `{}` is already used at {}", s.id, first.source),
                        ));
                    } else {
                        scenarios.push(s);
                    }
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(LoadError(errors))
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(InputError::whole(
                &dir.display().to_string(),
                format!("cannot read folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

/// Loads one file holding a scenario or a list of scenarios.
pub fn load_file(path: &Path) -> Result<Vec<Scenario>, Vec<InputError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![InputError::whole(&file, format!("cannot read: {e}"))])?;
    load_str(&text, &file)
}

/// Loads YAML `text` holding a scenario or a list of scenarios; errors name `file`.
pub fn load_str(text: &str, file: &str) -> Result<Vec<Scenario>, Vec<InputError>> {
    let is_list = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"))
        .is_some_and(|l| l.starts_with('-'));
    let raw: Vec<ScenarioFile> = if is_list {
        yaml::parse(text, file).map_err(|e| vec![e])?
    } else {
        vec![yaml::parse(text, file).map_err(|e| vec![e])?]
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for s in raw {
        match validate(s, file) {
            Ok(s) => out.push(s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn validate(raw: ScenarioFile, file: &str) -> Result<Scenario, Vec<InputError>> {
    let mut errors = Vec::new();
    let at = |s: &serde_saphyr::Location, m: String| InputError::at(file, s, m);
    let id = raw.id.value.clone();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        errors.push(at(
            &raw.id.referenced,
            format!("id: `{id}` must be letters, digits, - _ ."),
        ));
    }
    let protocol = Protocol::from_name(&raw.protocol.value);
    if protocol.is_none() {
        errors.push(at(
            &raw.protocol.referenced,
            format!(
                "protocol: unknown `{}` (known: {})",
                raw.protocol.value,
                Protocol::names()
            ),
        ));
    }
    let role = raw.role.value.clone();
    if let Some(p) = protocol {
        if !p.roles().contains(&role.as_str()) {
            errors.push(at(
                &raw.role.referenced,
                format!(
                    "role: `{role}` is not a role of {} ({})",
                    p.name(),
                    p.roles().join(", ")
                ),
            ));
        }
    }
    if raw.requirements.is_empty() {
        errors.push(at(
            &raw.id.referenced,
            "requirements: name at least one requirement id".into(),
        ));
    }
    for r in &raw.requirements {
        if requirements::find(&r.value).is_none() {
            errors.push(at(
                &r.referenced,
                format!("requirements: `{}` is not in PROTOCOLS.md", r.value),
            ));
        }
    }
    let mut dialects = Vec::new();
    for d in raw.dialects.iter().flatten() {
        match Dialect::from_name(&d.value) {
            Some(x) => dialects.push(x),
            None => errors.push(at(
                &d.referenced,
                format!("dialects: `{}` is not seed or v1", d.value),
            )),
        }
    }
    match (
        raw.dialects.is_some(),
        protocol.is_some_and(Protocol::has_dialects),
    ) {
        (false, true) => dialects = Dialect::ALL.to_vec(),
        // Protocols without dialects run once; the value is a placeholder.
        (false, false) => dialects = vec![Dialect::Seed],
        (true, true) => {}
        (true, false) => errors.push(at(
            &raw.id.referenced,
            format!("dialects: {} has no key dialects", raw.protocol.value),
        )),
    }
    if raw.steps.is_empty() {
        errors.push(at(
            &raw.id.referenced,
            "steps: a scenario needs at least one step".into(),
        ));
    }
    let p = protocol.unwrap_or(Protocol::Cci);
    let templates = Templates::new(|_| {});
    let mut known_names = templates.global_names();
    known_names.extend(protocol_template_names(p).into_iter().map(String::from));
    let ctx = StepContext {
        file,
        role: &role,
        operations: p.operations(&role),
        presets: p.presets(),
        requirements: raw.requirements.iter().map(|r| r.value.clone()).collect(),
        known_names,
        templates,
    };
    let steps = ctx.steps(raw.steps, "", &mut BTreeSet::new(), &mut errors);
    if errors.is_empty() {
        Ok(Scenario {
            id,
            title: raw.title,
            protocol: protocol.unwrap_or(Protocol::Cci),
            role: role.clone(),
            requirements: ctx.requirements,
            tags: raw.tags,
            notes: raw.notes,
            dialects,
            steps,
            source: format!("{file}:{}", raw.id.referenced.line()),
        })
    } else {
        Err(errors)
    }
}

/// What steps are checked against: the scenario's file, role, the operations and
/// presets its protocol offers that role, the scenario's requirements, and the names
/// templates may use besides those earlier steps define.
struct StepContext<'a> {
    file: &'a str,
    role: &'a str,
    operations: &'static [&'static str],
    presets: &'static [&'static str],
    requirements: Vec<String>,
    /// Builtin globals, the generic functions and the protocol's variables and functions.
    known_names: BTreeSet<String>,
    /// Compiles templates to find the names they use.
    templates: Templates,
}

/// The action fields of a step as written, once the one given is taken out.
enum RawAction {
    Call(String),
    Http(HttpFile),
    PeerAnswer(PeerAnswerFile),
    AwaitRequest(AwaitFile),
    NoRequests(NoRequestsFile),
    DrainRequests(DrainFile),
    Poll(PollFile),
    AdvanceClock(Value),
    Let(Map<String, Value>),
    Check(Value),
    ForEach(Value),
}

/// The action field names, in the order messages list them.
const ACTIONS: [&str; 11] = [
    "call",
    "http",
    "peer_answer",
    "await_request",
    "no_requests",
    "drain_requests",
    "poll",
    "advance_clock",
    "let",
    "check",
    "for_each",
];

impl RawAction {
    fn name(&self) -> &'static str {
        match self {
            RawAction::Call(_) => "call",
            RawAction::Http(_) => "http",
            RawAction::PeerAnswer(_) => "peer_answer",
            RawAction::AwaitRequest(_) => "await_request",
            RawAction::NoRequests(_) => "no_requests",
            RawAction::DrainRequests(_) => "drain_requests",
            RawAction::Poll(_) => "poll",
            RawAction::AdvanceClock(_) => "advance_clock",
            RawAction::Let(_) => "let",
            RawAction::Check(_) => "check",
            RawAction::ForEach(_) => "for_each",
        }
    }

    /// Every action field set in `s`, taken out of it.
    fn take_all(s: &mut StepFile) -> Vec<RawAction> {
        let found = [
            s.call.take().map(RawAction::Call),
            s.http.take().map(RawAction::Http),
            s.peer_answer.take().map(RawAction::PeerAnswer),
            s.await_request.take().map(RawAction::AwaitRequest),
            s.no_requests.take().map(RawAction::NoRequests),
            s.drain_requests.take().map(RawAction::DrainRequests),
            s.poll.take().map(RawAction::Poll),
            s.advance_clock.take().map(RawAction::AdvanceClock),
            s.let_vars.take().map(RawAction::Let),
            s.check.take().map(RawAction::Check),
            s.for_each.take().map(RawAction::ForEach),
        ];
        found.into_iter().flatten().collect()
    }
}

fn err(message: impl Into<String>) -> CompileError {
    CompileError(message.into())
}

/// `seconds` as a duration (a load-time constant such as `delay_seconds`).
fn fixed_seconds(what: &str, s: f64) -> Result<Duration, CompileError> {
    if s.is_finite() && (0.0..=86_400.0 * 366.0).contains(&s) {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(err(format!("{what}: `{s}` is not a number of seconds")))
    }
}

/// The compiled form of `save`: what each source means for this kind of action.
fn compile_save(kind: &str, save: BTreeMap<String, String>) -> Result<Vec<Save>, CompileError> {
    let mut out = Vec::new();
    for (name, source) in save {
        let from = if kind == "drain_requests" {
            if !["count", "arrivals", "bodies"].contains(&source.as_str()) {
                return Err(err(format!(
                    "save {name}: drain_requests saves count, arrivals or bodies, not `{source}`"
                )));
            }
            SaveFrom::Summary(source.clone())
        } else if source == "received_at" {
            if kind != "await_request" {
                return Err(err(format!(
                    "save {name}: received_at exists only for await_request"
                )));
            }
            SaveFrom::ReceivedAt
        } else if let Some(out) = source.strip_prefix("out.") {
            SaveFrom::Output(out.to_string())
        } else if source == "status" {
            SaveFrom::Status
        } else if let Some(h) = source.strip_prefix("header.") {
            SaveFrom::Header(h.to_string())
        } else {
            SaveFrom::Path(JsonPath::parse(&source).map_err(|e| err(format!("save {name}: {e}")))?)
        };
        out.push(Save { name, source, from });
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
    fn steps(
        &self,
        raw: Vec<Spanned<StepFile>>,
        parent: &str,
        defined: &mut BTreeSet<String>,
        errors: &mut Vec<InputError>,
    ) -> Vec<Step> {
        raw.into_iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let number = format!("{parent}{}", i + 1);
                let line = s.referenced.line();
                // What the step would define, so one error does not cascade.
                let defines: Vec<String> = (s.value.let_vars.iter().flat_map(|m| m.keys()))
                    .chain(s.value.save.iter().flat_map(|m| m.keys()))
                    .cloned()
                    .collect();
                match self.step(s.value, &number, line, defined, errors) {
                    Ok(step) => Some(step),
                    Err(e) => {
                        defined.extend(defines);
                        errors.push(InputError {
                            file: self.file.to_string(),
                            line,
                            column: 0,
                            message: format!("step {number}: {e}"),
                        });
                        None
                    }
                }
            })
            .collect()
    }

    /// Fails when a template in `value` names something neither known nor `defined`.
    fn names(
        &self,
        field: &str,
        value: &Value,
        defined: &BTreeSet<String>,
    ) -> Result<(), CompileError> {
        let used = self
            .templates
            .names_in(value)
            .map_err(|e| err(format!("{field}: {e}")))?;
        for (text, names) in used {
            if let Some(name) = names
                .iter()
                .find(|n| !self.known_names.contains(*n) && !defined.contains(*n))
            {
                return Err(err(format!(
                    "{field}: `{text}` uses `{name}`, which is not defined here (no earlier let, save or for_each defines it, and it is no variable or function of the protocol)"
                )));
            }
        }
        Ok(())
    }

    fn names_opt(
        &self,
        field: &str,
        value: Option<&Value>,
        defined: &BTreeSet<String>,
    ) -> Result<(), CompileError> {
        value.map_or(Ok(()), |v| self.names(field, v, defined))
    }

    fn check_op(&self, op: &str) -> Result<(), CompileError> {
        if self.operations.contains(&op) {
            Ok(())
        } else {
            Err(err(format!(
                "call: `{op}` is not an operation of {} ({})",
                self.role,
                self.operations.join(", ")
            )))
        }
    }

    fn step(
        &self,
        mut s: StepFile,
        number: &str,
        line: u64,
        defined: &mut BTreeSet<String>,
        errors: &mut Vec<InputError>,
    ) -> Result<Step, CompileError> {
        let mut actions = RawAction::take_all(&mut s);
        if actions.len() > 1 {
            let many: Vec<&str> = actions.iter().map(RawAction::name).collect();
            return Err(err(format!("more than one action: {}", many.join(", "))));
        }
        let Some(raw) = actions.pop() else {
            return Err(err(format!("no action (one of: {})", ACTIONS.join(", "))));
        };
        let kind = raw.name();
        let takes_expect = matches!(kind, "call" | "http" | "await_request" | "check");
        let takes_save = takes_expect || kind == "drain_requests";
        if s.expect.is_some() && !takes_expect {
            return Err(err(format!(
                "expect: `{kind}` takes no expect (poll uses until/always)"
            )));
        }
        if s.save.is_some() && !takes_save {
            return Err(err(format!("save: `{kind}` saves nothing")));
        }
        let expect = s.expect.as_ref().map(Expect::compile).transpose()?;
        if s.with.is_some() && kind != "call" {
            return Err(err(
                "with: only `call` takes arguments (poll has its own `with`)",
            ));
        }
        if (s.as_var.is_some() || s.steps.is_some()) && kind != "for_each" {
            return Err(err("as/steps: only `for_each` takes them"));
        }
        if s.auth.is_some() && !matches!(kind, "call" | "http") {
            return Err(err("auth: only `call` and `http` send credentials"));
        }
        if let Some(r) = &s.requirement {
            if !self.requirements.contains(r) {
                return Err(err(format!(
                    "requirement: `{r}` is not among the scenario's requirements"
                )));
            }
        }
        let timeout = match s.timeout_seconds {
            Some(t) if t.is_finite() && t > 0.0 && t <= 600.0 => Some(Duration::from_secs_f64(t)),
            Some(t) => {
                return Err(err(format!(
                    "timeout_seconds: {t} is not between 0 and 600"
                )))
            }
            None => None,
        };
        let save = compile_save(kind, s.save.take().unwrap_or_default())?;
        let action = self.action(raw, &mut s, number, defined, errors)?;
        self.names_opt("expect", s.expect.as_ref(), defined)?;
        defined.extend(save.iter().map(|v| v.name.clone()));
        Ok(Step {
            number: number.to_string(),
            line,
            name: s.name.unwrap_or_else(|| match &action {
                Action::Call(c) => c.operation.replace('_', " "),
                Action::Poll(p) => format!("poll {}", p.call.replace('_', " ")),
                _ => kind.replace('_', " "),
            }),
            action,
            expect,
            save,
            timeout,
            requirement: s.requirement,
        })
    }

    /// The compiled action; checks the names its templates use and adds those it
    /// defines (let, for_each) to `defined`.
    fn action(
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
                if !["api", "customer", "trigger", "test"].contains(&http.base.as_str()) {
                    return Err(err(format!(
                        "http.base: `{}` (api, customer, trigger, test)",
                        http.base
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
                    within: a.within_seconds.map(Tree::new),
                })
            }
            RawAction::NoRequests(n) => {
                self.names_opt("no_requests.for_seconds", n.for_seconds.as_ref(), defined)?;
                Action::NoRequests(NoRequests {
                    peer: n.peer,
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
                let compiled = Expect::compile(condition).map_err(|m| err(format!("poll: {m}")))?;
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
        })
    }

    fn answer(
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "id: t\ntitle: t\nprotocol: onapi\nrole: sp\nrequirements: [ON-SP-01]\nsteps:\n";

    fn load(steps: &str) -> Result<Vec<Scenario>, Vec<InputError>> {
        load_str(&format!("{HEAD}{steps}"), "t.yaml")
    }

    fn error(steps: &str) -> String {
        let errors = load(steps).expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].to_string()
    }

    #[test]
    fn every_shipped_scenario_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let all = load_paths(&[dir]).expect("all load");
        assert!(all.len() > 30, "{}", all.len());
    }

    #[test]
    fn an_undefined_template_name_is_a_load_error_with_file_line_and_field() {
        let e = error("  - let: {a: 1}\n  - call: send_notice\n    with: {notice: \"{{ nonexistent_var }}\"}\n    save: {r: $.r}\n  - let: {b: \"{{ r }}\"}\n");
        assert!(e.starts_with("t.yaml:8"), "{e}");
        assert!(
            e.contains("step 2: with: `{{ nonexistent_var }}` uses `nonexistent_var`"),
            "{e}"
        );
        let e = error("  - check: \"{{ 1 }}\"\n    expect: {json: {\"$\": \"{{ nope }}\"}}\n");
        assert!(e.contains("step 1: expect:") && e.contains("`nope`"), "{e}");
        let e = error("  - check: \"{{ arg.id }}\"\n    expect: {status: 200}\n");
        assert!(e.contains("`arg`"), "arg is for bindings only: {e}");
        let e = error("  - advance_clock: \"{{ ( }}\"\n");
        assert!(e.contains("step 1: advance_clock: template"), "{e}");
    }

    #[test]
    fn names_are_defined_in_order_by_let_save_and_for_each() {
        let e = error(
            "  - check: \"{{ later }}\"\n    expect: {json: {\"$\": 1}}\n  - let: {later: 1}\n",
        );
        assert!(e.contains("step 1: check:") && e.contains("`later`"), "{e}");
        load(concat!(
            "  - let: {a: \"{{ valid_notice() }}\", b: \"{{ a }}\", n: \"{{ range(3) | list }}\"}\n",
            "  - call: send_notice\n",
            "    with: {notice: \"{{ b }}\"}\n",
            "    save: {ref: $.spReference}\n",
            "  - for_each: \"{{ n }}\"\n",
            "    as: i\n",
            "    steps:\n",
            "      - check: \"{{ i + silence + step_timeout }}\"\n",
            "        expect: {json: {\"$\": {min: 0}}}\n",
            "        save: {inner: $}\n",
            "  - check: \"{{ [ref, inner, has_test_clock, dict(x=1), pad(2), id_pattern] }}\"\n",
            "    expect: {json: {\"$\": {exists: true}}}\n",
        ))
        .expect("all names defined");
        let e = error(concat!(
            "  - for_each: \"{{ [1] }}\"\n",
            "    as: i\n",
            "    steps:\n",
            "      - let: {x: \"{{ i }}\"}\n",
            "  - check: \"{{ i }}\"\n",
            "    expect: {json: {\"$\": 1}}\n",
        ));
        assert!(e.contains("step 2: check:") && e.contains("`i`"), "{e}");
        let e = error("  - let: {x: \"{{ issue_key() }}\"}\n");
        assert!(e.contains("`issue_key`"), "a CCI function in ONAPI: {e}");
    }

    #[test]
    fn steps_compile_to_one_action_and_bad_parts_are_refused() {
        assert!(error("  - name: nothing\n").contains("no action (one of: call, http"));
        assert!(error("  - let: {a: 1}\n    check: \"1\"\n")
            .contains("more than one action: let, check"));
        assert!(error(
            "  - drain_requests: {quiet_seconds: 1, within_seconds: 2}\n    save: {x: total}\n"
        )
        .contains("drain_requests saves count, arrivals or bodies, not `total`"));
        assert!(
            error("  - check: \"1\"\n    expect: {json: {\"$\": 1}}\n    save: {x: \"$[\"}\n")
                .contains("save x:")
        );
        assert!(
            error("  - check: \"1\"\n    expect: {json: {\"$\": {matches: \"(\"}}}\n")
                .contains("`matches`")
        );
        let s = load("  - poll: {call: send_notice, with: {notice: {}}, until: {status: 200}}\n")
            .expect("loads");
        match &s[0].steps[0].action {
            Action::Poll(p) => {
                assert!(p.until);
                assert!(!p.condition.has_holes());
                assert_eq!(s[0].steps[0].name, "poll send notice");
            }
            other => panic!("{other:?}"),
        }
    }
}
