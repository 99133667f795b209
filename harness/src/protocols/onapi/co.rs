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
use super::variation::Variation;
use crate::clock::TestClock;
use crate::http::{HttpClient, HttpRequest, HttpResponse};

/// `co-retries-without-end`: its pause between tries, and how many it makes.
const ENDLESS_PAUSE: Duration = Duration::from_secs(1);
const ENDLESS_TRIES: u32 = 60;
/// The longest Retry-After the CO honours (longer ones count as this).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// 429 answers the CO puts up with per notice.
const MAX_THROTTLED: u32 = 10;
/// The reference's longest 5xx backoff.
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// `co-backoff-to-4s`: the first pause, the longest, and the tries per notice.
const SLOW_BACKOFF: (Duration, Duration, u32) = (Duration::from_secs(1), Duration::from_secs(4), 4);
/// `co-backoff-to-8s`: the first pause, the longest, and the tries per notice.
const SLOWER_BACKOFF: (Duration, Duration, u32) =
    (Duration::from_secs(1), Duration::from_secs(8), 5);
/// `co-retry-after-margin`: how much longer than Retry-After the CO waits.
const RETRY_AFTER_MARGIN: Duration = Duration::from_secs(1);
/// `co-jitter`: the most it adds to a Retry-After.
const RETRY_AFTER_JITTER: Duration = Duration::from_millis(500);

