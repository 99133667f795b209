//! The reference S2C provider's books: sessions per consumer, capacity, expiry on a
//! test clock, and CloudEvents to each session's sink. The HTTP shapes (`api.rs` for
//! the CAMARA binding, `draft.rs` for the 0.1 draft) translate into these operations.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::body::{self, Create, Invalid, Rules, Sink};
use super::config::S2cConfig;
use super::fault::Fault;
use super::variation::Variation;
use crate::clock::TestClock;
use crate::http::{HttpClient, HttpRequest};
use tokio::task::JoinHandle;

/// The CloudEvent type of a status change.
pub const EVENT_TYPE: &str = "org.camaraproject.site-to-cloud-vpn.v0.status-changed";
/// The CloudEvent source the simulator names.
pub const EVENT_SOURCE: &str = "https://s2c.sim.crosscheck.invalid/site-to-cloud-vpn/v0";
/// How long a new session stays REQUESTED under `requested-first`.
const REQUESTED_FOR: Duration = Duration::from_millis(300);
/// How long the expiry sweep may lag under `late-expiry`.
const LATE_BY: Duration = Duration::from_millis(800);
/// How long one notification may take.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often `repeats-available` and `repeats-delete-event` send again.
const REPEAT_EVERY: Duration = Duration::from_millis(300);
/// How many times `repeats-delete-event` sends an event again (10 s of them).
const REPEATS: usize = 33;

/// An error answer in the CAMARA shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// CAMARA code.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// The methods the path allows, for the `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    /// An error.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            allow: None,
        }
    }

    /// This error (a 405) saying which methods the path allows.
    pub fn allowing(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }
}

/// A session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Accepted, not yet provisioned.
    Requested,
    /// Provisioned.
    Available,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Requested => "REQUESTED",
            Status::Available => "AVAILABLE",
        }
    }
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its UUID.
    pub id: String,
    /// The consumer's token.
    pub owner: String,
    /// The request as echoed.
    pub echo: Map<String, Value>,
    /// Current bandwidth.
    pub bandwidth: u64,
    /// Current duration in units.
    pub duration: u64,
    /// Status.
    pub status: Status,
    /// When it was created (clock time).
    pub created: Duration,
    /// When it became AVAILABLE.
    pub started: Option<Duration>,
    /// When it expires.
    pub expires: Option<Duration>,
    /// Where to notify.
    pub sink: Option<Sink>,
}

#[derive(Debug, Default)]
struct Books {
    sessions: BTreeMap<String, Session>,
    /// `extends-expired`: expired sessions are kept here.
    expired: BTreeMap<String, Session>,
    /// `notifies-default-sink`: the last sink each consumer named.
    last_sink: HashMap<String, Sink>,
    /// Bandwidth held by nothing (`half-created-on-capacity`, `assessment-reserves`).
    leaked: u64,
    /// `keeps-deleted-sinks`: the sinks of deleted sessions.
    deleted_sinks: Vec<Sink>,
    /// `repeats-available`: when AVAILABLE was last reported again.
    repeated_at: Duration,
}

/// The reference provider.
#[derive(Debug)]
pub struct Provider {
    /// Its settings.
    pub config: S2cConfig,
    clock: TestClock,
    books: Mutex<Books>,
    http: HttpClient,
    events: AtomicU64,
    traces: AtomicU64,
}

