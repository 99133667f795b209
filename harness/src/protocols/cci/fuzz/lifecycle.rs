//! CCI's lifecycle fuzz campaign against a responder (csp-a, v1; PROTOCOLS.md §1b,
//! CCI-L-12, L-15, L-27): mutated CreateFeature bodies on a placed connection (each
//! named way of breaking the guidance, a value retyped or removed, bodies that are no
//! JSON) and mutated CreateConnection bodies for a second confirmed key.
//!
//! The oracle predicts each mutant with the harness's own reading of the guidance the
//! IUT gave. A mutant that breaks it, or is malformed, must get 400 in JSON (a
//! proposal's 409 is legal too, V-06), never a 2xx or a 5xx. A mutant that still keeps
//! to the guidance may be taken (the case deletes it again) or refused, never with a
//! 5xx. Afterwards the untouched proposal is accepted on every channel and the
//! untouched create places the second connection: the refused mutants reserved
//! nothing.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::profile::fuzz::{
    self, oracle, Campaign, FuzzError, FuzzRequest, Mutant, Problem, RegressionCase, Rng,
};
use crate::profile::target::Target;
use crate::profile::BoxFuture;
use crate::protocols::cci::intent::key::{self, Dialect};
use crate::protocols::cci::lifecycle::guidance::{self, L3Guidance, Leniency};
use crate::protocols::cci::lifecycle::proposal;
use crate::protocols::cci::sim;
use crate::protocols::cci::target::{CciTarget, IxState};

/// A CreateFeature body.
pub const FEATURE: &str = "create-feature";
/// A CreateConnection body.
pub const CONNECTION: &str = "create-connection";

/// Mutation classes.
const BREAK: &str = "guidance-break";
const RETYPED: &str = "value-retyped";
const REMOVED: &str = "field-removed";
const BYTES: &str = "not-json";
const BANDWIDTH: &str = "bandwidth";

/// What the control set up: the placed connection with its guidance and untouched
/// proposals, and a second confirmed key whose connection only the end places.
#[derive(Debug)]
struct Seed {
    connection: String,
    entries: Vec<Value>,
    proposals: Vec<Value>,
    spare: String,
}

/// The campaign against one responder.
pub struct LifecycleCampaign {
    customer: String,
    customer_credential: Option<(String, String)>,
    /// `{api}/providers/{harness}/environments/{env}/interconnects/{ix}`.
    interconnect: String,
    confirm_url: String,
    peer: (String, String),
    harness: String,
    iut: String,
    environment: String,
    size: u32,
    account: String,
    timeout: Duration,
    seed: OnceLock<Seed>,
    ids: AtomicU64,
    _running: Option<Box<dyn Any + Send + Sync>>,
}

impl LifecycleCampaign {
    fn seed(&self) -> Result<&Seed, Problem> {
        self.seed
            .get()
            .ok_or_else(|| Problem::new(oracle::TRANSPORT, "the control did not run"))
    }

    fn request(&self, method: &str, url: String, body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = vec![self.peer.clone()];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        HttpRequest {
            method: method.into(),
            url,
            headers,
            body,
        }
    }

    async fn send(
        &self,
        http: &HttpClient,
        request: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        http.send(request, self.timeout).await
    }

    /// A customer connection at the IUT, its key confirmed by the harness: the
    /// connection's sharedConnectionUuid.
    async fn confirmed_key(&self, http: &HttpClient) -> Result<String, FuzzError> {
        let mut create = HttpRequest {
            method: "POST".into(),
            url: format!("{}/connections", self.customer),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(
                json!({"environment": self.environment, "connectionSizeMbps": self.size, "remoteAccountId": self.account})
                    .to_string()
                    .into_bytes(),
            ),
        };
        create.headers.extend(self.customer_credential.clone());
        let r = self
            .send(http, &create)
            .await
            .map_err(|e| FuzzError(format!("the positive control (create): {e}")))?;
        let Some(k) = r
            .json
            .as_ref()
            .and_then(|j| j.get("activationKey"))
            .and_then(Value::as_str)
        else {
            return Err(FuzzError(format!(
                "the positive control: create answered {} without an activationKey",
                r.status
            )));
        };
        let body = json!({ Dialect::V1.confirm_body_field(): k }).to_string();
        let confirm = self.request("POST", self.confirm_url.clone(), Some(body.into_bytes()));
        let c = self
            .send(http, &confirm)
            .await
            .map_err(|e| FuzzError(format!("the positive control (confirm): {e}")))?;
        if c.json.as_ref().and_then(|j| j.get("keyValid")) != Some(&Value::Bool(true)) {
            return Err(FuzzError(format!(
                "the positive control: the fresh key did not confirm ({} {})",
                c.status,
                fuzz::answer_text(&c)
            )));
        }
        let object = key::decode(k).map_err(|e| FuzzError(format!("the issued key: {e}")))?;
        Ok(Dialect::V1
            .parse(&object)
            .map_err(|e| FuzzError(format!("the issued key: {e}")))?
            .material)
    }

