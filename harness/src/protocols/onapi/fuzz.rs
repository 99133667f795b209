//! Notice mutants for an SP: malformed notices (a mandatory field missing, a bad ID, a
//! bad dateTime, wrong products, a wrong type, text too long, JSON cut short), which
//! must get 400 with a `cause`, and well-formed but unwanted ones (unknown customer or
//! offering, a coProduct that does not match, a date in the past), which the SP may
//! not refuse (ON-SP-02). The notice checker ([`format::validate`]) decides which is
//! which. Every mutant carries fresh IDs drawn from the seed, so none repeats an order.

use serde_json::{json, Value};

use super::binding::{self, MANDATORY};
use super::format;
use crate::http::{HttpResponse, TransportError};
use crate::profile::fuzz::{self, oracle, Mutant, Problem, Rng};

/// The request that carries a notice a correct SP refuses.
pub const MALFORMED: &str = "malformed";
/// The request that carries a well-formed notice a correct SP must take.
pub const WELL_FORMED: &str = "well-formed";

/// A mandatory field removed.
pub const MISSING: &str = "missing field";
/// An ID with illegal characters, empty or too long.
pub const BAD_ID: &str = "bad ID";
/// A dateTime that is not RFC 3339 UTC with at most 4 decimals.
pub const BAD_DATE: &str = "bad dateTime";
/// No product, or two.
pub const PRODUCTS: &str = "product count";
/// A field of the wrong JSON type.
pub const WRONG_TYPE: &str = "wrong type";
/// Text over 255 characters.
pub const LONG_TEXT: &str = "text too long";
/// The JSON cut short.
pub const TRUNCATED: &str = "truncated JSON";
/// Well formed, but not what the SP wants.
pub const UNWANTED: &str = "unwanted but well-formed";

const ID_FIELDS: &[&str] = &[
    "coAccessId",
    "coOrderId",
    "coId",
    "products.0.productId",
    "products.0.offeringId",
    "products.0.coSubscriptionId",
];

const DATE_FIELDS: &[&str] = &["orderDateTime", "requestedDateTime"];

const TYPED_FIELDS: &[&str] = &[
    "coAccessId",
    "orderDateTime",
    "requestedDateTime",
    "products",
    "products.0",
    "products.0.productId",
    "products.0.coProduct",
    "customerDetails",
    "customerDetails.identifiedCustomer",
    "customerDetails.firstName",
];

const BAD_DATES: &[&str] = &[
    "2026-11-01T10:00:00+01:00",
    "2026-11-01T10:00:00",
    "2026-11-01 10:00:00Z",
    "2026-11-01",
    "2026-02-30T10:00:00Z",
    "2026-11-01T10:00:00.12345Z",
    "2026-13-01T10:00:00Z",
    "2026-11-01T25:00:00Z",
    "yesterday",
    "",
];

/// A well-formed notice with IDs drawn from `rng`.
pub fn base(rng: &mut Rng) -> Value {
    let mut notice = format::valid_example();
    let id = |rng: &mut Rng| format!("fz-{:016x}", rng.next_u64());
    notice["coOrderId"] = json!(id(rng));
    notice["coAccessId"] = json!(id(rng));
    notice["products"][0]["coSubscriptionId"] = json!(id(rng));
    notice
}

fn bad_id(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => String::new(),
        1 => "a".repeat(37 + rng.below(28)),
        2 => "id_with_underscore".into(),
        3 => "id with space".into(),
        4 => "id/with/slash".into(),
        _ => "idé".into(),
    }
}

fn any_type(rng: &mut Rng) -> Value {
    [
        json!(42),
        json!(true),
        json!([]),
        json!({}),
        json!("text"),
        json!(1.5),
    ][rng.below(6)]
    .clone()
}

fn edit(notice: Value, path: &str, value: Value) -> Value {
    binding::with(notice.clone(), path, value).unwrap_or(notice)
}

