//! The reference negotiator's deletes (PROTOCOLS.md §1b, v1 only).
//!
//! As initiator, on the customer's DELETE: its own connection goes at once, then one
//! DeleteConnection goes to the peer (CCI-L-51). As target, the peer's DeleteConnection
//! is never refused: the connection, its features and the customer's connection go,
//! and the drive stops calling the peer about it (CCI-L-52, L-54).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{error, CspB};
use crate::peers::PeerReply;
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;

impl CspB {
    /// Forgets customer connection `id` and the local connection behind it.
    fn forget(&self, id: &str) {
        let uuid = self.connections().remove(id).and_then(|c| c.uuid);
        if let Some(uuid) = uuid {
            self.negotiator.books().remove(&uuid);
        }
    }

    /// The peer's DeleteConnection of `uuid` on `environment`/`interconnect`
    /// (authenticated): granted, and everything of it forgotten. `None` when it is not
    /// B's connection (the books then answer 404).
    pub(super) fn peer_delete(
        self: &Arc<Self>,
        (environment, interconnect, uuid): (&str, &str, &str),
    ) -> Option<PeerReply> {
        let local = self
            .negotiator
            .get(uuid)
            .filter(|l| l.environment == environment && l.interconnect == interconnect)?;
        if local.updating && self.config.has(Fault::BLcRefusesDeleteMidUpdate) {
            return Some(PeerReply::json(
                409,
                &json!({"error": format!("connection {uuid} is being updated")}),
            ));
        }
        let customer = self
            .connections()
            .iter()
            .find(|(_, c)| c.uuid.as_deref() == Some(uuid))
            .map(|(id, _)| id.clone());
        match customer {
            Some(id) => self.forget(&id),
            None => {
                self.negotiator.books().remove(uuid);
            }
        }
        let after = if self.config.has(Fault::BLcCallsAfterDelete) {
            Some(("POST", "/NotifyConnectionStatus"))
        } else if self.config.has(Fault::BLcReadsAfterDelete) {
            Some(("GET", ""))
        } else {
            None
        };
        if let Some((method, suffix)) = after {
            let b = self.clone();
            let c = format!(
                "environments/{environment}/interconnects/{interconnect}/connections/{uuid}{suffix}"
            );
            let body = (method == "POST").then(|| json!({}));
            tokio::spawn(async move {
                let _ = b.ask(method, &c, body).await;
            });
        }
        Some(PeerReply::json(200, &json!({})))
    }
}

/// `DELETE /customer/connections/{id}`: 204, the local connection gone at once and one
/// DeleteConnection on its way to the peer.
pub(super) async fn customer_delete(
    State(b): State<Arc<CspB>>,
    Path(id): Path<String>,
) -> Response {
    if !b.connections().contains_key(&id) {
        return error(StatusCode::NOT_FOUND, format!("no connection {id}"));
    }
    let peer = b.peer_path(&id);
    // V-12: the features' ids, for a DeleteFeature each before the DeleteConnection.
    let features: Vec<String> = if b
        .config
        .variations
        .contains(&Variation::DeletesFeaturesFirst)
    {
        b.connections()
            .get(&id)
            .and_then(|c| c.uuid.clone())
            .and_then(|uuid| b.negotiator.get(&uuid))
            .map(|l| l.features.keys().cloned().collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let remote_first = b.config.has(Fault::BLcDeleteRemoteFirst);
    if !remote_first {
        b.forget(&id);
    }
    if let Some(c) = peer {
        let b = b.clone();
        tokio::spawn(async move {
            let times = if b.config.has(Fault::BLcDeletesTwice) {
                2
            } else {
                1
            };
            for fid in &features {
                let _ = b.ask("DELETE", &format!("{c}/features/{fid}"), None).await;
            }
            for _ in 0..times {
                let _ = b.ask("DELETE", &c, None).await;
            }
            if remote_first {
                b.forget(&id);
            }
        });
    } else if remote_first {
        b.forget(&id);
    }
    StatusCode::NO_CONTENT.into_response()
}
