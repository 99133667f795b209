//! A recording mock peer: answers by a scripted queue first, then by a default
//! behaviour, and lets scenario steps await or forbid requests.
//!
//! Against an external IUT one peer serves scenario after scenario, so it also tells
//! runs apart: each run claims the identifiers the harness sent the IUT (order ids,
//! keys, ...). A request that carries an identifier only an earlier run sent, and none
//! only the current run sent, is late traffic of that earlier run: it is answered, set
//! aside with the run it came from, and never seen by the current run's steps.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::server::{serve, Served};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::sync::watch;

/// The most of a request body a mock peer reads (2 MiB).
const REQUEST_CAP: usize = 2 << 20;

/// A request a mock peer received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 0-based arrival order.
    pub seq: usize,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string (without `?`), if the request had one.
    pub query: Option<String>,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes (capped).
    pub body: Vec<u8>,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// When it arrived.
    pub at: Instant,
    /// What the TLS handshake of its connection settled (`None`: plain HTTP).
    pub tls: Option<crate::tls::Handshake>,
}

impl RecordedRequest {
    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::first_header(&self.headers, name)
    }
}

/// An answer a mock peer gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerReply {
    /// Status code.
    pub status: u16,
    /// Content type, if any.
    pub content_type: Option<String>,
    /// Other headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl PeerReply {
    /// The status of [`PeerReply::closed`]: no status at all.
    pub const CLOSED: u16 = 0;
    /// The status of [`PeerReply::stored_then_closed`].
    pub const STORED_THEN_CLOSED: u16 = 1;

    /// No answer: the mock peer closes the connection before a complete answer.
    pub fn closed() -> Self {
        Self {
            status: Self::CLOSED,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The default behaviour handles the request (a create is stored), then the mock
    /// peer closes the connection instead of sending that answer: the ambiguous
    /// failure of a request that took effect.
    pub fn stored_then_closed() -> Self {
        Self {
            status: Self::STORED_THEN_CLOSED,
            ..Self::closed()
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }
}

/// How a mock peer answers when nothing is scripted.
pub type Behaviour = Arc<dyn Fn(&RecordedRequest) -> PeerReply + Send + Sync>;

/// One scripted answer: an optional delay, then either a fixed reply or the default
/// behaviour's reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptedAnswer {
    /// Wait this long before answering.
    pub delay: Duration,
    /// The reply; `None` means the default behaviour answers.
    pub reply: Option<PeerReply>,
}

/// Which requests a scripted answer or a step is about: a method, a path suffix and
/// patterns for top-level string fields of the JSON body, each optional (an IUT may
/// interleave other calls, such as reads, at any time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMatch {
    /// The HTTP method, case-insensitive; several separated by `|` (`POST|DELETE`).
    pub method: Option<String>,
    /// How the path (without the query) ends.
    pub path_ends_with: Option<String>,
    /// What the path (without the query) contains.
    pub path_contains: Option<String>,
    /// What the path (without the query) must not contain.
    pub path_excludes: Option<String>,
    /// Top-level fields of the JSON body whose string value must match a pattern.
    pub fields: Vec<FieldPattern>,
}

/// A top-level JSON body field whose string value matches `pattern`.
#[derive(Debug, Clone)]
pub struct FieldPattern {
    /// The field's name.
    pub name: String,
    /// What its value must match (unanchored unless the pattern anchors it).
    pub pattern: regex::Regex,
}

impl PartialEq for FieldPattern {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.pattern.as_str() == other.pattern.as_str()
    }
}

impl Eq for FieldPattern {}

impl FieldPattern {
    fn matches(&self, request: &RecordedRequest) -> bool {
        request
            .json
            .as_ref()
            .and_then(|j| j.get(&self.name))
            .and_then(serde_json::Value::as_str)
            .is_some_and(|v| self.pattern.is_match(v))
    }
}

