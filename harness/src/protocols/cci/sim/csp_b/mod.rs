//! The reference CSP B: takes the customer's key, checks it locally, asks A to confirm
//! it exactly once, and moves to NEGOTIATION or deletes its pending connection; in v1
//! it then negotiates the connection with A ([`negotiation`]) and serves its own
//! connection to A.

mod delete;
mod negotiation;
mod update;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::clock::TestClock;
use crate::http::{HttpClient, HttpRequest};
use crate::protocols::cci::intent::key::{self, Dialect, KeyFields};
use crate::protocols::cci::lifecycle::negotiator::Negotiator;
use crate::protocols::cci::lifecycle::route;
use crate::protocols::cci::sim::csp_a::{NEGOTIATION, PENDING};
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::world::SimConfig;

/// B's state after a failed confirmation (never NEGOTIATION).
pub const FAILED: &str = "FAILED";

#[derive(Debug, Clone)]
struct Connection {
    id: String,
    state: &'static str,
    /// Its environment, as the key named it (or as a careless B guessed it).
    environment: String,
    /// The key's sharedConnectionUuid (`None` when B skipped its checks).
    uuid: Option<String>,
    /// The bandwidth in service, in Mbps (the key's size until an update).
    in_service: u32,
    /// The confirmation `b-reconfirms-later` sends again on the next read.
    reconfirm: Option<HttpRequest>,
}

/// Why B refuses a key locally, without asking A.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LocalRefusal(pub String);

impl From<String> for LocalRefusal {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for LocalRefusal {
    fn from(message: &str) -> Self {
        Self(message.to_string())
    }
}

/// A running CSP B's state.
#[derive(Debug)]
pub struct CspB {
    config: SimConfig,
    clock: TestClock,
    http: HttpClient,
    connections: Mutex<HashMap<String, Connection>>,
    negotiator: Negotiator,
}

impl CspB {
    /// A CSP B with no connections.
    pub fn new(config: SimConfig, clock: TestClock) -> Result<Self, crate::http::TransportError> {
        Ok(Self {
            config,
            clock,
            http: HttpClient::new()?,
            connections: Mutex::new(HashMap::new()),
            negotiator: Negotiator::default(),
        })
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<String, Connection>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The sim's HTTP surface: customer API and test clock.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/customer/activation-keys/describe", post(describe))
            .route("/customer/connections/accept", post(accept))
            .route(
                "/customer/connections/{id}",
                get(read)
                    .patch(update::customer_update)
                    .delete(delete::customer_delete),
            )
            .fallback(provider_api)
            .with_state(self.clone())
            .merge(crate::clock::routes(self.clock.clone()))
    }

    /// Checks a key the way B must before involving A.
    fn check_locally(&self, key: &str) -> Result<KeyFields, LocalRefusal> {
        let object = key::decode(key).map_err(|e| LocalRefusal::from(e.to_string()))?;
        let fields = self
            .config
            .dialect
            .parse(&object)
            .map_err(|e| LocalRefusal::from(e.to_string()))?;
        if !self.config.knows(&fields.environment) {
            return Err(LocalRefusal::from(format!(
                "unknown environment `{}`",
                fields.environment
            )));
        }
        if !self
            .config
            .offers(&fields.environment, fields.connection_size_mbps)
        {
            return Err(LocalRefusal::from(format!(
                "{} Mbps is not offered on `{}`",
                fields.connection_size_mbps, fields.environment
            )));
        }
        if self.config.dialect == Dialect::V1
            && fields.destination_account != self.config.customer_account
            && !self.config.has(Fault::BIgnoresAccount)
        {
            return Err(LocalRefusal::from("the key is for another account"));
        }
        Ok(fields)
    }

