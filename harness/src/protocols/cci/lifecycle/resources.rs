//! The static resources a provider serves from its fixture (PROTOCOLS.md §1b, Binding):
//! environments, interconnects and channels, named under the caller's prefix.

use serde_json::{json, Value};

use crate::protocols::cci::target::{Channel, Environment, Interconnect, Side};

/// Who asks and who answers: the names and manager fields depend on both.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// The provider serving the resources.
    pub own: &'a str,
    /// The provider calling (the `{CALLER}` of every name).
    pub caller: &'a str,
    /// The provider the fixture's `harness` side stands for.
    pub peer: &'a str,
}

/// How the names come out: the reference form, or bent by a fault or a variation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Naming {
    /// Names with a leading `/` (legal, V-05).
    pub leading_slash: bool,
    /// Bare ids instead of relative paths (fault).
    pub bare: bool,
}

impl Naming {
    /// The name of the resource at relative `path` whose id is `id`.
    pub fn name(self, path: String, id: &str) -> String {
        match (self.bare, self.leading_slash) {
            (true, _) => id.to_string(),
            (false, true) => format!("/{path}"),
            (false, false) => path,
        }
    }
}

fn environment_path(p: Parties<'_>, e: &Environment) -> String {
    format!("providers/{}/environments/{}", p.caller, e.id)
}

fn interconnect_path(p: Parties<'_>, e: &Environment, ix: &Interconnect) -> String {
    format!("{}/interconnects/{}", environment_path(p, e), ix.id)
}

/// An Environment resource.
pub fn environment(p: Parties<'_>, n: Naming, e: &Environment) -> Value {
    json!({
        "name": n.name(environment_path(p, e), &e.id),
        "providerSites": [
            {"providerId": format!("providers/{}", p.own), "site": "site-1", "displayName": format!("{} site 1", p.own)},
            {"providerId": format!("providers/{}", p.caller), "site": "site-1", "displayName": format!("{} site 1", p.caller)},
        ],
        "apiUri": "",
        "supportedConnectionSizeMbps": e.sizes,
        "supportedFeatures": ["FEATURE_TYPE_L3_BASE"],
        "environmentVisibility": "ENVIRONMENT_VISIBILITY_PRIVATE",
        "deferralTimeoutHours": 0,
        "deferConnectionProvisioning": false,
    })
}

/// An Interconnect resource; `sizes` is its supportedConnectionSizeMbps as served.
pub fn interconnect(
    p: Parties<'_>,
    n: Naming,
    e: &Environment,
    ix: &Interconnect,
    sizes: &[u32],
) -> Value {
    json!({
        "name": n.name(interconnect_path(p, e, ix), &ix.id),
        "supportedConnectionSizeMbps": sizes,
        "supportedFeatures": ["FEATURE_TYPE_L3_BASE"],
        "state": ix.state.wire(),
        "maxBandwidthMbps": ix.max_mbps,
    })
}

/// A Channel resource, the `index`th of its interconnect.
pub fn channel(
    p: Parties<'_>,
    n: Naming,
    e: &Environment,
    ix: &Interconnect,
    index: usize,
    c: &Channel,
) -> Value {
    let manager = format!(
        "providers/{}",
        match c.manager {
            Side::Iut => p.own,
            Side::Harness => p.peer,
        }
    );
    json!({
        "name": n.name(format!("{}/channels/{}", interconnect_path(p, e, ix), c.name), &c.name),
        "macsecManagerProvider": manager,
        "crossConnectManagerProvider": manager,
        "aggregateChannelSizeGbps": 400,
        "channelMemberSizeGbps": 100,
        "obfuscatedDeviceId": format!("dev-{}-{index}", ix.id),
        "demarc": format!("demarc {} {index}", ix.id),
        "adminState": "ADMIN_STATE_ENABLED",
    })
}

/// The relative path of a connection's resource name.
pub fn connection_path(p: Parties<'_>, e: &Environment, ix: &Interconnect, id: &str) -> String {
    format!("{}/connections/{id}", interconnect_path(p, e, ix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_relative_paths_under_the_caller() {
        let e = Environment::new("env-1", &[100]).with_reference_interconnects();
        let p = Parties {
            own: "a",
            caller: "b",
            peer: "b",
        };
        let ix = &e.interconnects[0];
        let v = interconnect(p, Naming::default(), &e, ix, &e.sizes);
        assert_eq!(
            v["name"],
            "providers/b/environments/env-1/interconnects/ix-big"
        );
        let slash = Naming {
            leading_slash: true,
            bare: false,
        };
        assert_eq!(
            channel(p, slash, &e, ix, 2, &ix.channels[2])["name"],
            "/providers/b/environments/env-1/interconnects/ix-big/channels/lag-7"
        );
        assert_eq!(
            channel(p, Naming::default(), &e, ix, 1, &ix.channels[1])["macsecManagerProvider"],
            "providers/b"
        );
    }
}