impl RequestMatch {
    /// Whether `request` is one of these.
    pub fn matches(&self, request: &RecordedRequest) -> bool {
        self.method.as_ref().is_none_or(|m| {
            m.split('|')
                .any(|m| m.eq_ignore_ascii_case(&request.method))
        }) && self
            .path_ends_with
            .as_ref()
            .is_none_or(|p| request.path.ends_with(p.as_str()))
            && self
                .path_contains
                .as_ref()
                .is_none_or(|p| request.path.contains(p.as_str()))
            && self
                .path_excludes
                .as_ref()
                .is_none_or(|p| !request.path.contains(p.as_str()))
            && self.fields.iter().all(|f| f.matches(request))
    }
}

impl std::fmt::Display for RequestMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.method, &self.path_ends_with) {
            (Some(m), Some(p)) => write!(f, "{m} …{p}")?,
            (Some(m), None) => write!(f, "{m}")?,
            (None, Some(p)) => write!(f, "…{p}")?,
            (None, None) => write!(f, "any request")?,
        }
        if let Some(p) = &self.path_contains {
            write!(f, " whose path contains {p}")?;
        }
        if let Some(p) = &self.path_excludes {
            write!(f, " whose path lacks {p}")?;
        }
        for (i, field) in self.fields.iter().enumerate() {
            let lead = if i == 0 { " with" } else { " and" };
            write!(f, "{lead} {} ~ /{}/", field.name, field.pattern.as_str())?;
        }
        Ok(())
    }
}

/// A request that reached a mock peer after the run it belongs to had ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateArrival {
    /// The run it belongs to (its report id).
    pub from: String,
    /// The run that was going on when it arrived (`None`: between runs).
    pub during: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
}

/// How many finished runs a peer remembers the identifiers of.
const REMEMBERED_RUNS: usize = 64;
/// Identifiers shorter than this are too common to tell runs apart.
const SHORTEST_IDENTIFIER: usize = 6;

/// Which run traffic belongs to.
#[derive(Debug, Default)]
struct Runs {
    current: Option<(String, BTreeSet<String>)>,
    past: VecDeque<(String, BTreeSet<String>)>,
    late: Vec<LateArrival>,
}

impl Runs {
    /// The earlier run `request` belongs to, if it is late traffic.
    fn late_owner(&self, request: &RecordedRequest) -> Option<String> {
        if self.past.is_empty() {
            return None;
        }
        let haystack = format!(
            "{}\n{}",
            request.path,
            String::from_utf8_lossy(&request.body)
        );
        let none = BTreeSet::new();
        let current = self.current.as_ref().map_or(&none, |(_, ids)| ids);
        let in_past = |id: &String| self.past.iter().any(|(_, ids)| ids.contains(id));
        if current
            .iter()
            .any(|id| !in_past(id) && haystack.contains(id.as_str()))
        {
            return None;
        }
        let owner = self.past.iter().rev().find(|(_, ids)| {
            ids.iter()
                .any(|id| !current.contains(id) && haystack.contains(id.as_str()))
        });
        match (owner, &self.current) {
            (Some((run, _)), _) => Some(run.clone()),
            // Between runs, nothing belongs to the next one yet.
            (None, None) => self.past.back().map(|(run, _)| run.clone()),
            (None, Some(_)) => None,
        }
    }
}

struct Shared {
    log: Mutex<Vec<RecordedRequest>>,
    arrivals: watch::Sender<usize>,
    /// Every request that arrived, late or not (for "wait until quiet").
    activity: watch::Sender<usize>,
    /// Scripted answers, each for the first request like its match.
    queue: Mutex<VecDeque<(RequestMatch, ScriptedAnswer)>>,
    runs: Mutex<Runs>,
    behaviour: Behaviour,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another request panicked mid-update; the data is
    // still the best we have.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running mock peer. Dropping it stops the server.
pub struct MockPeer {
    name: String,
    shared: Arc<Shared>,
    cursor: AtomicUsize,
    started: Instant,
    server: Served,
}

impl std::fmt::Debug for MockPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockPeer")
            .field("name", &self.name)
            .field("addr", &self.server.addr)
            .finish()
    }
}

