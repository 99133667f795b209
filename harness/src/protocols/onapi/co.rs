//! The reference CO: on a trigger it sends an Activation Notice to the SP, honours 429
//! Retry-After, retries 5xx and timeouts with bounded exponential backoff, and never
//! resends a notice the SP refused with 400.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::config::OnapiConfig;
use super::fault::Fault;
use super::sp::PATH;
use crate::clock::TestClock;
use crate::http::{HttpClient, HttpRequest, HttpResponse};

/// The longest Retry-After the CO honours (longer ones count as this).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// 429 answers the CO puts up with per notice.
const MAX_THROTTLED: u32 = 10;

#[derive(Debug, Clone)]
struct Order {
    state: &'static str,
    attempts: u32,
}

/// A running CO's state.
#[derive(Debug)]
pub struct CoSim {
    config: OnapiConfig,
    clock: TestClock,
    http: HttpClient,
    orders: Mutex<HashMap<String, Order>>,
}

impl CoSim {
    /// A CO with no orders.
    pub fn new(config: OnapiConfig, clock: TestClock) -> Result<Self, crate::http::TransportError> {
        Ok(Self {
            config,
            clock,
            http: HttpClient::new()?,
            orders: Mutex::new(HashMap::new()),
        })
    }

    fn orders(&self) -> MutexGuard<'_, HashMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The CO's HTTP surface: the trigger API and the test clock.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/trigger/activations", post(trigger))
            .route("/trigger/activations/{id}", get(status))
            .fallback(unknown)
            .with_state(self.clone())
            .merge(crate::clock::routes(self.clock.clone()))
    }

    /// The notice the CO sends for an order (faults applied).
    fn notice(&self, order: &Value) -> Value {
        let mut notice = order.clone();
        if notice.get("coId").is_none() {
            notice["coId"] = "sim-co".into();
        }
        if self.config.has(Fault::CoOmitsAccessId) {
            if let Some(o) = notice.as_object_mut() {
                o.shift_remove("coAccessId");
            }
        }
        if self.config.has(Fault::CoTwoProducts) {
            if let Some(first) = notice.get("products").and_then(|p| p.get(0)).cloned() {
                notice["products"] = json!([first.clone(), first]);
            }
        }
        if self.config.has(Fault::CoLocalTime) {
            if let Some(t) = notice.get("orderDateTime").and_then(Value::as_str) {
                // The same instant written as if local to UTC+01:00 would need a shift;
                // the bug is the offset notation itself.
                notice["orderDateTime"] = format!("{}+01:00", t.trim_end_matches('Z')).into();
            }
        }
        notice
    }

    fn request(&self, notice: &Value) -> HttpRequest {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if !self.config.has(Fault::CoNoCredentials) {
            headers.push((
                self.config.credential_header.clone(),
                self.config.own_credential.clone(),
            ));
        }
        HttpRequest {
            method: "POST".into(),
            url: format!("{}{PATH}", self.config.sp_base.trim_end_matches('/')),
            headers,
            body: Some(notice.to_string().into_bytes()),
        }
    }

    fn set(&self, id: &str, state: &'static str, attempts: u32) {
        self.orders()
            .insert(id.to_string(), Order { state, attempts });
    }

    /// Sends one notice until it is delivered, refused, or the retries run out.
    async fn deliver(&self, id: String, notice: Value) {
        let request = self.request(&notice);
        let cfg = &self.config;
        let (mut attempts, mut throttled, mut failures) = (0u32, 0u32, 0u32);
        let mut backoff = cfg.backoff;
        loop {
            attempts += 1;
            self.set(&id, "PENDING", attempts);
            let answer = self.http.send(&request, cfg.request_timeout).await;
            let status = answer.as_ref().map(|r| r.status).unwrap_or(0);
            let wait = match status {
                200..=299 => return self.set(&id, "SENT", attempts),
                429 => {
                    throttled += 1;
                    if throttled > MAX_THROTTLED {
                        return self.set(&id, "FAILED", attempts);
                    }
                    match (&answer, cfg.has(Fault::CoIgnoresRetryAfter)) {
                        (Ok(r), false) => retry_after(r).unwrap_or(backoff),
                        _ => cfg.backoff,
                    }
                }
                400..=499 if cfg.has(Fault::CoRetries400) && attempts < 3 => cfg.backoff,
                400..=499 => return self.set(&id, "FAILED", attempts),
                // 5xx, other statuses, or no answer at all.
                _ => {
                    failures += 1;
                    if cfg.has(Fault::CoNoRetry) {
                        return self.set(&id, "FAILED", attempts);
                    }
                    if cfg.has(Fault::CoRetriesWithoutBackoff) {
                        if failures >= 25 {
                            return self.set(&id, "FAILED", attempts);
                        }
                        Duration::ZERO
                    } else {
                        if failures >= cfg.max_attempts {
                            return self.set(&id, "FAILED", attempts);
                        }
                        let this = backoff;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        this
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// How long a 429 asks the client to wait: whole seconds, or an HTTP date.
pub fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(RETRY_AFTER_CAP));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(
        Duration::try_from(wait)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CAP),
    )
}

fn error(status: StatusCode, cause: impl Into<String>) -> Response {
    (status, Json(json!({"cause": cause.into()}))).into_response()
}

async fn trigger(State(co): State<Arc<CoSim>>, body: Bytes) -> Response {
    let order: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error(StatusCode::BAD_REQUEST, "the order must be a JSON object"),
    };
    let mut notice = co.notice(&order);
    let id = match notice.get("coOrderId").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            notice["coOrderId"] = id.clone().into();
            id
        }
    };
    co.set(&id, "PENDING", 0);
    let worker = co.clone();
    let task_id = id.clone();
    tokio::spawn(async move { worker.deliver(task_id, notice).await });
    (
        StatusCode::ACCEPTED,
        Json(json!({"coOrderId": id, "state": "PENDING"})),
    )
        .into_response()
}

