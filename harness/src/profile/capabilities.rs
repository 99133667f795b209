//! The vendor's capability statement (an ICS/PICS in ISO 9646 terms): the roles and
//! variant it implements and the optional features of the profile it claims. With a
//! statement, a scenario that needs an unclaimed feature is `not applicable`, and one
//! whose claimed feature the target cannot give fails instead of being skipped.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::{NeedInfo, Profile};
use crate::yaml::{self, InputError};

/// The optional feature every protocol has: a test clock the harness can advance
/// (`test_base`). Scenarios that advance the clock need it.
pub const TEST_CLOCK: NeedInfo = NeedInfo {
    name: "test-clock",
    description: "a test clock the harness can advance (`test_base`, POST clock/advance)",
    variables: &[],
};

/// What a failure charges when a claimed feature is missing: the claim, not a
/// requirement.
pub const CAPABILITY_CHECK: &str = "capability statement";

/// A capability statement, checked against its protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Where it was read from (a file, or `target.yaml capabilities:`).
    pub source: String,
    /// The roles the vendor implements.
    pub roles: Vec<String>,
    /// The value on the protocol's variant axis it implements, if the axis exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The optional features it claims.
    pub features: BTreeSet<String>,
}

/// A statement as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapabilitiesFile {
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    variant: Option<Spanned<String>>,
    #[serde(default)]
    features: Vec<Spanned<String>>,
}

/// A file that holds only a statement, as `capabilities:` or at the top.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StandaloneFile {
    Wrapped { capabilities: CapabilitiesFile },
    Bare(CapabilitiesFile),
}

/// The optional features `profile` declares, the test clock first.
pub fn features_of(profile: &dyn Profile) -> Vec<NeedInfo> {
    std::iter::once(TEST_CLOCK)
        .chain(profile.needs().iter().copied())
        .collect()
}

impl Capabilities {
    /// Reads a statement from its own file, for a target of `profile` and `role`.
    pub fn load(
        path: &std::path::Path,
        profile: &dyn Profile,
        role: &str,
        variant: Option<&str>,
    ) -> Result<Self, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::whole(&file, format!("cannot read: {e}")))?;
        let raw = match yaml::parse::<StandaloneFile>(&text, &file)? {
            StandaloneFile::Wrapped { capabilities } | StandaloneFile::Bare(capabilities) => {
                capabilities
            }
        };
        raw.check(&file, "", profile, role, variant)
    }

    /// Whether the statement claims `feature`.
    pub fn claims(&self, feature: &str) -> bool {
        self.features.contains(feature)
    }
}

impl CapabilitiesFile {
    /// The statement, once every name in it is known and it agrees with the target;
    /// `prefix` is `capabilities.` inside a target file.
    pub(crate) fn check(
        self,
        file: &str,
        prefix: &str,
        profile: &dyn Profile,
        role: &str,
        variant: Option<&str>,
    ) -> Result<Capabilities, InputError> {
        let source = match prefix {
            "" => file.to_string(),
            _ => format!("{file} capabilities:"),
        };
        let mut roles = Vec::new();
        for r in &self.roles {
            if profile.role(&r.value).is_none() {
                return Err(InputError::at(
                    file,
                    &r.referenced,
                    format!(
                        "{prefix}roles: `{}` is not a role of {} (roles: {})",
                        r.value,
                        profile.name(),
                        profile.role_names().join(", ")
                    ),
                ));
            }
            roles.push(r.value.clone());
        }
        if !roles.iter().any(|r| r == role) {
            return Err(InputError::whole(
                file,
                format!("{prefix}roles: must claim the target's role `{role}`"),
            ));
        }
        let claimed_variant = match (&self.variant, profile.variant_axis()) {
            (None, _) => None,
            (Some(v), None) => {
                return Err(InputError::at(
                    file,
                    &v.referenced,
                    format!("{prefix}variant: {} has no variant axis", profile.name()),
                ))
            }
            (Some(v), Some(axis)) => {
                if !axis.values.contains(&v.value.as_str()) {
                    return Err(InputError::at(
                        file,
                        &v.referenced,
                        format!(
                            "{prefix}variant: `{}` is not a {} (values: {})",
                            v.value,
                            axis.name,
                            axis.values.join(", ")
                        ),
                    ));
                }
                if variant.is_some_and(|t| t != v.value) {
                    return Err(InputError::at(
                        file,
                        &v.referenced,
                        format!(
                            "{prefix}variant: claims `{}` but the target's {} is `{}`",
                            v.value,
                            axis.name,
                            variant.unwrap_or_default()
                        ),
                    ));
                }
                Some(v.value.clone())
            }
        };
        let known = features_of(profile);
        let mut features = BTreeSet::new();
        for f in &self.features {
            if !known.iter().any(|k| k.name == f.value) {
                let names: Vec<&str> = known.iter().map(|k| k.name).collect();
                return Err(InputError::at(
                    file,
                    &f.referenced,
                    format!(
                        "{prefix}features: `{}` is not an optional feature of {} (features: {})",
                        f.value,
                        profile.name(),
                        names.join(", ")
                    ),
                ));
            }
            features.insert(f.value.clone());
        }
        Ok(Capabilities {
            source,
            roles,
            variant: claimed_variant.or_else(|| variant.map(str::to_string)),
            features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::demo::DEMO;

    fn statement(text: &str) -> Result<Capabilities, InputError> {
        let raw: CapabilitiesFile = yaml::parse(text, "caps.yaml")?;
        raw.check("caps.yaml", "", &DEMO, "server", None)
    }

    #[test]
    fn a_statement_names_known_roles_and_features() {
        let c = statement("roles: [server]\nfeatures: [archive, test-clock]\n").expect("valid");
        assert!(c.claims("archive") && c.claims("test-clock") && !c.claims("other"));
        assert_eq!(c.source, "caps.yaml");
    }

    #[test]
    fn unknown_names_and_a_missing_role_are_refused_with_the_line() {
        let e = statement("roles: [server]\nfeatures: [archives]\n").expect_err("unknown");
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains(
                "`archives` is not an optional feature of demo (features: test-clock, archive)"
            ),
            "{e}"
        );
        let e = statement("roles: [client]\n").expect_err("unknown role");
        assert!(e.message.contains("`client` is not a role of demo"), "{e}");
        let e = statement("roles: []\nfeatures: []\n").expect_err("no role");
        assert!(
            e.message.contains("must claim the target's role `server`"),
            "{e}"
        );
        let e = statement("roles: [server]\nvariant: x\n").expect_err("no axis");
        assert!(e.message.contains("demo has no variant axis"), "{e}");
    }
}
