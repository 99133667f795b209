//! The reference CSP A: issues ActivationKeys to its customer and confirms them to B.
//!
//! The same confirm logic answers as the harness's mock CSP A when the IUT is B.

mod activation;
mod repair;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::clock::TestClock;
use crate::peers::{read_request, PeerReply, RecordedRequest};
use crate::protocols::cci::intent::key::{self, Dialect, KeyFields};
use crate::protocols::cci::lifecycle;
use crate::protocols::cci::lifecycle::responder::{KeyFacts, Responder};
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;
use crate::protocols::cci::sim::world::SimConfig;

/// Connection states the customer API reports.
pub const PENDING: &str = "PENDING";
/// Intent established.
pub const NEGOTIATION: &str = "NEGOTIATION";
/// The connection is VERIFIED with the peer (CCI-L-41).
pub const ACTIVE: &str = "ACTIVE";

#[derive(Debug, Clone)]
struct Connection {
    id: String,
    environment: String,
    size: u32,
    key: String,
    material: String,
    issued_at: Duration,
    state: &'static str,
    confirmed: bool,
    deleted: bool,
}

#[derive(Debug, Default)]
struct Books {
    connections: HashMap<String, Connection>,
    by_key: HashMap<String, String>,
    counter: u64,
}

/// A running CSP A's state.
#[derive(Debug)]
pub struct CspA {
    config: SimConfig,
    clock: TestClock,
    books: Mutex<Books>,
    responder: Responder,
    activations: activation::Activations,
    http: crate::http::HttpClient,
}

