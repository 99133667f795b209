//! Named faults of the CCI reference simulators: each one a realistic bug, tied to
//! the requirement it breaks.

use crate::profile::FaultTable;

use serde::Serialize;

/// A deliberate bug a simulator can be started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Fault {
    /// A: validates by comparing decoded JSON, so re-encodings of a key pass.
    AAcceptsReencoded,
    /// A: looks keys up by their material alone, so other fields can be tweaked.
    AMatchesMaterialOnly,
    /// A: accepts any well-formed key on a known environment, issued or not.
    AAcceptsSpoofed,
    /// A: never marks a key used, so it confirms twice.
    AAcceptsReuse,
    /// A: ignores the environment in the confirm path.
    AIgnoresEnvPath,
    /// A: key material is a counter.
    ASequentialMaterial,
    /// A: does not check peer credentials at all.
    ANoCallerCheck,
    /// A: checks credentials but not that they belong to the provider in the path.
    AIgnoresCallerPath,
    /// A: answers 500 when the confirm body is not JSON.
    A500OnGarbage,
    /// A: issues keys for unknown environments and unoffered sizes.
    AAcceptsUnknownEnv,
    /// A: checks a bandwidth against every environment's sizes, not the requested one's.
    ASizesFromAnyEnv,
    /// A: deleting a connection leaves its key valid.
    AKeepsDeletedKeys,
    /// A: keys never expire.
    ANoExpiry,
    /// A: tells B about the connection as soon as it is created.
    AEagerNotify,
    /// A: confirm answers say `text/plain`.
    ATextPlain,
    /// A: confirms true but leaves its own connection PENDING.
    AStaysPending,
    /// A: answers 200 to paths it does not serve.
    ACatchAll200,
    /// A: reports new connections as REQUESTED instead of PENDING.
    AWrongInitialState,
    /// A: writes the environment's first bandwidth into the key, not the requested one.
    AKeyDefaultSize,
    /// A (v1): confirms a body carrying both `encodedKey` and the deprecated `key`.
    AAcceptsBothKeyFields,
    /// A: answers a wrong method 405 without an `Allow` header.
    A405WithoutAllow,
    /// A: answers a re-encoding of an issued key 200 with an empty object.
    AEmptyOnReencoded,
    /// B: reaches NEGOTIATION without asking A.
    BNoConfirm,
    /// B: keeps its pending connection when A says keyValid false.
    BKeepsOnInvalid,
    /// B: proceeds to NEGOTIATION when A answers 5xx or times out.
    BFailOpen,
    /// B: treats anything but a literal `false` (missing, "false", null) as valid.
    BLenientKeyValid,
    /// B: sends the confirmation twice.
    BConfirmsTwice,
    /// B: once in NEGOTIATION, confirms the key with A once more, a little later.
    BReconfirmsLater,
    /// B: puts A's provider id in the confirm path instead of its own.
    BWrongCaller,
    /// B: sends the confirmation without credentials.
    BNoCredentials,
    /// B: re-serializes the key (sorted fields) before sending it to A.
    BReencodesKey,
    /// B: forwards any key to A without checking it locally.
    BSkipsLocalChecks,
    /// B: does not check the key's destination account (v1).
    BIgnoresAccount,
    /// B: describe asks A to confirm the key.
    BDescribeCallsA,
    /// B: fetches the environment from A before confirming.
    BCallsBeforeConfirm,
    /// B: answers 500 to a read of a connection whose confirmation failed.
    BGet500AfterFailure,
    /// B: accept answers 404 to every request.
    BAcceptAlways404,
}

/// Every fault, in listing order.
pub const ALL: &[Fault] = &[
    Fault::AAcceptsReencoded,
    Fault::AMatchesMaterialOnly,
    Fault::AAcceptsSpoofed,
    Fault::AAcceptsReuse,
    Fault::AIgnoresEnvPath,
    Fault::ASequentialMaterial,
    Fault::ANoCallerCheck,
    Fault::AIgnoresCallerPath,
    Fault::A500OnGarbage,
    Fault::AAcceptsUnknownEnv,
    Fault::ASizesFromAnyEnv,
    Fault::AKeepsDeletedKeys,
    Fault::ANoExpiry,
    Fault::AEagerNotify,
    Fault::ATextPlain,
    Fault::AStaysPending,
    Fault::ACatchAll200,
    Fault::AWrongInitialState,
    Fault::AKeyDefaultSize,
    Fault::AAcceptsBothKeyFields,
    Fault::A405WithoutAllow,
    Fault::AEmptyOnReencoded,
    Fault::BNoConfirm,
    Fault::BKeepsOnInvalid,
    Fault::BFailOpen,
    Fault::BLenientKeyValid,
    Fault::BConfirmsTwice,
    Fault::BReconfirmsLater,
    Fault::BWrongCaller,
    Fault::BNoCredentials,
    Fault::BReencodesKey,
    Fault::BSkipsLocalChecks,
    Fault::BIgnoresAccount,
    Fault::BDescribeCallsA,
    Fault::BCallsBeforeConfirm,
    Fault::BGet500AfterFailure,
    Fault::BAcceptAlways404,
];

impl FaultTable for Fault {
    const ALL: &'static [Self] = ALL;