/// A random number in [0, 1), from the 48 fully random leading bits of a v4 UUID.
fn unit_random() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 80;
    bits as f64 / (1u64 << 48) as f64
}

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
        if self.config.varies(Variation::CoNullCoId) {
            // Optional fields may be omitted or set to null (ON-API data formats).
            notice["coId"] = Value::Null;
        } else if notice.get("coId").is_none() {
            notice["coId"] = "sim-co".into();
        }
        if self.config.varies(Variation::CoCoProductArray) {
            // ON-API 2.5 gives coProduct as a JSON array of text.
            if let Some(p) = notice.get_mut("products").and_then(|p| p.get_mut(0)) {
                if let Some(text) = p.get("coProduct").and_then(Value::as_str) {
                    p["coProduct"] = json!([text]);
                }
            }
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

    /// `pause` with `co-jitter`'s random factor (0.75 to 1.5) when that is on.
    fn jittered(&self, pause: Duration) -> Duration {
        if self.config.varies(Variation::CoJitter) {
            pause.mul_f64(0.75 + 0.75 * unit_random())
        } else {
            pause
        }
    }

    /// The backoff after the `failures`-th 5xx (or lost answer) of a notice, before
    /// jitter: doubled per failure from the first pause, up to the cap.
    fn backoff(&self, failures: u32) -> Duration {
        let (first, cap) = match self.slow_backoff() {
            Some((first, cap, _)) => (first, cap),
            None => (self.config.backoff, BACKOFF_CAP),
        };
        let doublings = failures.saturating_sub(1).min(16);
        first.saturating_mul(1 << doublings).min(cap)
    }

    /// The first pause, the longest and the tries of a slow-backoff variation, if on.
    fn slow_backoff(&self) -> Option<(Duration, Duration, u32)> {
        if self.config.varies(Variation::CoBackoffTo8s) {
            Some(SLOWER_BACKOFF)
        } else if self.config.varies(Variation::CoBackoffTo4s) {
            Some(SLOW_BACKOFF)
        } else {
            None
        }
    }

    /// The pause before the next try after the `failures`-th 5xx (or lost answer) of a
    /// notice; `None`: give up.
    fn server_error_pause(&self, failures: u32) -> Option<Duration> {
        let cfg = &self.config;
        if cfg.has(Fault::CoNoRetry) {
            return None;
        }
        if cfg.has(Fault::CoRetriesWithoutBackoff) {
            return (failures < 25).then_some(Duration::ZERO);
        }
        let tries = self
            .slow_backoff()
            .map_or(cfg.max_attempts, |(_, _, tries)| tries);
        (failures < tries).then(|| self.jittered(self.backoff(failures)))
    }

    /// The pause the CO takes when a 429 asked for `asked`: at least that long.
    fn retry_after_pause(&self, asked: Duration) -> Duration {
        let mut pause = asked;
        if self.config.varies(Variation::CoRetryAfterMargin) {
            pause += RETRY_AFTER_MARGIN;
        }
        if self.config.varies(Variation::CoJitter) {
            pause += RETRY_AFTER_JITTER.mul_f64(unit_random());
        }
        pause
    }

    /// Sends one notice until it is delivered, refused, or the retries run out.
    async fn deliver(&self, id: String, notice: Value) {
        let mut request = self.request(&notice);
        let cfg = &self.config;
        let (mut attempts, mut throttled, mut failures) = (0u32, 0u32, 0u32);
        loop {
            attempts += 1;
            self.set(&id, "PENDING", attempts);
            let answer = self.http.send(&request, cfg.request_timeout).await;
            let status = answer.as_ref().map(|r| r.status).unwrap_or(0);
            let wait = match status {
                200..=299 => return self.set(&id, "SENT", attempts),
                429 => {
                    throttled += 1;
                    if cfg.has(Fault::CoThrottledAsNew) {
                        let mut again = notice.clone();
                        let fresh: String = format!("r{attempts}-{id}").chars().take(36).collect();
                        again["coOrderId"] = fresh.into();
                        request = self.request(&again);
                    }
                    if throttled > MAX_THROTTLED {
                        return self.set(&id, "FAILED", attempts);
                    }
                    match (&answer, cfg.has(Fault::CoIgnoresRetryAfter)) {
                        (Ok(r), false) => match retry_after(r) {
                            Some(asked) => self.retry_after_pause(asked),
                            None => self.jittered(self.backoff(failures + 1)),
                        },
                        _ => cfg.backoff,
                    }
                }
                _ if cfg.has(Fault::CoRetriesWithoutEnd) && attempts < ENDLESS_TRIES => {
                    ENDLESS_PAUSE
                }
                400..=499 if cfg.has(Fault::CoRetries400) && attempts < 3 => cfg.backoff,
                400..=499 => return self.set(&id, "FAILED", attempts),
                // 5xx, other statuses, or no answer at all.
                _ => {
                    failures += 1;
                    match self.server_error_pause(failures) {
                        Some(pause) => pause,
                        None => return self.set(&id, "FAILED", attempts),
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
    let wait = when.duration_since(crate::clock::wall_now());
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
            tls: None,
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

    fn co(variations: &[Variation]) -> CoSim {
        let mut config = OnapiConfig::new();
        config.variations = variations.iter().copied().collect();
        CoSim::new(config, TestClock::new()).expect("co")
    }

    /// Pauses after the 1st, 2nd, ... 5xx until the CO gives up.
    fn pauses(co: &CoSim) -> Vec<Duration> {
        (1..).map_while(|n| co.server_error_pause(n)).collect()
    }

    #[test]
    fn the_reference_backs_off_from_200_ms_and_gives_up_after_four_tries() {
        let ms = Duration::from_millis;
        assert_eq!(pauses(&co(&[])), [ms(200), ms(400), ms(800)]);
        assert_eq!(co(&[]).retry_after_pause(Duration::from_secs(2)), ms(2000));
    }

    #[test]
    fn backoff_to_4s_pauses_1_2_4_s_then_gives_up() {
        let s = Duration::from_secs;
        assert_eq!(pauses(&co(&[Variation::CoBackoffTo4s])), [s(1), s(2), s(4)]);
        assert_eq!(
            pauses(&co(&[Variation::CoBackoffTo8s])),
            [s(1), s(2), s(4), s(8)]
        );
    }

    #[test]
    fn jitter_varies_every_pause_within_its_bounds() {
        let co = co(&[Variation::CoJitter]);
        let reference = pauses(&self::co(&[]));
        let mut differs = false;
        for _ in 0..50 {
            let got = pauses(&co);
            assert_eq!(got.len(), reference.len());
            for (g, r) in got.iter().zip(&reference) {
                assert!(
                    *g >= r.mul_f64(0.75) && *g <= r.mul_f64(1.5),
                    "{g:?} vs {r:?}"
                );
                differs |= g != r;
            }
            let asked = Duration::from_secs(2);
            let waited = co.retry_after_pause(asked);
            assert!(
                waited >= asked && waited <= asked + RETRY_AFTER_JITTER,
                "{waited:?}"
            );
            differs |= waited != asked;
        }
        assert!(differs, "jitter changed nothing");
    }

    #[test]
    fn retry_after_margin_waits_a_second_longer() {
        let co = co(&[Variation::CoRetryAfterMargin]);
        assert_eq!(
            co.retry_after_pause(Duration::from_secs(2)),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn notice_variations_stay_in_the_schema_but_differ_from_the_reference() {
        let order = super::super::format::valid_example();
        let reference = co(&[]).notice(&order);
        let array = co(&[Variation::CoCoProductArray]).notice(&order);
        assert_eq!(reference["products"][0]["coProduct"], json!("100/100"));
        assert_eq!(array["products"][0]["coProduct"], json!(["100/100"]));
        let null = co(&[Variation::CoNullCoId]).notice(&order);
        assert_eq!(reference["coId"], json!("sim-co"));
        assert!(null.get("coId").is_some_and(Value::is_null), "{null}");
        for notice in [array, null] {
            assert!(
                super::super::format::validate(notice.to_string().as_bytes()).is_ok(),
                "{notice}"
            );
        }
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