/// Why an issue request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl CspA {
    /// A CSP A with no connections.
    pub fn new(config: SimConfig, clock: TestClock) -> Result<Self, crate::http::TransportError> {
        Ok(Self {
            config,
            clock,
            books: Mutex::new(Books::default()),
            responder: Responder::default(),
            activations: activation::Activations::default(),
            http: crate::http::HttpClient::new()?,
        })
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a key for a new PENDING connection; returns (connection id, key).
    pub fn issue(
        &self,
        environment: &str,
        size: u32,
        account: &str,
    ) -> Result<(String, String), Refusal> {
        if !self.config.has(Fault::AAcceptsUnknownEnv) {
            if !self.config.knows(environment) {
                return Err(Refusal(format!("unknown environment `{environment}`")));
            }
            let offered = if self.config.has(Fault::ASizesFromAnyEnv) {
                self.config
                    .environments
                    .iter()
                    .any(|e| e.sizes.contains(&size))
            } else {
                self.config.offers(environment, size)
            };
            if !offered {
                return Err(Refusal(format!(
                    "{size} Mbps is not offered on `{environment}`"
                )));
            }
        }
        if self.config.dialect == Dialect::V1 && account.is_empty() {
            return Err(Refusal("remoteAccountId is required".into()));
        }
        let mut books = self.books();
        books.counter += 1;
        let material = if self.config.has(Fault::ASequentialMaterial) {
            match self.config.dialect {
                Dialect::Seed => format!("km-{:012}", books.counter),
                Dialect::V1 => format!("00000000-0000-4000-8000-{:012}", books.counter),
            }
        } else {
            match self.config.dialect {
                Dialect::Seed => uuid::Uuid::new_v4().simple().to_string(),
                Dialect::V1 => uuid::Uuid::new_v4().to_string(),
            }
        };
        let key_size = if self.config.has(Fault::AKeyDefaultSize) {
            self.config
                .environments
                .iter()
                .find(|e| e.id == environment)
                .and_then(|e| e.sizes.first().copied())
                .unwrap_or(size)
        } else {
            size
        };
        let fields = KeyFields {
            environment: environment.to_string(),
            connection_size_mbps: key_size,
            material: material.clone(),
            destination_account: account.to_string(),
            destination_provider: self.config.peer_id.clone(),
        };
        let key = key::encode_object(&self.config.dialect.build(&fields));
        let id = format!("conn-a-{}", uuid::Uuid::new_v4().simple());
        books.by_key.insert(key.clone(), id.clone());
        books.connections.insert(
            id.clone(),
            Connection {
                id: id.clone(),
                environment: environment.to_string(),
                size,
                key: key.clone(),
                material,
                issued_at: self.clock.now(),
                state: if self.config.has(Fault::AWrongInitialState) {
                    "REQUESTED"
                } else {
                    PENDING
                },
                confirmed: false,
                deleted: false,
            },
        );
        Ok((id, key))
    }

    /// Answers a request to the provider-to-provider API.
    pub fn peer_reply(self: &Arc<Self>, request: &RecordedRequest) -> PeerReply {
        let parts: Vec<&str> = match request.path.strip_prefix(self.config.api_prefix.as_str()) {
            Some(rest) => rest.split('/').collect(),
            None => Vec::new(),
        };
        let (caller, env) = match parts.as_slice() {
            ["", "providers", caller, "environments", env, "ConfirmActivationKey"] => {
                (*caller, *env)
            }
            _ if self.config.has(Fault::ACatchAll200) => return PeerReply::json(200, &json!({})),
            _ => match lifecycle::route::parse(&parts) {
                Some((caller, route)) if self.config.dialect == Dialect::V1 => {
                    return self.lifecycle_reply(caller, &route, request)
                }
                _ => return not_found(&request.path),
            },
        };
        if request.method != "POST" {
            let mut reply = PeerReply::json(405, &json!({"error": "use POST"}));
            if !self.config.has(Fault::A405WithoutAllow) {
                reply.headers.push(("allow".into(), "POST".into()));
            }
            return reply;
        }
        if let Some(refusal) = self.refuse_caller(request, Some(caller)) {
            return refusal;
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(_) if self.config.has(Fault::A500OnGarbage) => {
                return PeerReply {
                    status: 500,
                    content_type: Some("text/plain".into()),
                    headers: vec![],
                    body: b"internal error".to_vec(),
                }
            }
            Err(e) => {
                return PeerReply::json(400, &json!({"error": format!("body is not JSON: {e}")}))
            }
        };
        let field = self.config.dialect.confirm_body_field();
        if let Some(other) = self.config.dialect.other_key_field() {
            if body.get(other).is_some() && !self.config.has(Fault::AAcceptsBothKeyFields) {
                return PeerReply::json(
                    400,
                    &json!({"error": format!("give the key in `{field}` alone: `{other}` is deprecated, and a body with both is ambiguous")}),
                );
            }
        }
        let presented = match body.get(field) {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return PeerReply::json(
                    400,
                    &json!({"error": format!("`{field}` must be a string")}),
                )
            }
            None => {
                return PeerReply::json(400, &json!({"error": format!("`{field}` is required")}))
            }
        };
        if self.config.has(Fault::AEmptyOnReencoded) && self.is_reencoding(&presented) {
            return PeerReply::json(200, &json!({}));
        }
        let valid = self.confirm(env, &presented);
        let mut reply = PeerReply::json(200, &json!({ "keyValid": valid }));
        if self.config.has(Fault::ATextPlain) {
            reply.content_type = Some("text/plain".into());
        }
        reply
    }

    /// 401 without valid peer credentials, 403 when they belong to another provider
    /// than the `caller` the path names (`None`: a path that names no caller).
    fn refuse_caller(&self, request: &RecordedRequest, caller: Option<&str>) -> Option<PeerReply> {
        if self.config.has(Fault::ANoCallerCheck) {
            return None;
        }
        let presented = request
            .header(&self.config.credential_header)
            .map(str::trim);
        let Some(owner) = presented.and_then(|t| self.config.peer_tokens.get(t)) else {
            return Some(PeerReply::json(
                401,
                &json!({"error": "missing or unknown peer credentials"}),
            ));
        };
        match caller {
            Some(c) if owner != c && !self.config.has(Fault::AIgnoresCallerPath) => {
                Some(PeerReply::json(
                    403,
                    &json!({"error": format!("credentials belong to {owner}, not {c}")}),
                ))
            }
            _ => None,
        }
    }

    /// Answers a lifecycle request (v1 only), after the same credential checks as a
    /// confirm.
    fn lifecycle_reply(
        self: &Arc<Self>,
        caller: Option<&str>,
        route: &lifecycle::route::Route<'_>,
        request: &RecordedRequest,
    ) -> PeerReply {
        let open =
            self.config.has(Fault::ALcOpenReads) && request.method == "GET" && route.is_static();
        let path_caller = caller.filter(|_| !self.config.has(Fault::ALcIgnoresCallerPath));
        if let Some(refusal) = self.refuse_caller(request, path_caller).filter(|_| !open) {
            let unknown = caller.is_some_and(|c| {
                c != self.config.own_id && !self.config.peer_tokens.values().any(|p| p == c)
            });
            if refusal.status == 403
                && unknown
                && self
                    .config
                    .variations
                    .contains(&Variation::UnknownCaller404)
            {
                return PeerReply::json(404, &json!({"error": "no such provider"}));
            }
            return refusal;
        }
        let caller = caller.unwrap_or(&self.config.peer_id);
        let facts = |uuid: &str| {
            let books = self.books();
            books
                .connections
                .values()
                .find(|c| c.material == uuid)
                .map(|c| KeyFacts {
                    environment: c.environment.clone(),
                    size: c.size,
                    key: c.key.clone(),
                    confirmed: c.confirmed,
                    deleted: c.deleted,
                })
        };
        // Owner repair is decided before the feature goes (CCI-L-56).
        let repair = match route {
            lifecycle::route::Route::Feature(_, _, uuid, f) if request.method == "DELETE" => {
                self.repair_due(uuid, f).map(|c| ((*uuid).to_string(), c))
            }
            _ => None,
        };
        let reply = self.responder.reply(
            self.clock.now(),
            &self.config,
            caller,
            route,
            request,
            &facts,
        );
        if reply.status == 404 && !route.is_static() && self.config.has(Fault::ALcTextNotFound) {
            return PeerReply {
                status: 404,
                content_type: Some("text/plain".into()),
                headers: vec![],
                body: b"Not Found".to_vec(),
            };
        }
        let granted = request.method == "POST" && (200..300).contains(&reply.status);
        let drives = granted && self.config.peer_base.is_some();
        if let lifecycle::route::Route::Connections(env, ix) = route {
            if let Some(uuid) = request.query_param("connectionId").filter(|_| granted) {
                if self.config.has(Fault::ALcProposesBack) {
                    self.ask_peer_for_guidance(env, ix, &uuid);
                }
                if drives {
                    tokio::spawn(self.clone().activate(uuid));
                }
            }
        }
        if let Some((uuid, channel)) = repair {
            let deleted = (200..300).contains(&reply.status);
            if deleted && self.config.peer_base.is_some() {
                tokio::spawn(self.clone().repair(uuid, channel));
            }
        }
        if let lifecycle::route::Route::Notify(env, ix, uuid) = route {
            if drives {
                tokio::spawn(self.clone().notified(
                    (*env).to_string(),
                    (*ix).to_string(),
                    (*uuid).to_string(),
                ));
            }
        }
        // The peer's delete reaches the customer: the connection is gone there too.
        if let lifecycle::route::Route::Connection(_, _, uuid) = route {
            let deleted = request.method == "DELETE" && (200..300).contains(&reply.status);
            if deleted && !self.config.has(Fault::ALcDeleteCustomerUnaware) {
                let mut books = self.books();
                if let Some(c) = books.connections.values_mut().find(|c| c.material == *uuid) {
                    c.deleted = true;
                }
            }
        }
        reply
    }

    /// Decides a confirmation, and on success moves the connection to NEGOTIATION.
    fn confirm(&self, path_env: &str, presented: &str) -> bool {
        let mut books = self.books();
        let id = if self.config.has(Fault::AAcceptsReencoded)
            || self.config.has(Fault::AMatchesMaterialOnly)
        {
            self.find_loosely(&books, presented)
        } else {
            books.by_key.get(presented).cloned()
        };
        let Some(id) = id else {
            return self.config.has(Fault::AAcceptsSpoofed)
                && self.looks_like_a_key(path_env, presented);
        };
        let now = self.clock.now();
        let lifetime = self.config.key_lifetime;
        let faults = &self.config.faults;
        let Some(conn) = books.connections.get_mut(&id) else {
            return false;
        };
        let env_ok = conn.environment == path_env || faults.contains(&Fault::AIgnoresEnvPath);
        let alive = !conn.deleted || faults.contains(&Fault::AKeepsDeletedKeys);
        let fresh = !conn.confirmed || faults.contains(&Fault::AAcceptsReuse);
        let in_time =
            now.saturating_sub(conn.issued_at) < lifetime || faults.contains(&Fault::ANoExpiry);
        let valid = env_ok && alive && fresh && in_time;
        if valid {
            conn.confirmed = true;
            if !faults.contains(&Fault::AStaysPending) && !conn.deleted {
                conn.state = NEGOTIATION;
            }
        }
        valid
    }

    /// Whether `presented` is not an issued key but decodes to one's JSON.
    fn is_reencoding(&self, presented: &str) -> bool {
        let books = self.books();
        if books.by_key.contains_key(presented) {
            return false;
        }
        let Some(decoded) = key::decode_lenient(presented) else {
            return false;
        };
        books
            .connections
            .values()
            .any(|c| key::decode_lenient(&c.key).is_some_and(|issued| issued == decoded))
    }

    fn find_loosely(&self, books: &Books, presented: &str) -> Option<String> {
        let decoded = key::decode_lenient(presented)?;
        books.connections.values().find_map(|c| {
            let issued = key::decode_lenient(&c.key)?;
            let hit = if self.config.has(Fault::AMatchesMaterialOnly) {
                decoded
                    .get(self.config.dialect.material_field())
                    .and_then(Value::as_str)
                    == Some(c.material.as_str())
            } else {
                decoded == issued
            };
            hit.then(|| c.id.clone())
        })
    }

    fn looks_like_a_key(&self, path_env: &str, presented: &str) -> bool {
        key::decode(presented)
            .ok()
            .and_then(|object| self.config.dialect.parse(&object).ok())
            .is_some_and(|f| f.environment == path_env && self.config.knows(path_env))
    }

    /// The sim's HTTP surface: customer API, provider API, test clock.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/customer/connections", post(create))
            .route("/customer/connections/{id}", get(read).delete(remove))
            .fallback(peer_api)
            .with_state(self.clone())
            .merge(crate::clock::routes(self.clock.clone()))
    }
}