    fn create_connection(&self, uuid: &str, body: Vec<u8>) -> HttpRequest {
        self.request(
            "POST",
            format!("{}/connections?connectionId={uuid}", self.interconnect),
            Some(body),
        )
    }

    fn features(&self, uuid: &str) -> String {
        format!("{}/connections/{uuid}/features", self.interconnect)
    }

    /// One CreateFeature mutant: sent under a fresh featureId, judged, and deleted
    /// again when taken.
    async fn feature_case(&self, http: &HttpClient, seed: &Seed, input: &[u8]) -> Option<Problem> {
        let id = format!("fz-{}", self.ids.fetch_add(1, Ordering::Relaxed));
        let url = format!("{}?featureId={id}", self.features(&seed.connection));
        let answer = self
            .send(http, &self.request("POST", url, Some(input.to_vec())))
            .await;
        let keeps = predicted_problem(input, &seed.entries).is_none();
        let problem = judge(&answer, keeps, &[400, 409]);
        let taken = answer
            .as_ref()
            .is_ok_and(|r| (200..300).contains(&r.status));
        if taken {
            let url = format!("{}/{id}", self.features(&seed.connection));
            let _ = self.send(http, &self.request("DELETE", url, None)).await;
        }
        problem
    }
}

/// Why `input` (a CreateFeature body) breaks `entries`, the guidance the IUT gave, as
/// the harness reads it; `None` when it keeps to it.
pub fn predicted_problem(input: &[u8], entries: &[Value]) -> Option<String> {
    let Ok(body) = serde_json::from_slice::<Value>(input) else {
        return Some("not JSON".into());
    };
    let Some(channel) = body.get("channel").and_then(Value::as_str) else {
        return Some("channel (string) is missing".into());
    };
    let bare = |c: &str| {
        c.trim_end_matches('/')
            .rsplit('/')
            .next()
            .map(str::to_string)
    };
    let Some(entry) = entries
        .iter()
        .find(|e| e.get("channel").and_then(Value::as_str).and_then(bare) == bare(channel))
    else {
        return Some(format!("channel `{channel}` has no guidance"));
    };
    if body
        .pointer("/featureConfig/featureType")
        .and_then(Value::as_str)
        != Some("FEATURE_TYPE_L3_BASE")
    {
        return Some("featureConfig.featureType is not FEATURE_TYPE_L3_BASE".into());
    }
    let Some(l3) = body.pointer("/featureConfig/l3BaseConfig") else {
        return Some("featureConfig.l3BaseConfig is missing".into());
    };
    let rules = match L3Guidance::read(entry) {
        Ok(g) => g,
        Err(e) => return Some(e.to_string()),
    };
    guidance::check(l3, &rules, Leniency::default())
        .err()
        .map(|v| v.0)
}

/// Whether `input` is the untouched CreateConnection body for `size`: the bandwidth
/// alone, an integer equal to the key's.
fn keeps_create(input: &[u8], size: u32) -> bool {
    serde_json::from_slice::<Value>(input)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .is_some_and(|o| {
            o.len() == 1 && o.get("bandwidthMbps").and_then(Value::as_u64) == Some(u64::from(size))
        })
}

