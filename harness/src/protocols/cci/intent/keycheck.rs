//! CCI-A-04: are issued keys unique and unguessable? A statistical look at the
//! material of many keys.

use crate::protocols::cci::intent::key::{decode, Dialect};

/// What the check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MaterialStats {
    /// Keys examined.
    pub keys: usize,
    /// Estimated bits of variation across the keys' material (sum over character
    /// positions of log2 of the distinct characters seen there).
    pub bits: f64,
}

/// Why a set of keys does not show unguessable material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MaterialError(pub String);

impl From<String> for MaterialError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for MaterialError {
    fn from(message: &str) -> Self {
        Self(message.to_string())
    }
}

/// Checks that every key decodes, that no two share material, and that the material
/// varies by at least `min_bits` across the set (counters and clocks vary in only a
/// few trailing characters).
pub fn check_material(
    keys: &[String],
    dialect: Dialect,
    min_bits: f64,
) -> Result<MaterialStats, MaterialError> {
    if keys.len() < 8 {
        return Err(MaterialError::from(format!(
            "need at least 8 keys to judge, got {}",
            keys.len()
        )));
    }
    let field = dialect.material_field();
    let mut materials = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let object =
            decode(key).map_err(|e| MaterialError::from(format!("key #{}: {e}", i + 1)))?;
        let material = object
            .get(field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| MaterialError::from(format!("key #{}: no string `{field}`", i + 1)))?;
        if let Some(j) = materials.iter().position(|m: &String| m == material) {
            return Err(MaterialError::from(format!(
                "keys #{} and #{} share {field} `{material}`",
                j + 1,
                i + 1
            )));
        }
        materials.push(material.to_string());
    }
    let width = materials
        .iter()
        .map(|m| m.chars().count())
        .max()
        .unwrap_or(0);
    let columns: Vec<Vec<char>> = materials.iter().map(|m| m.chars().collect()).collect();
    let mut bits = 0.0;
    for pos in 0..width {
        let mut seen: Vec<char> = columns
            .iter()
            .map(|c| c.get(pos).copied().unwrap_or('\0'))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        bits += (seen.len() as f64).log2();
    }
    if bits < min_bits {
        return Err(MaterialError::from(format!(
            "{field} of {} keys varies by about {bits:.1} bits (at least {min_bits} expected): sequential or time-based material",
            keys.len()
        )));
    }
    Ok(MaterialStats {
        keys: keys.len(),
        bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::cci::intent::key::{encode_object, KeyFields};

    fn keys(material: impl Fn(usize) -> String) -> Vec<String> {
        (0..24)
            .map(|i| {
                encode_object(&Dialect::Seed.build(&KeyFields {
                    environment: "e".into(),
                    connection_size_mbps: 50,
                    material: material(i),
                    destination_account: String::new(),
                    destination_provider: String::new(),
                }))
            })
            .collect()
    }

    #[test]
    fn random_material_passes() {
        let stats = check_material(
            &keys(|_| uuid::Uuid::new_v4().simple().to_string()),
            Dialect::Seed,
            48.0,
        )
        .expect("random passes");
        assert!(stats.bits > 80.0, "{stats:?}");
    }

    #[test]
    fn counters_clocks_and_repeats_fail() {
        let counter = check_material(&keys(|i| format!("km-{i:012}")), Dialect::Seed, 48.0);
        assert!(counter.expect_err("counter").0.contains("sequential"));
        let clock = check_material(
            &keys(|i| format!("{}", 1_700_000_000_123_456_789u64 + i as u64 * 7919)),
            Dialect::Seed,
            48.0,
        );
        assert!(clock.is_err());
        let repeat = check_material(&keys(|i| format!("m{}", i % 3)), Dialect::Seed, 48.0);
        assert!(repeat.expect_err("repeat").0.contains("share"));
    }
}
