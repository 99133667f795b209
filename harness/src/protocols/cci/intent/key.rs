//! The ActivationKey codec: standard Base64 of a UTF-8 JSON object, in two dialects.
//!
//! Issuers encode with [`encode_object`]; receivers parse strictly with [`decode`]
//! (standard alphabet, canonical padding, no whitespace) and [`Dialect::parse`].

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a string is not a usable ActivationKey.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The string is not canonical standard Base64.
    #[error("not standard Base64: {0}")]
    NotBase64(String),
    /// The decoded bytes are not UTF-8 JSON.
    #[error("decoded bytes are not UTF-8 JSON: {0}")]
    NotJson(String),
    /// The JSON is valid but not an object.
    #[error("decoded JSON is not an object")]
    NotObject,
    /// A required field is absent.
    #[error("field `{0}` is missing")]
    MissingField(&'static str),
    /// A field has the wrong type or an unusable value.
    #[error("field `{field}` is invalid: {reason}")]
    BadField {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The two key dialects of PROTOCOLS.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// The seed document's dialect: string bandwidth, opaque keyMaterial, body field `key`.
    Seed,
    /// The published spec's dialect: versioned, UUID-based, body field `encodedKey`.
    V1,
}

impl Dialect {
    /// Both dialects, in a stable order.
    pub const ALL: [Dialect; 2] = [Dialect::Seed, Dialect::V1];

    /// The dialect's name as written in target files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Seed => "seed",
            Dialect::V1 => "v1",
        }
    }

    /// Parses a dialect name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "seed" => Some(Dialect::Seed),
            "v1" => Some(Dialect::V1),
            _ => None,
        }
    }

    /// The field of the ConfirmActivationKey request body that carries the key.
    pub fn confirm_body_field(self) -> &'static str {
        match self {
            Dialect::Seed => "key",
            Dialect::V1 => "encodedKey",
        }
    }

    /// The other key field a confirm body may not carry beside the dialect's own: in
    /// `v1`, the deprecated `key` (the published schema still lists it).
    pub fn other_key_field(self) -> Option<&'static str> {
        match self {
            Dialect::Seed => None,
            Dialect::V1 => Some("key"),
        }
    }

    /// The key field holding the per-key unique material.
    pub fn material_field(self) -> &'static str {
        match self {
            Dialect::Seed => "keyMaterial",
            Dialect::V1 => "sharedConnectionUuid",
        }
    }

    /// Builds the key's JSON object, fields in the dialect's documented order.
    pub fn build(self, fields: &KeyFields) -> Value {
        let mut map = Map::new();
        match self {
            Dialect::Seed => {
                map.insert("environment".into(), fields.environment.clone().into());
                map.insert(
                    "connectionSizeMbps".into(),
                    fields.connection_size_mbps.to_string().into(),
                );
                map.insert("keyMaterial".into(), fields.material.clone().into());
            }
            Dialect::V1 => {
                map.insert("version".into(), 1.into());
                map.insert(
                    "destinationEnvironmentUri".into(),
                    format!(
                        "providers/{}/environments/{}",
                        fields.destination_provider, fields.environment
                    )
                    .into(),
                );
                map.insert(
                    "sharedConnectionUuid".into(),
                    fields.material.clone().into(),
                );
                map.insert(
                    "connectionSizeMbps".into(),
                    fields.connection_size_mbps.into(),
                );
                map.insert(
                    "destinationAccountId".into(),
                    fields.destination_account.clone().into(),
                );
            }
        }
        Value::Object(map)
    }

    /// Extracts the fields of a decoded key, strictly by the dialect's types.
    pub fn parse(self, object: &Map<String, Value>) -> Result<KeyFields, KeyError> {
        match self {
            Dialect::Seed => {
                let environment = required_str(object, "environment")?;
                let size = required_str(object, "connectionSizeMbps")?;
                let connection_size_mbps = parse_size_text(size).ok_or(KeyError::BadField {
                    field: "connectionSizeMbps",
                    reason: format!("`{size}` is not a positive whole number"),
                })?;
                let material = required_str(object, "keyMaterial")?;
                Ok(KeyFields {
                    environment: environment.to_string(),
                    connection_size_mbps,
                    material: material.to_string(),
                    destination_account: String::new(),
                    destination_provider: String::new(),
                })
            }
            Dialect::V1 => {
                let version = object
                    .get("version")
                    .ok_or(KeyError::MissingField("version"))?;
                if version.as_i64() != Some(1) {
                    return Err(KeyError::BadField {
                        field: "version",
                        reason: format!("expected the integer 1, found {version}"),
                    });
                }
                let uri = required_str(object, "destinationEnvironmentUri")?;
                let (provider, environment) =
                    split_environment_uri(uri).ok_or_else(|| KeyError::BadField {
                        field: "destinationEnvironmentUri",
                        reason: format!("`{uri}` does not end in /environments/{{ENV}}"),
                    })?;
                let uuid = required_str(object, "sharedConnectionUuid")?;
                if uuid::Uuid::parse_str(uuid).is_err() {
                    return Err(KeyError::BadField {
                        field: "sharedConnectionUuid",
                        reason: format!("`{uuid}` is not a UUID"),
                    });
                }
                let size = object
                    .get("connectionSizeMbps")
                    .ok_or(KeyError::MissingField("connectionSizeMbps"))?;
                let connection_size_mbps = size
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| KeyError::BadField {
                        field: "connectionSizeMbps",
                        reason: format!("expected a positive integer, found {size}"),
                    })?;
                let account = required_str(object, "destinationAccountId")?;
                Ok(KeyFields {
                    environment,
                    connection_size_mbps,
                    material: uuid.to_string(),
                    destination_account: account.to_string(),
                    destination_provider: provider.unwrap_or_default(),
                })
            }
        }
    }
}