/// The oracles for an answer to a mutant: never a 5xx; when it breaks the rules
/// (`keeps` false), a refusal with one of `refusals` in JSON, never a 2xx.
pub fn judge(
    answer: &Result<HttpResponse, TransportError>,
    keeps: bool,
    refusals: &[u16],
) -> Option<Problem> {
    let r = match fuzz::answered(answer) {
        Err(p) => return Some(p),
        Ok(r) => r,
    };
    if keeps {
        return None;
    }
    if (200..300).contains(&r.status) {
        return Some(Problem::new(
            oracle::NOT_ACCEPTED,
            format!(
                "answered {} to a mutant that breaks the rules: {}",
                r.status,
                fuzz::answer_text(r)
            ),
        ));
    }
    if !refusals.contains(&r.status) {
        return Some(Problem::new(
            oracle::STATUS,
            format!(
                "answered {} (expected {}): {}",
                r.status,
                refusals
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or "),
                fuzz::answer_text(r)
            ),
        ));
    }
    fuzz::json_shape(r)
}

/// A mutant of the untouched proposal `p` for `entry`.
pub fn feature_mutant(rng: &mut Rng, entry: &Value, p: &Value) -> Mutant {
    let mutant = |class, label: String, input: Vec<u8>| Mutant {
        class,
        label,
        via: FEATURE,
        input,
    };
    let leaves = leaves(p, "");
    match rng.below(4) {
        0 => {
            let how = proposal::BREAKS[rng.below(proposal::BREAKS.len())];
            match proposal::broken(entry, p, how) {
                Ok(b) => mutant(
                    BREAK,
                    format!("guidance broken: {how}"),
                    b.to_string().into_bytes(),
                ),
                Err(_) => mutant(
                    REMOVED,
                    "featureConfig removed".into(),
                    without(p, "/featureConfig").to_string().into_bytes(),
                ),
            }
        }
        1 if !leaves.is_empty() => {
            let at = &leaves[rng.below(leaves.len())];
            let value = [
                json!("x"),
                json!(-1),
                json!(1.5),
                Value::Null,
                json!(true),
                json!([]),
                json!({}),
                json!(u64::MAX),
                json!("9".repeat(40)),
            ][rng.below(9)]
            .clone();
            let mut m = p.clone();
            if let Some(slot) = m.pointer_mut(at) {
                *slot = value.clone();
            }
            mutant(
                RETYPED,
                format!("{at} set to {}", fuzz::short(&value.to_string(), 30)),
                m.to_string().into_bytes(),
            )
        }
        2 if !leaves.is_empty() => {
            let at = &leaves[rng.below(leaves.len())];
            mutant(
                REMOVED,
                format!("{at} removed"),
                without(p, at).to_string().into_bytes(),
            )
        }
        _ => {
            let whole = p.to_string();
            match rng.below(3) {
                0 => {
                    let keep = rng.below(whole.len());
                    mutant(
                        BYTES,
                        format!("cut at byte {keep}"),
                        whole.as_bytes()[..keep].to_vec(),
                    )
                }
                1 => mutant(
                    BYTES,
                    "a JSON array".into(),
                    json!([p]).to_string().into_bytes(),
                ),
                _ => mutant(BYTES, "empty body".into(), Vec::new()),
            }
        }
    }
}

/// A mutant of the untouched CreateConnection body `{"bandwidthMbps": size}`, never
/// the untouched body itself.
pub fn connection_mutant(rng: &mut Rng, size: u32, other: u32) -> Mutant {
    let (label, body): (String, Vec<u8>) = match rng.below(8) {
        0 => (
            "bandwidthMbps as a string".into(),
            json!({"bandwidthMbps": size.to_string()})
                .to_string()
                .into_bytes(),
        ),
        1 => (
            "bandwidthMbps of another size".into(),
            json!({"bandwidthMbps": other}).to_string().into_bytes(),
        ),
        2 => (
            "bandwidthMbps negative".into(),
            json!({"bandwidthMbps": -i64::from(size)})
                .to_string()
                .into_bytes(),
        ),
        3 => (
            "bandwidthMbps fractional".into(),
            json!({"bandwidthMbps": f64::from(size) + 0.5})
                .to_string()
                .into_bytes(),
        ),
        4 => (
            "bandwidthMbps null".into(),
            json!({"bandwidthMbps": null}).to_string().into_bytes(),
        ),
        5 => (
            "no bandwidthMbps".into(),
            json!({}).to_string().into_bytes(),
        ),
        6 => (
            "not JSON".into(),
            format!("bandwidthMbps={size}").into_bytes(),
        ),
        _ => (
            "activationKey of another key".into(),
            json!({"bandwidthMbps": size, "activationKey": "AAAA"})
                .to_string()
                .into_bytes(),
        ),
    };
    Mutant {
        class: BANDWIDTH,
        label,
        via: CONNECTION,
        input: body,
    }
}