    /// What a careless B extracts when it skips its checks: whatever environment it can find.
    fn guess_environment(key: &str) -> String {
        let object = key::decode_lenient(key);
        let lookup = |name: &str| {
            object
                .as_ref()
                .and_then(|o| o.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        lookup("environment")
            .or_else(|| {
                lookup("destinationEnvironmentUri")
                    .and_then(|u| key::split_environment_uri(&u).map(|(_, e)| e))
            })
            .unwrap_or_else(|| "unknown".into())
    }

    fn confirm_request(&self, environment: &str, presented: &str) -> HttpRequest {
        let base = self.config.peer_base.clone().unwrap_or_default();
        let caller = if self.config.has(Fault::BWrongCaller) {
            &self.config.peer_id
        } else {
            &self.config.own_id
        };
        let sent = if self.config.has(Fault::BReencodesKey) {
            match key::decode(presented) {
                Ok(object) => {
                    let sorted: BTreeMap<String, Value> = object.into_iter().collect();
                    key::encode_bytes(&serde_json::to_vec(&sorted).unwrap_or_default())
                }
                Err(_) => presented.to_string(),
            }
        } else {
            presented.to_string()
        };
        let mut body = Map::new();
        body.insert(
            self.config.dialect.confirm_body_field().into(),
            Value::String(sent),
        );
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if !self.config.has(Fault::BNoCredentials) {
            headers.push((
                "authorization".into(),
                format!("Bearer {}", self.config.own_token),
            ));
        }
        HttpRequest {
            method: "POST".into(),
            url: format!(
                "{base}/providers/{caller}/environments/{environment}/ConfirmActivationKey"
            ),
            headers,
            body: Some(Value::Object(body).to_string().into_bytes()),
        }
    }

    /// Asks A; returns the state the connection moves to.
    async fn ask_a(&self, environment: &str, presented: &str) -> &'static str {
        if self.config.has(Fault::BCallsBeforeConfirm) {
            let base = self.config.peer_base.clone().unwrap_or_default();
            let peek = HttpRequest {
                method: "GET".into(),
                url: format!(
                    "{base}/providers/{}/environments/{environment}",
                    self.config.own_id
                ),
                headers: vec![(
                    "authorization".into(),
                    format!("Bearer {}", self.config.own_token),
                )],
                body: None,
            };
            let _ = self.http.send(&peek, self.config.peer_timeout).await;
        }
        let request = self.confirm_request(environment, presented);
        let mut answer = self.http.send(&request, self.config.peer_timeout).await;
        if self.config.has(Fault::BConfirmsTwice) {
            answer = self.http.send(&request, self.config.peer_timeout).await;
        }
        let lenient = self.config.has(Fault::BLenientKeyValid);
        let state = match answer {
            Err(_) if self.config.has(Fault::BFailOpen) => NEGOTIATION,
            Err(_) => FAILED,
            Ok(r) if r.status >= 500 && self.config.has(Fault::BFailOpen) => NEGOTIATION,
            Ok(r) if r.status != 200 => FAILED,
            Ok(r) => match r.json.as_ref().map(|j| j.get("keyValid")) {
                Some(Some(Value::Bool(true))) => NEGOTIATION,
                Some(Some(Value::Bool(false))) if self.config.has(Fault::BKeepsOnInvalid) => {
                    PENDING
                }
                Some(Some(Value::Bool(false))) => "DELETED",
                Some(_) if lenient => NEGOTIATION,
                _ => FAILED,
            },
        };
        state
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// The customer's key from a describe/accept body, or why there is none.
fn presented_key(body: &[u8]) -> Result<String, &'static str> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "body is not JSON")?;
    value
        .get("activationKey")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or("activationKey (string) is required")
}

async fn describe(State(b): State<Arc<CspB>>, body: axum::body::Bytes) -> Response {
    let presented = match presented_key(&body) {
        Ok(k) => k,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    if b.config.has(Fault::BDescribeCallsA) {
        let request = b.confirm_request(&CspB::guess_environment(&presented), &presented);
        let _ = b.http.send(&request, b.config.peer_timeout).await;
    }
    match b.check_locally(&presented) {
        Ok(f) => {
            let mut details = json!({
                "environment": f.environment,
                "connectionSizeMbps": f.connection_size_mbps,
            });
            if b.config.dialect == Dialect::V1 {
                details["remoteAccountId"] = Value::String(f.destination_account);
                details["sharedConnectionUuid"] = Value::String(f.material);
            }
            Json(details).into_response()
        }
        Err(why) => error(StatusCode::BAD_REQUEST, why.0),
    }
}

async fn accept(State(b): State<Arc<CspB>>, body: axum::body::Bytes) -> Response {
    if b.config.has(Fault::BAcceptAlways404) {
        return error(StatusCode::NOT_FOUND, "no such key");
    }
    let presented = match presented_key(&body) {
        Ok(k) => k,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let (environment, fields) = if b.config.has(Fault::BSkipsLocalChecks) {
        (CspB::guess_environment(&presented), None)
    } else {
        match b.check_locally(&presented) {
            Ok(f) => (f.environment.clone(), Some(f)),
            Err(why) => return error(StatusCode::BAD_REQUEST, why.0),
        }
    };
    let id = format!("conn-b-{}", uuid::Uuid::new_v4().simple());
    let initial = if b.config.has(Fault::BNoConfirm) {
        NEGOTIATION
    } else {
        PENDING
    };
    b.connections().insert(
        id.clone(),
        Connection {
            id: id.clone(),
            state: initial,
            environment: environment.clone(),
            uuid: fields.as_ref().map(|f| f.material.clone()),
            in_service: fields.as_ref().map_or(0, |f| f.connection_size_mbps),
            reconfirm: None,
        },
    );
    if !b.config.has(Fault::BNoConfirm) {
        let b = b.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let next = b.ask_a(&environment, &presented).await;
            let reconfirm = (next == NEGOTIATION && b.config.has(Fault::BReconfirmsLater))
                .then(|| b.confirm_request(&environment, &presented));
            {
                let mut connections = b.connections();
                if next == "DELETED" {
                    connections.remove(&id);
                } else if let Some(c) = connections.get_mut(&id) {
                    c.state = next;
                    c.reconfirm = reconfirm;
                }
            }
            // v1 has a lifecycle: B goes on as the negotiator.
            let lifecycle = b.config.dialect == Dialect::V1 && b.config.peer_base.is_some();
            if let (NEGOTIATION, true, Some(f)) = (next, lifecycle, fields) {
                let intent = negotiation::Intent {
                    customer: id,
                    environment,
                    size: f.connection_size_mbps,
                    uuid: f.material,
                    key: presented,
                };
                b.negotiate(intent).await;
            }
        });
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({"connectionId": id, "state": initial})),
    )
        .into_response()
}

async fn read(State(b): State<Arc<CspB>>, Path(id): Path<String>) -> Response {
    // Taken under the lock, sent without it: the confirmation reaches A before the read
    // is answered, so the fault is seen the same way on any clock.
    let reconfirm = b
        .connections()
        .get_mut(&id)
        .and_then(|c| c.reconfirm.take());
    if let Some(request) = reconfirm {
        let _ = b.http.send(&request, b.config.peer_timeout).await;
    }
    match b.connections().get(&id) {
        Some(c) if c.state == FAILED && b.config.has(Fault::BGet500AfterFailure) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "confirmation failed")
        }
        Some(c) => {
            let mut shown = json!({"connectionId": c.id, "state": c.state});
            if c.in_service > 0 {
                shown["connectionSizeMbps"] = json!(c.in_service);
            }
            Json(shown).into_response()
        }
        None => error(StatusCode::NOT_FOUND, format!("no connection {id}")),
    }
}

