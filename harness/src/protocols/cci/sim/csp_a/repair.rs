//! The reference responder as a channel's owner (PROTOCOLS.md §1b, CCI-L-56; Q-6):
//! when the peer deletes a feature of a live (VERIFIED) connection on a channel the
//! responder manages, the responder recreates it: guidance from the peer for that
//! channel, its own proposal held locally first, then CreateFeature at the peer, again
//! with other values until one is accepted.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::CspA;
use crate::protocols::cci::lifecycle::proposal;
use crate::protocols::cci::sim::faults::Fault;

/// How long, on the simulator's clock, a repair keeps trying.
const PATIENCE: Duration = Duration::from_secs(120);

impl CspA {
    /// Whether deleting feature `feature` of connection `uuid` calls for a repair: the
    /// connection went live and the responder owns the feature's channel (under the
    /// fault, any channel). The channel's bare name if so.
    pub(super) fn repair_due(&self, uuid: &str, feature: &str) -> Option<String> {
        if !self.responder.is_verified(uuid) || self.config.has(Fault::ALcNoRepair) {
            return None;
        }
        let channel = self.responder.feature_channel(uuid, feature)?;
        let owned = self.responder.owns(&self.config, uuid, &channel);
        (owned || self.config.has(Fault::ALcRepairsForeign)).then_some(channel)
    }

    /// Recreates the feature on `channel` of connection `uuid` (in the background).
    pub(super) async fn repair(self: Arc<Self>, uuid: String, channel: String) {
        let start = self.clock.now();
        let mut backoff = Duration::from_millis(200);
        for attempt in 0u64.. {
            let Some((environment, interconnect)) = self.responder.placement(&uuid) else {
                return;
            };
            if self.responder.holds_on(&uuid, &channel) || self.clock.now() >= start + PATIENCE {
                return;
            }
            let c = format!(
                "environments/{environment}/interconnects/{interconnect}/connections/{uuid}"
            );
            let entry = self
                .ask_peer(
                    "POST",
                    &format!("{c}/GenerateFeatureGuidance"),
                    Some(b"{}".to_vec()),
                )
                .await
                .filter(|r| r.status == 200)
                .and_then(|r| r.json)
                .and_then(|g| entry_for(&g, &channel));
            let body = entry.and_then(|e| {
                proposal::make(&e, &self.config.own_id, &self.config.peer_id, attempt).ok()
            });
            if let Some(body) = body {
                let id = format!("r-{channel}-{attempt}");
                let now = self.clock.now();
                // CCI-L-34: held locally before the peer hears of it.
                if self
                    .responder
                    .hold_own(now, &self.config, &uuid, &id, &body)
                {
                    let path = format!("{c}/features?featureId={id}");
                    let sent = self
                        .ask_peer("POST", &path, Some(body.to_string().into_bytes()))
                        .await;
                    if sent.is_some_and(|r| (200..300).contains(&r.status)) {
                        tracing::info!(%uuid, %channel, "feature repaired");
                        return;
                    }
                    self.responder.drop_own(&uuid, &id);
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

/// The guidance entry of `guidance` (`{featureGuidance: [...]}`) for the channel whose
/// bare name is `channel`.
fn entry_for(guidance: &Value, channel: &str) -> Option<Value> {
    guidance
        .get("featureGuidance")?
        .as_array()?
        .iter()
        .find(|e| {
            e.get("channel")
                .and_then(Value::as_str)
                .and_then(|c| c.rsplit('/').next())
                == Some(channel)
        })
        .cloned()
}
