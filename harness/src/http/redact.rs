//! Secrets kept out of reports and logs: removed from text, and credentials shown as
//! fingerprints so two values can be told apart without showing either.

use super::fingerprint;
use super::printable::{printable, text_of};

/// How much of a body an exchange record keeps.
const KEPT_BODY_CHARS: usize = 2048;

/// Headers that carry credentials whatever the target says.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A piece of text as a command that reproduces it must write it: as it is, or as the
/// environment variable that holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Bytes to write as they are.
    Text(&'a [u8]),
    /// A secret: the name of the environment variable to write in its place.
    Secret(&'a str),
}

/// Replaces secret values with `***` wherever they appear, and shows credential headers
/// as fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (secret, environment variable for it), longest secret first.
    secrets: Vec<(String, String)>,
    /// Lower-case names of the headers the target sends credentials in.
    credential_headers: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets; empty strings are ignored. In a reproducing
    /// command each is `$CROSSCHECK_SECRET_<n>` unless named by [`Self::with_credential`].
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        values.dedup();
        let secrets = values
            .into_iter()
            .enumerate()
            .map(|(i, s)| (s, format!("CROSSCHECK_SECRET_{}", i + 1)))
            .collect();
        Self {
            secrets,
            credential_headers: Vec::new(),
        }
    }

    /// This redactor knowing the credential `name` (sent in `header` as `value`): the
    /// header always shows a fingerprint, and the secret in `value` becomes
    /// `$CROSSCHECK_TOKEN_<NAME>` in a reproducing command.
    pub fn with_credential(mut self, name: &str, header: &str, value: &str) -> Self {
        let header = header.to_ascii_lowercase();
        if !self.credential_headers.contains(&header) {
            self.credential_headers.push(header);
        }
        let var: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        if let Some(entry) = self
            .secrets
            .iter_mut()
            .find(|(s, _)| value.contains(s.as_str()))
        {
            entry.1 = format!("CROSSCHECK_TOKEN_{var}");
        }
        self
    }

    /// The text with every secret replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (secret, _) in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// The text with every secret replaced and every control character escaped
    /// ([`printable`]): how any text from an IUT is shown.
    pub fn show(&self, text: &str) -> String {
        printable(&self.redact(text)).into_owned()
    }

    /// Redacts and truncates a body for the report: control characters escaped, and
    /// bytes that are not UTF-8 decoded lossily and marked ([`text_of`]).
    pub fn body(&self, bytes: &[u8]) -> String {
        let redacted = self.redact(&text_of(bytes));
        if redacted.chars().count() > KEPT_BODY_CHARS {
            let kept: String = redacted.chars().take(KEPT_BODY_CHARS).collect();
            format!("{kept}… ({} bytes in all)", bytes.len())
        } else {
            redacted
        }
    }

    /// Whether `name` carries credentials: `Authorization`, `Cookie` and the like, or a
    /// header the target sends credentials in.
    pub fn is_credential_header(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        CREDENTIAL_HEADERS.contains(&name.as_str()) || self.credential_headers.contains(&name)
    }

    /// A header's value as reports show it: a fingerprint for a credential header or a
    /// value holding a secret (`Bearer sha256:1a2b3c4d`, `sha256:…`), else the value, printable.
    pub fn header(&self, name: &str, value: &str) -> String {
        if self.is_credential_header(name) {
            fingerprint::credential(value)
        } else if self.secrets.iter().any(|(s, _)| value.contains(s.as_str())) {
            fingerprint::fingerprint(value)
        } else {
            printable(value).into_owned()
        }
    }

    /// `text` cut into plain pieces and secrets, in order (a plain piece of UTF-8 text
    /// is UTF-8 too: secrets are cut out whole).
    pub fn pieces<'a>(&'a self, text: &'a [u8]) -> Vec<Piece<'a>> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let first = self
                .secrets
                .iter()
                .filter_map(|(s, var)| find(rest, s.as_bytes()).map(|at| (at, s.len(), var)))
                // Earliest, and the longest there.
                .min_by_key(|(at, len, _)| (*at, std::cmp::Reverse(*len)));
            match first {
                Some((at, len, var)) => {
                    if at > 0 {
                        out.push(Piece::Text(&rest[..at]));
                    }
                    out.push(Piece::Secret(var));
                    rest = &rest[at + len..];
                }
                None => {
                    out.push(Piece::Text(rest));
                    rest = &[];
                }
            }
        }
        out
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_secret_and_truncates() {
        let r = Redactor::new([
            "token-b".to_string(),
            "token-b-long".to_string(),
            String::new(),
        ]);
        assert_eq!(
            r.redact("Bearer token-b-long and token-b"),
            "Bearer *** and ***"
        );
        let long = "x".repeat(5000);
        let kept = r.body(long.as_bytes());
        assert!(kept.ends_with("(5000 bytes in all)"));
        assert!(kept.len() < 2200);
    }

    #[test]
    fn credential_headers_show_a_fingerprint_never_the_value() {
        let r =
            Redactor::new(["tok-1".to_string()]).with_credential("harness", "X-Api-Key", "tok-1");
        // A wrong token the IUT sent is no secret of the target, and still not shown.
        let wrong = r.header("Authorization", "Bearer wrong-token");
        assert!(wrong.starts_with("Bearer sha256:") && !wrong.contains("wrong"));
        assert_ne!(wrong, r.header("authorization", "Bearer other-token"));
        assert!(r.header("x-api-key", "tok-2").starts_with("sha256:"));
        assert!(r
            .header("set-cookie", "sid=abc; Path=/")
            .starts_with("sha256:"));
        assert!(r
            .header("x-trace", "has tok-1 inside")
            .starts_with("sha256:"));
        assert_eq!(
            r.header("content-type", "text/plain\u{1b}"),
            "text/plain\\x1b"
        );
    }

    #[test]
    fn secrets_are_cut_out_as_named_variables() {
        let r = Redactor::new(["tok-1".to_string(), "s3".to_string()]).with_credential(
            "read-only",
            "authorization",
            "Bearer tok-1",
        );
        assert_eq!(
            r.pieces(b"a tok-1 b s3"),
            [
                Piece::Text(b"a "),
                Piece::Secret("CROSSCHECK_TOKEN_READ_ONLY"),
                Piece::Text(b" b "),
                Piece::Secret("CROSSCHECK_SECRET_2"),
            ]
        );
        assert_eq!(r.pieces(b""), []);
    }
}