impl Provider {
    /// A provider with no sessions; `http` sends its notifications.
    pub fn new(config: S2cConfig, clock: TestClock, http: HttpClient) -> Self {
        Self {
            config,
            clock,
            books: Mutex::new(Books::default()),
            http,
            events: AtomicU64::new(1),
            traces: AtomicU64::new(9001),
        }
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The checker's rules for this provider.
    pub fn rules(&self) -> Rules {
        Rules {
            unit_seconds: self.config.unit_seconds,
            allow_unknown: self.config.has(Fault::AcceptsUnknownProperties),
        }
    }

    /// Wall time at clock time `at`, in RFC 3339.
    fn wall(&self, at: Duration) -> String {
        let wall = self.clock.wall_at(at);
        wall.round(jiff::Unit::Millisecond)
            .unwrap_or(wall)
            .to_string()
    }

    /// A message in the provider's words.
    pub fn message(&self, message: String) -> String {
        if self.config.varies(Variation::OtherErrorMessages) {
            let trace = self.traces.fetch_add(1, Ordering::Relaxed);
            format!(
                "Request could not be completed (trace {trace}): {}",
                message.to_uppercase()
            )
        } else {
            message
        }
    }

    /// A 400 for an invalid body, with the code this provider gives.
    fn invalid(&self, i: Invalid) -> ApiError {
        let code = match (
            self.config.varies(Variation::ApiSpecificCodes),
            i.malformed_ip,
            i.code,
        ) {
            (true, true, _) => "S2C_VPN.INVALID_IP_ADDRESS",
            (true, false, "OUT_OF_RANGE") => "S2C_VPN.OUT_OF_RANGE",
            (_, _, code) => code,
        };
        ApiError::new(400, code, self.message(i.message))
    }

    /// The session as JSON in the CAMARA shape.
    pub fn session_json(&self, s: &Session) -> Value {
        let mut out = Map::new();
        out.insert("sessionId".into(), s.id.clone().into());
        for (k, v) in &s.echo {
            out.insert(k.clone(), v.clone());
        }
        out.insert("bandwidthMbps".into(), s.bandwidth.into());
        out.insert("duration".into(), s.duration.into());
        out.insert("status".into(), s.status.name().into());
        if let (Some(started), Some(expires)) = (s.started, s.expires) {
            out.insert("startedAt".into(), self.wall(started).into());
            out.insert("expiresAt".into(), self.wall(expires).into());
        }
        if self.config.varies(Variation::ExtraSessionFields) {
            out.insert("sla".into(), "AA".into());
            out.insert(
                "provisioningRef".into(),
                format!("prov-{}", &s.id[..8]).into(),
            );
        }
        Value::Object(out)
    }

    fn used(&self, books: &Books) -> u64 {
        books.sessions.values().map(|s| s.bandwidth).sum::<u64>() + books.leaked
    }

    fn capacity_error(&self, asked: u64, free: u64) -> ApiError {
        let message = self.message(format!(
            "insufficient capacity: {asked} Mbps asked, {free} Mbps free"
        ));
        if self.config.varies(Variation::Capacity503) {
            ApiError::new(503, "UNAVAILABLE", message)
        } else if self.config.varies(Variation::Capacity422) {
            ApiError::new(422, "S2C_VPN.INSUFFICIENT_CAPACITY", message)
        } else {
            ApiError::new(409, "CONFLICT", message)
        }
    }

    fn expiry(&self, started: Duration, duration: u64) -> Duration {
        if self.config.has(Fault::ExpiresAtIgnoresDuration) {
            started + Duration::from_secs(3600)
        } else {
            started + Duration::from_secs(duration.saturating_mul(self.config.unit_seconds))
        }
    }

    /// Creates a session for `owner`.
    pub fn create(&self, owner: &str, body: &Value) -> Result<Value, ApiError> {
        let c: Create = match body::create(body, self.rules()) {
            Ok(c) => c,
            Err(i) if i.malformed_ip && self.config.has(Fault::Crash500OnMalformedIp) => {
                return Err(ApiError::new(500, "INTERNAL", "unexpected error"))
            }
            Err(i) => return Err(self.invalid(i)),
        };
        let now = self.clock.now();
        let mut books = self.books();
        let free = self.config.capacity_mbps.saturating_sub(self.used(&books));
        if c.bandwidth_mbps > free {
            if self.config.has(Fault::HalfCreatedOnCapacity) {
                books.leaked += free.min(c.bandwidth_mbps / 2);
            }
            return Err(self.capacity_error(c.bandwidth_mbps, free));
        }
        let requested = self.config.varies(Variation::RequestedFirst);
        let started = (!requested).then_some(now);
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            owner: owner.to_string(),
            echo: c.echo,
            bandwidth: c.bandwidth_mbps,
            duration: c.duration,
            status: if requested {
                Status::Requested
            } else {
                Status::Available
            },
            created: now,
            started,
            expires: started.map(|s| self.expiry(s, c.duration)),
            sink: c.sink.clone(),
        };
        if let Some(sink) = c.sink {
            books.last_sink.insert(owner.to_string(), sink);
        }
        let answer = self.session_json(&session);
        books.sessions.insert(session.id.clone(), session);
        Ok(answer)
    }

