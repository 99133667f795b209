//! Key fuzzing: many seeded mutants of a real key, each of which the IUT must refuse
//! quietly (csp-a: 200 keyValid false or 400 JSON; csp-b: 4xx or 200 on describe),
//! never with a 5xx, a hang, or (for A) keyValid true. Findings are replayable by seed.

use serde_json::{json, Map, Value};

use super::key::{self, Dialect};
use super::mutate;
use super::sim;
use super::target::CciTarget;
use crate::http::{HttpClient, HttpRequest};
use crate::profile::fuzz::{self, Finding, FuzzError, FuzzReport, FuzzRequest, Rng};
use crate::profile::target::Target;

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n{}\":,\\";

/// One mutant of `key`, never equal to it, with the name of the mutation.
pub fn mutant(key: &str, rng: &mut Rng) -> (String, String) {
    for _ in 0..16 {
        let (name, out) = mutate_once(key, rng);
        if out != key {
            return (name, out);
        }
    }
    ("append".into(), format!("{key}A"))
}

fn mutate_once(key: &str, rng: &mut Rng) -> (String, String) {
    let mut bytes = key.as_bytes().to_vec();
    let len = bytes.len().max(1);
    let pick = |rng: &mut Rng| ALPHABET[rng.below(ALPHABET.len())];
    match rng.below(9) {
        0 => {
            let i = rng.below(len).min(bytes.len().saturating_sub(1));
            if let Some(b) = bytes.get_mut(i) {
                *b = pick(rng);
            }
            (
                format!("replace byte {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        1 => {
            let i = rng.below(len + 1).min(bytes.len());
            bytes.insert(i, pick(rng));
            (
                format!("insert at {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        2 => {
            let i = rng.below(len).min(bytes.len().saturating_sub(1));
            if !bytes.is_empty() {
                bytes.remove(i);
            }
            (
                format!("delete byte {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        3 => {
            let keep = rng.below(len);
            (
                format!("truncate to {keep}"),
                key.chars().take(keep).collect(),
            )
        }
        4 => ("doubled".into(), format!("{key}{key}")),
        5 => match mutate::reencodings(key) {
            Ok(v) if !v.is_empty() => {
                let chosen = &v[rng.below(v.len())];
                (format!("re-encoding {}", chosen.name), chosen.key.clone())
            }
            _ => ("lowercased".into(), key.to_ascii_lowercase()),
        },
        6 => match mutate::field_tweaks(key) {
            Ok(v) if !v.is_empty() => {
                let chosen = &v[rng.below(v.len())];
                (chosen.name.clone(), chosen.key.clone())
            }
            _ => ("uppercased".into(), key.to_ascii_uppercase()),
        },
        7 => match key::decode(key) {
            Ok(object) if !object.is_empty() => {
                let fields: Vec<String> = object.keys().cloned().collect();
                let field = &fields[rng.below(fields.len())];
                let value = match rng.below(6) {
                    0 => Value::Null,
                    1 => json!(-1),
                    2 => json!(""),
                    3 => json!([1, 2]),
                    4 => json!({"nested": true}),
                    _ => json!("x".repeat(rng.below(2000) + 1)),
                };
                let out = mutate::tweak_field(key, field, Some(value.clone()))
                    .unwrap_or_else(|_| key.to_string());
                (format!("{field} set to {}", short(&value.to_string())), out)
            }
            _ => ("reversed".into(), key.chars().rev().collect()),
        },
        _ => {
            let mut object = key::decode(key).unwrap_or_default();
            object.insert(format!("extra{}", rng.below(100)), json!(rng.below(1000)));
            (
                "extra field".into(),
                key::encode_object(&Value::Object(object)),
            )
        }
    }
}

fn short(s: &str) -> String {
    fuzz::short(s, 40)
}

fn request(
    target: &Target,
    base: Option<&str>,
    path: String,
    body: Value,
    auth: bool,
) -> Result<HttpRequest, FuzzError> {
    let base =
        base.ok_or_else(|| FuzzError("the target lacks the base URL fuzzing needs".into()))?;
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if auth {
        headers.push((
            target.harness_credential.header.clone(),
            target.harness_credential.value.clone(),
        ));
    } else if let Some(c) = target.credential("customer") {
        headers.push((c.header.clone(), c.value.clone()));
    }
    Ok(HttpRequest {
        method: "POST".into(),
        url: format!("{base}{path}"),
        headers,
        body: Some(body.to_string().into_bytes()),
    })
}

/// Runs `crosscheck fuzz cci`: against the target, or against a built-in simulator
/// with the requested faults (whose mock CSP A issues the key B is fuzzed with).
pub async fn run(request: FuzzRequest<'_>) -> Result<FuzzReport, FuzzError> {
    if let Some(target) = request.target {
        return fuzz_cci(target, request.start_from, request.cases, request.seed).await;
    }
    let http = HttpClient::new().map_err(|e| FuzzError(e.to_string()))?;
    let (prepared, cci) = sim::builtin(
        request.role,
        Dialect::Seed,
        request.faults,
        &super::shape::Shape::reference(),
        &http,
    )
    .await
    .map_err(|e| FuzzError(e.to_string()))?;
    let key = match (request.start_from, cci.issuer()) {
        (Some(k), _) => Some(k),
        (None, Some(a)) => {
            let env = cci.cci().primary_environment();
            let issued = a
                .issue(&env.id, env.sizes[0], &cci.cci().customer_account)
                .map_err(|r| FuzzError(r.0))?;
            Some(issued.1)
        }
        (None, None) => None,
    };
    fuzz_cci(&prepared.stage.target, key, request.cases, request.seed).await
}

/// Fuzzes a CCI IUT's key handling with `cases` mutants from `seed`.
pub async fn fuzz_cci(
    target: &Target,
    seed_key: Option<String>,
    cases: usize,
    seed: u64,
) -> Result<FuzzReport, FuzzError> {
    let http = HttpClient::new().map_err(|e| FuzzError(e.to_string()))?;
    let cci = CciTarget::of(target).map_err(|e| FuzzError(e.to_string()))?;
    let env = cci.primary_environment().id.clone();
    let size = cci.primary_environment().sizes[0];
    let timeout = target.step_timeout;
    let confirm_path = format!(
        "/providers/{}/environments/{env}/ConfirmActivationKey",
        cci.providers.harness
    );
    let field = cci.dialect.confirm_body_field();
    let wrap = |k: &str| {
        let mut m = Map::new();
        m.insert(field.into(), Value::String(k.into()));
        Value::Object(m)
    };
    let key = match (target.role.as_str(), seed_key) {
        ("csp-a", _) => {
            let create = request(
                target,
                target.base("customer"),
                "/connections".into(),
                json!({"environment": env, "connectionSizeMbps": size, "remoteAccountId": cci.customer_account}),
                false,
            )?;
            let r = http
                .send(&create, timeout)
                .await
                .map_err(|e| FuzzError(format!("create: {e}")))?;
            r.json
                .as_ref()
                .and_then(|j| j.get("activationKey"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    FuzzError(format!(
                        "create answered {} without an activationKey",
                        r.status
                    ))
                })?
        }
        (_, Some(k)) => k,
        (_, None) => return Err(FuzzError("fuzzing csp-b needs a seed key".into())),
    };
    let mut rng = fuzz::Rng::new(seed);
    let mut findings = Vec::new();
    for case in 0..cases {
        let (mutation, mutant) = mutant(&key, &mut rng);
        let (req, is_a) = if target.role == "csp-a" {
            (
                request(
                    target,
                    target.base("api"),
                    confirm_path.clone(),
                    wrap(&mutant),
                    true,
                )?,
                true,
            )
        } else {
            (
                request(
                    target,
                    target.base("customer"),
                    "/activation-keys/describe".into(),
                    json!({"activationKey": mutant}),
                    false,
                )?,
                false,
            )
        };
        let problem = match http.send(&req, timeout).await {
            Err(e) => Some(e.to_string()),
            Ok(r) if r.status >= 500 => Some(format!("answered {}", r.status)),
            Ok(r)
                if is_a
                    && r.status == 200
                    && r.json.as_ref().and_then(|j| j.get("keyValid"))
                        != Some(&Value::Bool(false)) =>
            {
                Some(format!(
                    "answered 200 with {}",
                    String::from_utf8_lossy(&r.body)
                ))
            }
            Ok(r) if is_a && r.status != 200 && r.status != 400 => Some(format!(
                "answered {} (expected 200 keyValid false or 400)",
                r.status
            )),
            Ok(r) if r.status == 400 && r.json.is_none() => {
                Some("answered 400 without a JSON body".into())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            findings.push(Finding {
                case,
                mutation,
                input: mutant,
                problem,
            });
        }
    }
    if target.role == "csp-a" {
        let original = request(target, target.base("api"), confirm_path, wrap(&key), true)?;
        match http.send(&original, timeout).await {
            Ok(r)
                if r.json.as_ref().and_then(|j| j.get("keyValid")) == Some(&Value::Bool(true)) => {}
            other => findings.push(Finding {
                case: cases,
                mutation: "none (the original key)".into(),
                input: key.clone(),
                problem: format!(
                    "the untouched key no longer confirms after the mutants: {}",
                    match other {
                        Ok(r) => format!("{} {}", r.status, String::from_utf8_lossy(&r.body)),
                        Err(e) => e.to_string(),
                    }
                ),
            }),
        }
    }
    Ok(FuzzReport {
        seed,
        cases,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mutants_always_differ_and_replay_by_seed(seed in any::<u64>(), env in "[a-z0-9-]{1,12}") {
            let key = key::encode_object(&json!({"environment": env, "connectionSizeMbps": "500", "keyMaterial": "abc"}));
            let mut a = fuzz::Rng::new(seed);
            let mut b = fuzz::Rng::new(seed);
            for _ in 0..20 {
                let (na, ka) = mutant(&key, &mut a);
                let (nb, kb) = mutant(&key, &mut b);
                prop_assert_ne!(&ka, &key, "{} kept the key", na);
                prop_assert_eq!((na, ka), (nb, kb));
            }
        }

        #[test]
        fn odd_keys_never_panic(key in "\\PC{0,80}", seed in any::<u64>()) {
            let mut rng = fuzz::Rng::new(seed);
            for _ in 0..10 {
                let (_, m) = mutant(&key, &mut rng);
                prop_assert_ne!(m, key.clone());
            }
            let empty = key::encode_object(&json!({}));
            let _ = mutant(&empty, &mut rng);
            let _ = short(&key);
        }
    }
}
