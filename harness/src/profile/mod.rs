//! The protocol profile interface: what a protocol plug-in supplies and the engine
//! drives. This module is at the bottom of the crate: protocols import it, the engine
//! imports it, and it imports neither (only the shared utilities: `http`, `peers`,
//! `server`, `yaml`, and the core of the target file).

pub mod answers;
pub mod binding;
pub mod capabilities;
pub mod catalogue;
#[cfg(test)]
pub mod demo;
pub mod fuzz;
pub mod stage;
pub mod tables;
pub mod target;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

pub use answers::{AnswerCase, AnswerOracle, AnswerScenario, AnswerTiming};
pub use binding::{Binding, Credentials};
pub use catalogue::{Level, Requirement};
pub use fuzz::{Campaign, FuzzError, FuzzRequest};
pub use stage::Stage;
pub use tables::{
    answer_variations, FaultError, FaultInfo, FaultTable, VariationInfo, VariationTable,
};

use crate::http::HttpClient;
use crate::peers::{MockPeer, ScriptedAnswer};
use crate::yaml::InputError;
use target::Target;

/// A boxed future, so that profiles can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A protocol plug-in. Each protocol implements it once; the registry in `protocols/mod.rs` lists
/// them, and the engine reaches a protocol through nothing else.
pub trait Profile: Send + Sync + 'static {
    /// The protocol's name in files and on the command line.
    fn name(&self) -> &'static str;

    /// The roles an IUT may play, each with its counterpart.
    fn roles(&self) -> &'static [RoleSpec];

    /// The axis scenarios run along (each scenario once per value), if any.
    fn variant_axis(&self) -> Option<&'static VariantAxis> {
        None
    }

    /// The protocol's requirements, from PROTOCOLS.md.
    fn requirements(&self) -> &'static [Requirement];

    /// The same requirements in full (its `requirements.yaml`, one text per
    /// requirement, in the same order).
    fn requirement_texts(&self) -> catalogue::TextFile;

    /// The simulators' faults.
    fn faults(&self) -> Vec<FaultInfo>;

    /// Names of the mock peer's canned answers.
    fn presets(&self) -> &'static [&'static str];

    /// Template variables and functions the protocol adds to every scenario.
    fn template_names(&self) -> &'static [&'static str];

    /// A JSON Schema scenarios may cite by name in `expect.schema`.
    fn schema(&self, name: &str) -> Option<Value>;

    /// Names of the schemas `schema` knows, for error messages.
    fn schema_names(&self) -> &'static [&'static str];

    /// Credential names the target file may give besides `harness` and `iut`.
    fn credential_names(&self) -> &'static [&'static str];

    /// Top-level fields of the target file that belong to the protocol.
    fn target_fields(&self) -> &'static [&'static str];

    /// Parses and checks the protocol's fields of a target file (the whole text; fields
    /// that are not the protocol's are ignored) for an IUT of `role`.
    fn parse_target(
        &self,
        text: &str,
        file: &str,
        role: &str,
    ) -> Result<Arc<dyn TargetSection>, InputError>;

    /// Starts a built-in simulator of `role` with the named faults and legal variations
    /// switched on (`faults` holds both), and the harness's counterpart wired to it.
    fn start_builtin<'a>(
        &'a self,
        role: &'a str,
        variant: Option<&'a str>,
        faults: &'a BTreeSet<&'static str>,
        http: &'a HttpClient,
    ) -> BoxFuture<'a, Result<Prepared, SimError>>;

    /// Settings `crosscheck sim` takes for this protocol, beyond role, listen and faults.
    fn sim_options(&self) -> &'static [SimOption] {
        &[]
    }

    /// The credentials fixed in the built-in simulators' code, which a target file
    /// for a simulator must use (listed by `crosscheck sim --help`).
    fn sim_tokens(&self) -> &'static [SimToken] {
        &[]
    }

    /// Serves a reference simulator of `role` on `listen` (for `crosscheck sim`).
    fn serve<'a>(
        &'a self,
        role: &'a str,
        faults: &'a BTreeSet<&'static str>,
        settings: &'a BTreeMap<String, String>,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<RunningSim, SimError>>;

    /// What scenarios may need of a target that not every legal target has (e.g. a
    /// second environment); a scenario names the needs it has and is skipped, with the
    /// reason, on a target that lacks one.
    fn needs(&self) -> &'static [NeedInfo] {
        &[]
    }

    /// Legal variations of the built-in simulators, per role: behaviour the specs
    /// allow that the reference does not show. The suite must pass against each. By
    /// default, the engine's answer variations for every role.
    fn variations(&self) -> Vec<VariationInfo> {
        self.roles()
            .iter()
            .flat_map(|r| answer_variations(self.name(), r.name))
            .collect()
    }

    /// Operations whose success answer bodies the spec leaves free, per role: answer
    /// mutants that change only such a body (not its status) may survive, and the
    /// self-test lists them as legal with the reason.
    fn free_answer_bodies(&self) -> &'static [FreeAnswerBody] {
        &[]
    }

    /// The campaign that fuzzes what an IUT of this protocol receives (its built-in
    /// simulator started, when there is no target); `None` when the protocol has no
    /// fuzz strategy.
    fn fuzz<'a>(
        &'a self,
        _request: FuzzRequest<'a>,
    ) -> Option<BoxFuture<'a, Result<Box<dyn Campaign>, FuzzError>>> {
        None
    }

    /// The answer fuzzer's oracle for `role` (`crosscheck fuzz --answers`), when an
    /// IUT of that role calls the harness and the protocol supports it.
    fn answer_oracle(&self, _role: &str) -> Option<&'static dyn AnswerOracle> {
        None
    }
}

