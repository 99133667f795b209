//! L3 feature guidance (PROTOCOLS.md §1b, CCI-L-24 … L-27): the guidance a responder
//! serves for each channel, read back from any provider's JSON, and the check of a
//! proposal against it. Both sides of the harness use it: the reference responder to
//! judge CreateFeature, and the proposal maker to build proposals from an IUT's
//! guidance.

use std::net::Ipv4Addr;

use serde_json::{json, Value};
use thiserror::Error;

/// An IPv4 network: its address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    /// The address as written (host bits may be set).
    pub addr: u32,
    /// The prefix length, 0 … 32.
    pub len: u8,
}

impl Net {
    /// Parses `a.b.c.d/len`.
    pub fn parse(text: &str) -> Option<Net> {
        let (addr, len) = text.trim().split_once('/')?;
        Net::of(addr, len.parse().ok()?)
    }

    /// The network `addr` with prefix length `len`, if both are well formed.
    pub fn of(addr: &str, len: u8) -> Option<Net> {
        let addr: Ipv4Addr = addr.trim().parse().ok()?;
        (len <= 32).then_some(Net {
            addr: u32::from(addr),
            len,
        })
    }

    fn mask(self) -> u32 {
        match self.len {
            0 => 0,
            n => u32::MAX << (32 - u32::from(n)),
        }
    }

    /// The first address.
    pub fn first(self) -> u32 {
        self.addr & self.mask()
    }

    /// The last address.
    pub fn last(self) -> u32 {
        self.first() | !self.mask()
    }

    /// Whether bits below the prefix are set.
    pub fn host_bits_set(self) -> bool {
        self.addr != self.first()
    }

    /// Whether `other` lies wholly inside this network.
    pub fn contains(self, other: Net) -> bool {
        other.first() >= self.first() && other.last() <= self.last()
    }

    /// Whether the two networks share an address.
    pub fn overlaps(self, other: Net) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }

    /// Whether the address `ip` is in the network.
    pub fn holds(self, ip: u32) -> bool {
        (self.first()..=self.last()).contains(&ip)
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

/// An inclusive range of integers (ASN, VLAN, MTU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first value.
    pub start: u64,
    /// The last value.
    pub stop: u64,
}

/// One channel's L3 guidance, as read from a GenerateFeatureGuidance answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L3Guidance {
    /// The channel it is for, as the answer names it.
    pub channel: String,
    /// Whether the channel is ADMIN_STATE_ENABLED (absent counts as enabled).
    pub enabled: bool,
    /// asnRanges.
    pub asns: Vec<Range>,
    /// (includeSubnet, excludeSubnets, preferredSubnet) of ipv4SubnetGuidance.
    pub subnets: Vec<(Net, Vec<Net>, Option<Net>)>,
    /// ipv4AllowedSubnetPrefixLengths (empty: any).
    pub prefix_lengths: Vec<u8>,
    /// vlanRanges.
    pub vlans: Vec<Range>,
    /// mtuRanges.
    pub mtus: Vec<Range>,
}

/// A guidance entry that cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("the guidance entry cannot be read: {0}")]
pub struct GuidanceError(pub String);

fn ranges(v: &Value, field: &str) -> Result<Vec<Range>, GuidanceError> {
    let Some(list) = v.get(field).and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|r| {
            let n = |k: &str| {
                r.get(k)
                    .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()))
            };
            match (n("start"), n("stop")) {
                (Some(start), Some(stop)) => Ok(Range { start, stop }),
                _ => Err(GuidanceError(format!(
                    "{field}: {r} has no integer start and stop"
                ))),
            }
        })
        .collect()
}

impl L3Guidance {
    /// Reads one entry of `featureGuidance`.
    pub fn read(entry: &Value) -> Result<L3Guidance, GuidanceError> {
        let l3 = entry
            .get("l3BaseGuidance")
            .ok_or_else(|| GuidanceError("no l3BaseGuidance".into()))?;
        let net = |v: &Value, what: &str| {
            v.as_str()
                .and_then(Net::parse)
                .ok_or_else(|| GuidanceError(format!("{what}: {v} is no IPv4 CIDR")))
        };
        let mut subnets = Vec::new();
        for s in l3
            .get("ipv4SubnetGuidance")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let include = net(
                s.get("includeSubnet").unwrap_or(&Value::Null),
                "includeSubnet",
            )?;
            // I-11: the examples write `excludeSubnet`.
            let excluded = s
                .get("excludeSubnets")
                .or_else(|| s.get("excludeSubnet"))
                .and_then(Value::as_array)
                .map(|l| l.iter().map(|e| net(e, "excludeSubnets")).collect())
                .transpose()?
                .unwrap_or_default();
            let preferred = match s.get("preferredSubnet") {
                Some(Value::String(p)) if !p.is_empty() => Some(net(&json!(p), "preferredSubnet")?),
                _ => None,
            };
            subnets.push((include, excluded, preferred));
        }
        let prefix_lengths = l3
            .get("ipv4AllowedSubnetPrefixLengths")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|n| n.as_u64().and_then(|n| u8::try_from(n).ok()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(L3Guidance {
            channel: entry
                .get("channel")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            enabled: entry.get("channelAdminState").and_then(Value::as_str)
                != Some("ADMIN_STATE_DISABLED"),
            asns: ranges(l3, "asnRanges")?,
            subnets,
            prefix_lengths,
            vlans: ranges(l3, "vlanRanges")?,
            mtus: ranges(l3, "mtuRanges")?,
        })
    }
}

