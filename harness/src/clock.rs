//! A test clock: real monotonic time plus an offset that tests may advance, and the
//! `POST /test/clock/advance` endpoint every simulator serves for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// Monotonic time that `advance` can move forward; clones share the offset.
#[derive(Debug, Clone)]
pub struct TestClock {
    start: Instant,
    offset_ms: Arc<AtomicU64>,
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// A clock at zero with no offset.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Time elapsed since the clock was made, offset included.
    pub fn now(&self) -> Duration {
        self.start.elapsed() + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

/// The test API: `POST /test/clock/advance {"seconds": n}` moves `clock` forward.
pub fn routes(clock: TestClock) -> Router {
    Router::new()
        .route("/test/clock/advance", post(advance))
        .with_state(clock)
}

async fn advance(State(clock): State<TestClock>, body: Bytes) -> Response {
    let seconds = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("seconds").and_then(Value::as_f64))
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9);
    match seconds {
        Some(s) => {
            clock.advance(Duration::from_secs_f64(s));
            Json(json!({"advancedSeconds": s})).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "body must be {\"seconds\": n} with n >= 0"})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_every_clone() {
        let clock = TestClock::new();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::from_secs(3600));
        assert!(other.now() >= before + Duration::from_secs(3600));
    }
}
