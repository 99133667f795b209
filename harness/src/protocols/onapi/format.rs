//! ON-API data formats and the Activation Notice's shape: every check an SP makes
//! before it may answer 200. A refusal's text is the `cause` an SP sends back.

use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The longest `text` value.
pub const TEXT_MAX: usize = 255;

fn id_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^[-0-9a-zA-Z.]{1,36}$").unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

fn date_time_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,4})?[Zz]$",
        )
        .unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

/// Whether `s` is an ON-API ID.
pub fn is_id(s: &str) -> bool {
    id_regex().is_match(s)
}

/// Whether `s` is an ON-API dateTime: RFC 3339, UTC (`Z`), at most 4 decimals, a real
/// calendar date (a leap second, :60, is allowed).
pub fn is_date_time(s: &str) -> bool {
    let Some(c) = date_time_regex().captures(s) else {
        return false;
    };
    let n = |i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    };
    let (y, mo, d, h, mi, se) = (n(1), n(2), n(3), n(4), n(5), n(6));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    // A leap second can only be the last second of a day.
    (1..=days).contains(&d) && h < 24 && mi < 60 && (se < 60 || (se == 60 && h == 23 && mi == 59))
}

/// A notice that passed every check, with the fields an SP acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The CO's order id, if given.
    pub co_order_id: Option<String>,
    /// The single product's productId.
    pub product_id: String,
    /// The single product's offeringId.
    pub offering_id: String,
    /// The CO product (text, or list of texts).
    pub co_product: Value,
    /// requestedDateTime as given.
    pub requested: String,
    /// The customer details object.
    pub customer: Map<String, Value>,
}

/// How strict the checks are: the ON-API rules, or a simulator fault's looser ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Longest ID accepted (36 by the rules).
    pub id_max: usize,
    /// Whether dateTimes with a local offset pass.
    pub local_time_ok: bool,
    /// Most products accepted (1 by the rules).
    pub max_products: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            id_max: 36,
            local_time_ok: false,
            max_products: 1,
        }
    }
}

