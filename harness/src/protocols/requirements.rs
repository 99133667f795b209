//! The requirement catalogue of PROTOCOLS.md: ids, levels, and a one-line gist.

use serde::Serialize;

/// How a requirement's failure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    /// A failure fails the scenario.
    Must,
    /// A failure passes the scenario with a warning.
    Should,
}

/// One catalogued requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Its id, e.g. `CCI-A-01`.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Our one-line summary.
    pub gist: &'static str,
}

const fn must(id: &'static str, gist: &'static str) -> Requirement {
    Requirement {
        id,
        level: Level::Must,
        gist,
    }
}

const fn should(id: &'static str, gist: &'static str) -> Requirement {
    Requirement {
        id,
        level: Level::Should,
        gist,
    }
}

/// Every requirement, in catalogue order.
pub const CATALOGUE: &[Requirement] = &[
    must("CCI-A-01", "create on a known environment and offered size returns a key and a PENDING connection"),
    must("CCI-A-02", "unknown environment or unoffered size is refused with 4xx and no key"),
    must("CCI-A-03", "the key decodes to the dialect's fields with the requested environment and size"),
    must("CCI-A-04", "keys are unique and unguessable across many issues"),
    must("CCI-A-05", "A sends nothing to B before B presents the key"),
    must("CCI-A-06", "the exact key on its environment confirms true and A moves to NEGOTIATION"),
    must("CCI-A-07", "a spoofed, never-issued key confirms false"),
    must("CCI-A-08", "a tweaked key (any field or encoding change) confirms false"),
    must("CCI-A-09", "a key confirmed under another environment's path confirms false"),
    must("CCI-A-10", "a key already confirmed confirms false on reuse"),
    must("CCI-A-11", "the key of a deleted connection confirms false"),
    must("CCI-A-12", "a key past its lifetime confirms false"),
    must("CCI-A-13", "malformed confirm bodies get 400 JSON or keyValid false, never 5xx or a hang"),
    must("CCI-A-14", "no valid peer credentials gets 401; naming another provider as caller gets 403"),
    must("CCI-A-15", "confirm answers are application/json and match ConfirmActivationKeyResponse"),
    must("CCI-B-01", "describe shows the key's details and calls nothing on A"),
    must("CCI-B-02", "accept makes exactly one confirm on A: key's environment, exact key, B's id, B's credentials"),
    must("CCI-B-03", "keyValid true takes B's connection to NEGOTIATION"),
    must("CCI-B-04", "keyValid false makes B delete its pending connection"),
    must("CCI-B-05", "B refuses bad keys locally without calling A"),
    must("CCI-B-06", "B fails closed on A's 5xx, timeout or a non-boolean keyValid"),
    must("CCI-B-07", "B sends nothing else to A before the confirmation succeeds"),
    must("ON-SP-01", "a well-formed notice gets 200 JSON with references in the ID format, paired with the request's product"),
    must("ON-SP-02", "an unwanted but well-formed notice still gets 200 (a cause is allowed)"),
    must("ON-SP-03", "a notice missing a mandatory field gets 400 with a cause"),
    must("ON-SP-04", "malformed values (IDs, dateTimes, products, JSON, types) get 400 with a cause"),
    must("ON-SP-05", "bad credentials get 401; valid credentials without the right get 403"),
    should("ON-SP-06", "the same notice twice gets the same references and one subscription"),
    must("ON-SP-07", "every error answer is JSON with a cause, and a client's mistake is never 5xx"),
    must("ON-CO-01", "every notice sent is complete, well-formed, single-product JSON with the CO's credentials"),
    must("ON-CO-02", "after 429 with Retry-After the CO waits at least that long before resending"),
    should("ON-CO-03", "the CO retries 5xx with bounded backoff and never resends a 400'd notice unchanged"),
    must("X-01", "JSON answers say application/json"),
    must("X-02", "no 5xx for a client's mistake and no answer slower than the step timeout"),
    must("X-03", "an unknown path answers 404 or 501, not 200"),
];

/// Looks a requirement up by id.
pub fn find(id: &str) -> Option<&'static Requirement> {
    CATALOGUE.iter().find(|r| r.id == id)
}

/// The requirements whose ids start with `prefix` (cross-cutting ones excluded).
pub fn of_protocol(prefix: &str) -> impl Iterator<Item = &'static Requirement> + '_ {
    CATALOGUE.iter().filter(move |r| r.id.starts_with(prefix))
}
