//! Loading scenario files: YAML errors and semantic errors both name the file, the
//! line and the field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::model::{Scenario, ScenarioFile};
use super::template::Templates;
use crate::profile::stage::ENGINE_VARIABLES;
use crate::profile::Profile;
use crate::yaml::{self, InputError};

mod action;
mod context;
#[cfg(test)]
mod tests;

use context::StepContext;

/// Everything wrong with a set of scenario files.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct LoadError(pub Vec<InputError>);

/// Loads every scenario under `paths` (files, or folders searched for .yaml/.yml).
/// Reports every problem found, not just the first; ids must be unique. `profiles` are
/// the protocols scenarios may name.
pub fn load_paths(
    paths: &[PathBuf],
    profiles: &[&'static dyn Profile],
) -> Result<Vec<Scenario>, LoadError> {
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
        match load_file(&f, profiles) {
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
pub fn load_file(
    path: &Path,
    profiles: &[&'static dyn Profile],
) -> Result<Vec<Scenario>, Vec<InputError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![InputError::whole(&file, format!("cannot read: {e}"))])?;
    load_str(&text, &file, profiles)
}

/// Loads YAML `text` holding a scenario or a list of scenarios; errors name `file`.
pub fn load_str(
    text: &str,
    file: &str,
    profiles: &[&'static dyn Profile],
) -> Result<Vec<Scenario>, Vec<InputError>> {
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
        match validate(s, file, profiles) {
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

fn validate(
    raw: ScenarioFile,
    file: &str,
    profiles: &[&'static dyn Profile],
) -> Result<Scenario, Vec<InputError>> {
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
    let profile = profiles
        .iter()
        .copied()
        .find(|p| p.name() == raw.protocol.value);
    if profile.is_none() {
        errors.push(at(
            &raw.protocol.referenced,
            format!(
                "protocol: unknown `{}` (known: {})",
                raw.protocol.value,
                profiles
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
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
        if let Some(p) = profile.filter(|p| p.requirement(&r.value).is_none()) {
            errors.push(at(
                &r.referenced,
                format!(
                    "requirements: `{}` is not a requirement of {} in PROTOCOLS.md",
                    r.value,
                    p.name()
                ),
            ));
        }
    }
    let variants = variants(&raw, profile, &mut errors, file);
    if raw.steps.is_empty() {
        errors.push(at(
            &raw.id.referenced,
            "steps: a scenario needs at least one step".into(),
        ));
    }
    let templates = Templates::new(|_| {});
    let mut known_names = templates.global_names();
    known_names.extend(ENGINE_VARIABLES.iter().map(|n| n.to_string()));
    let needs = needs(&raw, profile, &mut errors, file);
    let mut guarded = Vec::new();
    if let Some(p) = profile {
        // A variable some targets lack is known only to scenarios that need it.
        for need in p.needs().iter().filter(|n| !needs.contains(&n.name)) {
            guarded.extend(need.variables.iter().map(|v| (*v, need.name)));
        }
        known_names.extend(
            p.template_names()
                .iter()
                .filter(|n| !guarded.iter().any(|(v, _)| v == *n))
                .map(|n| n.to_string()),
        );
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
        known_names,
        guarded,
        templates,
    };
    let steps = ctx.steps(raw.steps, "", &mut BTreeSet::new(), &mut errors);
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
            needs,
            steps,
            source: format!("{file}:{}", raw.id.referenced.line()),
        }),
        _ => Err(errors),
    }
}

/// The needs a scenario names, each one its protocol defines.
fn needs(
    raw: &ScenarioFile,
    profile: Option<&'static dyn Profile>,
    errors: &mut Vec<InputError>,
    file: &str,
) -> Vec<&'static str> {
    let Some(profile) = profile else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for n in &raw.needs {
        match profile.needs().iter().find(|k| k.name == n.value) {
            Some(k) => out.push(k.name),
            None => errors.push(InputError::at(
                file,
                &n.referenced,
                format!(
                    "needs: `{}` is not something {} scenarios can need (known: {})",
                    n.value,
                    profile.name(),
                    if profile.needs().is_empty() {
                        "none".to_string()
                    } else {
                        profile
                            .needs()
                            .iter()
                            .map(|k| k.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )),
        }
    }
    out
}

/// The variants a scenario runs in: those it names, else every value of its protocol's
/// axis, else one run without a variant.
fn variants(
    raw: &ScenarioFile,
    profile: Option<&'static dyn Profile>,
    errors: &mut Vec<InputError>,
    file: &str,
) -> Vec<Option<&'static str>> {
    let axis = profile.and_then(|p| p.variant_axis());
    match (&raw.variants, axis) {
        (None, Some(axis)) => axis.values.iter().map(|v| Some(*v)).collect(),
        (None, None) => vec![None],
        (Some(named), Some(axis)) => {
            let mut out = Vec::new();
            for v in named {
                match axis.values.iter().find(|x| **x == v.value) {
                    Some(x) => out.push(Some(*x)),
                    None => errors.push(InputError::at(
                        file,
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
            out
        }
        (Some(_), None) => {
            errors.push(InputError::at(
                file,
                &raw.id.referenced,
                format!("variants: {} has no variant axis", raw.protocol.value),
            ));
            Vec::new()
        }
    }
}