/// An operation whose success answer body the spec leaves free for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeAnswerBody {
    /// The IUT's role.
    pub role: &'static str,
    /// The binding operation.
    pub operation: &'static str,
    /// Why its body is free (the requirement that fixes only the status, say).
    pub why: &'static str,
}

/// Something a scenario may need of the target, which a legal target may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedInfo {
    /// Its name, as scenarios write it in `needs:`.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Template variables that exist only on targets that have it: a scenario that
    /// uses one must name the need.
    pub variables: &'static [&'static str],
}

impl std::fmt::Debug for dyn Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Profile({})", self.name())
    }
}

impl dyn Profile {
    /// The role called `name`.
    pub fn role(&self, name: &str) -> Option<&'static RoleSpec> {
        self.roles().iter().find(|r| r.name == name)
    }

    /// One of its requirements or a cross-cutting one, by id.
    pub fn requirement(&self, id: &str) -> Option<&'static Requirement> {
        self.requirements()
            .iter()
            .chain(catalogue::CROSS_CUTTING)
            .find(|r| r.id == id)
    }

    /// Role names, for messages.
    pub fn role_names(&self) -> Vec<&'static str> {
        self.roles().iter().map(|r| r.name).collect()
    }

    /// The values scenarios run in: the axis' values, or one run without a variant.
    pub fn variants(&self) -> Vec<Option<&'static str>> {
        match self.variant_axis() {
            Some(axis) => axis.values.iter().map(|v| Some(*v)).collect(),
            None => vec![None],
        }
    }

    /// Fault names valid for `role`, or an error naming the bad one.
    pub fn faults_for(
        &self,
        role: &str,
        names: &BTreeSet<String>,
    ) -> Result<BTreeSet<&'static str>, FaultError> {
        let known: Vec<(&'static str, &'static str)> =
            self.faults().iter().map(|f| (f.name, f.role)).collect();
        pick(role, names, &known, |name| FaultError::Unknown {
            name,
            protocol: self.name(),
        })
    }

    /// Variation names valid for `role`, or an error naming the bad one.
    pub fn variations_for(
        &self,
        role: &str,
        names: &BTreeSet<String>,
    ) -> Result<BTreeSet<&'static str>, FaultError> {
        let known: Vec<(&'static str, &'static str)> =
            self.variations().iter().map(|v| (v.name, v.role)).collect();
        pick(role, names, &known, |name| FaultError::UnknownVariation {
            name,
            protocol: self.name(),
        })
    }
}

/// The `names` among `known` (name, role) pairs that belong to `role`, or an error for
/// the first that is unknown (`unknown`) or another role's.
fn pick(
    role: &str,
    names: &BTreeSet<String>,
    known: &[(&'static str, &'static str)],
    unknown: impl Fn(String) -> FaultError,
) -> Result<BTreeSet<&'static str>, FaultError> {
    names
        .iter()
        .map(|n| {
            let mine = known.iter().find(|(k, r)| k == n && *r == role);
            match (mine, known.iter().find(|(k, _)| k == n)) {
                (Some((k, _)), _) => Ok(*k),
                (None, Some((_, its_role))) => Err(FaultError::OtherRole {
                    name: n.clone(),
                    its_role,
                    role: role.to_string(),
                }),
                (None, None) => Err(unknown(n.clone())),
            }
        })
        .collect()
}

/// A role an IUT may play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSpec {
    /// Its name, e.g. in `--role`.
    pub name: &'static str,
    /// The role the harness plays against it (the mock peer's name).
    pub counterpart: &'static str,
    /// The prefix of the requirement ids this role must meet.
    pub requirement_prefix: &'static str,
    /// Operations scenarios may `call` (every role also has `advance_clock`).
    pub operations: &'static [&'static str],
    /// Base URLs of the IUT that the target file names as `{name}_base`.
    pub bases: &'static [BaseSpec],
    /// Whether the IUT calls the harness's mock peer (so a target must say where it listens).
    pub calls_the_harness: bool,
}

/// A base URL of the IUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseSpec {
    /// Its name (`{name}_base` in the target file, `base: name` in scenarios).
    pub name: &'static str,
    /// Whether a target must give it.
    pub required: bool,
    /// The credential raw `http` steps to this base send by default.
    pub credentials: Credentials,
}

/// The axis a protocol's scenarios run along, e.g. an encoding with two dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantAxis {
    /// The axis' name, as the target file's field.
    pub name: &'static str,
    /// Its values; scenarios run once per value unless they name some.
    pub values: &'static [&'static str],
}

