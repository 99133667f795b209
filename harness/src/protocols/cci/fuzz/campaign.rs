//! CCI's fuzz campaign. Against csp-a: mutated keys in ConfirmActivationKey (and
//! confirm bodies that are no key body at all), each answered 200 `keyValid: false`
//! or 400 JSON, never a 5xx, never `keyValid: true`; the untouched key still confirms
//! afterwards. Against csp-b: mutated keys on describe (never a 5xx) and on the
//! customer's accept, which must be refused and leave no connection (refused locally
//! with a 4xx, or deleted once the harness's CSP A says keyValid false).

use std::any::Any;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::profile::fuzz::{
    self, oracle, Campaign, FuzzError, FuzzRequest, Mutant, Problem, RegressionCase, Rng,
};
use crate::profile::target::Target;
use crate::profile::BoxFuture;
use crate::protocols::cci::fuzz::keys::{self as keys, Seedling};
use crate::protocols::cci::fuzz::regress;
use crate::protocols::cci::intent::key::Dialect;
use crate::protocols::cci::sim;
use crate::protocols::cci::target::CciTarget;

/// A key in a confirm body (csp-a).
pub const CONFIRM: &str = "confirm";
/// A whole confirm body (csp-a).
pub const CONFIRM_BODY: &str = "confirm-body";
/// A key on the customer's describe (csp-b).
pub const DESCRIBE: &str = "describe";
/// A key on the customer's accept (csp-b).
pub const ACCEPT: &str = "accept";

/// The campaign against one CSP.
pub struct CciCampaign {
    issuer: bool,
    customer: String,
    confirm_url: String,
    field: &'static str,
    peer: (String, String),
    customer_credential: Option<(String, String)>,
    environment: String,
    size: u32,
    account: String,
    timeout: Duration,
    settle: Duration,
    seedling: OnceLock<Seedling>,
    _running: Option<Box<dyn Any + Send + Sync>>,
}

fn post(url: String, credential: Option<&(String, String)>, body: Vec<u8>) -> HttpRequest {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    headers.extend(credential.cloned());
    HttpRequest {
        method: "POST".into(),
        url,
        headers,
        body: Some(body),
    }
}

fn body_text(r: &HttpResponse) -> String {
    fuzz::answer_text(r)
}

/// The oracles for an answer to a confirm of a key A never issued.
pub fn judge_confirm(answer: &Result<HttpResponse, TransportError>) -> Option<Problem> {
    let r = match fuzz::answered(answer) {
        Err(p) => return Some(p),
        Ok(r) => r,
    };
    let key_valid = r.json.as_ref().and_then(|j| j.get("keyValid"));
    if r.status == 200 && key_valid != Some(&Value::Bool(false)) {
        return Some(Problem::new(
            oracle::NOT_ACCEPTED,
            format!("answered 200 with {}", body_text(r)),
        ));
    }
    if r.status != 200 && r.status != 400 {
        return Some(Problem::new(
            oracle::STATUS,
            format!(
                "answered {} (expected 200 keyValid false or 400): {}",
                r.status,
                body_text(r)
            ),
        ));
    }
    fuzz::json_shape(r)
}

/// The oracles for a describe answer: anything but a 5xx, and 4xx in JSON.
pub fn judge_describe(answer: &Result<HttpResponse, TransportError>) -> Option<Problem> {
    let r = match fuzz::answered(answer) {
        Err(p) => return Some(p),
        Ok(r) => r,
    };
    if r.status >= 400 && r.json.is_none() {
        return Some(Problem::new(
            oracle::SHAPE,
            format!("answered {} without a JSON body", r.status),
        ));
    }
    None
}

impl CciCampaign {
    fn key(&self) -> &str {
        self.seedling.get().map_or("", |s| s.key.as_str())
    }

    fn confirm_body(&self, key: &str) -> Vec<u8> {
        json!({ self.field: key }).to_string().into_bytes()
    }

    fn customer_post(&self, path: &str, key: &str) -> HttpRequest {
        post(
            format!("{}{path}", self.customer),
            self.customer_credential.as_ref(),
            json!({"activationKey": key}).to_string().into_bytes(),
        )
    }