/// B's provider API for its peer: its own connections, features and the peer's
/// NotifyConnectionStatus (v1); any other path is 404.
async fn provider_api(State(b): State<Arc<CspB>>, request: Request) -> Response {
    let recorded = match crate::peers::read_request(request, 0).await {
        Ok(r) => r,
        Err(too_large) => return too_large,
    };
    let unknown = || {
        error(
            StatusCode::NOT_FOUND,
            format!("no such path: {}", recorded.path),
        )
    };
    let Some(rest) = recorded.path.strip_prefix(b.config.api_prefix.as_str()) else {
        return unknown();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let Some((Some(caller), route)) = route::parse(&parts) else {
        return unknown();
    };
    if b.config.dialect != Dialect::V1 {
        return unknown();
    }
    let presented = recorded.header(&b.config.credential_header).map(str::trim);
    let Some(owner) = presented.and_then(|t| b.config.peer_tokens.get(t)) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or unknown peer credentials",
        );
    };
    if owner != caller {
        return error(
            StatusCode::FORBIDDEN,
            format!("credentials belong to {owner}, not {caller}"),
        );
    }
    if let route::Route::Connection(e, x, id) = &route {
        match recorded.method.as_str() {
            "PATCH" => {
                if let Some(refused) = b.peer_update((e, x, id), &recorded) {
                    return refused.into_response();
                }
            }
            "DELETE" => {
                if let Some(done) = b.peer_delete((e, x, id)) {
                    return done.into_response();
                }
            }
            _ => {}
        }
    }
    match b.negotiator.reply(b.clock.now(), caller, &route, &recorded) {
        Some((reply, notified)) => {
            if let Some(uuid) = notified {
                tokio::spawn(b.clone().notified(uuid));
            }
            reply.into_response()
        }
        None => unknown(),
    }
}
