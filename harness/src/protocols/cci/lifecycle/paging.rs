//! List pages (PROTOCOLS.md §1b, CCI-L-09): `pageSize` and `pageToken` on every list
//! operation, the next page's token in `nextPageToken`, none on the last page.

use serde_json::{json, Map, Value};

use crate::peers::{PeerReply, RecordedRequest};

/// The most items a page holds, and what an absent or zero `pageSize` means.
pub const MAX_PAGE: usize = 1000;

/// How the pages come out: the reference, bent by a fault or a legal variation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paging {
    /// Asked for a page size, the first page is empty and carries a token (V-19,
    /// legal: "the service may return fewer than this value").
    pub short_first_page: bool,
    /// The last page carries a token that starts the list over (fault).
    pub endless: bool,
    /// An empty page leaves its list out, as proto3 JSON does (V-04, legal).
    pub omit_empty: bool,
}

/// Why a page cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `pageSize` is not a non-negative int32.
    #[error("pageSize must be an integer from 0 to 2147483647, not {0:?}")]
    Size(String),
    /// `pageToken` is not one this server gave out.
    #[error("pageToken {0:?} is not one this server gave out")]
    Token(String),
}

/// The offset a token stands for.
fn offset(token: &str) -> Option<usize> {
    token.strip_prefix('o')?.parse().ok()
}

fn token(at: usize) -> String {
    format!("o{at}")
}

/// One page of `items`, as the request's `pageSize` and `pageToken` ask.
pub fn page(
    items: Vec<Value>,
    request: &RecordedRequest,
    how: Paging,
) -> Result<(Vec<Value>, Option<String>), PageError> {
    let asked = request.query_param("pageSize");
    let short = how.short_first_page && asked.is_some();
    let size = match asked {
        None => MAX_PAGE,
        // An int32 in the spec; a negative one is refused, as Google's AIP-158 does.
        Some(s) => match s.parse::<i32>().ok().and_then(|n| usize::try_from(n).ok()) {
            Some(0) => MAX_PAGE,
            Some(n) => n.min(MAX_PAGE),
            None => return Err(PageError::Size(s)),
        },
    };
    let start = match request.query_param("pageToken").filter(|t| !t.is_empty()) {
        None if short && !items.is_empty() => {
            return Ok((Vec::new(), Some(token(0))));
        }
        None => 0,
        Some(t) => match offset(&t).filter(|o| *o <= items.len()) {
            Some(o) => o,
            None => return Err(PageError::Token(t)),
        },
    };
    let end = start.saturating_add(size).min(items.len());
    let next = if end < items.len() {
        Some(token(end))
    } else if how.endless {
        Some(token(0))
    } else {
        None
    };
    let taken = items.into_iter().skip(start).take(end - start).collect();
    Ok((taken, next))
}

/// A list answer `{field: [page], nextPageToken?}`, or 400 for a bad page request.
pub fn answer(field: &str, items: Vec<Value>, request: &RecordedRequest, how: Paging) -> PeerReply {
    match page(items, request, how) {
        Ok((items, next)) => {
            let mut body = Map::new();
            if !(items.is_empty() && how.omit_empty) {
                body.insert(field.into(), Value::Array(items));
            }
            if let Some(next) = next {
                body.insert("nextPageToken".into(), Value::String(next));
            }
            PeerReply::json(200, &Value::Object(body))
        }
        Err(e) => PeerReply::json(400, &json!({"error": e.to_string()})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request(query: &str) -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/list".into(),
            query: Some(query.into()),
            headers: vec![],
            body: vec![],
            json: None,
            at: tokio::time::Instant::now(),
            tls: None,
        }
    }

    /// Follows the tokens from the first page; the items seen, or `None` after `limit`
    /// pages.
    fn walk(n: usize, size: usize, how: Paging, limit: usize) -> Option<Vec<Value>> {
        let items: Vec<Value> = (0..n).map(Value::from).collect();
        let mut seen = Vec::new();
        let mut next = String::new();
        for _ in 0..limit {
            let (page, token) = page(
                items.clone(),
                &request(&format!("pageSize={size}&pageToken={next}")),
                how,
            )
            .ok()?;
            assert!(page.len() <= size.max(1));
            seen.extend(page);
            match token {
                Some(t) => next = t,
                None => return Some(seen),
            }
        }
        None
    }

    proptest! {
        #[test]
        fn following_the_tokens_yields_every_item_once(n in 0usize..30, size in 1usize..7, short in any::<bool>()) {
            let how = Paging { short_first_page: short, ..Paging::default() };
            let seen = walk(n, size, how, n + 3).expect("the pages end");
            prop_assert_eq!(seen, (0..n).map(Value::from).collect::<Vec<_>>());
        }

        #[test]
        fn endless_pages_never_end(n in 1usize..30, size in 1usize..7) {
            let how = Paging { endless: true, ..Paging::default() };
            prop_assert!(walk(n, size, how, 3 * n + 3).is_none());
        }
    }

    #[test]
    fn bad_sizes_and_tokens_are_refused() {
        let items = vec![json!(1), json!(2)];
        assert_eq!(
            page(items.clone(), &request("pageSize=-1"), Paging::default()),
            Err(PageError::Size("-1".into()))
        );
        assert_eq!(
            page(
                items.clone(),
                &request("pageSize=2147483648"),
                Paging::default()
            ),
            Err(PageError::Size("2147483648".into()))
        );
        assert_eq!(
            page(items.clone(), &request("pageToken=o9"), Paging::default()),
            Err(PageError::Token("o9".into()))
        );
        let all = page(items, &request(""), Paging::default()).expect("a page");
        assert_eq!(all, (vec![json!(1), json!(2)], None));
    }
}
