//! The negotiator's own books (PROTOCOLS.md §1b, CCI-L-19, L-34, L-38 … L-43): the
//! local connection it creates before it proposes anything to the peer, the local
//! features behind its proposals, the notifications each side sent, and how all of it
//! reads to the peer (GetConnection, ListFeatures, GetFeature, and
//! NotifyConnectionStatus, which it answers).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::features::PROVISION_DELAY;
use super::responder::error;
use super::route::Route;
use crate::peers::{PeerReply, RecordedRequest};

/// `VERIFICATION_STATE_UNVERIFIED`.
pub const UNVERIFIED: &str = "VERIFICATION_STATE_UNVERIFIED";
/// `VERIFICATION_STATE_VERIFIED`.
pub const VERIFIED: &str = "VERIFICATION_STATE_VERIFIED";

/// A feature the negotiator holds locally.
#[derive(Debug, Clone)]
pub struct LocalFeature {
    /// The proposal (channel and featureConfig).
    pub body: Value,
    /// When the peer accepted it (`None`: not yet), on the simulator's clock.
    pub accepted_at: Option<Duration>,
}

/// The negotiator's local connection.
#[derive(Debug, Clone)]
pub struct Local {
    /// Its environment.
    pub environment: String,
    /// The interconnect it was placed on at the peer.
    pub interconnect: String,
    /// bandwidthMbps.
    pub bandwidth: u32,
    /// The activation key it came from.
    pub key: String,
    /// Features by id.
    pub features: BTreeMap<String, LocalFeature>,
    /// Whether the peer's NotifyConnectionStatus arrived (and counts).
    pub peer_notified: bool,
    /// Whether its own NotifyConnectionStatus got a 2xx.
    pub acknowledged: bool,
    /// Whether it is VERIFIED.
    pub verified: bool,
    /// Whether its customer's bandwidth update is in progress.
    pub updating: bool,
}

impl Local {
    /// A new, unverified connection on `interconnect`.
    pub fn new(environment: &str, interconnect: &str, bandwidth: u32, key: &str) -> Self {
        Self {
            environment: environment.to_string(),
            interconnect: interconnect.to_string(),
            bandwidth,
            key: key.to_string(),
            features: BTreeMap::new(),
            peer_notified: false,
            acknowledged: false,
            verified: false,
            updating: false,
        }
    }

    /// How many features the peer accepted.
    pub fn accepted(&self) -> usize {
        self.features
            .values()
            .filter(|f| f.accepted_at.is_some())
            .count()
    }

    /// Whether every accepted feature is FINAL at `now` (and there is one).
    pub fn final_at(&self, now: Duration) -> bool {
        let mut accepted = self.features.values().filter_map(|f| f.accepted_at);
        let mut any = false;
        let all = accepted.all(|at| {
            any = true;
            now >= at + PROVISION_DELAY
        });
        any && all
    }
}

/// How many of `channels` features make a connection ready: three quarters,
/// rounded up, and at least 3 (all of them when there are fewer).
pub fn ready_at(channels: usize) -> usize {
    channels.saturating_mul(3).div_ceil(4).max(3).min(channels)
}

/// The negotiator's books: local connections by sharedConnectionUuid.
#[derive(Debug, Default)]
pub struct Negotiator {
    books: Mutex<BTreeMap<String, Local>>,
}

impl Negotiator {
    /// The books, locked.
    pub fn books(&self) -> MutexGuard<'_, BTreeMap<String, Local>> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of connection `id`.
    pub fn get(&self, id: &str) -> Option<Local> {
        self.books().get(id).cloned()
    }

    /// Changes connection `id`, if it is there.
    pub fn with(&self, id: &str, change: impl FnOnce(&mut Local)) {
        if let Some(local) = self.books().get_mut(id) {
            change(local);
        }
    }

    /// Answers the peer (`caller`, authenticated) at `now`: GetConnection,
    /// ListFeatures, GetFeature and NotifyConnectionStatus on its connections, and an
    /// UpdateConnection the caller has already granted (with the connection as it
    /// now reads); `None`
    /// when the route is none of these. A notification is answered 2xx and handed to
    /// `notified` (which refreshes from the peer).
    pub fn reply(
        &self,
        now: Duration,
        caller: &str,
        route: &Route<'_>,
        request: &RecordedRequest,
    ) -> Option<(PeerReply, Option<String>)> {
        let (e, x, id) = match route {
            Route::Connection(e, x, id)
            | Route::Features(e, x, id)
            | Route::Feature(e, x, id, _)
            | Route::Notify(e, x, id) => (*e, *x, *id),
            _ => return None,
        };
        let Some(local) = self
            .get(id)
            .filter(|l| l.environment == e && l.interconnect == x)
        else {
            return Some((error(404, format!("no connection {id} on {x}")), None));
        };
        let path =
            format!("providers/{caller}/environments/{e}/interconnects/{x}/connections/{id}");
        let feature = |fid: &str, f: &LocalFeature| {
            let state = match f.accepted_at {
                Some(at) if now >= at + PROVISION_DELAY => "PROVISIONING_STATE_FINAL",
                _ => "PROVISIONING_STATE_PENDING",
            };
            let mut v = f.body.clone();
            v["name"] = json!(format!("{path}/features/{fid}"));
            v["provisioningState"] = json!(state);
            v
        };
        let reply = match (route, request.method.as_str()) {
            (Route::Connection(..), "GET" | "PATCH") => PeerReply::json(
                200,
                &json!({
                    "name": path,
                    "activationKey": local.key,
                    "bandwidthMbps": local.bandwidth,
                    "adminState": "ADMIN_STATE_ENABLED",
                    "verificationState": if local.verified { VERIFIED } else { UNVERIFIED },
                    "deferProvisioning": false,
                }),
            ),
            (Route::Features(..), "GET") => {
                let list: Vec<Value> = local
                    .features
                    .iter()
                    .map(|(fid, f)| feature(fid, f))
                    .collect();
                PeerReply::json(200, &json!({ "features": list }))
            }
            (Route::Feature(.., fid), "GET") => match local.features.get(*fid) {
                Some(f) => PeerReply::json(200, &feature(fid, f)),
                None => error(404, format!("no feature {fid} on connection {id}")),
            },
            (Route::Notify(..), "POST") => {
                return Some((PeerReply::json(200, &json!({})), Some((*id).to_string())))
            }
            _ => error(
                405,
                format!("{} is not served on this path", request.method),
            ),
        };
        Some((reply, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_is_three_of_four_and_three_quarters_of_more() {
        assert_eq!(ready_at(4), 3);
        assert_eq!(ready_at(5), 4);
        assert_eq!(ready_at(8), 6);
        assert_eq!(ready_at(3), 3);
        assert_eq!(ready_at(2), 2);
    }

    #[test]
    fn features_turn_final_a_while_after_acceptance() {
        let mut l = Local::new("e", "x", 100, "k");
        assert!(!l.final_at(Duration::from_secs(100)), "nothing accepted");
        l.features.insert(
            "f1".into(),
            LocalFeature {
                body: json!({}),
                accepted_at: Some(Duration::from_secs(1)),
            },
        );
        l.features.insert(
            "f2".into(),
            LocalFeature {
                body: json!({}),
                accepted_at: None,
            },
        );
        assert_eq!(l.accepted(), 1);
        assert!(!l.final_at(Duration::from_secs(2)));
        assert!(l.final_at(Duration::from_secs(1) + PROVISION_DELAY));
    }
}
