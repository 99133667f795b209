//! The reference negotiator's bandwidth updates (PROTOCOLS.md §1b, v1 only).
//!
//! As initiator, on the customer's PATCH: the size is checked against the
//! environment first (CCI-L-44); its own connection shows the new bandwidth before the
//! peer is asked (L-46); UpdateConnection goes to the peer, and only after a 200 does
//! the network change (on the clock) and the bandwidth in service move, then it
//! notifies (L-45, L-47). Any other answer puts the old bandwidth back everywhere.
//! As target, a peer PATCH gets 409 while its own customer update is in progress
//! (L-49), else it is granted for an offered size.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::negotiation::ACTIVE;
use super::{error, CspB};
use crate::peers::{PeerReply, RecordedRequest};
use crate::protocols::cci::lifecycle::features::PROVISION_DELAY;
use crate::protocols::cci::lifecycle::responder;
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;

/// The customer state while an update is carried out.
pub const UPDATING: &str = "UPDATING";
/// How often the update looks at the clock while the network changes.
const TICK: Duration = Duration::from_millis(100);

/// What the customer asked for, once checked: the connection and both sizes.
struct Change {
    customer: String,
    uuid: String,
    old: u32,
    new: u32,
}

impl CspB {
    /// Starts the customer's update of `id` to `size`, or says why it is refused.
    fn begin_update(&self, id: &str, size: u32) -> Result<Change, (StatusCode, String)> {
        let mut connections = self.connections();
        let Some(c) = connections.get_mut(id) else {
            return Err((StatusCode::NOT_FOUND, format!("no connection {id}")));
        };
        let (Some(uuid), ACTIVE) = (c.uuid.clone(), c.state) else {
            return Err((
                StatusCode::CONFLICT,
                format!("connection {id} is {}, not ACTIVE", c.state),
            ));
        };
        if !self.config.offers(&c.environment, size) {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("{size} Mbps is not offered on `{}`", c.environment),
            ));
        }
        let old = c.in_service;
        c.state = UPDATING;
        if self.config.has(Fault::BLcUpdatesBeforeGrant) {
            c.in_service = size;
        }
        drop(connections);
        self.negotiator.with(&uuid, |l| {
            l.updating = true;
            if !self.config.has(Fault::BLcUpdateLocalLate) {
                l.bandwidth = size;
            }
        });
        Ok(Change {
            customer: id.to_string(),
            uuid,
            old,
            new: size,
        })
    }

    /// The peer's path of the connection behind customer connection `id`.
    pub(super) fn peer_path(&self, id: &str) -> Option<String> {
        let uuid = self.connections().get(id)?.uuid.clone()?;
        let local = self.negotiator.get(&uuid)?;
        Some(format!(
            "environments/{}/interconnects/{}/connections/{uuid}",
            local.environment, local.interconnect
        ))
    }

    /// The fault's UpdateConnection for a size it has not checked yet (it refuses the
    /// customer only afterwards).
    async fn ask_unchecked(self: Arc<Self>, id: String, size: u32) {
        if let Some(c) = self.peer_path(&id) {
            let _ = self
                .ask(
                    "PATCH",
                    &format!("{c}?updateMask=bandwidthMbps"),
                    Some(json!({"bandwidthMbps": size})),
                )
                .await;
        }
    }

    /// Asks the peer, then changes the network (after a 200) or puts everything back.
    async fn carry_update(self: Arc<Self>, change: Change) {
        let Some(local) = self.negotiator.get(&change.uuid) else {
            return;
        };
        let c = format!(
            "environments/{}/interconnects/{}/connections/{}",
            local.environment, local.interconnect, change.uuid
        );
        let answer = self
            .ask(
                "PATCH",
                &format!("{c}?updateMask=bandwidthMbps"),
                Some(json!({"bandwidthMbps": change.new})),
            )
            .await;
        let granted = answer.is_some_and(|a| a.status == 200);
        if granted {
            let done = self.clock.now() + PROVISION_DELAY;
            while self.clock.now() < done {
                tokio::time::sleep(TICK).await;
            }
        }
        let (bandwidth, in_service) = match (granted, self.config.has(Fault::BLcKeepsRefusedUpdate))
        {
            (true, _) => (change.new, change.new),
            (false, true) => (change.new, change.new),
            (false, false) => (change.old, change.old),
        };
        self.negotiator.with(&change.uuid, |l| {
            l.bandwidth = bandwidth;
            l.updating = false;
        });
        if let Some(c) = self.connections().get_mut(&change.customer) {
            c.in_service = in_service;
            c.state = ACTIVE;
        }
        if granted && !self.config.has(Fault::BLcUpdateSilent) {
            let _ = self.notify(&change.uuid, &c).await;
        }
    }

    /// A peer's UpdateConnection of `uuid` on `environment`/`interconnect`
    /// (authenticated): 409 while the customer's own update is in progress, 400 for
    /// anything but an offered bandwidth, else granted at once. `None` when granted or
    /// not B's connection: the books then answer (the connection as it reads, or 404).
    pub(super) fn peer_update(
        &self,
        (environment, interconnect, uuid): (&str, &str, &str),
        request: &RecordedRequest,
    ) -> Option<PeerReply> {
        let local = self
            .negotiator
            .get(uuid)
            .filter(|l| l.environment == environment && l.interconnect == interconnect)?;
        if local.updating && !self.config.has(Fault::BLcGrantsWhileUpdating) {
            return Some(responder::error(
                409,
                format!("connection {uuid} is being updated by its customer"),
            ));
        }
        if request.query_param("updateMask").as_deref() != Some("bandwidthMbps") {
            return Some(responder::error(
                400,
                "only updateMask=bandwidthMbps can change",
            ));
        }
        let size = request
            .json
            .as_ref()
            .and_then(|j| j.get("bandwidthMbps"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let Some(size) = size.filter(|s| self.config.offers(&local.environment, *s)) else {
            return Some(responder::error(
                400,
                format!("bandwidthMbps is not a size `{}` offers", local.environment),
            ));
        };
        if self.config.variations.contains(&Variation::RefusesUpdates) && size != local.bandwidth {
            return Some(responder::error(
                422,
                format!("bandwidth changes on {uuid} exceed this account's quota"),
            ));
        }
        self.negotiator.with(uuid, |l| l.bandwidth = size);
        if let Some(c) = self
            .connections()
            .values_mut()
            .find(|c| c.uuid.as_deref() == Some(uuid))
        {
            c.in_service = size;
        }
        None
    }
}

/// `PATCH /customer/connections/{id}` `{"connectionSizeMbps": n}`: 202 and UPDATING,
/// or the refusal.
pub(super) async fn customer_update(
    State(b): State<Arc<CspB>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let size = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("connectionSizeMbps").and_then(Value::as_u64))
        .and_then(|n| u32::try_from(n).ok());
    let Some(size) = size else {
        return error(
            StatusCode::BAD_REQUEST,
            "connectionSizeMbps (integer) is required",
        );
    };
    if b.config.has(Fault::BLcUpdateUnchecked) {
        let unoffered = b
            .connections()
            .get(&id)
            .is_some_and(|c| !b.config.offers(&c.environment, size));
        if unoffered {
            b.clone().ask_unchecked(id.clone(), size).await;
        }
    }
    match b.begin_update(&id, size) {
        Ok(change) => {
            tokio::spawn(b.clone().carry_update(change));
            (
                StatusCode::ACCEPTED,
                Json(json!({"connectionId": id, "state": UPDATING})),
            )
                .into_response()
        }
        Err((status, why)) => error(status, why),
    }
}
