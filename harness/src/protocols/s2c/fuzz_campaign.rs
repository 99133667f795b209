//! The S2C provider's fuzz campaign: invalid create bodies (POST) and invalid modify
//! bodies (PATCH of a session made for the purpose), each of which must get 400 in
//! the CAMARA error shape, never a 5xx and never a session (any created one is
//! deleted). The untouched create body is created first (the positive control) and
//! once more after the mutants.

use std::any::Any;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::body;
use super::config::{S2cConfig, TOKEN_CONSUMER_1};
use super::fuzz::{self as mutants, CREATE, MODIFY};
use super::stage::{self, S2cTarget};
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::profile::fuzz::{
    self, oracle, Campaign, FuzzError, FuzzRequest, Mutant, Problem, RegressionCase, Rng,
};
use crate::profile::target::Target;
use crate::profile::BoxFuture;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The campaign against one provider.
pub struct S2cCampaign {
    create_url: String,
    /// `{api}/sessions`, when sessions can be modified and deleted by id.
    sessions: Option<String>,
    credential: (String, String),
    unit_seconds: u64,
    /// The session modify mutants go to (made by the positive control).
    modified: Mutex<Option<String>>,
    _running: Option<Box<dyn Any + Send + Sync>>,
}

impl S2cCampaign {
    fn request(&self, method: &str, url: String, body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = vec![self.credential.clone()];
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

    fn session_url(&self, id: &str) -> Option<String> {
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c));
        self.sessions
            .as_ref()
            .filter(|_| ok)
            .map(|base| format!("{base}/{id}"))
    }

    /// Deletes the session an answer created; says what became of it, without the
    /// session id (which differs from run to run).
    async fn delete(&self, http: &HttpClient, answer: &HttpResponse) -> String {
        let id = session_id(answer).unwrap_or_default();
        let Some(url) = self.session_url(&id) else {
            return "not deleted (no sessionId to delete, or the delete binding is overridden)"
                .into();
        };
        match http
            .send(&self.request("DELETE", url, None), REQUEST_TIMEOUT)
            .await
        {
            Ok(r) if (200..300).contains(&r.status) => "the session was deleted".into(),
            Ok(r) => format!("deleting the session answered {}", r.status),
            Err(e) => format!(
                "deleting the session failed: {}",
                e.to_string().replace(&id, "{id}")
            ),
        }
    }

    /// Creates the untouched body; the answer when it was created.
    async fn create_valid(&self, http: &HttpClient) -> Result<HttpResponse, NotCreated> {
        let valid = body::valid(60).to_string().into_bytes();
        let answer = http
            .send(
                &self.request("POST", self.create_url.clone(), Some(valid)),
                REQUEST_TIMEOUT,
            )
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(NotCreated::Refused {
                status: answer.status,
                body: fuzz::short(&String::from_utf8_lossy(&answer.body), 200),
            })
        }
    }
}

/// Why the untouched create body was not created.
#[derive(Debug, thiserror::Error)]
enum NotCreated {
    /// No answer came.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The provider answered, but not 2xx.
    #[error("answered {status}: {body}")]
    Refused {
        /// The status.
        status: u16,
        /// The start of the body, printable.
        body: String,
    },
}