/// One mutation of a well-formed notice, and its class.
fn once(rng: &mut Rng) -> (&'static str, String, Vec<u8>) {
    let notice = base(rng);
    let bytes = |v: &Value| v.to_string().into_bytes();
    match rng.below(8) {
        0 => {
            let path = MANDATORY[rng.below(MANDATORY.len())];
            let out = binding::without(notice.clone(), path).unwrap_or(notice);
            (MISSING, format!("remove {path}"), bytes(&out))
        }
        1 => {
            let path = ID_FIELDS[rng.below(ID_FIELDS.len())];
            let id = bad_id(rng);
            let label = format!("{path} set to {}", fuzz::short(&id, 20));
            (BAD_ID, label, bytes(&edit(notice, path, json!(id))))
        }
        2 => {
            let path = DATE_FIELDS[rng.below(DATE_FIELDS.len())];
            let date = BAD_DATES[rng.below(BAD_DATES.len())];
            (
                BAD_DATE,
                format!("{path} set to {date:?}"),
                bytes(&edit(notice, path, json!(date))),
            )
        }
        3 => {
            let product = notice["products"][0].clone();
            let (label, products) = match rng.below(3) {
                0 => ("no product", json!([])),
                1 => ("two products", json!([product.clone(), product])),
                _ => (
                    "three products",
                    json!([product.clone(), product.clone(), product]),
                ),
            };
            (
                PRODUCTS,
                label.into(),
                bytes(&edit(notice, "products", products)),
            )
        }
        4 => {
            let path = TYPED_FIELDS[rng.below(TYPED_FIELDS.len())];
            let value = any_type(rng);
            (
                WRONG_TYPE,
                format!("{path} set to {value}"),
                bytes(&edit(notice, path, value)),
            )
        }
        5 => {
            let path = [
                "products.0.coProduct",
                "customerDetails.firstName",
                "customerDetails.invoiceDetails.city",
            ][rng.below(3)];
            let n = 256 + rng.below(200);
            (
                LONG_TEXT,
                format!("{path} of {n} characters"),
                bytes(&edit(notice, path, json!("x".repeat(n)))),
            )
        }
        6 => {
            let text = bytes(&notice);
            let keep = rng.below(text.len());
            (
                TRUNCATED,
                format!("cut at byte {keep}"),
                text[..keep].to_vec(),
            )
        }
        _ => {
            let (label, out) = match rng.below(4) {
                0 => (
                    "unknown customer",
                    edit(notice, "customerDetails.email", json!("nobody@example.org")),
                ),
                1 => (
                    "unknown offering",
                    edit(notice, "products.0.offeringId", json!("offer-none")),
                ),
                2 => (
                    "coProduct does not match the offering",
                    edit(notice, "products.0.coProduct", json!("1/1")),
                ),
                _ => (
                    "requestedDateTime in the past",
                    edit(notice, "requestedDateTime", json!("2001-01-01T00:00:00Z")),
                ),
            };
            (UNWANTED, label.into(), bytes(&out))
        }
    }
}

/// One mutant: malformed ones go through [`MALFORMED`], well-formed ones through
/// [`WELL_FORMED`], as the notice checker says.
pub fn mutant(rng: &mut Rng) -> Mutant {
    let (class, label, input) = once(rng);
    let via = if format::validate(&input).is_ok() {
        WELL_FORMED
    } else {
        MALFORMED
    };
    Mutant {
        class,
        label,
        via,
        input,
    }
}

/// Whether `input` still belongs to `via`: malformed ones stay malformed, well-formed
/// ones well-formed.
pub fn stays(via: &str, input: &[u8]) -> bool {
    format::validate(input).is_ok() == (via == WELL_FORMED)
}

fn is_json(r: &HttpResponse) -> bool {
    r.header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"))
}

