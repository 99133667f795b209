//! The tables every protocol keeps of its simulators' faults and legal variations,
//! what the engine lists of them, and why a name given on the command line does not fit.

use std::collections::BTreeSet;

/// The engine's answer variations ([`crate::server::AnswerVariation`]) as variations of
/// `role` of `protocol`: a profile lists these and adds its own.
pub fn answer_variations(
    protocol: &'static str,
    role: &'static str,
) -> impl Iterator<Item = VariationInfo> {
    crate::server::AnswerVariation::ALL
        .into_iter()
        .map(move |v| VariationInfo {
            protocol,
            name: v.name(),
            role,
            description: v.description(),
        })
}

/// A fault or variation name that does not fit the protocol or the role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The protocol has no fault of that name.
    #[error("unknown fault `{name}` (see `crosscheck faults {protocol}`)")]
    Unknown {
        /// The name given.
        name: String,
        /// The protocol asked.
        protocol: &'static str,
    },
    /// The protocol has no variation of that name.
    #[error("unknown variation `{name}` (see `crosscheck variations {protocol}`)")]
    UnknownVariation {
        /// The name given.
        name: String,
        /// The protocol asked.
        protocol: &'static str,
    },
    /// The fault or variation belongs to another role.
    #[error("`{name}` belongs to {its_role}, not {role}")]
    OtherRole {
        /// The name given.
        name: String,
        /// The role the fault belongs to.
        its_role: &'static str,
        /// The role asked for.
        role: String,
    },
}

/// One legal variation of a built-in simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariationInfo {
    /// The protocol.
    pub protocol: &'static str,
    /// Its name (switched on like a fault).
    pub name: &'static str,
    /// The role whose simulator varies.
    pub role: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// A simulator fault, whatever its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// Its protocol's name.
    pub protocol: &'static str,
    /// Command-line name.
    pub name: &'static str,
    /// The role whose simulator has it.
    pub role: &'static str,
    /// The requirement it breaks.
    pub requirement: &'static str,
    /// What the bug is.
    pub description: &'static str,
    /// Legal variations of the same role the bug shows only together with (e.g. a bug
    /// in handling a state the reference never enters by itself); the self-test
    /// switches them on with the fault.
    pub shown_with: &'static [&'static str],
}

/// A protocol's table of simulator faults: each a realistic bug, tied to the
/// requirement it breaks.
pub trait FaultTable: Copy + 'static {
    /// Every fault, in listing order.
    const ALL: &'static [Self];

    /// Name, requirement and description.
    fn info(self) -> (&'static str, &'static str, &'static str);

    /// The role whose simulator has the fault.
    fn role(self) -> &'static str;

    /// Legal variations (by name) the fault shows only together with; none by default.
    fn shown_with(self) -> &'static [&'static str] {
        &[]
    }

    /// The fault's name on the command line.
    fn name(self) -> &'static str {
        self.info().0
    }

    /// The requirement the fault breaks.
    fn requirement(self) -> &'static str {
        self.info().1
    }

    /// What the bug is.
    fn description(self) -> &'static str {
        self.info().2
    }

    /// Looks a fault up by name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The table as protocol-independent entries.
    fn infos(protocol: &'static str) -> Vec<FaultInfo> {
        Self::ALL
            .iter()
            .map(|f| FaultInfo {
                protocol,
                name: f.name(),
                role: f.role(),
                requirement: f.requirement(),
                description: f.description(),
                shown_with: f.shown_with(),
            })
            .collect()
    }
}

/// A protocol's table of legal variations: behaviour the specs allow that the reference
/// simulators do not show, switched on by name like faults.
pub trait VariationTable: Copy + Ord + 'static {
    /// Every variation, in listing order.
    const ALL: &'static [Self];

    /// Name, role and description.
    fn info(self) -> (&'static str, &'static str, &'static str);

    /// Its name on the command line.
    fn name(self) -> &'static str {
        self.info().0
    }

    /// The role whose simulator varies.
    fn role(self) -> &'static str {
        self.info().1
    }

    /// What it does.
    fn description(self) -> &'static str {
        self.info().2
    }

    /// The variation called `name`, if there is one.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The variations among `names` (other names are ignored).
    fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<Self> {
        names.into_iter().filter_map(Self::from_name).collect()
    }

    /// The variations of `role` as protocol-independent entries.
    fn infos(protocol: &'static str, role: &'static str) -> Vec<VariationInfo> {
        Self::ALL
            .iter()
            .filter(|v| v.role() == role)
            .map(|v| VariationInfo {
                protocol,
                name: v.name(),
                role,
                description: v.description(),
            })
            .collect()
    }
}
