//! A recording mock peer: answers by a scripted queue first, then by a default
//! behaviour, and lets scenario steps await or forbid requests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes (capped).
    pub body: Vec<u8>,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// When it arrived.
    pub at: Instant,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
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

struct Shared {
    log: Mutex<Vec<RecordedRequest>>,
    arrivals: watch::Sender<usize>,
    queue: Mutex<VecDeque<ScriptedAnswer>>,
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
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            arrivals,
            queue: Mutex::new(VecDeque::new()),
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
        lock(&self.shared.queue).extend(answers);
    }

    /// Forgets every request, scripted answer and cursor position.
    pub fn reset(&self) {
        lock(&self.shared.log).clear();
        lock(&self.shared.queue).clear();
        self.shared.arrivals.send_replace(0);
        self.cursor.store(0, Ordering::SeqCst);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Waits up to `within` for the next request not yet taken, and takes it.
    pub async fn next_request(&self, within: Duration) -> Option<RecordedRequest> {
        let wanted = self.cursor.load(Ordering::SeqCst);
        let request = self.request_at(wanted, within).await?;
        self.cursor.store(wanted + 1, Ordering::SeqCst);
        Some(request)
    }

    /// The first request not yet taken that arrives (or has arrived) within `within`,
    /// without taking it.
    pub async fn peek_request(&self, within: Duration) -> Option<RecordedRequest> {
        self.request_at(self.cursor.load(Ordering::SeqCst), within)
            .await
    }

    async fn request_at(&self, index: usize, within: Duration) -> Option<RecordedRequest> {
        let mut rx = self.shared.arrivals.subscribe();
        let arrived = tokio::time::timeout(within, rx.wait_for(|n| *n > index)).await;
        match arrived {
            Ok(Ok(_)) => lock(&self.shared.log).get(index).cloned(),
            _ => None,
        }
    }
}

/// Reads an incoming request into a [`RecordedRequest`] (body capped at 2 MiB); the
/// error is the answer to give when the body is too large.
pub async fn read_request(request: Request, seq: usize) -> Result<RecordedRequest, Response> {
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
    })
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let mut recorded = match read_request(request, 0).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    {
        let mut log = lock(&shared.log);
        recorded.seq = log.len();
        log.push(recorded.clone());
        shared.arrivals.send_replace(log.len());
    }
    let scripted = lock(&shared.queue).pop_front();
    let reply = match scripted {
        Some(answer) => {
            if !answer.delay.is_zero() {
                tokio::time::sleep(answer.delay).await;
            }
            answer
                .reply
                .unwrap_or_else(|| (shared.behaviour)(&recorded))
        }
        None => (shared.behaviour)(&recorded),
    };
    reply.into_response()
}

impl IntoResponse for PeerReply {
    fn into_response(self) -> Response {
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
mod tests {
    use super::*;

    fn not_found() -> Behaviour {
        Arc::new(|_| PeerReply::json(404, &serde_json::json!({"error": "no such path"})))
    }

    #[tokio::test]
    async fn records_scripts_and_awaits() {
        let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
            .await
            .expect("starts");
        assert!(peer.peek_request(Duration::from_millis(50)).await.is_none());
        peer.script([ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(PeerReply::json(200, &serde_json::json!({"ok": true}))),
        }]);
        let client = crate::http::HttpClient::new().expect("client");
        let req = crate::http::HttpRequest {
            method: "POST".into(),
            url: format!("{}/x", peer.url()),
            headers: vec![],
            body: Some(b"{\"a\":1}".to_vec()),
        };
        let first = client
            .send(&req, Duration::from_secs(2))
            .await
            .expect("answer");
        assert_eq!(first.status, 200);
        let second = client
            .send(&req, Duration::from_secs(2))
            .await
            .expect("answer");
        assert_eq!(second.status, 404);
        let got = peer
            .next_request(Duration::from_secs(1))
            .await
            .expect("first");
        assert_eq!((got.seq, got.path.as_str()), (0, "/x"));
        assert_eq!(got.json, Some(serde_json::json!({"a": 1})));
        assert_eq!(
            peer.next_request(Duration::from_secs(1))
                .await
                .map(|r| r.seq),
            Some(1)
        );
        assert!(peer.next_request(Duration::from_millis(50)).await.is_none());
        peer.reset();
        assert!(peer.requests().is_empty());
    }
}
