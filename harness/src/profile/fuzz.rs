//! What every protocol's fuzzer shares: the request, a seeded generator, and the report.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::profile::target::Target;

/// What `crosscheck fuzz` asks of a protocol.
#[derive(Debug)]
pub struct FuzzRequest<'a> {
    /// The IUT's role.
    pub role: &'a str,
    /// An external IUT, or `None` for the built-in simulator.
    pub target: Option<&'a Target>,
    /// Faults of the built-in simulator.
    pub faults: &'a BTreeSet<&'static str>,
    /// An input to start from, when the protocol cannot make one.
    pub start_from: Option<String>,
    /// Number of cases.
    pub cases: usize,
    /// Seed: the same seed replays the same cases.
    pub seed: u64,
}

/// A small deterministic generator (SplitMix64): the same seed gives the same cases.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// One case the IUT mishandled.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Case number (replay with the same seed).
    pub case: usize,
    /// The mutation.
    pub mutation: String,
    /// The input sent.
    pub input: String,
    /// What the IUT did.
    pub problem: String,
}

/// What a fuzz run found.
#[derive(Debug, Clone, Serialize)]
pub struct FuzzReport {
    /// The seed.
    pub seed: u64,
    /// Cases sent.
    pub cases: usize,
    /// Problems.
    pub findings: Vec<Finding>,
}

/// Why fuzzing could not run at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FuzzError(pub String);

/// Shortens `s` to `max` characters, with an ellipsis.
pub fn short(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

/// How many findings the terminal summary shows.
const SHOWN: usize = 20;

/// `s` with its control characters escaped (`\n`, `\u{1b}`), so an input prints on one
/// line and cannot drive the terminal.
fn escaped(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl FuzzReport {
    /// A terminal summary: the first findings, each input escaped onto one line, and how
    /// many more there are.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "fuzz: {} cases, seed {}, {} findings",
            self.cases,
            self.seed,
            self.findings.len()
        );
        for f in self.findings.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  case {} ({}): {}\n    input: {}",
                f.case,
                escaped(&f.mutation),
                escaped(&f.problem),
                short(&escaped(&f.input), 80)
            );
        }
        if self.findings.len() > SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more findings (the same --seed replays them)",
                self.findings.len() - SHOWN
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(case: usize, input: &str) -> Finding {
        Finding {
            case,
            mutation: "m".into(),
            input: input.into(),
            problem: "answered 500".into(),
        }
    }

    #[test]
    fn the_summary_escapes_inputs_and_counts_what_it_leaves_out() {
        let report = FuzzReport {
            seed: 7,
            cases: 100,
            findings: (0..23)
                .map(|i| finding(i, "line\nbreak \u{1b}[31m \0 \"q\""))
                .collect(),
        };
        let text = report.render();
        assert!(
            text.starts_with("fuzz: 100 cases, seed 7, 23 findings\n"),
            "{text}"
        );
        assert_eq!(text.matches("  case ").count(), 20, "{text}");
        assert!(text.contains("… and 3 more findings"), "{text}");
        assert!(text.contains(r#"line\nbreak \u{1b}[31m \0 "q""#), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\0'), "{text}");
        assert_eq!(text.lines().count(), 1 + 20 * 2 + 1, "one line per input");
    }
}
