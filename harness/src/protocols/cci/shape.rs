//! What a CCI deployment looks like, as far as scenarios can tell: provider ids,
//! offered environments and sizes, accounts and the API prefix. The reference
//! simulators use one shape; legal variations and the target-shape property use
//! others, and the simulators and the target are built from the same shape.

use crate::protocols::cci::target::Environment;

/// A legal CCI deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Provider id of CSP A.
    pub provider_a: String,
    /// Provider id of CSP B.
    pub provider_b: String,
    /// A third provider (valid credentials, but not for B's path).
    pub provider_other: String,
    /// Offered environments, shared by both CSPs; the first is the default.
    pub environments: Vec<Environment>,
    /// An environment id nobody offers.
    pub unknown_environment: String,
    /// The customer's account.
    pub customer_account: String,
    /// An account that is not the customer's.
    pub other_account: String,
    /// Path prefix of both CSPs' provider-to-provider API (empty, or `/...`).
    pub api_prefix: String,
}

fn env(id: &str, sizes: &[u32]) -> Environment {
    Environment::new(id, sizes).with_reference_interconnects()
}

/// The shape variations: name, what they change, and the shape.
const VARIATIONS: &[(&str, &str)] = &[
    (
        "identical-sizes",
        "both environments offer exactly the same sizes",
    ),
    ("single-environment", "offers one environment only"),
    ("single-size", "each environment offers a single size"),
    (
        "other-identities",
        "other provider ids, environment ids and account formats, and the API under /interconnect/api/v2 instead of /v1",
    ),
];

impl Shape {
    /// The reference simulators' shape.
    pub fn reference() -> Shape {
        Shape {
            provider_a: "csp-a".into(),
            provider_b: "csp-b".into(),
            provider_other: "csp-c".into(),
            environments: vec![
                env("env-ab-1", &[50, 100, 500, 1000]),
                env("env-ab-2", &[1000, 10000]),
            ],
            unknown_environment: "env-never-offered".into(),
            customer_account: "123456789012".into(),
            other_account: "999999999999".into(),
            api_prefix: "/v1".into(),
        }
    }

    /// Names and descriptions of the shape variations.
    pub fn variations() -> &'static [(&'static str, &'static str)] {
        VARIATIONS
    }

    /// The shape a variation names, or `None` when `name` is no shape variation.
    pub fn variation(name: &str) -> Option<Shape> {
        let reference = Shape::reference();
        Some(match name {
            "identical-sizes" => Shape {
                environments: vec![env("env-ab-1", &[100, 1000]), env("env-ab-2", &[100, 1000])],
                ..reference
            },
            "single-environment" => Shape {
                environments: vec![env("env-solo", &[200, 2000])],
                ..reference
            },
            "single-size" => Shape {
                environments: vec![env("env-ab-1", &[1000]), env("env-ab-2", &[10000])],
                ..reference
            },
            "other-identities" => Shape {
                provider_a: "provider.alpha-7".into(),
                provider_b: "bravo_cloud".into(),
                provider_other: "charlie".into(),
                environments: vec![
                    env("eu-west.region_3", &[1, 25, 40000]),
                    env("ZONE-9", &[25, 400]),
                ],
                unknown_environment: "eu-west.region_4".into(),
                customer_account: "acct-7f3a9c".into(),
                other_account: "acct-000001".into(),
                api_prefix: "/interconnect/api/v2".into(),
            },
            _ => return None,
        })
    }

    /// The shape the switched-on names pick: the first shape variation among them,
    /// else the reference.
    pub fn chosen<'a>(names: impl IntoIterator<Item = &'a str>) -> Shape {
        names
            .into_iter()
            .find_map(Shape::variation)
            .unwrap_or_else(Shape::reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variation_is_a_different_legal_shape() {
        let reference = Shape::reference();
        for (name, _) in Shape::variations() {
            let shape = Shape::variation(name).expect("named");
            assert_ne!(shape, reference, "{name} changes nothing");
            assert!(!shape.environments.is_empty(), "{name}");
            assert!(
                shape.environments.iter().all(|e| !e.sizes.is_empty()),
                "{name}"
            );
            assert!(
                shape
                    .environments
                    .iter()
                    .all(|e| e.id != shape.unknown_environment),
                "{name}"
            );
            assert_ne!(shape.customer_account, shape.other_account, "{name}");
        }
        assert_eq!(
            Shape::chosen(["a-fault", "single-size"]).environments.len(),
            2
        );
        assert_eq!(Shape::chosen(["a-fault"]), reference);
    }
}