/// JSON pointers to every scalar of `v` under `at`.
fn leaves(v: &Value, at: &str) -> Vec<String> {
    match v {
        Value::Object(o) => o
            .iter()
            .flat_map(|(k, v)| {
                leaves(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                )
            })
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .flat_map(|(i, v)| leaves(v, &format!("{at}/{i}")))
            .collect(),
        _ => vec![at.to_string()],
    }
}

/// `v` without what `pointer` names.
fn without(v: &Value, pointer: &str) -> Value {
    let mut m = v.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let last = last.replace("~1", "/").replace("~0", "~");
    match m.pointer_mut(parent) {
        Some(Value::Object(o)) => {
            o.remove(&last);
        }
        Some(Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>() {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        _ => {}
    }
    m
}

impl Campaign for LifecycleCampaign {
    fn title(&self) -> String {
        "cci csp-a: CreateFeature and CreateConnection bodies".into()
    }

    fn control<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<(), FuzzError>> {
        Box::pin(async move {
            let control = |what: &str, r: Result<HttpResponse, TransportError>| match r {
                Ok(r) if (200..300).contains(&r.status) => Ok(r),
                Ok(r) => Err(FuzzError(format!(
                    "the positive control ({what}) answered {}: {}",
                    r.status,
                    fuzz::answer_text(&r)
                ))),
                Err(e) => Err(FuzzError(format!("the positive control ({what}): {e}"))),
            };
            let connection = self.confirmed_key(http).await?;
            let spare = self.confirmed_key(http).await?;
            let body = json!({"bandwidthMbps": self.size}).to_string().into_bytes();
            control(
                "CreateConnection",
                self.send(http, &self.create_connection(&connection, body))
                    .await,
            )?;
            let url = format!(
                "{}/connections/{connection}/GenerateFeatureGuidance",
                self.interconnect
            );
            let g = control(
                "GenerateFeatureGuidance",
                self.send(http, &self.request("POST", url, Some(b"{}".to_vec())))
                    .await,
            )?;
            let entries: Vec<Value> = g
                .json
                .as_ref()
                .and_then(|j| j.get("featureGuidance"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let proposals = entries
                .iter()
                .map(|e| proposal::make(e, &self.harness, &self.iut, 0))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FuzzError(format!("the positive control: the IUT's guidance: {e}")))?;
            if proposals.is_empty() {
                return Err(FuzzError(
                    "the positive control: GenerateFeatureGuidance gave no entries".into(),
                ));
            }
            let _ = self.seed.set(Seed {
                connection,
                entries,
                proposals,
                spare,
            });
            Ok(())
        })
    }

    fn mutant(&self, rng: &mut Rng) -> Mutant {
        let Some(seed) = self.seed.get() else {
            return connection_mutant(rng, self.size, self.size.saturating_add(1));
        };
        if rng.below(5) == 0 {
            return connection_mutant(rng, self.size, self.size.saturating_add(1));
        }
        let i = rng.below(seed.proposals.len());
        feature_mutant(rng, &seed.entries[i], &seed.proposals[i])
    }

    fn case<'a>(
        &'a self,
        http: &'a HttpClient,
        via: &'static str,
        input: &'a [u8],
    ) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let seed = match self.seed() {
                Ok(s) => s,
                Err(p) => return Some(p),
            };
            if via == FEATURE {
                return self.feature_case(http, seed, input).await;
            }
            let request = self.create_connection(&seed.spare, input.to_vec());
            let answer = self.send(http, &request).await;
            let keeps = keeps_create(input, self.size);
            let problem = judge(&answer, keeps, &[400, 409, 404, 422]);
            if answer
                .as_ref()
                .is_ok_and(|r| (200..300).contains(&r.status))
            {
                // Taken: gone again, so that the end can place it.
                let url = format!("{}/connections/{}", self.interconnect, seed.spare);
                let _ = self.send(http, &self.request("DELETE", url, None)).await;
            }
            problem
        })
    }

    fn after<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let seed = match self.seed() {
                Ok(s) => s,
                Err(p) => return Some(p),
            };
            let left = |what: String| Some(Problem::new(oracle::NOTHING_LEFT, what));
            for (i, p) in seed.proposals.iter().enumerate() {
                let url = format!(
                    "{}?featureId=fz-untouched-{i}",
                    self.features(&seed.connection)
                );
                let body = p.to_string().into_bytes();
                match self.send(http, &self.request("POST", url, Some(body))).await {
                    Ok(r) if (200..300).contains(&r.status) => {}
                    Ok(r) => {
                        return left(format!(
                            "the untouched proposal for {} is refused after the mutants ({} {}): a refused mutant kept what it asked for",
                            p["channel"].as_str().unwrap_or("its channel"),
                            r.status,
                            fuzz::answer_text(&r)
                        ))
                    }
                    Err(e) => return Some(Problem::new(oracle::TRANSPORT, e.to_string())),
                }
            }
            let body = json!({"bandwidthMbps": self.size}).to_string().into_bytes();
            match self
                .send(http, &self.create_connection(&seed.spare, body))
                .await
            {
                Ok(r) if (200..300).contains(&r.status) => None,
                Ok(r) => Some(Problem::new(
                    oracle::ACCEPTED,
                    format!(
                        "the untouched CreateConnection is refused after the mutants ({} {})",
                        r.status,
                        fuzz::answer_text(&r)
                    ),
                )),
                Err(e) => Some(Problem::new(oracle::TRANSPORT, e.to_string())),
            }
        })
    }

    fn shrink(&self, via: &'static str, input: &[u8]) -> Vec<Vec<u8>> {
        let Some(seed) = self.seed.get() else {
            return Vec::new();
        };
        if via == CONNECTION {
            return fuzz::body_candidates(input, |c| !keeps_create(c, self.size));
        }
        fuzz::body_candidates(input, |c| predicted_problem(c, &seed.entries).is_some())
    }

    fn regression(&self, case: &RegressionCase<'_>) -> Option<String> {
        let text = std::str::from_utf8(case.input).ok()?;
        Some(super::regress::lifecycle(case, text))
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.peer.1.clone()];
        out.extend(self.customer_credential.iter().map(|c| c.1.clone()));
        out
    }
}