impl MockPeer {
    /// Binds `listen` (port 0 for an ephemeral port) and starts serving.
    pub async fn start(
        name: &str,
        listen: SocketAddr,
        behaviour: Behaviour,
    ) -> std::io::Result<Self> {
        let (arrivals, _) = watch::channel(0usize);
        let (activity, _) = watch::channel(0usize);
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            arrivals,
            activity,
            queue: Mutex::new(VecDeque::new()),
            runs: Mutex::new(Runs::default()),
            behaviour,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = serve(app, listen, "mock peer").await?;
        Ok(Self {
            name: name.to_string(),
            shared,
            cursor: AtomicUsize::new(0),
            started: Instant::now(),
            server,
        })
    }

    /// The peer's name: the role the harness plays.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds from the peer's start to when `request` arrived: the mock's clock.
    pub fn seconds_at(&self, request: &RecordedRequest) -> f64 {
        request
            .at
            .saturating_duration_since(self.started)
            .as_secs_f64()
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Queues answers for the next requests, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = ScriptedAnswer>) {
        self.script_matching(&RequestMatch::default(), answers);
    }

    /// Queues answers for the next requests like `like`, in order (other requests
    /// pass them by).
    pub fn script_matching(
        &self,
        like: &RequestMatch,
        answers: impl IntoIterator<Item = ScriptedAnswer>,
    ) {
        lock(&self.shared.queue).extend(answers.into_iter().map(|a| (like.clone(), a)));
    }

    /// Forgets every request, scripted answer and cursor position.
    pub fn reset(&self) {
        lock(&self.shared.log).clear();
        lock(&self.shared.queue).clear();
        self.shared.arrivals.send_replace(0);
        self.cursor.store(0, Ordering::SeqCst);
    }

    /// Starts run `id`: forgets the previous run's requests and script (see
    /// [`MockPeer::reset`]) and ends the previous run, whose identifiers it remembers.
    pub fn begin_run(&self, id: &str) {
        self.end_run();
        self.reset();
        lock(&self.shared.runs).current = Some((id.to_string(), BTreeSet::new()));
    }

    /// Ends the current run: what arrives now is late traffic of an earlier run.
    pub fn end_run(&self) {
        let mut runs = lock(&self.shared.runs);
        if let Some(done) = runs.current.take() {
            runs.past.push_back(done);
            if runs.past.len() > REMEMBERED_RUNS {
                runs.past.pop_front();
            }
        }
    }

    /// The current run sent these identifiers to the IUT (strings too short to tell
    /// runs apart are ignored).
    pub fn claim<'a>(&self, identifiers: impl IntoIterator<Item = &'a str>) {
        let mut runs = lock(&self.shared.runs);
        if let Some((_, ids)) = runs.current.as_mut() {
            ids.extend(
                identifiers
                    .into_iter()
                    .filter(|i| i.len() >= SHORTEST_IDENTIFIER)
                    .map(str::to_string),
            );
        }
    }

    /// Late traffic set aside since the last call.
    pub fn take_late(&self) -> Vec<LateArrival> {
        std::mem::take(&mut lock(&self.shared.runs).late)
    }

    /// Waits until no request has arrived for `quiet`, or `limit` has passed; `true`
    /// when it fell quiet.
    pub async fn wait_quiet(&self, quiet: Duration, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut rx = self.shared.activity.subscribe();
        loop {
            let window = quiet.min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(window, rx.changed()).await {
                Err(_) if window == quiet => return true,
                Err(_) => return false,
                Ok(Err(_)) => return true,
                Ok(Ok(())) if Instant::now() >= deadline => return false,
                Ok(Ok(())) => {}
            }
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Waits up to `within` for the next request not yet taken, and takes it.
    pub async fn next_request(&self, within: Duration) -> Option<RecordedRequest> {
        self.next_matching(within, &RequestMatch::default()).await
    }

    /// Waits up to `within` for the next request not yet taken that is like `like`,
    /// and takes it with every request before it.
    pub async fn next_matching(
        &self,
        within: Duration,
        like: &RequestMatch,
    ) -> Option<RecordedRequest> {
        let (index, request) = self.first_matching(within, like).await?;
        self.cursor.store(index + 1, Ordering::SeqCst);
        Some(request)
    }

    /// The first request not yet taken that arrives (or has arrived) within `within`,
    /// without taking it.
    pub async fn peek_request(&self, within: Duration) -> Option<RecordedRequest> {
        self.peek_matching(within, &RequestMatch::default()).await
    }

    /// The first request not yet taken and like `like` that arrives (or has arrived)
    /// within `within`, without taking it.
    pub async fn peek_matching(
        &self,
        within: Duration,
        like: &RequestMatch,
    ) -> Option<RecordedRequest> {
        self.first_matching(within, like).await.map(|(_, r)| r)
    }

    async fn first_matching(
        &self,
        within: Duration,
        like: &RequestMatch,
    ) -> Option<(usize, RecordedRequest)> {
        let deadline = Instant::now() + within;
        let mut index = self.cursor.load(Ordering::SeqCst);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let request = self.request_at(index, left).await?;
            if like.matches(&request) {
                return Some((index, request));
            }
            index += 1;
        }
    }

    async fn request_at(&self, index: usize, within: Duration) -> Option<RecordedRequest> {
        let mut rx = self.shared.arrivals.subscribe();
        // `wait_for` returns a guard on the channel's value; it must be gone before the
        // log is locked, as the handler locks the log and then writes the channel.
        let arrived = matches!(
            tokio::time::timeout(within, rx.wait_for(|n| *n > index)).await,
            Ok(Ok(_))
        );
        if arrived {
            lock(&self.shared.log).get(index).cloned()
        } else {
            None
        }
    }
}

