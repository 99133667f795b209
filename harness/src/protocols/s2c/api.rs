//! The provider simulator over HTTP: credentials, `x-correlator`, CAMARA error bodies,
//! and the routes of the CAMARA binding (PROTOCOLS.md §2 default binding). The draft's
//! routes are in `draft.rs`; both call the same [`Provider`].

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use regex::Regex;
use serde_json::{json, Value};

use super::config::Shape;
use super::draft;
use super::fault::Fault;
use super::sim::{ApiError, Provider};
use super::variation::Variation;
use crate::peers::read_request;

/// The `x-correlator` header.
pub const CORRELATOR: &str = "x-correlator";

/// A request after the checks every route shares.
#[derive(Debug)]
pub struct Incoming {
    /// Method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The consumer (its token).
    pub owner: String,
    /// The body, parsed; `Err` holds why it is not JSON (empty bodies included).
    pub json: Result<Value, BodyError>,
}

/// Why a request's body is no JSON value.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// There is no body.
    #[error("the body is empty")]
    Empty,
    /// The body does not parse.
    #[error("the body is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
}

impl Incoming {
    /// The body as JSON, or a 400.
    pub fn body(&self, provider: &Provider) -> Result<&Value, ApiError> {
        self.json.as_ref().map_err(|why| {
            ApiError::new(400, "INVALID_ARGUMENT", provider.message(why.to_string()))
        })
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

/// What a route answers: a status and a JSON body, or nothing (204).
pub type Answer = Result<(u16, Option<Value>), ApiError>;

fn correlator_ok(value: &str) -> bool {
    static PATTERN: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r"^[a-zA-Z0-9\-_:;./<>{}]{0,256}$").ok())
        .as_ref()
        .is_some_and(|r| r.is_match(value))
}

/// The router of a provider in its shape, test clock included.
pub fn router(provider: Arc<Provider>, clock: crate::clock::TestClock) -> Router {
    Router::new()
        .fallback(handle)
        .with_state(provider)
        .merge(crate::clock::routes(clock))
}

async fn handle(State(provider): State<Arc<Provider>>, request: Request) -> Response {
    let query = request.uri().query().map(str::to_string);
    let recorded = match read_request(request, 0).await {
        Ok(r) => r,
        Err(too_large) => return too_large,
    };
    let correlator = recorded.header(CORRELATOR).map(str::to_string);
    let answer = answer(&provider, recorded, query, correlator.as_deref()).await;
    render(&provider, answer, correlator)
}

async fn answer(
    provider: &Provider,
    recorded: crate::peers::RecordedRequest,
    query: Option<String>,
    correlator: Option<&str>,
) -> Answer {
    if correlator.is_some_and(|c| !correlator_ok(c)) {
        return Err(ApiError::new(
            400,
            "INVALID_ARGUMENT",
            provider.message("x-correlator does not match its pattern".into()),
        ));
    }
    let owner = authenticate(provider, recorded.header("authorization"))?;
    let json = if recorded.body.is_empty() {
        Err(BodyError::Empty)
    } else {
        serde_json::from_slice(&recorded.body).map_err(BodyError::from)
    };
    let incoming = Incoming {
        method: recorded.method,
        path: recorded.path,
        query,
        owner,
        json,
    };
    match provider.config.shape {
        Shape::Camara => camara(provider, &incoming).await,
        Shape::Draft => draft::route(provider, &incoming).await,
    }
}

fn authenticate(provider: &Provider, header: Option<&str>) -> Result<String, ApiError> {
    let unauthenticated =
        |why: &str| ApiError::new(401, "UNAUTHENTICATED", provider.message(why.into()));
    let token = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("a bearer token is required"))?;
    let config = &provider.config;
    if config.consumers.iter().any(|c| c == token) {
        return Ok(token.to_string());
    }
    if config.expired.iter().any(|c| c == token) {
        return match (
            config.has(Fault::AcceptsExpiredToken),
            config.consumers.first(),
        ) {
            (true, Some(first)) => Ok(first.clone()),
            _ => Err(unauthenticated("the access token has expired")),
        };
    }
    Err(unauthenticated("the access token is not valid"))
}

