//! How fuzz cases reach the IUT: over kept-alive connections, a fresh connection per
//! case, or `auto`, which notices a late keep-alive server (answers on a reused
//! connection much slower than on a fresh one, as when a server's Nagle meets the
//! client's delayed ACK) and then uses fresh connections.

use std::time::Duration;

use crate::http::{HttpClient, TransportError};

/// The connection policy (`--connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Reuse connections.
    KeepAlive,
    /// A fresh connection for every case.
    Fresh,
    /// Measure both on the first cases; use fresh connections when reuse is late.
    #[default]
    Auto,
}

impl Policy {
    /// Every policy, as written on the command line.
    pub const NAMES: &'static [&'static str] = &["keep-alive", "fresh", "auto"];

    /// The policy called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "keep-alive" => Some(Self::KeepAlive),
            "fresh" => Some(Self::Fresh),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::KeepAlive => "keep-alive",
            Self::Fresh => "fresh",
            Self::Auto => "auto",
        }
    }
}

/// Both clients: one that keeps connections, one that never reuses them.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Keeps connections alive.
    pub keep_alive: HttpClient,
    /// A fresh connection per request.
    pub fresh: HttpClient,
}

impl Clients {
    /// The two clients.
    pub fn new() -> Result<Self, TransportError> {
        Ok(Self {
            keep_alive: HttpClient::lean(true)?,
            fresh: HttpClient::lean(false)?,
        })
    }

    /// The client for a settled choice (`auto` has chosen by then).
    pub fn for_choice(&self, fresh: bool) -> &HttpClient {
        if fresh {
            &self.fresh
        } else {
            &self.keep_alive
        }
    }
}

/// Cases `auto` times on each kind of connection before it chooses.
pub const PROBES: usize = 8;

/// How much slower reuse must be, and by at least how much, for `auto` to give it up.
const SLOWER_BY: u32 = 4;
const LATE_AT_LEAST: Duration = Duration::from_millis(10);

/// The median of `times` (zero when empty).
pub fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// `auto`'s verdict from the case times on reused and on fresh connections: whether
/// to use fresh connections, and why.
pub fn choose(reused: &mut [Duration], fresh: &mut [Duration]) -> (bool, String) {
    let (r, f) = (median(reused), median(fresh));
    let late = r >= LATE_AT_LEAST && r > f * SLOWER_BY;
    let why = format!(
        "auto: {} (median {:.1} ms per case on reused connections, {:.1} ms on fresh ones)",
        if late { "fresh" } else { "keep-alive" },
        r.as_secs_f64() * 1000.0,
        f.as_secs_f64() * 1000.0
    );
    (late, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[test]
    fn auto_leaves_reuse_only_when_it_is_late() {
        let (fresh, why) = choose(&mut ms(&[1, 41, 40, 42, 40]), &mut ms(&[1, 1, 2, 1, 1]));
        assert!(fresh, "{why}");
        assert!(why.starts_with("auto: fresh"), "{why}");
        let (fresh, why) = choose(&mut ms(&[1, 1, 1, 2]), &mut ms(&[1, 1, 1, 1]));
        assert!(!fresh, "{why}");
        // Slower, but not late: both fast.
        let (fresh, _) = choose(&mut ms(&[5, 5, 5]), &mut ms(&[0, 0, 0]));
        assert!(!fresh);
    }

    #[test]
    fn policies_parse_by_name() {
        for name in Policy::NAMES {
            assert_eq!(Policy::parse(name).map(Policy::name), Some(*name));
        }
        assert_eq!(Policy::parse("sometimes"), None);
    }
}
