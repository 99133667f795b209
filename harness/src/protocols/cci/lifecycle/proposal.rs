//! CreateFeature proposals the harness makes from a responder's guidance (PROTOCOLS.md
//! §1b, CCI-L-26 … L-29): one that keeps to every restriction, and the named ways of
//! breaking one restriction at a time (CCI-L-27's cases).

use serde_json::{json, Value};

use super::guidance::{GuidanceError, L3Guidance, Net};

/// The ways of breaking a proposal, one restriction each (CCI-L-27).
pub const BREAKS: &[&str] = &[
    "asn-outside",
    "subnet-outside",
    "subnet-excluded",
    "prefix-length",
    "host-bits",
    "vlan-low",
    "vlan-outside",
    "mtu-outside",
    "unknown-channel",
    "no-l3-config",
    "missing-ipv4-subnet",
    "missing-prefix-length",
    "missing-mtu",
    "missing-vlan",
    "missing-bgp",
];

/// A proposal or a break that cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProposalError {
    /// The guidance does not read.
    #[error(transparent)]
    Guidance(#[from] GuidanceError),
    /// The guidance leaves no value to choose.
    #[error("the guidance leaves no {0} to choose")]
    Nothing(&'static str),
    /// No such break.
    #[error("`{0}` is no way of breaking a proposal (one of: {list})", list = BREAKS.join(", "))]
    UnknownBreak(String),
}

/// The `slot`th subnet of length `len` inside an included subnet that overlaps no
/// excluded one (the preferred subnet first, when slot is 0 and it fits).
fn subnet(g: &L3Guidance, len: u8, slot: u64) -> Option<Net> {
    let mut seen = 0;
    for (include, exclude, preferred) in &g.subnets {
        if slot == 0 {
            if let Some(p) = preferred.filter(|p| p.len == len && include.contains(*p)) {
                if !exclude.iter().any(|e| e.overlaps(p)) {
                    return Some(p);
                }
            }
        }
        let size = 1u64 << (32 - u32::from(len));
        let mut at = u64::from(include.first());
        while at + size - 1 <= u64::from(include.last()) {
            let n = Net {
                addr: u32::try_from(at).ok()?,
                len,
            };
            if !exclude.iter().any(|e| e.overlaps(n)) {
                if seen == slot {
                    return Some(n);
                }
                seen += 1;
            }
            at += size;
        }
    }
    None
}

/// A proposal for the guidance `entry` that keeps to all of it, for connection `slot`
/// (0, 1, …: each slot takes another VLAN and subnet on the channel). The BGP sides are
/// `own` (the harness) and `peer` (the IUT), as `providers/{id}`.
pub fn make(entry: &Value, own: &str, peer: &str, slot: u64) -> Result<Value, ProposalError> {
    let g = L3Guidance::read(entry)?;
    let len = match g.prefix_lengths.as_slice() {
        [] => 30,
        l if l.contains(&30) => 30,
        l => l
            .iter()
            .copied()
            .filter(|n| *n < 31)
            .max()
            .ok_or(ProposalError::Nothing("prefix length"))?,
    };
    let net = if g.subnets.is_empty() {
        Net {
            addr: u32::from(std::net::Ipv4Addr::new(10, 250, 0, 0)) + (slot as u32) * 4,
            len,
        }
    } else {
        subnet(&g, len, slot).ok_or(ProposalError::Nothing("subnet"))?
    };
    let vlan = g
        .vlans
        .iter()
        .find_map(|r| {
            let v = r.start.max(1025) + slot;
            (v <= r.stop).then_some(v)
        })
        .or_else(|| g.vlans.is_empty().then_some(2000 + slot))
        .ok_or(ProposalError::Nothing("VLAN"))?;
    let mtu = g.mtus.iter().map(|r| r.stop).max().unwrap_or(1500);
    let asn = g.asns.first().map_or(64512, |r| r.start);
    let peer_asn = g.asns.first().map_or(64513, |r| {
        if r.stop > r.start {
            r.start + 1
        } else {
            r.start
        }
    });
    let host = |n: u32| std::net::Ipv4Addr::from(net.first() + n).to_string();
    Ok(json!({
        "channel": g.channel,
        "featureConfig": {
            "featureType": "FEATURE_TYPE_L3_BASE",
            "l3BaseConfig": {
                "ipv4Subnet": std::net::Ipv4Addr::from(net.first()).to_string(),
                "ipv4SubnetPrefixLength": len,
                "mtuBytes": mtu,
                "vlanId": vlan,
                "providerBgpConfigs": [
                    {"provider": format!("providers/{own}"), "asn": asn, "hostIpv4": host(1)},
                    {"provider": format!("providers/{peer}"), "asn": peer_asn, "hostIpv4": host(2)},
                ],
            },
        },
    }))
}

/// `proposal` (made by [`make`] for `entry`) with one restriction broken as `how` says.
pub fn broken(entry: &Value, proposal: &Value, how: &str) -> Result<Value, ProposalError> {
    let g = L3Guidance::read(entry)?;
    let mut p = proposal.clone();
    let l3 = &mut p["featureConfig"]["l3BaseConfig"];
    let remove = |l3: &mut Value, field: &str| {
        if let Some(o) = l3.as_object_mut() {
            o.remove(field);
        }
    };
    let top = |list: &[super::guidance::Range]| list.iter().map(|r| r.stop).max().unwrap_or(0);
    match how {
        "asn-outside" => l3["providerBgpConfigs"][0]["asn"] = json!(top(&g.asns) + 1),
        "subnet-outside" => {
            let outside = g
                .subnets
                .first()
                .map_or(0, |(include, _, _)| include.last().wrapping_add(1));
            l3["ipv4Subnet"] = json!(std::net::Ipv4Addr::from(outside).to_string());
            let len = l3["ipv4SubnetPrefixLength"].as_u64().unwrap_or(30) as u32;
            let host = |n| std::net::Ipv4Addr::from(outside + n).to_string();
            if len <= 30 {
                l3["providerBgpConfigs"][0]["hostIpv4"] = json!(host(1));
                l3["providerBgpConfigs"][1]["hostIpv4"] = json!(host(2));
            }
        }
        "subnet-excluded" => {
            let Some(excluded) = g.subnets.iter().find_map(|(_, e, _)| e.first().copied()) else {
                return Err(ProposalError::Nothing("excluded subnet"));
            };
            l3["ipv4Subnet"] = json!(std::net::Ipv4Addr::from(excluded.first()).to_string());
            l3["providerBgpConfigs"][0]["hostIpv4"] =
                json!(std::net::Ipv4Addr::from(excluded.first() + 1).to_string());
            l3["providerBgpConfigs"][1]["hostIpv4"] =
                json!(std::net::Ipv4Addr::from(excluded.first() + 2).to_string());
        }
        "prefix-length" => {
            let bad = (16..=32)
                .find(|n| !g.prefix_lengths.contains(n))
                .filter(|_| !g.prefix_lengths.is_empty())
                .ok_or(ProposalError::Nothing("disallowed prefix length"))?;
            l3["ipv4SubnetPrefixLength"] = json!(bad);
        }
        "host-bits" => {
            let text = l3["ipv4Subnet"].as_str().unwrap_or("0.0.0.0");
            let addr: std::net::Ipv4Addr = text.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
            l3["ipv4Subnet"] = json!(std::net::Ipv4Addr::from(u32::from(addr) + 1).to_string());
        }
        "vlan-low" => l3["vlanId"] = json!(1000),
        "vlan-outside" => l3["vlanId"] = json!(top(&g.vlans).max(1024) + 1),
        "mtu-outside" => l3["mtuBytes"] = json!(top(&g.mtus) + 1),
        "unknown-channel" => {
            let name = p["channel"].as_str().unwrap_or_default().to_string();
            let other = match name.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/no-such-channel"),
                None => "no-such-channel".to_string(),
            };
            p["channel"] = json!(other);
        }
        "no-l3-config" => {
            if let Some(o) = p["featureConfig"].as_object_mut() {
                o.remove("l3BaseConfig");
            }
        }
        "missing-ipv4-subnet" => remove(l3, "ipv4Subnet"),
        "missing-prefix-length" => remove(l3, "ipv4SubnetPrefixLength"),
        "missing-mtu" => remove(l3, "mtuBytes"),
        "missing-vlan" => remove(l3, "vlanId"),
        "missing-bgp" => remove(l3, "providerBgpConfigs"),
        other => return Err(ProposalError::UnknownBreak(other.to_string())),
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::super::guidance::{check, reference, Leniency};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_proposal_keeps_to_the_guidance_and_every_break_is_refused() {
        let entry = reference("lag-7", 0, 2);
        let g = L3Guidance::read(&entry).expect("reads");
        let p = make(&entry, "b", "a", 0).expect("made");
        assert_eq!(
            p["featureConfig"]["l3BaseConfig"]["ipv4Subnet"],
            "10.100.2.16"
        );
        let l3 = &p["featureConfig"]["l3BaseConfig"];
        check(l3, &g, Leniency::default()).expect("valid");
        for how in BREAKS {
            let bad = broken(&entry, &p, how).expect(how);
            assert_ne!(bad, p, "{how}");
            if *how == "unknown-channel" {
                assert_eq!(bad["featureConfig"], p["featureConfig"]);
                continue;
            }
            let l3 = bad["featureConfig"].get("l3BaseConfig");
            let refused = l3.is_none_or(|l3| check(l3, &g, Leniency::default()).is_err());
            assert!(refused, "{how}: {bad}");
        }
        assert!(matches!(
            broken(&entry, &p, "vlan-high"),
            Err(ProposalError::UnknownBreak(_))
        ));
    }

    proptest! {
        #[test]
        fn slots_take_distinct_valid_vlans_and_subnets(a in 0u64..50, b in 0u64..50, ch in 0usize..8) {
            prop_assume!(a != b);
            let entry = reference("c", 1, ch);
            let g = L3Guidance::read(&entry).expect("reads");
            let take = |slot| {
                let p = make(&entry, "b", "a", slot).expect("made");
                check(&p["featureConfig"]["l3BaseConfig"], &g, Leniency::default()).expect("valid")
            };
            let (x, y) = (take(a), take(b));
            prop_assert_ne!(x.vlan, y.vlan);
            prop_assert!(!x.subnet.overlaps(y.subnet));
        }
    }
}