/// The campaign for `target`, a v1 responder.
fn for_target(
    target: &Target,
    running: Option<Box<dyn Any + Send + Sync>>,
) -> Result<LifecycleCampaign, FuzzError> {
    let cci = CciTarget::of(target).map_err(|e| FuzzError(e.to_string()))?;
    if cci.dialect != Dialect::V1 {
        return Err(FuzzError(
            "the lifecycle surface needs a v1 target (dialect: v1): seed has no lifecycle".into(),
        ));
    }
    let need = |name: &str| {
        target.base(name).map(str::to_string).ok_or_else(|| {
            FuzzError(format!(
                "the target lacks the {name} base URL fuzzing needs"
            ))
        })
    };
    let env = cci.primary_environment();
    let ix = env
        .interconnects
        .iter()
        .filter(|i| i.state == IxState::Active)
        .max_by_key(|i| i.max_mbps)
        .ok_or_else(|| {
            FuzzError(format!(
                "the target's environment {} has no ACTIVE interconnect to fuzz on",
                env.id
            ))
        })?;
    let api = need("api")?;
    let base = format!(
        "{api}/providers/{}/environments/{}",
        cci.providers.harness, env.id
    );
    Ok(LifecycleCampaign {
        customer: need("customer")?,
        customer_credential: target
            .credential("customer")
            .map(|c| (c.header.clone(), c.value.clone())),
        interconnect: format!("{base}/interconnects/{}", ix.id),
        confirm_url: format!("{base}/ConfirmActivationKey"),
        peer: fuzz::harness_header(target),
        harness: cci.providers.harness.clone(),
        iut: cci.providers.iut.clone(),
        environment: env.id.clone(),
        size: env.sizes.first().copied().unwrap_or(1),
        account: cci.customer_account.clone(),
        timeout: target.step_timeout,
        seed: OnceLock::new(),
        ids: AtomicU64::new(0),
        _running: running,
    })
}