/// What is unsound in a guidance entry (CCI-L-25), or `None`: it must read, be
/// FEATURE_TYPE_L3_BASE for a named channel, and every range must have start ≤ stop,
/// VLANs above 1024, and excluded subnets inside an included one.
pub fn problem(entry: &Value) -> Option<String> {
    if entry.get("featureType").and_then(Value::as_str) != Some("FEATURE_TYPE_L3_BASE") {
        return Some(format!(
            "featureType is {}, not FEATURE_TYPE_L3_BASE",
            entry.get("featureType").unwrap_or(&Value::Null)
        ));
    }
    let g = match L3Guidance::read(entry) {
        Ok(g) => g,
        Err(e) => return Some(e.0),
    };
    if g.channel.is_empty() {
        return Some("the entry names no channel".into());
    }
    for (what, list) in [
        ("asnRanges", &g.asns),
        ("vlanRanges", &g.vlans),
        ("mtuRanges", &g.mtus),
    ] {
        if let Some(r) = list.iter().find(|r| r.start > r.stop) {
            return Some(format!(
                "{what}: start {} is above stop {}",
                r.start, r.stop
            ));
        }
    }
    if let Some(r) = g.vlans.iter().find(|r| r.start <= 1024) {
        return Some(format!(
            "vlanRanges: {} … {} reaches 1024 or below",
            r.start, r.stop
        ));
    }
    for (include, exclude, _) in &g.subnets {
        if let Some(e) = exclude.iter().find(|e| !include.contains(**e)) {
            return Some(format!("excludeSubnets: {e} is not inside {include}"));
        }
    }
    None
}

/// The guidance the reference responder serves for the `index`th channel (named
/// `channel`) of an interconnect: private ASNs, a /24 per channel with its first /28
/// excluded, /29 and /30 subnets, VLANs 2000 … 2999, MTU 1500 … 9000.
pub fn reference(channel: &str, ix_index: usize, index: usize) -> Value {
    let third = (index % 250) as u8;
    let second = 100 + (ix_index % 100) as u8;
    json!({
        "featureType": "FEATURE_TYPE_L3_BASE",
        "channel": channel,
        "channelAdminState": "ADMIN_STATE_ENABLED",
        "l3BaseGuidance": {
            "asnRanges": [{"start": 64512, "stop": 65534}],
            "ipv4SubnetGuidance": [{
                "includeSubnet": format!("10.{second}.{third}.0/24"),
                "excludeSubnets": [format!("10.{second}.{third}.0/28")],
                "preferredSubnet": format!("10.{second}.{third}.16/30"),
            }],
            "ipv4AllowedSubnetPrefixLengths": [29, 30],
            "vlanRanges": [{"start": 2000, "stop": 2999}],
            "mtuRanges": [{"start": 1500, "stop": 9000}],
            "maxReceivedBgpRoutePrefixes": 100,
        },
    })
}

/// What an accepted proposal takes on its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// Its VLAN.
    pub vlan: u64,
    /// Its IPv4 subnet.
    pub subnet: Net,
}

/// What the responder lets slip (faults).
#[derive(Debug, Clone, Copy, Default)]
pub struct Leniency {
    /// VLANs outside the ranges and ≤ 1024, and subnets in an excluded one, pass.
    pub ranges: bool,
}

/// Why a proposal breaks its guidance (the message of the 400).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Violation(pub String);

