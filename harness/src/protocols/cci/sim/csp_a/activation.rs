//! The reference responder's activation (PROTOCOLS.md §1b, CCI-L-39 … L-41): once the
//! features it holds for a connection are final it notifies the negotiator, again until
//! it gets a 2xx; it reads the connection back after the negotiator's notification;
//! and it turns the connection VERIFIED (the customer's ACTIVE) only when all three
//! have happened.
//!
//! Only a simulator that knows its peer's API drives this: the harness's mock CSP A
//! (no peer base) stays passive, so scenarios script its notifications themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::CspA;
use crate::http::{HttpRequest, HttpResponse};
use crate::protocols::cci::sim::faults::Fault;

/// How often the driver looks at the books.
const TICK: Duration = Duration::from_millis(100);
/// How long, on the simulator's clock, a connection is driven before it is left as it
/// is (features never proposed, the peer never notifying).
const PATIENCE: Duration = Duration::from_secs(120);
/// The longest pause between two notifications.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What happened so far towards VERIFIED, per sharedConnectionUuid.
#[derive(Debug, Default)]
pub(super) struct Activations {
    books: Mutex<HashMap<String, Progress>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// The peer answered the responder's notification with a 2xx.
    acknowledged: bool,
    /// The peer's notification arrived (and was followed by a read).
    peer_notified: bool,
}

impl Activations {
    fn with<T>(&self, uuid: &str, f: impl FnOnce(&mut Progress) -> T) -> T {
        let mut books = self.books.lock().unwrap_or_else(|p| p.into_inner());
        f(books.entry(uuid.to_string()).or_default())
    }
}

impl CspA {
    /// Drives connection `uuid`, just placed by the peer, towards VERIFIED (in the
    /// background; it ends when the connection is gone, verified, or after
    /// [`PATIENCE`]).
    pub(super) async fn activate(self: Arc<Self>, uuid: String) {
        let start = self.clock.now();
        let late = |a: &Self| a.clock.now() >= start + PATIENCE;
        let early = self.config.has(Fault::ALcNotifiesPending);
        loop {
            if self.responder.placement(&uuid).is_none() || late(&self) {
                return;
            }
            let ready = if early {
                self.responder.enough_features(&self.config, &uuid)
            } else {
                self.responder.ready(self.clock.now(), &self.config, &uuid)
            };
            if ready {
                break;
            }
            tokio::time::sleep(TICK).await;
        }
        if self.config.has(Fault::ALcNeverNotifies) {
            return;
        }
        let mut backoff = Duration::from_millis(200);
        loop {
            let Some((environment, interconnect)) = self.responder.placement(&uuid) else {
                return;
            };
            let path = format!("environments/{environment}/interconnects/{interconnect}/connections/{uuid}/NotifyConnectionStatus");
            let status = self
                .ask_peer("POST", &path, Some(b"{}".to_vec()))
                .await
                .map(|r| r.status);
            if status.is_some_and(|s| (200..300).contains(&s))
                || self.config.has(Fault::ALcNotifiesOnce)
            {
                break;
            }
            if late(&self) {
                return;
            }
            tracing::debug!(?status, %uuid, "notification not acknowledged; again");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        self.activations.with(&uuid, |p| p.acknowledged = true);
        loop {
            if self.responder.placement(&uuid).is_none() || late(&self) {
                return;
            }
            let notified = self.activations.with(&uuid, |p| p.peer_notified);
            if notified || self.config.has(Fault::ALcVerifiesAlone) {
                break;
            }
            tokio::time::sleep(TICK).await;
        }
        if self.responder.verify(&uuid) {
            self.customer_active(&uuid);
        }
    }

    /// The peer's NotifyConnectionStatus for `uuid` on `environment`/`interconnect`
    /// (answered already): reads the connection from the peer (CCI-L-40), then counts
    /// the notice, which keeps when it comes before the responder's own features are
    /// final (CCI-L-42).
    pub(super) async fn notified(
        self: Arc<Self>,
        environment: String,
        interconnect: String,
        uuid: String,
    ) {
        if !self.config.has(Fault::ALcNoRefresh) {
            let path = format!(
                "environments/{environment}/interconnects/{interconnect}/connections/{uuid}"
            );
            let _ = self.ask_peer("GET", &path, None).await;
        }
        self.activations.with(&uuid, |p| p.peer_notified = true);
    }

    /// Sends `method` to `{peer_base}/providers/{own}/{path}` with A's credentials: the
    /// answer, or `None` without a peer base or an answer.
    pub(super) async fn ask_peer(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Option<HttpResponse> {
        let base = self.config.peer_base.as_ref()?;
        let mut headers = vec![(
            self.config.credential_header.clone(),
            format!("Bearer {}", self.config.own_token),
        )];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let request = HttpRequest {
            method: method.into(),
            url: format!("{base}/providers/{}/{path}", self.config.own_id),
            headers,
            body,
        };
        self.http
            .send(&request, self.config.peer_timeout)
            .await
            .ok()
    }
}