/// Reads an incoming request into a [`RecordedRequest`] (body capped at 2 MiB); the
/// error is the answer to give when the body is too large.
pub async fn read_request(request: Request, seq: usize) -> Result<RecordedRequest, Response> {
    let tls = crate::tls::negotiated(&request);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, REQUEST_CAP)
        .await
        .map_err(|_| {
            PeerReply::json(413, &serde_json::json!({"error": "request body too large"}))
                .into_response()
        })?
        .to_vec();
    Ok(RecordedRequest {
        seq,
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        json: serde_json::from_slice(&body).ok(),
        body,
        at: Instant::now(),
        tls,
    })
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let mut recorded = match read_request(request, 0).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    shared.activity.send_modify(|n| *n += 1);
    {
        let mut runs = lock(&shared.runs);
        if let Some(from) = runs.late_owner(&recorded) {
            let during = runs.current.as_ref().map(|(run, _)| run.clone());
            tracing::info!(%from, ?during, path = %recorded.path, "late traffic set aside");
            runs.late.push(LateArrival {
                from,
                during,
                method: recorded.method.clone(),
                path: recorded.path.clone(),
            });
            drop(runs);
            return (shared.behaviour)(&recorded).into_response();
        }
    }
    {
        let mut log = lock(&shared.log);
        recorded.seq = log.len();
        log.push(recorded.clone());
        shared.arrivals.send_replace(log.len());
    }
    let scripted = {
        let mut queue = lock(&shared.queue);
        let first = queue.iter().position(|(like, _)| like.matches(&recorded));
        first
            .and_then(|i| queue.remove(i))
            .map(|(_, answer)| answer)
    };
    let reply = match scripted {
        Some(answer) => {
            if !answer.delay.is_zero() {
                tokio::time::sleep(answer.delay).await;
            }
            match answer.reply {
                Some(r) if r.status == PeerReply::STORED_THEN_CLOSED => {
                    let _ = (shared.behaviour)(&recorded);
                    PeerReply::closed()
                }
                Some(r) => r,
                None => (shared.behaviour)(&recorded),
            }
        }
        None => (shared.behaviour)(&recorded),
    };
    reply.into_response()
}

impl IntoResponse for PeerReply {
    fn into_response(self) -> Response {
        if self.status == Self::CLOSED {
            // A body that fails before its first byte: the server drops the connection.
            let failing = futures_util::stream::once(async {
                Err::<axum::body::Bytes, _>(std::io::Error::other("closed without an answer"))
            });
            return Response::new(Body::from_stream(failing));
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Body::from(self.body)).into_response();
        if let Some(ct) = self
            .content_type
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            response.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(n, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests;
