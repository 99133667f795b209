//! The registry of protocol plug-ins. Each protocol lives in its own folder and
//! implements [`Profile`] once; this file lists them, and it is the only place the
//! engine learns which protocols exist. Adding a protocol is one line in [`REGISTRY`].

pub mod cci;
pub mod onapi;
pub mod s2c;

use crate::profile::catalogue::CROSS_CUTTING;
use crate::profile::{Profile, Requirement};

/// Every protocol the harness speaks.
pub static REGISTRY: &[&dyn Profile] = &[
    &cci::profile::Cci,
    &onapi::profile::Onapi,
    &s2c::profile::S2c,
];

/// Every registered protocol.
pub fn all() -> &'static [&'static dyn Profile] {
    REGISTRY
}

/// The protocol called `name`.
pub fn find(name: &str) -> Option<&'static dyn Profile> {
    REGISTRY.iter().copied().find(|p| p.name() == name)
}

/// Known protocol names, for messages.
pub fn names() -> String {
    REGISTRY
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every requirement: each protocol's, then the cross-cutting ones.
pub fn catalogue() -> impl Iterator<Item = &'static Requirement> {
    REGISTRY
        .iter()
        .flat_map(|p| p.requirements().iter())
        .chain(CROSS_CUTTING.iter())
}

/// Looks a requirement up by id.
pub fn requirement(id: &str) -> Option<&'static Requirement> {
    catalogue().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::FaultInfo;

    #[test]
    fn names_are_unique_and_faults_name_real_requirements_and_roles() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
        let all: Vec<FaultInfo> = REGISTRY.iter().flat_map(|p| p.faults()).collect();
        let mut faults: Vec<&str> = all.iter().map(|f| f.name).collect();
        faults.sort_unstable();
        faults.dedup();
        assert_eq!(
            faults.len(),
            all.len(),
            "fault names are unique across protocols"
        );
        for f in &all {
            assert!(requirement(f.requirement).is_some(), "{}", f.name);
            let p = find(f.protocol).expect("registered");
            assert!(p.role(f.role).is_some(), "{}", f.name);
            for v in f.shown_with {
                assert!(
                    p.variations()
                        .iter()
                        .any(|x| x.name == *v && x.role == f.role),
                    "{} is shown with {v}, a variation of {} {}",
                    f.name,
                    f.protocol,
                    f.role
                );
            }
        }
        let mut ids: Vec<&str> = catalogue().map(|r| r.id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "requirement ids are unique");
        assert_eq!(count, 104);
    }

    #[test]
    fn counterparts_are_roles_of_the_same_protocol_or_the_harness_alone() {
        for p in REGISTRY {
            for r in p.roles() {
                assert_ne!(r.name, r.counterpart, "{}", p.name());
                assert!(
                    catalogue().any(|q| q.id.starts_with(r.requirement_prefix)),
                    "{} {} has requirements",
                    p.name(),
                    r.name
                );
            }
        }
    }
}