    /// Accepts `key` at B and follows the connection until it settles; the problem if
    /// it is not refused and gone.
    async fn accept(&self, http: &HttpClient, key: &str) -> Option<Problem> {
        let answer = http
            .send(
                &self.customer_post("/connections/accept", key),
                self.timeout,
            )
            .await;
        let r = match &answer {
            Err(_) => return judge_describe(&answer),
            Ok(r) if !(200..300).contains(&r.status) => return judge_describe(&answer),
            Ok(r) => r,
        };
        let Some(id) = r
            .json
            .as_ref()
            .and_then(|j| j.get("connectionId"))
            .and_then(Value::as_str)
            .filter(|id| {
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
            })
        else {
            return Some(Problem::new(
                oracle::NOT_ACCEPTED,
                format!("accepted ({}) without a connectionId to follow", r.status),
            ));
        };
        let url = format!("{}/connections/{id}", self.customer);
        let started = Instant::now();
        let mut state = String::new();
        while started.elapsed() < self.settle {
            let get = HttpRequest {
                method: "GET".into(),
                url: url.clone(),
                headers: self.customer_credential.iter().cloned().collect(),
                body: None,
            };
            match http.send(&get, self.timeout).await {
                Ok(g) if g.status == 404 => return None,
                Ok(g) => {
                    state = g
                        .json
                        .as_ref()
                        .and_then(|j| j.get("state"))
                        .and_then(Value::as_str)
                        .unwrap_or("no state")
                        .to_string();
                    match state.as_str() {
                        "DELETED" => return None,
                        "NEGOTIATION" => {
                            return Some(Problem::new(
                                oracle::NOT_ACCEPTED,
                                "accepted: the connection reached NEGOTIATION",
                            ))
                        }
                        "PENDING" => {}
                        _ => break,
                    }
                }
                Err(e) => {
                    return Some(Problem::new(
                        oracle::TRANSPORT,
                        e.to_string().replace(id, "{id}"),
                    ))
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Some(Problem::new(
            oracle::NOTHING_LEFT,
            format!(
                "accepted ({}) and the connection was left {state} after {:.1} s instead of being deleted",
                r.status,
                self.settle.as_secs_f64()
            ),
        ))
    }
}

impl Campaign for CciCampaign {
    fn title(&self) -> String {
        if self.issuer {
            "cci csp-a: ConfirmActivationKey".into()
        } else {
            "cci csp-b: describe and accept".into()
        }
    }

    fn control<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<(), FuzzError>> {
        Box::pin(async move {
            if self.issuer {
                let create = post(
                    format!("{}/connections", self.customer),
                    self.customer_credential.as_ref(),
                    json!({"environment": self.environment, "connectionSizeMbps": self.size, "remoteAccountId": self.account})
                        .to_string()
                        .into_bytes(),
                );
                let r = http
                    .send(&create, self.timeout)
                    .await
                    .map_err(|e| FuzzError(format!("the positive control (create): {e}")))?;
                let key = r
                    .json
                    .as_ref()
                    .and_then(|j| j.get("activationKey"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        FuzzError(format!(
                            "the positive control: create answered {} without an activationKey",
                            r.status
                        ))
                    })?;
                let _ = self.seedling.set(Seedling::new(key.to_string()));
                return Ok(());
            }
            let r = http
                .send(
                    &self.customer_post("/activation-keys/describe", self.key()),
                    self.timeout,
                )
                .await
                .map_err(|e| FuzzError(format!("the positive control (describe): {e}")))?;
            if !(200..300).contains(&r.status) {
                return Err(FuzzError(format!(
                    "the positive control: describing the untouched key answered {}: {}",
                    r.status,
                    body_text(&r)
                )));
            }
            Ok(())
        })
    }

    fn mutant(&self, rng: &mut Rng) -> Mutant {
        let Some(seedling) = self.seedling.get() else {
            return keys::body_mutant(rng, self.field, "", CONFIRM_BODY);
        };
        if self.issuer {
            if rng.below(10) == 0 {
                keys::body_mutant(rng, self.field, &seedling.key, CONFIRM_BODY)
            } else {
                seedling.mutant(rng, CONFIRM)
            }
        } else {
            let via = if rng.below(2) == 0 { DESCRIBE } else { ACCEPT };
            seedling.mutant(rng, via)
        }
    }

    fn case<'a>(
        &'a self,
        http: &'a HttpClient,
        via: &'static str,
        input: &'a [u8],
    ) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let key = String::from_utf8_lossy(input);
            match via {
                CONFIRM_BODY => {
                    let request = post(self.confirm_url.clone(), Some(&self.peer), input.to_vec());
                    judge_confirm(&http.send(&request, self.timeout).await)
                }
                CONFIRM => {
                    let request = post(
                        self.confirm_url.clone(),
                        Some(&self.peer),
                        self.confirm_body(&key),
                    );
                    judge_confirm(&http.send(&request, self.timeout).await)
                }
                DESCRIBE => judge_describe(
                    &http
                        .send(
                            &self.customer_post("/activation-keys/describe", &key),
                            self.timeout,
                        )
                        .await,
                ),
                _ => self.accept(http, &key).await,
            }
        })
    }

    fn after<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let problem = |detail: String| {
                Some(Problem::new(
                    oracle::ACCEPTED,
                    format!("the untouched key is no longer accepted after the mutants: {detail}"),
                ))
            };
            if self.issuer {
                let request = post(
                    self.confirm_url.clone(),
                    Some(&self.peer),
                    self.confirm_body(self.key()),
                );
                return match http.send(&request, self.timeout).await {
                    Ok(r)
                        if r.json.as_ref().and_then(|j| j.get("keyValid"))
                            == Some(&Value::Bool(true)) =>
                    {
                        None
                    }
                    Ok(r) => problem(format!("{} {}", r.status, body_text(&r))),
                    Err(e) => problem(e.to_string()),
                };
            }
            match http
                .send(
                    &self.customer_post("/connections/accept", self.key()),
                    self.timeout,
                )
                .await
            {
                Ok(r) if (200..300).contains(&r.status) => None,
                Ok(r) => problem(format!("{} {}", r.status, body_text(&r))),
                Err(e) => problem(e.to_string()),
            }
        })
    }

    fn shrink(&self, via: &'static str, input: &[u8]) -> Vec<Vec<u8>> {
        let key = self.key().as_bytes();
        if via == CONFIRM_BODY {
            let exact = self.confirm_body(self.key());
            return fuzz::body_candidates(input, |c| c != exact.as_slice());
        }
        // Simpler key contents first (a field removed, a value emptied), then bytes.
        let decoded = std::str::from_utf8(input)
            .ok()
            .and_then(|k| crate::protocols::cci::intent::key::decode(k).ok());
        let contents = decoded
            .map(|o| fuzz::json_candidates(&Value::Object(o), 200))
            .unwrap_or_default()
            .into_iter()
            .map(|v| crate::protocols::cci::intent::key::encode_object(&v).into_bytes());
        contents
            .chain(fuzz::byte_candidates(input, 128))
            .filter(|c| c.as_slice() != key && std::str::from_utf8(c).is_ok())
            .collect()
    }

    fn decoded(&self, input: &[u8]) -> Option<String> {
        keys::decoded(input)
    }

    fn regression(&self, case: &RegressionCase<'_>) -> Option<String> {
        let text = std::str::from_utf8(case.input).ok()?;
        if !self.issuer {
            return Some(if case.via == DESCRIBE {
                regress::describe(case, text)
            } else {
                regress::accept(case, text)
            });
        }
        Some(regress::confirm(case, text))
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.peer.1.clone()];
        out.extend(self.customer_credential.iter().map(|c| c.1.clone()));
        out
    }
}