/// Checks the `l3BaseConfig` of a proposal against `g`: what it takes when it keeps
/// to the guidance, else why not (a 400).
pub fn check(config: &Value, g: &L3Guidance, lenient: Leniency) -> Result<Taken, Violation> {
    let need = |field: &str| {
        config
            .get(field)
            .filter(|v| !v.is_null())
            .ok_or_else(|| Violation(format!("l3BaseConfig.{field} is required")))
    };
    let int = |field: &str| -> Result<u64, Violation> {
        need(field)?.as_u64().ok_or_else(|| {
            Violation(format!(
                "l3BaseConfig.{field} is not a non-negative integer"
            ))
        })
    };
    let subnet_text = need("ipv4Subnet")?
        .as_str()
        .ok_or_else(|| Violation("l3BaseConfig.ipv4Subnet is not a string".into()))?;
    let len = u8::try_from(int("ipv4SubnetPrefixLength")?)
        .map_err(|_| Violation("ipv4SubnetPrefixLength is above 32".into()))?;
    let mtu = int("mtuBytes")?;
    let vlan = int("vlanId")?;
    let bgp = need("providerBgpConfigs")?
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Violation("l3BaseConfig.providerBgpConfigs must list the sides".into()))?;
    // `ipv4Subnet` may carry its own length; the prefix length field decides.
    let address = subnet_text.split('/').next().unwrap_or_default();
    let subnet = Net::of(address, len).ok_or_else(|| {
        Violation(format!(
            "ipv4Subnet `{subnet_text}` is no IPv4 address (or /{len} is not a length)"
        ))
    })?;
    if subnet.host_bits_set() {
        return Err(Violation(format!("ipv4Subnet {subnet} has host bits set")));
    }
    if !g.prefix_lengths.is_empty() && !g.prefix_lengths.contains(&len) {
        return Err(Violation(format!(
            "prefix length /{len} is not one of {:?}",
            g.prefix_lengths
        )));
    }
    let placed = g.subnets.iter().any(|(include, exclude, _)| {
        include.contains(subnet) && (lenient.ranges || !exclude.iter().any(|e| e.overlaps(subnet)))
    });
    if !g.subnets.is_empty() && !placed {
        return Err(Violation(format!(
            "ipv4Subnet {subnet} is outside includeSubnet or overlaps excludeSubnets"
        )));
    }
    let within = |list: &[Range], v: u64| {
        list.is_empty() || list.iter().any(|r| (r.start..=r.stop).contains(&v))
    };
    if !lenient.ranges && (vlan <= 1024 || !within(&g.vlans, vlan)) {
        return Err(Violation(format!(
            "vlanId {vlan} is outside vlanRanges (or ≤ 1024)"
        )));
    }
    if !within(&g.mtus, mtu) {
        return Err(Violation(format!("mtuBytes {mtu} is outside mtuRanges")));
    }
    for (i, side) in bgp.iter().enumerate() {
        let asn = side
            .get("asn")
            .and_then(|a| a.as_u64().or_else(|| a.as_str()?.parse().ok()))
            .ok_or_else(|| Violation(format!("providerBgpConfigs[{i}].asn is required")))?;
        if !within(&g.asns, asn) {
            return Err(Violation(format!(
                "providerBgpConfigs[{i}].asn {asn} is outside asnRanges"
            )));
        }
        if let Some(ip) = side.get("hostIpv4").and_then(Value::as_str) {
            let host: Ipv4Addr = ip.parse().map_err(|_| {
                Violation(format!(
                    "providerBgpConfigs[{i}].hostIpv4 `{ip}` is no address"
                ))
            })?;
            if !subnet.holds(u32::from(host)) {
                return Err(Violation(format!(
                    "providerBgpConfigs[{i}].hostIpv4 {ip} is outside {subnet}"
                )));
            }
        }
    }
    Ok(Taken { vlan, subnet })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(subnet: &str, len: u64, vlan: u64) -> Value {
        json!({
            "ipv4Subnet": subnet, "ipv4SubnetPrefixLength": len, "mtuBytes": 9000,
            "vlanId": vlan,
            "providerBgpConfigs": [{"provider": "providers/a", "asn": 64512, "hostIpv4": "10.100.1.17"}],
        })
    }

    #[test]
    fn the_reference_guidance_reads_back_and_judges_proposals() {
        let g = L3Guidance::read(&reference("lag-7", 0, 1)).expect("reads");
        assert_eq!(g.channel, "lag-7");
        assert_eq!(g.prefix_lengths, vec![29, 30]);
        let strict = Leniency::default();
        let ok = check(&proposal("10.100.1.16", 30, 2000), &g, strict).expect("valid");
        assert_eq!(
            (ok.vlan, ok.subnet.to_string()),
            (2000, "10.100.1.16/30".into())
        );
        for (bad, why) in [
            (proposal("10.100.1.16", 30, 1000), "vlanId 1000"),
            (proposal("10.100.1.4", 30, 2000), "excludeSubnets"),
            (proposal("10.100.2.16", 30, 2000), "outside includeSubnet"),
            (proposal("10.100.1.17", 30, 2000), "host bits"),
            (proposal("10.100.1.16", 28, 2000), "prefix length /28"),
        ] {
            let e = check(&bad, &g, strict).expect_err(why);
            assert!(e.0.contains(why), "{e}");
        }
        let lenient = Leniency { ranges: true };
        assert!(check(&proposal("10.100.1.16", 30, 1000), &g, lenient).is_ok());
        let mut no_mtu = proposal("10.100.1.16", 30, 2000);
        no_mtu.as_object_mut().map(|o| o.remove("mtuBytes"));
        assert!(check(&no_mtu, &g, strict)
            .expect_err("mtu")
            .0
            .contains("mtuBytes"));
    }

    #[test]
    fn networks_know_containment_and_overlap() {
        let a = Net::parse("10.0.0.0/24").expect("net");
        let b = Net::parse("10.0.0.16/30").expect("net");
        assert!(a.contains(b) && a.overlaps(b) && !b.contains(a));
        assert!(!Net::parse("10.0.1.0/30").expect("net").overlaps(a));
        assert!(Net::parse("10.0.0.1/30").expect("net").host_bits_set());
        assert_eq!(Net::parse("10.0.0.0/33"), None);
    }
}
