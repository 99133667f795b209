//! Time for everything the harness runs in one process: a test clock (tokio's monotonic
//! time plus an offset that tests may advance), the wall time that goes with it, and
//! the `POST /test/clock/advance` endpoint every simulator serves for it.
//!
//! Every clock here reads tokio's time, so a runtime started paused (virtual time, for
//! built-in runs) moves them all: the runtime jumps to the next deadline whenever every
//! party is idle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The wall time now, as tokio's clock sees it: the real time when first asked plus
/// tokio's time elapsed since. Under virtual time it moves with the virtual clock.
pub fn wall_now() -> jiff::Timestamp {
    static BASE: OnceLock<(jiff::Timestamp, std::time::Instant)> = OnceLock::new();
    let (wall, at) = BASE.get_or_init(|| (jiff::Timestamp::now(), std::time::Instant::now()));
    let elapsed = Instant::now().into_std().saturating_duration_since(*at);
    let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX / 2);
    wall.checked_add(jiff::SignedDuration::from_millis(ms))
        .unwrap_or(*wall)
}

/// Monotonic time that `advance` can move forward; clones share the offset.
#[derive(Debug, Clone)]
pub struct TestClock {
    start: Instant,
    wall_start: jiff::Timestamp,
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
            wall_start: wall_now(),
            offset_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Time elapsed since the clock was made, offset included.
    pub fn now(&self) -> Duration {
        self.start.elapsed() + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    /// The wall time the clock stands for: its start plus [`TestClock::now`].
    pub fn wall(&self) -> jiff::Timestamp {
        self.wall_at(self.now())
    }

    /// The wall time at clock time `at`.
    pub fn wall_at(&self, at: Duration) -> jiff::Timestamp {
        let ms = i64::try_from(at.as_millis()).unwrap_or(i64::MAX / 2);
        self.wall_start
            .checked_add(jiff::SignedDuration::from_millis(ms))
            .unwrap_or(self.wall_start)
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
        assert!(other.wall() >= clock.wall_at(before) + jiff::SignedDuration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn virtual_time_moves_every_clock() {
        let clock = TestClock::new();
        let wall = wall_now();
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert!(clock.now() >= Duration::from_secs(600));
        assert!(wall_now() >= wall + jiff::SignedDuration::from_secs(600));
        assert!(clock.wall() >= wall + jiff::SignedDuration::from_secs(600));
    }
}