/// What a key says, independent of dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFields {
    /// The shared environment id.
    pub environment: String,
    /// The bandwidth in Mbps.
    pub connection_size_mbps: u32,
    /// keyMaterial (seed) or sharedConnectionUuid (v1).
    pub material: String,
    /// destinationAccountId (v1 only; empty in seed).
    pub destination_account: String,
    /// The provider named in destinationEnvironmentUri (v1 only; may be empty).
    pub destination_provider: String,
}

fn required_str<'a>(
    object: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, KeyError> {
    match object.get(field) {
        None => Err(KeyError::MissingField(field)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(other) => Err(KeyError::BadField {
            field,
            reason: format!("expected a non-empty string, found {other}"),
        }),
    }
}

fn parse_size_text(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|n| *n > 0)
}

/// Splits `providers/{P}/environments/{ENV}` (relative or inside an absolute URL) into
/// the provider, if named, and the environment.
pub fn split_environment_uri(uri: &str) -> Option<(Option<String>, String)> {
    let (head, env) = uri.rsplit_once("/environments/")?;
    if env.is_empty() || env.contains('/') {
        return None;
    }
    let provider = head
        .rsplit_once("providers/")
        .map(|(_, p)| p.to_string())
        .filter(|p| !p.is_empty() && !p.contains('/'));
    Some((provider, env.to_string()))
}

/// Encodes a JSON value compactly as standard, padded Base64.
pub fn encode_object(object: &Value) -> String {
    STANDARD.encode(object.to_string())
}