fn not_found(path: &str) -> PeerReply {
    PeerReply::json(404, &json!({"error": format!("no such path: {path}")}))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

async fn create(State(a): State<Arc<CspA>>, body: axum::body::Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    let Some(environment) = body.get("environment").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "environment (string) is required");
    };
    let Some(size) = body
        .get("connectionSizeMbps")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "connectionSizeMbps (integer) is required",
        );
    };
    let account = body
        .get("remoteAccountId")
        .and_then(Value::as_str)
        .unwrap_or("");
    match a.issue(environment, size, account) {
        Ok((id, key)) => {
            if a.config.has(Fault::AEagerNotify) {
                a.notify_peer_early(environment, &id);
            }
            (
                StatusCode::CREATED,
                Json(json!({"connectionId": id, "activationKey": key, "state": a.state_of(&id)})),
            )
                .into_response()
        }
        Err(Refusal(why)) => error(StatusCode::BAD_REQUEST, why),
    }
}

impl CspA {
    fn state_of(&self, id: &str) -> &'static str {
        self.books()
            .connections
            .get(id)
            .map_or(PENDING, |c| c.state)
    }

    /// The fault's own GenerateFeatureGuidance to the negotiator (CCI-L-30).
    /// Forgets placed connection `uuid` with its features (A deleted it itself).
    pub fn forget_placed(&self, uuid: &str) {
        self.responder.forget(&self.config, uuid);
    }

    /// The customer's connection behind sharedConnectionUuid `uuid` turns ACTIVE.
    fn customer_active(&self, uuid: &str) {
        let mut books = self.books();
        if let Some(c) = books
            .connections
            .values_mut()
            .find(|c| c.material == uuid && !c.deleted)
        {
            c.state = ACTIVE;
        }
    }

    fn ask_peer_for_guidance(self: &Arc<Self>, environment: &str, interconnect: &str, id: &str) {
        self.post_to_peer(
            &format!("environments/{environment}/interconnects/{interconnect}/connections/{id}/GenerateFeatureGuidance"),
            b"{}".to_vec(),
        );
    }

    fn notify_peer_early(self: &Arc<Self>, environment: &str, id: &str) {
        self.post_to_peer(
            &format!("environments/{environment}/connections"),
            json!({"connectionId": id}).to_string().into_bytes(),
        );
    }

    /// POSTs `body` to `{peer_base}/providers/{own}/{path}` in the background, with A's
    /// credentials (a fault's unwanted call; the answer does not matter).
    fn post_to_peer(self: &Arc<Self>, path: &str, body: Vec<u8>) {
        let (a, path) = (self.clone(), path.to_string());
        tokio::spawn(async move {
            let _ = a.ask_peer("POST", &path, Some(body)).await;
        });
    }
}

async fn read(State(a): State<Arc<CspA>>, Path(id): Path<String>) -> Response {
    let books = a.books();
    match books.connections.get(&id).filter(|c| !c.deleted) {
        Some(c) => Json(json!({
            "connectionId": c.id,
            "state": c.state,
            "environment": c.environment,
            "connectionSizeMbps": c.size,
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no connection {id}")),
    }
}

async fn remove(State(a): State<Arc<CspA>>, Path(id): Path<String>) -> Response {
    let mut books = a.books();
    match books.connections.get_mut(&id).filter(|c| !c.deleted) {
        Some(c) => {
            c.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, format!("no connection {id}")),
    }
}

async fn peer_api(State(a): State<Arc<CspA>>, request: Request) -> Response {
    match read_request(request, 0).await {
        Ok(recorded) => a.peer_reply(&recorded).into_response(),
        Err(response) => response,
    }
}
