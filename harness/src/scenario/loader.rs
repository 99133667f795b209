//! Loading scenario files: YAML errors and semantic errors both name the file, the
//! line and the field.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::expect::Expect;
use super::model::{Action, Scenario, ScenarioFile, Step, StepFile};
use crate::profile::Profile;
use crate::protocols;
use crate::yaml::{self, InputError};

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
    let is_list = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"))
        .is_some_and(|l| l.starts_with('-'));
    let raw: Vec<ScenarioFile> = if is_list {
        yaml::parse(&text, &file).map_err(|e| vec![e])?
    } else {
        vec![yaml::parse(&text, &file).map_err(|e| vec![e])?]
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for s in raw {
        match validate(s, &file) {
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
    let profile = protocols::find(&raw.protocol.value);
    if profile.is_none() {
        errors.push(at(
            &raw.protocol.referenced,
            format!(
                "protocol: unknown `{}` (known: {})",
                raw.protocol.value,
                protocols::names()
            ),
        ));
    }
    let role = raw.role.value.clone();
    let role_spec = profile.and_then(|p| p.role(&role));
    if let (Some(p), None) = (profile, role_spec) {
        errors.push(at(
            &raw.role.referenced,
            format!(
                "role: `{role}` is not a role of {} ({})",
                p.name(),
                p.role_names().join(", ")
            ),
        ));
    }
    if raw.requirements.is_empty() {
        errors.push(at(
            &raw.id.referenced,
            "requirements: name at least one requirement id".into(),
        ));
    }
    for r in &raw.requirements {
        if protocols::requirement(&r.value).is_none() {
            errors.push(at(
                &r.referenced,
                format!("requirements: `{}` is not in PROTOCOLS.md", r.value),
            ));
        }
    }
    let axis = profile.and_then(|p| p.variant_axis());
    let mut variants: Vec<Option<&'static str>> = Vec::new();
    match (&raw.variants, axis) {
        (None, Some(axis)) => variants = axis.values.iter().map(|v| Some(*v)).collect(),
        (None, None) => variants = vec![None],
        (Some(named), Some(axis)) => {
            for v in named {
                match axis.values.iter().find(|x| **x == v.value) {
                    Some(x) => variants.push(Some(*x)),
                    None => errors.push(at(
                        &v.referenced,
                        format!(
                            "variants: `{}` is not a {} of {} ({})",
                            v.value,
                            axis.name,
                            raw.protocol.value,
                            axis.values.join(", ")
                        ),
                    )),
                }
            }
        }
        (Some(_), None) => errors.push(at(
            &raw.id.referenced,
            format!("variants: {} has no variant axis", raw.protocol.value),
        )),
    }
    if raw.steps.is_empty() {
        errors.push(at(
            &raw.id.referenced,
            "steps: a scenario needs at least one step".into(),
        ));
    }
    let ctx = StepContext {
        file,
        role: &role,
        operations: role_spec.map_or(&[], |r| r.operations),
        presets: profile.map_or(&[], |p| p.presets()),
        profile,
        bases: role_spec
            .map(|r| r.bases.iter().map(|b| b.name).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain([crate::profile::target::TEST_BASE])
            .collect(),
        requirements: raw.requirements.iter().map(|r| r.value.clone()).collect(),
    };
    let steps = ctx.steps(raw.steps, "", &mut errors);
    match (errors.is_empty(), profile) {
        (true, Some(profile)) => Ok(Scenario {
            id,
            title: raw.title,
            profile,
            role: role.clone(),
            requirements: ctx.requirements,
            tags: raw.tags,
            notes: raw.notes,
            variants,
            steps,
            source: format!("{file}:{}", raw.id.referenced.line()),
        }),
        _ => Err(errors),
    }
}

/// What steps are checked against: the scenario's file, role, the operations and
/// presets its protocol offers that role, and the scenario's requirements.
struct StepContext<'a> {
    file: &'a str,
    role: &'a str,
    operations: &'static [&'static str],
    presets: &'static [&'static str],
    profile: Option<&'static dyn Profile>,
    bases: Vec<&'static str>,
    requirements: Vec<String>,
}