/// The lifecycle campaign of `crosscheck fuzz cci --role csp-a --surface lifecycle`:
/// against the target, or a built-in v1 responder with the requested faults.
pub async fn campaign(request: FuzzRequest<'_>) -> Result<Box<dyn Campaign>, FuzzError> {
    request.only_role("csp-a")?;
    if let Some(target) = request.target {
        return Ok(Box::new(for_target(target, None)?));
    }
    let failed = |e: &dyn std::fmt::Display| FuzzError(e.to_string());
    let http = HttpClient::new().map_err(|e| failed(&e))?;
    let (prepared, cci) = sim::builtin(
        request.role,
        Dialect::V1,
        request.faults,
        &crate::protocols::cci::shape::Shape::reference(),
        &http,
    )
    .await
    .map_err(|e| failed(&e))?;
    let target = prepared.stage.target.clone();
    let running: Box<dyn Any + Send + Sync> = Box::new((prepared, cci));
    Ok(Box::new(for_target(&target, Some(running))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> Value {
        guidance::reference(
            "providers/csp-b/environments/e/interconnects/x/channels/ch-1",
            0,
            0,
        )
    }

    fn untouched() -> Value {
        proposal::make(&entry(), "csp-b", "csp-a", 0).expect("a proposal")
    }

    #[test]
    fn the_untouched_proposal_keeps_to_the_guidance_and_each_named_break_does_not() {
        let (e, p) = (entry(), untouched());
        assert_eq!(
            predicted_problem(p.to_string().as_bytes(), std::slice::from_ref(&e)),
            None
        );
        for how in proposal::BREAKS {
            let Ok(b) = proposal::broken(&e, &p, how) else {
                continue;
            };
            assert!(
                predicted_problem(b.to_string().as_bytes(), std::slice::from_ref(&e)).is_some(),
                "{how} is predicted to keep to the guidance: {b}"
            );
        }
        assert!(predicted_problem(b"{", &[e]).is_some());
    }

    #[test]
    fn the_judge_wants_a_json_refusal_of_a_break_and_no_5xx_ever() {
        let answer = |status: u16, body: &str| -> Result<HttpResponse, TransportError> {
            Ok(HttpResponse {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.as_bytes().to_vec(),
                json: serde_json::from_str(body).ok(),
                elapsed: Duration::ZERO,
                tls: None,
            })
        };
        let of = |s, b, keeps| judge(&answer(s, b), keeps, &[400, 409]).map(|p| p.oracle);
        assert_eq!(of(400, r#"{"error":"x"}"#, false), None);
        assert_eq!(of(409, r#"{"error":"x"}"#, false), None);
        assert_eq!(of(200, "{}", false), Some(oracle::NOT_ACCEPTED));
        assert_eq!(of(404, r#"{"error":"x"}"#, false), Some(oracle::STATUS));
        assert_eq!(of(400, "oops", false), Some(oracle::SHAPE));
        assert_eq!(of(500, "{}", false), Some(oracle::NO_5XX));
        assert_eq!(of(500, "{}", true), Some(oracle::NO_5XX));
        assert_eq!(of(200, "{}", true), None);
        assert_eq!(of(400, r#"{"error":"x"}"#, true), None);
    }

    proptest! {
        /// A CreateConnection mutant is never the untouched body, so the oracle may
        /// demand its refusal.
        #[test]
        fn connection_mutants_never_keep_to_the_create(seed in any::<u64>()) {
            let m = connection_mutant(&mut fuzz::Rng::new(seed), 100, 101);
            prop_assert!(!keeps_create(&m.input, 100), "{}", m.label);
            prop_assert_eq!(m.via, CONNECTION);
        }

        /// Every feature mutant is a different body from the untouched proposal, and
        /// the named breaks and non-JSON bodies are predicted to break the guidance.
        #[test]
        fn feature_mutants_differ_and_breaks_are_predicted(seed in any::<u64>()) {
            let (e, p) = (entry(), untouched());
            let m = feature_mutant(&mut fuzz::Rng::new(seed), &e, &p);
            prop_assert_ne!(m.input.clone(), p.to_string().into_bytes());
            if m.class == BREAK || m.class == BYTES {
                prop_assert!(predicted_problem(&m.input, &[e]).is_some(), "{}", m.label);
            }
        }
    }
}