/// A setting of `crosscheck sim`, given as `--NAME VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOption {
    /// The flag's name, without dashes.
    pub name: &'static str,
    /// Help text, with the default.
    pub help: &'static str,
}

/// A credential fixed in a built-in simulator's code: no setting of `crosscheck sim`
/// changes it, so a target file for the simulator must use exactly this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimToken {
    /// The role whose simulator knows it.
    pub role: &'static str,
    /// The token, sent as `Authorization: Bearer <token>`.
    pub token: &'static str,
    /// What the simulator does with it, and the target credential that must match it.
    pub purpose: &'static str,
}

/// The protocol's part of a parsed target file.
pub trait TargetSection: Send + Sync + std::fmt::Debug {
    /// The target's value on the protocol's variant axis, if the protocol has one.
    fn variant(&self) -> Option<&str>;

    /// Secrets the section holds, for redaction.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Why the target lacks `need` (one of the profile's [`NeedInfo`] names), or
    /// `None` when it has it.
    fn lacks(&self, _need: &str) -> Option<String> {
        None
    }

    /// Starts the harness's counterpart for `target` on `listen`.
    fn start_counterpart<'a>(
        &'a self,
        target: &'a Target,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<Counterpart, SimError>>;

    /// Lets the profile reach its own section type again.
    fn as_any(&self) -> &dyn Any;
}

/// The harness's counterpart on one stage: the recording mock peer, and the
/// protocol's part of the stage (which may know the counterpart's books).
#[derive(Debug)]
pub struct Counterpart {
    /// The recording mock peer.
    pub peer: Arc<MockPeer>,
    /// Variables, functions, bindings and presets for scenarios on this stage.
    pub protocol: Arc<dyn StageProtocol>,
}

/// What a protocol adds to one stage: the variables every scenario starts with, its
/// template functions, its binding operations, its mock peer's canned answers, and
/// what its mock peer's books make of the harness's own calls.
pub trait StageProtocol: Send + Sync + std::fmt::Debug {
    /// The protocol's variables for scenarios on `target`.
    fn base_vars(&self, target: &Target) -> Map<String, Value>;

    /// Registers the protocol's template functions.
    fn register_functions(&self, target: &Target, env: &mut minijinja::Environment<'static>);

    /// The default binding of `operation` for the target's role (`None`: the role has
    /// no such operation); the engine adds `advance_clock` and the target's overrides.
    fn binding(&self, target: &Target, operation: &str) -> Option<Binding>;

    /// A canned answer of the mock peer.
    fn preset(&self, target: &Target, name: &str) -> Option<ScriptedAnswer>;

    /// Sees a binding operation the harness performed on the IUT, with its arguments
    /// and the answer's status, so that the books of the party the harness plays
    /// follow what that party did (by default nothing).
    fn performed(&self, _operation: &str, _args: &Value, _status: u16) {}
}

/// A stage plus whatever keeps its built-in simulator alive.
pub struct Prepared {
    /// The stage.
    pub stage: Stage,
    /// The running simulator (dropping it stops it).
    pub keep_alive: Box<dyn Any + Send + Sync>,
}

/// A reference simulator serving for `crosscheck sim`.
pub struct RunningSim {
    /// What keeps it serving (dropping it stops it).
    pub keep_alive: Box<dyn Any + Send + Sync>,
    /// One line saying where it listens and what it talks to.
    pub banner: String,
}

/// Why a simulator or a mock peer could not start, whatever the protocol.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP client could not be made.
    #[error("cannot create the HTTP client: {0}")]
    Client(#[from] crate::http::TransportError),
    /// A setting is not valid.
    #[error("{0}")]
    Setting(String),
    /// The target was not made by this protocol.
    #[error("the target's protocol section is not {0}'s")]
    ForeignTarget(&'static str),
}

/// A loopback address with an ephemeral port. Where the whole of 127.0.0.0/8 answers
/// (Linux), successive calls spread over 127.0.0.2 to 127.0.0.251: a self-test binds
/// thousands of listeners, and the kernel's search for a free port on one address slows
/// down as the sockets of earlier runs pile up there (it cost several seconds of system
/// time a self-test). Elsewhere, always 127.0.0.1.
pub fn loopback() -> SocketAddr {
    static SPREAD: OnceLock<bool> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let spread = *SPREAD.get_or_init(|| std::net::TcpListener::bind(("127.0.0.2", 0)).is_ok());
    if !spread {
        return SocketAddr::from(([127, 0, 0, 1], 0));
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let host = u8::try_from(2 + n % 250).unwrap_or(2);
    SocketAddr::from(([127, 0, 0, host], 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_loopback_with_an_ephemeral_port_and_bind() {
        for _ in 0..300 {
            let a = loopback();
            assert!(a.ip().is_loopback(), "{a}");
            assert_eq!(a.port(), 0);
        }
        let bound = std::net::TcpListener::bind(loopback()).expect("binds");
        assert!(bound.local_addr().expect("addr").port() > 0);
    }
}