fn session_id(answer: &HttpResponse) -> Option<String> {
    answer
        .json
        .as_ref()
        .and_then(|j| j.get("sessionId"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl Campaign for S2cCampaign {
    fn title(&self) -> String {
        "s2c provider: create and modify bodies".into()
    }

    fn control<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<(), FuzzError>> {
        Box::pin(async move {
            let answer = self.create_valid(http).await.map_err(|e| {
                FuzzError(format!(
                    "the positive control (a valid create to {}): {e}",
                    self.create_url
                ))
            })?;
            // Kept for the modify mutants; a modify to nothing would only find 404s.
            let id = session_id(&answer).filter(|id| self.session_url(id).is_some());
            if let Ok(mut slot) = self.modified.lock() {
                *slot = id;
            }
            Ok(())
        })
    }

    fn mutant(&self, rng: &mut Rng) -> Mutant {
        let has_session = self.modified.lock().is_ok_and(|s| s.is_some());
        if has_session {
            mutants::any_mutant(rng, self.unit_seconds)
        } else {
            mutants::mutant(rng, self.unit_seconds)
        }
    }

    fn case<'a>(
        &'a self,
        http: &'a HttpClient,
        via: &'static str,
        input: &'a [u8],
    ) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let request = if via == MODIFY {
                let id = self.modified.lock().ok().and_then(|s| s.clone())?;
                let url = self.session_url(&id)?;
                self.request("PATCH", url, Some(input.to_vec()))
            } else {
                self.request("POST", self.create_url.clone(), Some(input.to_vec()))
            };
            let answer = http.send(&request, REQUEST_TIMEOUT).await;
            let mut problem = mutants::judge(&answer);
            if let (Ok(r), Some(p)) = (&answer, problem.as_mut()) {
                if via == CREATE && (200..300).contains(&r.status) {
                    let fate = self.delete(http, r).await;
                    p.detail.push_str(&format!(" ({fate})"));
                }
            }
            problem
        })
    }

    fn after<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let modified = self.modified.lock().ok().and_then(|mut s| s.take());
            if let Some(url) = modified.and_then(|id| self.session_url(&id)) {
                let _ = http
                    .send(&self.request("DELETE", url, None), REQUEST_TIMEOUT)
                    .await;
            }
            match self.create_valid(http).await {
                Ok(answer) => {
                    self.delete(http, &answer).await;
                    None
                }
                Err(e) => Some(Problem::new(
                    oracle::ACCEPTED,
                    format!(
                        "the untouched create body is no longer created after the mutants: {e}"
                    ),
                )),
            }
        })
    }

    fn shrink(&self, via: &'static str, input: &[u8]) -> Vec<Vec<u8>> {
        let unit = self.unit_seconds;
        fuzz::body_candidates(input, |c| mutants::must_refuse(via, c, unit))
    }

    fn regression(&self, case: &RegressionCase<'_>) -> Option<String> {
        let text = std::str::from_utf8(case.input).ok()?;
        Some(regression_yaml(case, text))
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.credential.1.clone()]
    }
}

/// The regression scenario: the positive control, then the input through its
/// request, which must get 400 in the CAMARA shape.
fn regression_yaml(case: &RegressionCase<'_>, text: &str) -> String {
    let raw = fuzz::yaml_raw(text);
    let expect = r#"    expect:
      - {status: 400}
      - {schema: ErrorInfo, json: {"$.status": {num_eq: 400}, "$.code": {matches: "^(INVALID_ARGUMENT|OUT_OF_RANGE|S2C_VPN\\.[A-Z0-9_]+)$"}}}"#;
    let (needs, send) = if case.via == MODIFY {
        (
            "[session-shape, verbatim-bodies]",
            format!(
                r#"  - name: modify with the fuzzed body
    http:
      method: PATCH
      base: api
      path: "/sessions/{{{{ id }}}}"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}
  - name: clean up
    call: delete_session
    with: {{id: "{{{{ id }}}}"}}
    expect: {{status: 2xx}}
"#
            ),
        )
    } else {
        (
            "[verbatim-bodies]",
            format!(
                r#"  - name: clean up the control
    call: delete_session
    with: {{id: "{{{{ id }}}}"}}
    expect: {{status: 2xx}}
  - name: create with the fuzzed body
    http:
      method: POST
      base: api
      path: "{{{{ create_path }}}}"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}
"#
            ),
        )
    };
    let head = fuzz::regression_head(
        case,
        ("s2c", "provider"),
        "[S2C-03]",
        Some(needs),
        "the body is the shrunk input.",
    );
    format!(
        r#"{head}  - name: the valid body is created (positive control)
    call: create_session
    with: {{body: "{{{{ valid_session(60) }}}}"}}
    expect: {{status: 2xx}}
    save: {{id: out.session_id}}
{send}"#
    )
}

