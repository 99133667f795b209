//! What a scenario's steps are checked against, and the walk over its steps: one
//! action each, the names its templates use, its expect, save and options.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use serde_saphyr::Spanned;

use crate::profile::Profile;
use crate::scenario::expect::Expect;
use crate::scenario::model::{Action, CompileError, ExpectGroup, Step, StepFile};
use crate::scenario::template::{is_template, Templates, Tree};
use crate::yaml::InputError;

use super::action::{compile_save, err, RawAction, ACTIONS};

/// What steps are checked against: the scenario's file, role, the operations and
/// presets its protocol offers that role, the scenario's requirements, and the names
/// templates may use besides those earlier steps define.
pub(super) struct StepContext<'a> {
    pub(super) file: &'a str,
    pub(super) role: &'a str,
    pub(super) operations: &'static [&'static str],
    pub(super) presets: &'static [&'static str],
    pub(super) profile: Option<&'static dyn Profile>,
    pub(super) bases: Vec<&'static str>,
    pub(super) requirements: Vec<String>,
    /// Builtin globals, the generic functions and the protocol's variables and functions.
    pub(super) known_names: BTreeSet<String>,
    /// The protocol's variables that exist only on targets with a need the scenario
    /// does not name, each with that need.
    pub(super) guarded: Vec<(&'static str, &'static str)>,
    /// Compiles templates to find the names they use.
    pub(super) templates: Templates,
}

impl StepContext<'_> {
    /// A step's `expect`: one map, or a list of maps that may each name the
    /// `requirement` they check.
    fn expect_groups(&self, e: &Value) -> Result<Vec<ExpectGroup>, CompileError> {
        let one = |v: &Value, at: &str| -> Result<ExpectGroup, CompileError> {
            let mut map = v
                .as_object()
                .cloned()
                .ok_or_else(|| err(format!("{at}: must be a map")))?;
            let requirement = match map.remove("requirement") {
                None => None,
                Some(Value::String(r)) if self.requirements.contains(&r) => Some(r),
                Some(other) => {
                    return Err(err(format!(
                        "{at}.requirement: `{other}` is not among the scenario's requirements"
                    )))
                }
            };
            let expect = Expect::compile(&Value::Object(map), &|n| self.schema(n))
                .map_err(|e| err(format!("{at}: {e}")))?;
            Ok(ExpectGroup {
                requirement,
                expect,
            })
        };
        match e {
            Value::Array(groups) if !groups.is_empty() => groups
                .iter()
                .enumerate()
                .map(|(i, g)| one(g, &format!("expect[{i}]")))
                .collect(),
            Value::Array(_) => Err(err("expect: an empty list checks nothing")),
            Value::Object(map) if map.contains_key("requirement") => Err(err(
                "expect.requirement: name requirements per group in a list of expects, or on the step",
            )),
            single => Ok(vec![ExpectGroup {
                requirement: None,
                expect: Expect::compile(single, &|n| self.schema(n))?,
            }]),
        }
    }

    pub(super) fn schema(&self, name: &str) -> Option<Value> {
        self.profile.and_then(|p| p.schema(name))
    }

    pub(super) fn steps(
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
    pub(super) fn names(
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
                if let Some((_, need)) = self.guarded.iter().find(|(v, _)| v == name) {
                    return Err(err(format!(
                        "{field}: `{text}` uses `{name}`, which only targets with `{need}` have: add `needs: [{need}]` to the scenario, so it is skipped on targets without it"
                    )));
                }
                return Err(err(format!(
                    "{field}: `{text}` uses `{name}`, which is not defined here (no earlier let, save or for_each defines it, and it is no variable or function of the protocol)"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn names_opt(
        &self,
        field: &str,
        value: Option<&Value>,
        defined: &BTreeSet<String>,
    ) -> Result<(), CompileError> {
        value.map_or(Ok(()), |v| self.names(field, v, defined))
    }

    pub(super) fn check_op(&self, op: &str) -> Result<(), CompileError> {
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

    pub(super) fn step(
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
        let takes_expect = matches!(
            kind,
            "call" | "http" | "parallel" | "await_request" | "check"
        );
        let takes_save = (takes_expect && kind != "parallel") || kind == "drain_requests";
        if s.expect.is_some() && !takes_expect {
            return Err(err(format!(
                "expect: `{kind}` takes no expect (poll uses until/always)"
            )));
        }
        if s.save.is_some() && !takes_save {
            return Err(err(format!(
                "save: `{kind}` saves nothing{}",
                if kind == "parallel" {
                    " (its answers go to `parallel.into`)"
                } else {
                    ""
                }
            )));
        }
        let expect = match &s.expect {
            Some(e) => self.expect_groups(e)?,
            None => Vec::new(),
        };
        if matches!(kind, "call" | "http" | "parallel")
            && !expect.is_empty()
            && !expect.iter().any(|g| g.expect.constrains_status())
        {
            return Err(err(
                "expect: a call's expectation must constrain `status` (for example `status: \
                 200` or `status: 4xx`): without one, an error answer passes the other checks",
            ));
        }
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
        // A failure is charged to the requirement its step checks: with several to
        // choose from, every part of a step that can fail must say which.
        let can_fail = match kind {
            "call" | "http" | "parallel" => !expect.is_empty() || s.save.is_some(),
            "await_request" | "no_requests" | "drain_requests" | "poll" | "check" => true,
            _ => false,
        };
        let unnamed = expect.iter().any(|g| g.requirement.is_none()) || expect.is_empty();
        if can_fail && unnamed && s.requirement.is_none() && self.requirements.len() > 1 {
            return Err(err(format!(
                "requirement: this scenario covers {}; say which one this step checks (or \
                 give each expect group its own)",
                self.requirements.join(", ")
            )));
        }
        // A step checks its own requirement, or the scenario's only one.
        let requirement = s
            .requirement
            .take()
            .or_else(|| match self.requirements.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            });
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
        let when = match s.when.clone() {
            None => None,
            Some(w @ Value::Bool(_)) => Some(Tree::new(w)),
            Some(Value::String(t)) if is_template(&t) => {
                self.names("when", &Value::String(t.clone()), defined)?;
                Some(Tree::new(Value::String(t)))
            }
            Some(other) => {
                return Err(err(format!(
                    "when: `{other}` is neither true, false nor a template"
                )))
            }
        };
        let unproven = match s.unproven.take() {
            Some(why) if why.trim().is_empty() => {
                return Err(err("unproven: say why no fault or mutant can make it fail"))
            }
            other => other,
        };
        let action = self.action(raw, &mut s, number, defined, errors)?;
        self.names_opt("expect", s.expect.as_ref(), defined)?;
        defined.extend(save.iter().map(|v| v.name.clone()));
        Ok(Step {
            number: number.to_string(),
            line,
            name: s.name.unwrap_or_else(|| match &action {
                Action::Call(c) => c.operation.replace('_', " "),
                Action::Poll(p) => format!("poll {}", p.call.replace('_', " ")),
                Action::Parallel(p) => format!("{} calls at once", p.calls.len()),
                _ => kind.replace('_', " "),
            }),
            action,
            expect,
            save,
            timeout,
            requirement,
            when,
            unproven,
        })
    }
}
