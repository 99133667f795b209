//! ONAPI's own legal variations: behaviour PROTOCOLS.md §3 and ON-API 2.5 allow that the
//! reference simulators do not show. They are switched on by name, like faults, and the
//! whole suite must still pass against a simulator showing one.

use crate::profile::VariationTable;

/// A legal way an ONAPI simulator may differ from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variation {
    /// SP: other `cause` texts, each with an error ticket number, on every error and on
    /// unwanted notices.
    SpOtherCauses,
    /// SP: references as UUIDs and 32 hex digits, not `spr-`/`sps-` prefixed.
    SpOtherReferences,
    /// SP: unwanted notices get 200 with an empty object, no `cause`.
    SpSilentOnUnwanted,
    /// SP: accepted notices get a `cause` for the CO's log beside the references.
    SpCauseOnSuccess,
    /// CO: retries 5xx after 1, 2 and 4 s, then gives up.
    CoBackoffTo4s,
    /// CO: retries 5xx after 1, 2, 4 and 8 s, then gives up: its last retry comes
    /// after `on-co-retries-5xx` has taken it as done (late traffic).
    CoBackoffTo8s,
    /// CO: random jitter on every retry pause.
    CoJitter,
    /// CO: waits a second longer than Retry-After asks.
    CoRetryAfterMargin,
    /// CO: sends coProduct as a JSON array of text.
    CoCoProductArray,
    /// CO: sends the optional coId as JSON null.
    CoNullCoId,
}

/// Every ONAPI variation, in listing order.
pub const ALL: &[Variation] = &[
    Variation::SpOtherCauses,
    Variation::SpOtherReferences,
    Variation::SpSilentOnUnwanted,
    Variation::SpCauseOnSuccess,
    Variation::CoBackoffTo4s,
    Variation::CoBackoffTo8s,
    Variation::CoJitter,
    Variation::CoRetryAfterMargin,
    Variation::CoCoProductArray,
    Variation::CoNullCoId,
];

impl VariationTable for Variation {
    const ALL: &'static [Self] = ALL;

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Variation::SpOtherCauses => (
                "sp-other-causes",
                "sp",
                "words every cause differently, with an error ticket number in front",
            ),
            Variation::SpOtherReferences => (
                "sp-other-references",
                "sp",
                "returns spReference as a UUID and spSubscriptionId as 32 hex digits",
            ),
            Variation::SpSilentOnUnwanted => (
                "sp-silent-on-unwanted",
                "sp",
                "answers unwanted notices 200 with an empty object, no cause",
            ),
            Variation::SpCauseOnSuccess => (
                "sp-cause-on-success",
                "sp",
                "adds a cause for the CO's log to the 200 of an accepted notice",
            ),
            Variation::CoBackoffTo4s => (
                "co-backoff-to-4s",
                "co",
                "retries 5xx after 1, 2 and 4 s (up to 5x the reference's), then gives up (4 tries)",
            ),
            Variation::CoBackoffTo8s => (
                "co-backoff-to-8s",
                "co",
                "retries 5xx after 1, 2, 4 and 8 s, then gives up (5 tries): the last retry comes after the scenario has taken the CO as done",
            ),
            Variation::CoJitter => (
                "co-jitter",
                "co",
                "puts random jitter on every pause: 5xx backoff x0.75..1.5, Retry-After +0..0.5 s",
            ),
            Variation::CoRetryAfterMargin => (
                "co-retry-after-margin",
                "co",
                "waits 1 s longer than Retry-After asks before resending",
            ),
            Variation::CoCoProductArray => (
                "co-coproduct-array",
                "co",
                "sends coProduct as a JSON array of text instead of a string",
            ),
            Variation::CoNullCoId => (
                "co-null-co-id",
                "co",
                "sends the optional coId as JSON null",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::FaultTable;
    use crate::server::AnswerVariation;

    #[test]
    fn names_are_unique_kebab_case_and_clash_with_no_fault_or_answer_variation() {
        let mut seen = std::collections::BTreeSet::new();
        for v in ALL {
            let name = v.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(name.starts_with(&format!("{}-", v.role())), "{name}");
            assert_eq!(Variation::from_name(name), Some(*v));
            assert!(
                super::super::fault::Fault::from_name(name).is_none(),
                "{name}"
            );
            assert!(AnswerVariation::named([name]).is_empty(), "{name}");
        }
    }

    #[test]
    fn at_least_three_per_role() {
        for role in ["sp", "co"] {
            assert!(Variation::infos("onapi", role).len() >= 3, "{role}");
        }
    }
}