    /// The session `id`, if `owner` may see it.
    fn owned<'b>(
        &self,
        books: &'b mut Books,
        owner: &str,
        id: &str,
    ) -> Result<&'b mut Session, ApiError> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(ApiError::new(
                400,
                "INVALID_ARGUMENT",
                self.message(format!("`{id}` is not a session id (UUID)")),
            ));
        }
        let shared = self.config.has(Fault::SharesSessionsAcrossConsumers);
        let not_found =
            || ApiError::new(404, "NOT_FOUND", self.message(format!("no session {id}")));
        match books.sessions.get_mut(id) {
            None => Err(not_found()),
            Some(s) if s.owner == owner || shared => Ok(s),
            Some(_) if self.config.varies(Variation::NotFoundAcrossConsumers) => Err(not_found()),
            Some(_) => Err(ApiError::new(
                403,
                "PERMISSION_DENIED",
                self.message(format!("session {id} belongs to another consumer")),
            )),
        }
    }

    /// Reads a session.
    pub fn get(&self, owner: &str, id: &str) -> Result<Value, ApiError> {
        let mut books = self.books();
        let s = self.owned(&mut books, owner, id)?.clone();
        Ok(self.session_json(&s))
    }

    /// Changes a session's bandwidth.
    pub fn modify(&self, owner: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let rules = self.rules();
        let mut books = self.books();
        self.owned(&mut books, owner, id)?;
        let bandwidth = body::modify(body, rules).map_err(|i| self.invalid(i))?;
        let others = self.used(&books) - books.sessions.get(id).map_or(0, |s| s.bandwidth);
        if others + bandwidth > self.config.capacity_mbps {
            return Err(
                self.capacity_error(bandwidth, self.config.capacity_mbps.saturating_sub(others))
            );
        }
        let s = self.owned(&mut books, owner, id)?;
        if self.config.has(Fault::ModifyIgnored) {
            let mut shown = s.clone();
            shown.bandwidth = bandwidth;
            return Ok(self.session_json(&shown));
        }
        s.bandwidth = bandwidth;
        let s = s.clone();
        Ok(self.session_json(&s))
    }

    /// Extends a session.
    pub fn extend(&self, owner: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let rules = self.rules();
        let mut books = self.books();
        if self.config.has(Fault::ExtendsExpired) {
            if let Some(s) = books.expired.get(id).filter(|s| s.owner == owner).cloned() {
                return Ok(self.session_json(&s));
            }
        }
        let s = self.owned(&mut books, owner, id)?;
        let more = body::extend(body, rules).map_err(|i| self.invalid(i))?;
        if s.status == Status::Requested && self.config.has(Fault::ExtendsRequested) {
            // Its expiry is set when it becomes AVAILABLE, from the longer duration.
            s.duration += more;
            let s = s.clone();
            return Ok(self.session_json(&s));
        }
        let (Status::Available, Some(expires)) = (s.status, s.expires) else {
            return Err(ApiError::new(
                409,
                "INCOMPATIBLE_STATE",
                self.message(format!("session {id} is not AVAILABLE")),
            ));
        };
        s.duration += more;
        s.expires =
            Some(expires + Duration::from_secs(more.saturating_mul(self.config.unit_seconds)));
        let s = s.clone();
        Ok(self.session_json(&s))
    }

    /// Deletes a session; notifies DELETE_REQUESTED when it was AVAILABLE. The
    /// notifications go out in the background; under `delete-waits-for-sink` the
    /// answer waits for them and is a 500 when one failed.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<Value, ApiError> {
        let (answer, sending) = {
            let mut books = self.books();
            let s = self.owned(&mut books, owner, id)?.clone();
            if !self.config.has(Fault::DeleteLeavesReadable) {
                books.sessions.remove(id);
            }
            let sending = if s.status == Status::Available {
                self.notify(&books, &s, "UNAVAILABLE", Some("DELETE_REQUESTED"))
            } else {
                Vec::new()
            };
            if let (Some(sink), true) = (&s.sink, self.config.has(Fault::KeepsDeletedSinks)) {
                books.deleted_sinks.push(sink.clone());
            }
            (self.session_json(&s), sending)
        };
        if self.config.has(Fault::DeleteWaitsForSink) {
            for delivery in sending {
                if !delivery.await.unwrap_or(false) {
                    return Err(ApiError::new(500, "INTERNAL", "the notification failed"));
                }
            }
        }
        Ok(answer)
    }

    /// Assesses a would-be session: availability, SLA options and fees.
    pub fn assess(&self, body: &Value) -> Result<Value, ApiError> {
        let mut full = body.clone();
        if let Some(map) = full.as_object_mut() {
            map.entry("duration").or_insert(json!(1));
        }
        let c = body::create(&full, self.rules()).map_err(|i| self.invalid(i))?;
        let mut books = self.books();
        let free = self.config.capacity_mbps.saturating_sub(self.used(&books));
        if self.config.has(Fault::AssessmentReserves) {
            books.leaked += c.bandwidth_mbps.min(free);
        }
        let fee = |sla: &str, per_mbps: u64| json!({"sla": sla, "monthlyFee": {"amount": c.bandwidth_mbps * per_mbps, "currency": "EUR"}});
        Ok(json!({
            "available": c.bandwidth_mbps <= free,
            "options": [fee("A", 2), fee("AA", 5), fee("AAA", 9)],
        }))
    }

    /// One pass of the clock: REQUESTED sessions become AVAILABLE, expired ones go.
    pub fn tick(&self) {
        let now = self.clock.now();
        let late = if self.config.varies(Variation::LateExpiry) {
            LATE_BY
        } else {
            Duration::ZERO
        };
        let mut books = self.books();
        let mut changed = Vec::new();
        let mut gone = Vec::new();
        for s in books.sessions.values_mut() {
            if s.status == Status::Requested && now >= s.created + REQUESTED_FOR {
                s.status = Status::Available;
                s.started = Some(now);
                s.expires = Some(self.expiry(now, s.duration));
                changed.push(s.clone());
            } else if s.expires.is_some_and(|e| now >= e + late)
                && !self.config.has(Fault::NeverExpires)
            {
                gone.push(s.id.clone());
            }
        }
        if self.config.has(Fault::RepeatsAvailable) && now >= books.repeated_at + REPEAT_EVERY {
            books.repeated_at = now;
            changed.extend(
                books
                    .sessions
                    .values()
                    .filter(|s| s.status == Status::Available && s.sink.is_some())
                    .cloned(),
            );
        }
        for s in changed {
            self.notify(&books, &s, "AVAILABLE", None);
        }
        for id in gone {
            let Some(s) = books.sessions.remove(&id) else {
                continue;
            };
            if !self.config.has(Fault::ExpiresSilently) {
                self.notify(&books, &s, "UNAVAILABLE", Some("DURATION_EXPIRED"));
            }
            if self.config.has(Fault::ExtendsExpired) {
                books.expired.insert(id, s);
            }
        }
    }

    /// Sends a status-changed CloudEvent for `s` to its sink, in the background; each
    /// handle says whether the sink took it (2xx).
    fn notify(
        &self,
        books: &Books,
        s: &Session,
        status: &str,
        info: Option<&str>,
    ) -> Vec<JoinHandle<bool>> {
        let sink = match (&s.sink, self.config.has(Fault::NotifiesDefaultSink)) {
            (Some(sink), _) => sink.clone(),
            (None, true) => match books.last_sink.get(&s.owner) {
                Some(sink) => sink.clone(),
                None => return Vec::new(),
            },
            (None, false) => return Vec::new(),
        };
        let copies = if self.config.has(Fault::NotifiesTwice) {
            2
        } else {
            1
        };
        let delay = if self.config.varies(Variation::SlowNotifications) {
            Duration::from_millis(300)
        } else {
            Duration::ZERO
        };
        let repeats =
            if info == Some("DELETE_REQUESTED") && self.config.has(Fault::RepeatsDeleteEvent) {
                REPEATS
            } else {
                0
            };
        // `keeps-deleted-sinks`: after the session's own sink, in one task, so the
        // order of arrival is fixed.
        let stale: Vec<HttpRequest> = books
            .deleted_sinks
            .iter()
            .filter(|old| old.token != sink.token)
            .map(|old| self.event_request(old, s, status, info))
            .collect();
        (0..copies)
            .map(|copy| {
                let request = self.event_request(&sink, s, status, info);
                let then = if copy == 0 { stale.clone() } else { Vec::new() };
                let http = self.http.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let took = match http.send(&request, NOTIFY_TIMEOUT).await {
                        Ok(answer) => (200..300).contains(&answer.status),
                        Err(e) => {
                            tracing::debug!("s2c simulator: notification to the sink failed: {e}");
                            false
                        }
                    };
                    for extra in &then {
                        let _ = http.send(extra, NOTIFY_TIMEOUT).await;
                    }
                    for _ in 0..repeats {
                        tokio::time::sleep(REPEAT_EVERY).await;
                        let _ = http.send(&request, NOTIFY_TIMEOUT).await;
                    }
                    took
                })
            })
            .collect()
    }

    fn event_request(
        &self,
        sink: &Sink,
        s: &Session,
        status: &str,
        info: Option<&str>,
    ) -> HttpRequest {
        let n = self.events.fetch_add(1, Ordering::Relaxed);
        let id = if self.config.has(Fault::ReusesEventIds) {
            "evt-s2c-sim".to_string()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let mut data = json!({"sessionId": s.id, "status": status});
        if let Some(info) = info {
            data["statusInfo"] = info.into();
        }
        let mut event = json!({
            "id": id,
            "source": EVENT_SOURCE,
            "type": EVENT_TYPE,
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": self.wall(self.clock.now()),
            "data": data,
        });
        if self.config.varies(Variation::EventExtensions) {
            event["subject"] = s.id.clone().into();
            event["sequence"] = n.to_string().into();
            event["camaraoperator"] = "crosscheck-sim".into();
        }
        let content_type = if self.config.has(Fault::NotifiesWrongContentType) {
            "application/json"
        } else {
            "application/cloudevents+json"
        };
        let mut headers = vec![("content-type".to_string(), content_type.to_string())];
        if let (Some(token), false) = (
            &sink.token,
            self.config.has(Fault::NotifiesWithoutCredential),
        ) {
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        HttpRequest {
            method: "POST".into(),
            url: sink.url.clone(),
            headers,
            body: Some(event.to_string().into_bytes()),
        }
    }
}

/// Runs [`Provider::tick`] every 25 ms until the provider is dropped.
pub fn spawn_ticker(provider: &Arc<Provider>) {
    let weak = Arc::downgrade(provider);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(25));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match weak.upgrade() {
                Some(p) => p.tick(),
                None => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::config::{TOKEN_CONSUMER_1 as ONE, TOKEN_CONSUMER_2 as TWO};
    use super::*;

    fn provider(names: &[&str]) -> Provider {
        let mut config = S2cConfig::new();
        config.switch_on(names.iter().copied());
        Provider::new(config, TestClock::new(), HttpClient::new().expect("client"))
    }

    fn id(session: &Value) -> String {
        session["sessionId"].as_str().expect("an id").to_string()
    }

    #[test]
    fn the_reference_answers_available_403_across_consumers_and_409_beyond_capacity() {
        let p = provider(&[]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        assert_eq!(s["status"], "AVAILABLE");
        assert!(s.get("expiresAt").is_some() && s.get("sla").is_none());
        assert_eq!(p.get(TWO, &id(&s)).expect_err("refused").status, 403);
        let big = body::with(body::valid(60), "bandwidthMbps", json!(20_000)).expect("set");
        assert_eq!(p.create(ONE, &big).expect_err("refused").status, 409);
        let bad_ip =
            body::with(body::valid(60), "endPoint.primaryIp", json!("1.2.3")).expect("set");
        assert_eq!(
            p.create(ONE, &bad_ip).expect_err("refused").code,
            "INVALID_ARGUMENT"
        );
    }

    #[test]
    fn each_variation_changes_what_it_names_and_stays_legal() {
        let p = provider(&["requested-first", "extra-session-fields"]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        assert_eq!(s["status"], "REQUESTED");
        assert!(s.get("expiresAt").is_none() && s["sla"] == "AA");
        let p = provider(&["not-found-across-consumers"]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        assert_eq!(p.get(TWO, &id(&s)).expect_err("refused").status, 404);
        let big = body::with(body::valid(60), "bandwidthMbps", json!(20_000)).expect("set");
        for (name, status) in [("capacity-503", 503), ("capacity-422", 422)] {
            let e = provider(&[name]).create(ONE, &big).expect_err("refused");
            assert_eq!(e.status, status, "{name}");
        }
        let p = provider(&["api-specific-codes", "other-error-messages"]);
        let bad_ip =
            body::with(body::valid(60), "endPoint.primaryIp", json!("1.2.3")).expect("set");
        let e = p.create(ONE, &bad_ip).expect_err("refused");
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "S2C_VPN.INVALID_IP_ADDRESS")
        );
        assert!(e
            .message
            .starts_with("Request could not be completed (trace"));
    }

    #[test]
    fn a_requested_session_cannot_be_extended_unless_the_fault_skips_the_check() {
        let more = json!({"requestedAdditionalDuration": 30});
        let p = provider(&["requested-first"]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        let e = p.extend(ONE, &id(&s), &more).expect_err("REQUESTED");
        assert_eq!((e.status, e.code.as_str()), (409, "INCOMPATIBLE_STATE"));
        let p = provider(&["requested-first", "extends-requested"]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        let extended = p.extend(ONE, &id(&s), &more).expect("the check is missing");
        assert_eq!(extended["status"], "REQUESTED");
        assert_eq!(p.books().sessions[&id(&s)].duration, 90);
        // Alone the fault changes nothing: the reference never holds a session REQUESTED.
        let p = provider(&["extends-requested"]);
        let s = p.create(ONE, &body::valid(60)).expect("created");
        assert_eq!(s["status"], "AVAILABLE");
    }

    #[test]
    fn expiry_follows_the_test_clock() {
        let clock = TestClock::new();
        let p = Provider::new(
            S2cConfig::new(),
            clock.clone(),
            HttpClient::new().expect("client"),
        );
        let s = p.create(ONE, &body::valid(2)).expect("created");
        p.tick();
        assert!(p.get(ONE, &id(&s)).is_ok());
        clock.advance(Duration::from_secs(3));
        p.tick();
        assert_eq!(p.get(ONE, &id(&s)).expect_err("gone").status, 404);
    }
}