/// Encodes arbitrary bytes as standard, padded Base64.
pub fn encode_bytes(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Strictly decodes a key into its JSON object.
pub fn decode(key: &str) -> Result<Map<String, Value>, KeyError> {
    let bytes = STANDARD
        .decode(key)
        .map_err(|e| KeyError::NotBase64(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| KeyError::NotJson(e.to_string()))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(KeyError::NotObject),
        Err(e) => Err(KeyError::NotJson(e.to_string())),
    }
}

/// Decodes leniently, as a careless implementation would: either alphabet, optional
/// padding, embedded whitespace. Used by simulator faults, never by checks.
pub fn decode_lenient(key: &str) -> Option<Value> {
    use base64::engine::general_purpose::GeneralPurpose;
    use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
    let cleaned: String = key
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(cleaned.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(env: &str, size: u32, material: &str) -> KeyFields {
        KeyFields {
            environment: env.into(),
            connection_size_mbps: size,
            material: material.into(),
            destination_account: "123456789012".into(),
            destination_provider: "csp-b".into(),
        }
    }

    #[test]
    fn seed_key_has_the_seed_fields_in_order() {
        let key = encode_object(&Dialect::Seed.build(&fields("env-1", 500, "m")));
        let object = decode(&key).expect("decodes");
        let names: Vec<_> = object.keys().cloned().collect();
        assert_eq!(names, ["environment", "connectionSizeMbps", "keyMaterial"]);
        assert_eq!(object["connectionSizeMbps"], "500");
    }

    #[test]
    fn v1_key_names_the_destination_side() {
        let uuid = uuid::Uuid::new_v4().to_string();
        let key = encode_object(&Dialect::V1.build(&fields("env-1", 500, &uuid)));
        let object = decode(&key).expect("decodes");
        assert_eq!(
            object["destinationEnvironmentUri"],
            "providers/csp-b/environments/env-1"
        );
        assert_eq!(object["connectionSizeMbps"], 500);
        let parsed = Dialect::V1.parse(&object).expect("parses");
        assert_eq!(parsed.environment, "env-1");
        assert_eq!(parsed.destination_provider, "csp-b");
    }

    #[test]
    fn strict_decode_refuses_url_safe_and_unpadded() {
        assert!(matches!(decode("eyJhIjoxfQ"), Err(KeyError::NotBase64(_))));
        assert!(matches!(decode("e30=\n"), Err(KeyError::NotBase64(_))));
        assert!(matches!(decode("bm90IGpzb24="), Err(KeyError::NotJson(_))));
        assert!(matches!(decode("WzFd"), Err(KeyError::NotObject)));
    }

    #[test]
    fn v1_parse_names_each_broken_field() {
        let mut object = decode(&encode_object(&Dialect::V1.build(&fields(
            "e",
            1,
            "6f1c2a3e-0000-4000-8000-000000000001",
        ))))
        .expect("decodes");
        object.insert("connectionSizeMbps".into(), "1".into());
        assert!(matches!(
            Dialect::V1.parse(&object),
            Err(KeyError::BadField {
                field: "connectionSizeMbps",
                ..
            })
        ));
        object.remove("destinationAccountId");
        object.insert("connectionSizeMbps".into(), 1.into());
        assert_eq!(
            Dialect::V1.parse(&object),
            Err(KeyError::MissingField("destinationAccountId"))
        );
    }

    #[test]
    fn environment_uri_forms() {
        assert_eq!(
            split_environment_uri("https://x.example/v1/providers/b/environments/e1"),
            Some((Some("b".into()), "e1".into()))
        );
        assert_eq!(split_environment_uri("environments/e1"), None);
        assert_eq!(
            split_environment_uri("/environments/e1"),
            Some((None, "e1".into()))
        );
        assert_eq!(split_environment_uri("providers/b/environments/"), None);
    }

    fn arb_fields() -> impl Strategy<Value = KeyFields> {
        (
            "[a-z0-9-]{1,24}",
            1u32..=100_000,
            any::<u128>(),
            "[0-9]{12}",
            "[a-z-]{1,10}",
        )
            .prop_map(|(environment, size, bits, account, provider)| KeyFields {
                environment,
                connection_size_mbps: size,
                material: uuid::Uuid::from_u128(bits).to_string(),
                destination_account: account,
                destination_provider: provider,
            })
    }

    proptest! {
        #[test]
        fn round_trip(f in arb_fields(), v1 in any::<bool>()) {
            let dialect = if v1 { Dialect::V1 } else { Dialect::Seed };
            let key = encode_object(&dialect.build(&f));
            let parsed = dialect.parse(&decode(&key).expect("decodes")).expect("parses");
            prop_assert_eq!(&parsed.environment, &f.environment);
            prop_assert_eq!(parsed.connection_size_mbps, f.connection_size_mbps);
            prop_assert_eq!(&parsed.material, &f.material);
            if v1 {
                prop_assert_eq!(&parsed.destination_account, &f.destination_account);
                prop_assert_eq!(&parsed.destination_provider, &f.destination_provider);
            }
            // Encoding is deterministic: re-encoding the decoded object gives the same key.
            prop_assert_eq!(encode_object(&Value::Object(decode(&key).expect("decodes"))), key);
        }

        #[test]
        fn every_single_byte_change_is_a_different_key(
            f in arb_fields(), v1 in any::<bool>(), pos in any::<prop::sample::Index>(), byte in any::<u8>()
        ) {
            let dialect = if v1 { Dialect::V1 } else { Dialect::Seed };
            let key = encode_object(&dialect.build(&f));
            let mut bytes = key.clone().into_bytes();
            let i = pos.index(bytes.len());
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            // Either it no longer decodes strictly, or it decodes to other content, or
            // (JSON allows whitespace after the document) the change turned padding into
            // one more byte that is whitespace.
            if let Ok(object) = decode(&changed) {
                if object == decode(&key).expect("decodes") {
                    let raw = STANDARD.decode(&changed).expect("decodes");
                    let original = STANDARD.decode(&key).expect("decodes");
                    prop_assert!(raw.len() > original.len() && raw.starts_with(&original));
                    prop_assert!(raw[original.len()..].iter().all(u8::is_ascii_whitespace));
                }
            }
        }
    }
}