fn not_found(provider: &Provider, incoming: &Incoming) -> ApiError {
    ApiError::new(
        404,
        "NOT_FOUND",
        provider.message(format!("no route {} {}", incoming.method, incoming.path)),
    )
}

async fn camara(provider: &Provider, r: &Incoming) -> Answer {
    let parts: Vec<&str> = r.path.trim_matches('/').split('/').collect();
    let owner = r.owner.as_str();
    let ok = |v: Value| Ok((200, Some(v)));
    match (r.method.as_str(), parts.as_slice()) {
        ("POST", ["sessions"]) => provider
            .create(owner, r.body(provider)?)
            .map(|v| (201, Some(v))),
        ("GET", ["sessions", id]) => provider.get(owner, id).and_then(ok),
        ("PATCH", ["sessions", id]) => {
            // The owner is checked before the body, so that another consumer's PATCH
            // learns nothing from validation.
            provider.get(owner, id)?;
            provider.modify(owner, id, r.body(provider)?).and_then(ok)
        }
        ("DELETE", ["sessions", id]) => provider.delete(owner, id).await.map(|_| (204, None)),
        ("POST", ["sessions", id, "extend"]) => {
            provider.get(owner, id).or_else(|e| {
                if provider.config.has(Fault::ExtendsExpired) && e.status == 404 {
                    Ok(Value::Null)
                } else {
                    Err(e)
                }
            })?;
            provider.extend(owner, id, r.body(provider)?).and_then(ok)
        }
        ("POST", ["assessments"]) => provider.assess(r.body(provider)?).and_then(ok),
        (_, ["sessions"] | ["sessions", _] | ["sessions", _, "extend"] | ["assessments"]) => {
            let allow = match parts.as_slice() {
                ["sessions", _] => "GET, PATCH, DELETE",
                _ => "POST",
            };
            Err(ApiError::new(
                405,
                "METHOD_NOT_ALLOWED",
                provider.message(format!("{} is not allowed on {}", r.method, r.path)),
            )
            .allowing(allow))
        }
        _ if provider.config.has(Fault::AnswersUnknownPaths) => ok(json!({})),
        _ => Err(not_found(provider, r)),
    }
}

fn render(provider: &Provider, answer: Answer, correlator: Option<String>) -> Response {
    let config = &provider.config;
    let is_error = answer.is_err();
    let allow = match &answer {
        Err(e) if !config.has(Fault::MethodNotAllowedWithoutAllow) => e.allow,
        _ => None,
    };
    let (status, body) = match answer {
        Ok(ok) => ok,
        Err(e) => {
            let shown = if config.has(Fault::ErrorStatusMismatch) {
                400
            } else {
                e.status
            };
            (
                e.status,
                Some(json!({"status": shown, "code": e.code, "message": e.message})),
            )
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match body {
        Some(b) => (status, axum::Json(b)).into_response(),
        None => status.into_response(),
    };
    if let Some(methods) = allow {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, HeaderValue::from_static(methods));
    }
    let echoed = match correlator {
        Some(_) if is_error && config.has(Fault::NoCorrelatorOnErrors) => None,
        Some(c) if correlator_ok(&c) => Some(c),
        Some(_) => None,
        None if config.varies(Variation::GeneratedCorrelator) => {
            Some(uuid::Uuid::new_v4().to_string())
        }
        None => None,
    };
    if let Some(value) = echoed.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(CORRELATOR), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correlator_pattern() {
        assert!(correlator_ok("b4333c46-49c0-4f62-80d7-f0ef930f1c46"));
        assert!(correlator_ok("a:b;c./<>{}_"));
        assert!(correlator_ok(""));
        assert!(!correlator_ok("has space"));
        assert!(!correlator_ok(&"a".repeat(257)));
        assert!(!correlator_ok("quote\""));
    }
}