/// The campaign for `target` (and the key to start from, for csp-b).
fn for_target(
    target: &Target,
    key: Option<String>,
    running: Option<Box<dyn Any + Send + Sync>>,
) -> Result<CciCampaign, FuzzError> {
    let cci = CciTarget::of(target).map_err(|e| FuzzError(e.to_string()))?;
    let issuer = target.role == "csp-a";
    let need = |name: &str| {
        target.base(name).map(str::to_string).ok_or_else(|| {
            FuzzError(format!(
                "the target lacks the {name} base URL fuzzing needs"
            ))
        })
    };
    let env = cci.primary_environment();
    let api = if issuer { need("api")? } else { String::new() };
    let seedling = OnceLock::new();
    match (issuer, key) {
        (true, _) => {}
        (false, Some(k)) => {
            let _ = seedling.set(Seedling::new(k));
        }
        (false, None) => {
            return Err(FuzzError(
                "fuzzing csp-b needs a key to start from (--key)".into(),
            ))
        }
    }
    Ok(CciCampaign {
        issuer,
        confirm_url: format!(
            "{api}/providers/{}/environments/{}/ConfirmActivationKey",
            cci.providers.harness, env.id
        ),
        customer: need("customer")?,
        field: cci.dialect.confirm_body_field(),
        peer: fuzz::harness_header(target),
        customer_credential: target
            .credential("customer")
            .map(|c| (c.header.clone(), c.value.clone())),
        environment: env.id.clone(),
        size: env.sizes.first().copied().unwrap_or(1),
        account: cci.customer_account.clone(),
        timeout: target.step_timeout,
        settle: target.iut_peer_timeout + Duration::from_millis(500),
        seedling,
        _running: running,
    })
}