impl StepContext<'_> {
    fn schema(&self, name: &str) -> Option<Value> {
        self.profile.and_then(|p| p.schema(name))
    }

    fn steps(
        &self,
        raw: Vec<Spanned<StepFile>>,
        parent: &str,
        errors: &mut Vec<InputError>,
    ) -> Vec<Step> {
        raw.into_iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let number = format!("{parent}{}", i + 1);
                let line = s.referenced.line();
                match self.step(s.value, &number, line, errors) {
                    Ok(step) => Some(step),
                    Err(message) => {
                        errors.push(InputError {
                            file: self.file.to_string(),
                            line,
                            column: 0,
                            message: format!("step {number}: {message}"),
                        });
                        None
                    }
                }
            })
            .collect()
    }

    fn step(
        &self,
        s: StepFile,
        number: &str,
        line: u64,
        errors: &mut Vec<InputError>,
    ) -> Result<Step, String> {
        let mut actions: Vec<&str> = Vec::new();
        let flags = [
            ("call", s.call.is_some()),
            ("http", s.http.is_some()),
            ("peer_answer", s.peer_answer.is_some()),
            ("await_request", s.await_request.is_some()),
            ("no_requests", s.no_requests.is_some()),
            ("drain_requests", s.drain_requests.is_some()),
            ("poll", s.poll.is_some()),
            ("advance_clock", s.advance_clock.is_some()),
            ("let", s.let_vars.is_some()),
            ("check", s.check.is_some()),
            ("for_each", s.for_each.is_some()),
        ];
        for (name, set) in flags {
            if set {
                actions.push(name);
            }
        }
        let kind = match actions.as_slice() {
            [one] => *one,
            [] => {
                return Err(format!(
                    "no action (one of: {})",
                    flags.map(|f| f.0).join(", ")
                ))
            }
            many => return Err(format!("more than one action: {}", many.join(", "))),
        };
        let takes_expect = matches!(kind, "call" | "http" | "await_request" | "check");
        let takes_save = takes_expect || kind == "drain_requests";
        if s.expect.is_some() && !takes_expect {
            return Err(format!(
                "expect: `{kind}` takes no expect (poll uses until/always)"
            ));
        }
        if s.save.is_some() && !takes_save {
            return Err(format!("save: `{kind}` saves nothing"));
        }
        if let Some(e) = &s.expect {
            Expect::parse(e, &|n| self.schema(n))?;
        }
        if s.with.is_some() && kind != "call" {
            return Err("with: only `call` takes arguments (poll has its own `with`)".into());
        }
        if (s.as_var.is_some() || s.steps.is_some()) && kind != "for_each" {
            return Err("as/steps: only `for_each` takes them".into());
        }
        if s.auth.is_some() && !matches!(kind, "call" | "http") {
            return Err("auth: only `call` and `http` send credentials".into());
        }
        if let Some(r) = &s.requirement {
            if !self.requirements.contains(r) {
                return Err(format!(
                    "requirement: `{r}` is not among the scenario's requirements"
                ));
            }
        }
        let timeout = match s.timeout_seconds {
            Some(t) if t.is_finite() && t > 0.0 && t <= 600.0 => Some(Duration::from_secs_f64(t)),
            Some(t) => return Err(format!("timeout_seconds: {t} is not between 0 and 600")),
            None => None,
        };
        let check_op = |op: &str| -> Result<(), String> {
            if self.operations.contains(&op) {
                Ok(())
            } else {
                Err(format!(
                    "call: `{op}` is not an operation of {} ({})",
                    self.role,
                    self.operations.join(", ")
                ))
            }
        };
        let action = match kind {
            "call" => {
                let operation = s.call.unwrap_or_default();
                check_op(&operation)?;
                Action::Call {
                    operation,
                    with: s.with.unwrap_or_default(),
                    auth: s.auth,
                }
            }
            "http" => {
                let http = s.http.unwrap_or_else(|| unreachable!("kind is http"));
                if !self.bases.contains(&http.base.as_str()) {
                    return Err(format!(
                        "http.base: `{}` ({})",
                        http.base,
                        self.bases.join(", ")
                    ));
                }
                if http.json.is_some() && http.raw.is_some() {
                    return Err("http: give json or raw, not both".into());
                }
                Action::Http { http, auth: s.auth }
            }
            "peer_answer" => {
                let p = s
                    .peer_answer
                    .unwrap_or_else(|| unreachable!("kind is peer_answer"));
                if p.answers.is_empty() {
                    return Err("peer_answer.answers: give at least one answer".into());
                }
                for (i, a) in p.answers.iter().enumerate() {
                    if let Some(name) = &a.preset {
                        if !name.contains("{{") && !self.presets.contains(&name.as_str()) {
                            return Err(format!(
                                "peer_answer.answers[{i}].preset: `{name}` ({})",
                                self.presets.join(", ")
                            ));
                        }
                        if a.status.is_some() || a.json.is_some() || a.raw.is_some() {
                            return Err(format!(
                                "peer_answer.answers[{i}]: a preset takes no status, json or raw"
                            ));
                        }
                    }
                    if a.json.is_some() && a.raw.is_some() {
                        return Err(format!(
                            "peer_answer.answers[{i}]: give json or raw, not both"
                        ));
                    }
                }
                Action::PeerAnswer(p)
            }
            "await_request" => {
                Action::AwaitRequest(s.await_request.unwrap_or_else(|| unreachable!("kind")))
            }
            "no_requests" => {
                Action::NoRequests(s.no_requests.unwrap_or_else(|| unreachable!("kind")))
            }
            "drain_requests" => {
                Action::DrainRequests(s.drain_requests.unwrap_or_else(|| unreachable!("kind")))
            }
            "poll" => {
                let p = s.poll.unwrap_or_else(|| unreachable!("kind is poll"));
                check_op(&p.call)?;
                let condition = match (&p.until, &p.always) {
                    (Some(c), None) | (None, Some(c)) => c,
                    _ => return Err("poll: give exactly one of `until` and `always`".into()),
                };
                Expect::parse(condition, &|n| self.schema(n)).map_err(|m| format!("poll: {m}"))?;
                Action::Poll(p)
            }
            "advance_clock" => Action::AdvanceClock(s.advance_clock.unwrap_or(Value::Null)),
            "let" => Action::Let(s.let_vars.unwrap_or_default()),
            "check" => {
                if s.expect.is_none() {
                    return Err("check: needs an expect".into());
                }
                Action::Check(s.check.unwrap_or(Value::Null))
            }
            "for_each" => {
                let var = s.as_var.ok_or("for_each: needs `as` (the loop variable)")?;
                let nested = s.steps.ok_or("for_each: needs `steps`")?;
                if nested.is_empty() {
                    return Err("for_each: `steps` is empty".into());
                }
                let steps = self.steps(nested, &format!("{number}."), errors);
                Action::ForEach {
                    items: s.for_each.unwrap_or(Value::Null),
                    var,
                    steps,
                }
            }
            other => return Err(format!("unhandled action {other}")),
        };
        Ok(Step {
            number: number.to_string(),
            line,
            name: s.name.unwrap_or_else(|| match &action {
                Action::Call { operation, .. } => operation.replace('_', " "),
                Action::Poll(p) => format!("poll {}", p.call.replace('_', " ")),
                _ => kind.replace('_', " "),
            }),
            action,
            expect: s.expect,
            save: s.save.unwrap_or_default(),
            timeout,
            requirement: s.requirement,
        })
    }
}