async fn status(State(co): State<Arc<CoSim>>, Path(id): Path<String>) -> Response {
    match co.orders().get(&id) {
        Some(o) => {
            Json(json!({"coOrderId": id, "state": o.state, "attempts": o.attempts})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, format!("no order {id}")),
    }
}

async fn unknown(request: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", request.uri().path()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(retry_after: &str) -> HttpResponse {
        HttpResponse {
            status: 429,
            headers: vec![("retry-after".into(), retry_after.into())],
            body: vec![],
            json: None,
            elapsed: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn honours_retry_after() {
        use crate::peers::{MockPeer, PeerReply, ScriptedAnswer};
        let ok: crate::peers::Behaviour = Arc::new(|_| PeerReply::json(200, &json!({})));
        let sp = MockPeer::start("sp", "127.0.0.1:0".parse().expect("addr"), ok)
            .await
            .expect("mock");
        let mut throttled = PeerReply::json(429, &json!({"cause": "slow"}));
        throttled.headers.push(("retry-after".into(), "1".into()));
        sp.script([ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(throttled),
        }]);
        let mut config = OnapiConfig::new();
        config.sp_base = sp.url();
        let co = CoSim::new(config, TestClock::new()).expect("co");
        co.deliver("o1".into(), super::super::format::valid_example())
            .await;
        let got = sp.requests();
        assert_eq!(got.len(), 2);
        let gap = got[1].at.duration_since(got[0].at);
        assert!(gap >= Duration::from_millis(990), "{gap:?}");
        assert_eq!(co.orders().get("o1").map(|o| o.state), Some("SENT"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(retry_after(&answer("2")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(&answer("99999")), Some(RETRY_AFTER_CAP));
        assert_eq!(
            retry_after(&answer("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&answer("soon")), None);
    }
}