/// The campaign of `crosscheck fuzz cci`: against the target, or against a built-in
/// simulator with the requested faults (whose mock CSP A issues the key B is fuzzed
/// with).
pub async fn campaign(request: FuzzRequest<'_>) -> Result<Box<dyn Campaign>, FuzzError> {
    match request.surface {
        None | Some("intent") => {}
        Some("lifecycle") => return super::lifecycle::campaign(request).await,
        Some(other) => {
            return Err(FuzzError(format!(
                "cci has no fuzz surface `{other}`: intent (the default) or lifecycle"
            )))
        }
    }
    let failed = |e: &dyn std::fmt::Display| FuzzError(e.to_string());
    if let Some(target) = request.target {
        if target.role == "csp-a" {
            return Ok(Box::new(for_target(target, None, None)?));
        }
        // B confirms accepted keys with the harness's CSP A, where the target says.
        let cci = CciTarget::of(target).map_err(|e| failed(&e))?;
        let role = target.counterpart_role();
        let listen = target.mock_peers.get(role).copied().ok_or_else(|| {
            FuzzError(format!(
                "the target names no mock_peers.{role}, where B's CSP A must listen"
            ))
        })?;
        let (peer, stage) = sim::counterpart(target, cci, listen)
            .await
            .map_err(|e| failed(&e))?;
        let key = match request.start_from {
            Some(k) => k,
            None => issue(&stage)?,
        };
        return Ok(Box::new(for_target(
            target,
            Some(key),
            Some(Box::new((peer, stage))),
        )?));
    }
    let http = HttpClient::new().map_err(|e| failed(&e))?;
    let (prepared, cci) = sim::builtin(
        request.role,
        Dialect::Seed,
        request.faults,
        &crate::protocols::cci::shape::Shape::reference(),
        &http,
    )
    .await
    .map_err(|e| failed(&e))?;
    let key = match (request.start_from, cci.issuer()) {
        (Some(k), _) => Some(k),
        (None, Some(_)) => Some(issue(&cci)?),
        (None, None) => None,
    };
    let target = prepared.stage.target.clone();
    let running: Box<dyn Any + Send + Sync> = Box::new((prepared, cci));
    Ok(Box::new(for_target(&target, key, Some(running))?))
}

/// A key the harness's CSP A issues for the target's first environment and size.
fn issue(stage: &sim::CciStage) -> Result<String, FuzzError> {
    let issuer = stage
        .issuer()
        .ok_or_else(|| FuzzError("the harness plays no CSP A here".into()))?;
    let env = stage.cci().primary_environment();
    let size = env.sizes.first().copied().unwrap_or(1);
    issuer
        .issue(&env.id, size, &stage.cci().customer_account)
        .map(|(_, key)| key)
        .map_err(|r| FuzzError(r.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, ct: &str, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), ct.into())],
            body: body.as_bytes().to_vec(),
            json: serde_json::from_str(body).ok(),
            elapsed: Duration::ZERO,
            tls: None,
        })
    }

    #[test]
    fn the_confirm_judge_wants_a_quiet_refusal_in_json() {
        let json = "application/json";
        let of = |s, ct, b| judge_confirm(&answer(s, ct, b)).map(|p| p.oracle);
        assert_eq!(of(200, json, r#"{"keyValid":false}"#), None);
        assert_eq!(of(400, json, r#"{"error":"x"}"#), None);
        assert_eq!(
            of(200, json, r#"{"keyValid":true}"#),
            Some(oracle::NOT_ACCEPTED)
        );
        assert_eq!(of(500, json, "{}"), Some(oracle::NO_5XX));
        assert_eq!(of(404, json, "{}"), Some(oracle::STATUS));
        assert_eq!(
            of(200, "text/plain", r#"{"keyValid":false}"#),
            Some(oracle::SHAPE)
        );
        assert_eq!(of(400, json, "oops"), Some(oracle::SHAPE));
    }
}
