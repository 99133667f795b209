//! Key mutators: variants of an issued key that a correct issuer must refuse.
//!
//! Two families: *re-encodings* carry the same content in a different string (so they
//! catch issuers that compare decoded content instead of the exact issued string), and
//! *field tweaks* change one field's value (so they catch issuers that look a key up by
//! part of its content).

use crate::protocols::cci::intent::key::{decode, encode_bytes, encode_object, KeyError};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

/// One named variant of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// What was changed, e.g. `whitespace` or `field:connectionSizeMbps`.
    pub name: String,
    /// The variant key string.
    pub key: String,
}

/// Every re-encoding applicable to `key`: same JSON content, different string.
///
/// Always yields `whitespace`, `field_order` (for objects of two or more fields),
/// `trailing_newline` and `line_breaks`; yields `padding` only when the key is padded
/// and `alphabet` only when it contains `+` or `/` (otherwise no such variant exists).
pub fn reencodings(key: &str) -> Result<Vec<Variant>, KeyError> {
    let object = decode(key)?;
    let text = Value::Object(object.clone()).to_string();
    let mut out = Vec::new();
    let spaced = serde_json::to_string_pretty(&Value::Object(object.clone()))
        .map_err(|e| KeyError::NotJson(e.to_string()))?;
    if spaced != text {
        out.push(variant("whitespace", encode_bytes(spaced.as_bytes())));
    }
    if object.len() > 1 {
        let reversed: Map<String, Value> = object
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.push(variant(
            "field_order",
            encode_object(&Value::Object(reversed)),
        ));
    }
    out.push(variant("trailing_newline", format!("{key}\n")));
    out.push(variant("line_breaks", wrap(key, 16)));
    if key.ends_with('=') {
        out.push(variant("padding", key.trim_end_matches('=').to_string()));
    }
    if key.contains(['+', '/']) {
        let bytes = text.into_bytes();
        out.push(variant("alphabet", URL_SAFE.encode(bytes)));
    }
    out.retain(|v| v.key != key);
    Ok(out)
}

/// One variant per field of the key, each with that field's value changed.
pub fn field_tweaks(key: &str) -> Result<Vec<Variant>, KeyError> {
    let object = decode(key)?;
    object
        .keys()
        .map(|field| {
            Ok(variant(
                &format!("field:{field}"),
                tweak_field(key, field, None)?,
            ))
        })
        .collect()
}

/// Sets `field` to `value`, or (when `value` is `None`) to a plausible different
/// value of the same type, keeping field order and compact encoding.
pub fn tweak_field(key: &str, field: &str, value: Option<Value>) -> Result<String, KeyError> {
    let mut object = decode(key)?;
    let current = object.get(field).cloned().unwrap_or(Value::Null);
    let next = value.unwrap_or_else(|| nudge(field, &current));
    object.insert(field.to_string(), next);
    Ok(encode_object(&Value::Object(object)))
}

/// Removes `field` from the key.
pub fn remove_field(key: &str, field: &str) -> Result<String, KeyError> {
    let mut object = decode(key)?;
    object.shift_remove(field);
    Ok(encode_object(&Value::Object(object)))
}

fn variant(name: &str, key: String) -> Variant {
    Variant {
        name: name.to_string(),
        key,
    }
}

fn wrap(key: &str, width: usize) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars
        .chunks(width)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A different value of the same kind: numbers double (bandwidth) or step by one,
/// numeric strings double, other strings change their last alphanumeric character
/// within its class (so a UUID stays a UUID and an id stays an id).
fn nudge(field: &str, current: &Value) -> Value {
    match current {
        Value::Number(n) => match n.as_u64() {
            Some(v) if field == "connectionSizeMbps" => Value::from(v.saturating_mul(2).max(1)),
            Some(v) => Value::from(v.wrapping_add(1)),
            None => Value::from(1),
        },
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            match s.parse::<u64>() {
                Ok(v) => Value::from(v.saturating_mul(2).max(1).to_string()),
                Err(_) => Value::from(format!("{s}1")),
            }
        }
        Value::String(s) => Value::from(change_last_alnum(s)),
        Value::Bool(b) => Value::from(!b),
        Value::Null => Value::from("x"),
        other => Value::from(other.to_string()),
    }
}

fn change_last_alnum(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    match chars.iter().rposition(|c| c.is_ascii_alphanumeric()) {
        Some(i) => {
            chars[i] = match chars[i] {
                '9' => '0',
                'f' => 'a',
                'F' => 'A',
                'z' => 'y',
                'Z' => 'Y',
                c => (c as u8 + 1) as char,
            };
            chars.into_iter().collect()
        }
        None => format!("{s}x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::cci::intent::key::{decode_lenient, Dialect, KeyFields};
    use proptest::prelude::*;

    fn arb_key() -> impl Strategy<Value = String> {
        (
            "[a-z0-9-]{1,20}",
            1u32..100_000,
            any::<u128>(),
            "[0-9~>?]{4,14}",
            any::<bool>(),
        )
            .prop_map(|(environment, size, bits, account, v1)| {
                let dialect = if v1 { Dialect::V1 } else { Dialect::Seed };
                encode_object(&dialect.build(&KeyFields {
                    environment,
                    connection_size_mbps: size,
                    material: uuid::Uuid::from_u128(bits).to_string(),
                    destination_account: account,
                    destination_provider: "csp-b".into(),
                }))
            })
    }

    proptest! {
        #[test]
        fn reencodings_keep_content_and_change_the_string(key in arb_key()) {
            let original = Value::Object(decode(&key).expect("decodes"));
            let variants = reencodings(&key).expect("applies");
            prop_assert!(variants.len() >= 4);
            for v in variants {
                prop_assert_ne!(&v.key, &key, "{} left the key unchanged", v.name);
                let decoded = decode_lenient(&v.key);
                prop_assert_eq!(decoded.as_ref(), Some(&original), "{} changed the content", v.name);
            }
        }

        #[test]
        fn field_tweaks_change_exactly_one_field(key in arb_key()) {
            let original = decode(&key).expect("decodes");
            for v in field_tweaks(&key).expect("applies") {
                let tweaked = decode(&v.key).expect("still strict Base64 JSON");
                let changed: Vec<_> = original.iter().filter(|(k, val)| tweaked.get(*k) != Some(val)).map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(changed.len(), 1, "{}: changed {:?}", v.name, changed);
                prop_assert_eq!(tweaked.len(), original.len());
            }
        }
    }

    #[test]
    fn alphabet_variant_only_when_it_exists() {
        let plain = encode_object(&serde_json::json!({"a": "b"}));
        assert!(reencodings(&plain)
            .expect("ok")
            .iter()
            .all(|v| v.name != "alphabet"));
        let with_slash = encode_object(&serde_json::json!({"a": "~~~???>>>"}));
        assert!(with_slash.contains(['+', '/']));
        assert!(reencodings(&with_slash)
            .expect("ok")
            .iter()
            .any(|v| v.name == "alphabet"));
    }

    #[test]
    fn remove_field_drops_only_that_field() {
        let key = encode_object(&serde_json::json!({"a": 1, "b": 2}));
        let removed = decode(&remove_field(&key, "a").expect("ok")).expect("decodes");
        assert_eq!(Value::Object(removed), serde_json::json!({"b": 2}));
    }
}