fn id_ok(s: &str, rules: &Rules) -> bool {
    is_id(s)
        || (s.len() <= rules.id_max
            && !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
}

fn date_ok(s: &str, rules: &Rules) -> bool {
    is_date_time(s) || (rules.local_time_ok && s.parse::<jiff::Timestamp>().is_ok())
}

fn id_field(
    o: &Map<String, Value>,
    at: &str,
    field: &str,
    mandatory: bool,
    rules: &Rules,
) -> Result<Option<String>, NoticeError> {
    // JSON null is the same as leaving the field out.
    match o.get(field).filter(|v| !v.is_null()) {
        None if mandatory => Err(NoticeError::from(format!(
            "{at}{field}: mandatory field is missing"
        ))),
        None => Ok(None),
        Some(Value::String(s)) if id_ok(s, rules) => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(NoticeError::from(format!(
            "{at}{field}: `{}` is not an ID (1 to 36 of a-z A-Z 0-9 - .)",
            shorten(s)
        ))),
        Some(other) => Err(NoticeError::from(format!(
            "{at}{field}: expected a string ID, found {}",
            kind(other)
        ))),
    }
}

fn date_field(o: &Map<String, Value>, field: &str, rules: &Rules) -> Result<String, NoticeError> {
    match o.get(field).filter(|v| !v.is_null()) {
        None => Err(NoticeError::from(format!(
            "{field}: mandatory field is missing"
        ))),
        Some(Value::String(s)) if date_ok(s, rules) => Ok(s.clone()),
        Some(Value::String(s)) => Err(NoticeError::from(format!(
            "{field}: `{}` is not an RFC 3339 UTC dateTime with at most 4 decimals",
            shorten(s)
        ))),
        Some(other) => Err(NoticeError::from(format!(
            "{field}: expected a dateTime string, found {}",
            kind(other)
        ))),
    }
}

fn text(v: &Value, at: &str) -> Result<(), NoticeError> {
    match v {
        Value::String(s) if s.chars().count() <= TEXT_MAX => Ok(()),
        Value::String(s) => Err(NoticeError::from(format!(
            "{at}: text of {} characters (at most {TEXT_MAX})",
            s.chars().count()
        ))),
        other => Err(NoticeError::from(format!(
            "{at}: expected text, found {}",
            kind(other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Why a notice is refused: the `cause` an SP sends with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoticeError(pub String);

impl From<String> for NoticeError {
    fn from(cause: String) -> Self {
        Self(cause)
    }
}

impl From<&str> for NoticeError {
    fn from(cause: &str) -> Self {
        Self(cause.to_string())
    }
}

/// Checks a notice body by the ON-API rules; the error is the cause to send with 400.
pub fn validate(body: &[u8]) -> Result<Notice, NoticeError> {
    validate_with(body, &Rules::default())
}

/// Checks a notice body by `rules`.
pub fn validate_with(body: &[u8], rules: &Rules) -> Result<Notice, NoticeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NoticeError::from(format!("body is not valid JSON: {e}")))?;
    let Value::Object(o) = value else {
        return Err(NoticeError::from(format!(
            "body must be a JSON object, found {}",
            kind(&value)
        )));
    };
    id_field(&o, "", "coId", false, rules)?;
    let co_order_id = id_field(&o, "", "coOrderId", false, rules)?;
    id_field(&o, "", "coAccessId", true, rules)?;
    date_field(&o, "orderDateTime", rules)?;
    let requested = date_field(&o, "requestedDateTime", rules)?;
    let products = match o.get("products").filter(|v| !v.is_null()) {
        None => return Err(NoticeError::from("products: mandatory field is missing")),
        Some(Value::Array(p)) => p,
        Some(other) => {
            return Err(NoticeError::from(format!(
                "products: expected a list, found {}",
                kind(other)
            )))
        }
    };
    let product = match products.as_slice() {
        [] => {
            return Err(NoticeError::from(
                "products: exactly one product is required, the list is empty",
            ))
        }
        many if many.len() > rules.max_products => {
            return Err(NoticeError::from(format!(
                "products: exactly one product is allowed, found {}",
                many.len()
            )))
        }
        [first, ..] => first,
    };
    let Value::Object(p) = product else {
        return Err(NoticeError::from(format!(
            "products[0]: expected an object, found {}",
            kind(product)
        )));
    };
    let at = "products[0].";
    let product_id = id_field(p, at, "productId", true, rules)?.unwrap_or_default();
    let offering_id = id_field(p, at, "offeringId", true, rules)?.unwrap_or_default();
    let co_product = p
        .get("coProduct")
        .filter(|v| !v.is_null())
        .cloned()
        .ok_or_else(|| NoticeError::from(format!("{at}coProduct: mandatory field is missing")))?;
    match &co_product {
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                text(item, &format!("{at}coProduct[{i}]"))?;
            }
        }
        Value::Array(_) => {
            return Err(NoticeError::from(format!(
                "{at}coProduct: the list is empty"
            )))
        }
        other => text(other, &format!("{at}coProduct"))?,
    }
    id_field(p, at, "coSubscriptionId", true, rules)?;
    let customer = match o.get("customerDetails").filter(|v| !v.is_null()) {
        None => {
            return Err(NoticeError::from(
                "customerDetails: mandatory field is missing",
            ))
        }
        Some(Value::Object(c)) => c.clone(),
        Some(other) => {
            return Err(NoticeError::from(format!(
                "customerDetails: expected an object, found {}",
                kind(other)
            )))
        }
    };
    check_customer(&customer, "customerDetails")?;
    Ok(Notice {
        co_order_id,
        product_id,
        offering_id,
        co_product,
        requested,
        customer,
    })
}

/// Customer details: `identifiedCustomer` is a boolean, nested objects are checked the
/// same way, every other value is text.
fn check_customer(c: &Map<String, Value>, at: &str) -> Result<(), NoticeError> {
    for (k, v) in c {
        let here = format!("{at}.{k}");
        match (k.as_str(), v) {
            // Optional details may be null.
            (_, Value::Null) | ("identifiedCustomer", Value::Bool(_)) => {}
            ("identifiedCustomer", other) => {
                return Err(NoticeError::from(format!(
                    "{here}: expected a boolean, found {}",
                    kind(other)
                )))
            }
            (_, Value::Object(inner)) => check_customer(inner, &here)?,
            (_, other) => text(other, &here)?,
        }
    }
    Ok(())
}

/// A well-formed notice for the example offering and customer (fixed IDs).
pub fn valid_example() -> Value {
    use super::config::{EXAMPLE_CO_PRODUCT, EXAMPLE_CUSTOMER, EXAMPLE_OFFERING, EXAMPLE_PRODUCT};
    serde_json::json!({
        "coId": "sim-co",
        "coOrderId": "order-0001",
        "coAccessId": "access-0001",
        "orderDateTime": "2026-11-01T10:00:00Z",
        "requestedDateTime": "2031-01-01T00:01:00.25Z",
        "products": [{
            "productId": EXAMPLE_PRODUCT,
            "offeringId": EXAMPLE_OFFERING,
            "coProduct": EXAMPLE_CO_PRODUCT,
            "coSubscriptionId": "co-sub-0001"
        }],
        "customerDetails": {
            "identifiedCustomer": true,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": EXAMPLE_CUSTOMER,
            "phone": "+46700000000",
            "invoiceDetails": {"streetName": "Main Street", "streetNumber": "1", "postalCode": "11122", "city": "Stockholm"}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_means_absent() {
        let mut n = valid_example();
        n["coId"] = Value::Null;
        n["customerDetails"]["organizationNumber"] = Value::Null;
        assert!(validate(n.to_string().as_bytes()).is_ok());
        n["coAccessId"] = Value::Null;
        let cause = validate(n.to_string().as_bytes()).expect_err("mandatory");
        assert_eq!(cause.0, "coAccessId: mandatory field is missing");
    }

    #[test]
    fn ids_and_date_times() {
        assert!(is_id("a-B.9") && is_id(&"x".repeat(36)));
        assert!(!is_id("") && !is_id(&"x".repeat(37)) && !is_id("a_b") && !is_id("a b"));
        for ok in [
            "1985-04-12t23:20:50z",
            "1985-04-12T23:20:50.52Z",
            "1985-04-12T23:20:50.0053Z",
            "1990-12-31T23:59:60Z",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "1985-04-12T23:20:50.00531Z",
            "1985-04-12T23:20:50+01:00",
            "1985-04-12T23:20:50",
            "1985-04-12 23:20:50Z",
            "2023-02-29T00:00:00Z",
            "1985-13-12T23:20:50Z",
            "1985-04-12T24:20:50Z",
            "1990-12-31T12:00:60Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