/// The oracles for an answer to a notice sent through `via`.
pub fn judge(via: &str, answer: &Result<HttpResponse, TransportError>) -> Option<Problem> {
    let r = match fuzz::answered(answer) {
        Err(p) => return Some(p),
        Ok(r) => r,
    };
    if via == WELL_FORMED {
        return (r.status != 200).then(|| {
            Problem::new(
                oracle::ACCEPTED,
                format!(
                    "refused a well-formed notice: answered {}: {}",
                    r.status,
                    fuzz::answer_text(r)
                ),
            )
        });
    }
    if (200..300).contains(&r.status) {
        return Some(Problem::new(
            oracle::NOT_ACCEPTED,
            format!("took a malformed notice: answered {}", r.status),
        ));
    }
    if r.status != 400 {
        return Some(Problem::new(
            oracle::STATUS,
            format!("answered {}, not 400: {}", r.status, fuzz::answer_text(r)),
        ));
    }
    let cause = r
        .json
        .as_ref()
        .and_then(|j| j.get("cause"))
        .is_some_and(Value::is_string);
    (!cause || !is_json(r)).then(|| {
        Problem::new(
            oracle::SHAPE,
            format!(
                "answered 400 without a JSON cause: {}",
                fuzz::answer_text(r)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fuzz::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_class_appears_and_each_goes_where_the_checker_says() {
        let mut rng = Rng::new(5);
        let mut classes = BTreeSet::new();
        for _ in 0..1000 {
            let m = mutant(&mut rng);
            classes.insert(m.class);
            assert!(stays(m.via, &m.input), "{}", m.label);
            if m.class == UNWANTED {
                assert_eq!(m.via, WELL_FORMED, "{}", m.label);
            }
        }
        assert_eq!(classes.len(), 8, "{classes:?}");
    }

    proptest! {
        #[test]
        fn mutants_replay_by_seed(seed in any::<u64>()) {
            let draw = |seed| {
                let mut rng = Rng::new(seed);
                (0..20).map(|_| mutant(&mut rng)).collect::<Vec<_>>()
            };
            prop_assert_eq!(draw(seed), draw(seed));
        }

        #[test]
        fn shrink_candidates_are_new_and_on_their_side(seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let m = mutant(&mut rng);
            for c in fuzz::body_candidates(&m.input, |c| stays(m.via, c)) {
                prop_assert_ne!(&c, &m.input);
                prop_assert!(stays(m.via, &c));
            }
        }
    }

    #[test]
    fn shrinking_a_two_product_notice_never_offers_the_one_product_notice() {
        let mut notice = base(&mut Rng::new(1));
        let product = notice["products"][0].clone();
        notice["products"] = json!([product.clone(), product]);
        let input = notice.to_string().into_bytes();
        assert!(
            format::validate(&input).is_err(),
            "two products are malformed"
        );
        let all = fuzz::body_candidates(&input, |_| true);
        assert!(
            all.iter().any(|c| format::validate(c).is_ok()),
            "dropping a product gives a well-formed notice, a candidate that crosses sides"
        );
        let kept = fuzz::body_candidates(&input, |c| stays(MALFORMED, c));
        assert!(!kept.is_empty(), "some smaller malformed notices remain");
        assert!(kept.iter().all(|c| format::validate(c).is_err()));
    }

    fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            json: serde_json::from_str(body).ok(),
            elapsed: std::time::Duration::ZERO,
            tls: None,
        })
    }

    #[test]
    fn the_judge_wants_400_with_a_cause_and_200_for_well_formed() {
        let of = |via, s, b| judge(via, &answer(s, b)).map(|p| p.oracle);
        assert_eq!(of(MALFORMED, 400, r#"{"cause":"x"}"#), None);
        assert_eq!(of(MALFORMED, 400, r#"{"error":"x"}"#), Some(oracle::SHAPE));
        assert_eq!(of(MALFORMED, 500, "{}"), Some(oracle::NO_5XX));
        assert_eq!(of(MALFORMED, 200, "{}"), Some(oracle::NOT_ACCEPTED));
        assert_eq!(of(WELL_FORMED, 200, "{}"), None);
        assert_eq!(
            of(WELL_FORMED, 400, r#"{"cause":"x"}"#),
            Some(oracle::ACCEPTED)
        );
    }
}