    fn role(self) -> &'static str {
        if self.name().starts_with("a-") {
            "csp-a"
        } else {
            "csp-b"
        }
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fault::AAcceptsReencoded => ("a-accepts-reencoded", "CCI-A-08", "compares decoded key JSON, so whitespace, field order, padding or alphabet changes still confirm"),
            Fault::AMatchesMaterialOnly => ("a-matches-material-only", "CCI-A-08", "finds the key by its material alone, so a changed bandwidth or environment still confirms"),
            Fault::AAcceptsSpoofed => ("a-accepts-spoofed", "CCI-A-07", "confirms any well-formed key on a known environment, issued or not"),
            Fault::AAcceptsReuse => ("a-accepts-reuse", "CCI-A-10", "never marks a key as used"),
            Fault::AIgnoresEnvPath => ("a-ignores-env-path", "CCI-A-09", "ignores the environment in the confirm path"),
            Fault::ASequentialMaterial => ("a-sequential-material", "CCI-A-04", "key material comes from a counter"),
            Fault::ANoCallerCheck => ("a-no-caller-check", "CCI-A-14", "does not check peer credentials"),
            Fault::AIgnoresCallerPath => ("a-ignores-caller-path", "CCI-A-14", "accepts valid credentials for a caller other than the one in the path"),
            Fault::A500OnGarbage => ("a-500-on-garbage", "CCI-A-13", "answers 500 when the confirm body is not JSON"),
            Fault::AAcceptsUnknownEnv => ("a-accepts-unknown-env", "CCI-A-02", "issues keys for unknown environments and unoffered bandwidths"),
            Fault::ASizesFromAnyEnv => ("a-sizes-from-any-env", "CCI-A-02", "accepts a bandwidth any environment offers, not only the requested one's"),
            Fault::AKeepsDeletedKeys => ("a-keeps-deleted-keys", "CCI-A-11", "deleting a connection does not invalidate its key"),
            Fault::ANoExpiry => ("a-no-expiry", "CCI-A-12", "keys never expire"),
            Fault::AEagerNotify => ("a-eager-notify", "CCI-A-05", "tells B about a new connection before B presents the key"),
            Fault::ATextPlain => ("a-text-plain", "CCI-A-15", "confirm answers carry Content-Type text/plain"),
            Fault::AStaysPending => ("a-stays-pending", "CCI-A-06", "confirms true but leaves its connection PENDING"),
            Fault::ACatchAll200 => ("a-catch-all-200", "X-03", "answers 200 with an empty object to paths it does not serve"),
            Fault::AWrongInitialState => ("a-wrong-initial-state", "CCI-A-01", "reports new connections as REQUESTED instead of PENDING"),
            Fault::AKeyDefaultSize => ("a-key-default-size", "CCI-A-03", "writes the environment's first offered bandwidth into the key instead of the requested one"),
            Fault::AAcceptsBothKeyFields => ("a-accepts-both-key-fields", "CCI-A-13", "in v1, confirms a body that carries both encodedKey and the deprecated key (of any type), and consumes the key"),
            Fault::A405WithoutAllow => ("a-405-without-allow", "X-03", "answers a wrong method on the confirm path 405 without an Allow header"),
            Fault::AEmptyOnReencoded => ("a-empty-on-reencoded", "CCI-A-08", "answers a re-encoding of an issued key (same JSON, another string) 200 with an empty object"),
            Fault::BNoConfirm => ("b-no-confirm", "CCI-B-02", "moves to NEGOTIATION without confirming with A"),
            Fault::BKeepsOnInvalid => ("b-keeps-on-invalid", "CCI-B-04", "keeps its pending connection when A says keyValid false"),
            Fault::BFailOpen => ("b-fail-open", "CCI-B-06", "proceeds to NEGOTIATION when A answers 5xx or does not answer in time"),
            Fault::BLenientKeyValid => ("b-lenient-keyvalid", "CCI-B-06", "treats anything but a JSON false (missing, \"false\", null) as valid"),
            Fault::BConfirmsTwice => ("b-confirms-twice", "CCI-B-02", "sends the confirmation twice"),
            Fault::BReconfirmsLater => ("b-reconfirms-later", "CCI-B-02", "once in NEGOTIATION, confirms the key with A once more when the connection is next read"),
            Fault::BWrongCaller => ("b-wrong-caller", "CCI-B-02", "names A instead of itself as the caller in the confirm path"),
            Fault::BNoCredentials => ("b-no-credentials", "CCI-B-02", "sends the confirmation without credentials"),
            Fault::BReencodesKey => ("b-reencodes-key", "CCI-B-02", "re-serializes the key with sorted fields before sending it"),
            Fault::BSkipsLocalChecks => ("b-skips-local-checks", "CCI-B-05", "forwards every key to A without checking it first"),
            Fault::BIgnoresAccount => ("b-ignores-account", "CCI-B-05", "does not check that a v1 key's destination account is the customer's"),
            Fault::BDescribeCallsA => ("b-describe-calls-a", "CCI-B-01", "describe asks A to confirm the key"),
            Fault::BCallsBeforeConfirm => ("b-calls-before-confirm", "CCI-B-07", "fetches the environment from A before confirming the key"),
            Fault::BGet500AfterFailure => ("b-get-500-after-failure", "CCI-B-06", "answers 500 to a read of a connection whose confirmation failed"),
            Fault::BAcceptAlways404 => ("b-accept-always-404", "CCI-B-02", "accept answers 404 to every key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for f in ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
            assert!(crate::protocols::requirement(f.requirement()).is_some());
        }
    }
}