/// The campaign's endpoints and duration unit for an external target.
fn external(target: &Target) -> Result<S2cCampaign, FuzzError> {
    let section = target
        .section
        .as_any()
        .downcast_ref::<S2cTarget>()
        .ok_or_else(|| FuzzError("the target is not an S2C target".into()))?;
    let create = target.bindings.get("create_session");
    if create.is_some_and(|o| o.body.is_some()) {
        return Err(FuzzError(
            "bindings.create_session.body maps bodies into another shape; fuzzing needs the create binding to send bodies as written".into(),
        ));
    }
    if create.is_some_and(|o| o.method.as_deref().is_some_and(|m| m != "POST")) {
        return Err(FuzzError(
            "bindings.create_session.method is not POST; fuzzing needs the create binding to POST bodies".into(),
        ));
    }
    let base_name = create.and_then(|o| o.base.as_deref()).unwrap_or("api");
    let base = target
        .base(base_name)
        .ok_or_else(|| FuzzError(format!("the target has no {base_name} base URL")))?;
    let path = create
        .and_then(|o| o.path.as_deref())
        .unwrap_or("/sessions");
    if path.contains("{{") || path.contains("{%") {
        return Err(FuzzError(format!(
            "bindings.create_session.path `{path}` is a template; fuzzing needs a fixed create path"
        )));
    }
    let overridden = ["delete_session", "modify_session"]
        .iter()
        .any(|op| target.bindings.contains_key(*op));
    let sessions = match (overridden, target.base("api")) {
        (false, Some(api)) => Some(format!("{api}/sessions")),
        _ => None,
    };
    Ok(S2cCampaign {
        create_url: format!("{base}{path}"),
        sessions,
        credential: fuzz::harness_header(target),
        unit_seconds: section.unit_seconds,
        modified: Mutex::new(None),
        _running: None,
    })
}

/// The campaign of `crosscheck fuzz s2c --role provider`: against the target, or
/// against a built-in provider simulator with the requested faults.
pub async fn campaign(request: FuzzRequest<'_>) -> Result<Box<dyn Campaign>, FuzzError> {
    request.only_role("provider")?;
    if let Some(target) = request.target {
        return Ok(Box::new(external(target)?));
    }
    let http = HttpClient::new().map_err(|e| FuzzError(e.to_string()))?;
    let mut config = S2cConfig::new();
    config.switch_on(request.faults.iter().copied());
    let unit_seconds = config.unit_seconds;
    let running = stage::start(config, crate::profile::loopback(), http)
        .await
        .map_err(|e| FuzzError(e.to_string()))?;
    let url = running.served.url();
    Ok(Box::new(S2cCampaign {
        create_url: format!("{url}/sessions"),
        sessions: Some(format!("{url}/sessions")),
        credential: ("authorization".into(), format!("Bearer {TOKEN_CONSUMER_1}")),
        unit_seconds,
        modified: Mutex::new(None),
        _running: Some(Box::new(running)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regressions_quote_the_input() {
        let case = RegressionCase {
            id: "fuzz-create-bad-ip-3",
            via: CREATE,
            class: "bad IP",
            input: br#"{"a":"{{x}}"}"#,
            label: "insert \"x\"",
            oracle: oracle::NO_5XX,
        };
        let yaml = regression_yaml(&case, r#"{"a":"{{x}}"}"#);
        assert!(
            serde_saphyr::from_str::<serde_json::Value>(&yaml).is_ok(),
            "{yaml}"
        );
        assert!(
            yaml.contains(r#"raw: "{% raw %}{\"a\":\"{{x}}\"}{% endraw %}""#),
            "{yaml}"
        );
        assert!(yaml.contains("id: fuzz-create-bad-ip-3"), "{yaml}");
    }
}
