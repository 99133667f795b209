//! A shell command (POSIX `sh`, `curl`) that sends a request again, with every secret
//! read from an environment variable and every byte quoted so the command is safe to
//! paste and shows no control character.

use super::client::HttpRequest;
use super::redact::{Piece, Redactor};

/// The longest body a command writes out; a longer one is read from a file.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// The command that sends `request` again. A body goes through `printf` (octal
/// escapes for anything but printable ASCII, `%s` for each secret) into
/// `curl --data-binary @-`; one over 64 KiB is read from `request-body.bin`.
pub fn command(request: &HttpRequest, redactor: &Redactor) -> String {
    let mut curl = format!(
        "curl -sS -i -X {} {}",
        literal(request.method.as_bytes()),
        word(request.url.as_bytes(), redactor)
    );
    for (name, value) in &request.headers {
        let line = format!("{name}: {value}");
        curl.push_str(" \\\n  -H ");
        curl.push_str(&word(line.as_bytes(), redactor));
    }
    let Some(body) = &request.body else {
        return curl;
    };
    if body.len() > INLINE_BODY_BYTES {
        return format!(
            "# the body ({} bytes) is too long to write out: save it as request-body.bin\n{curl} \\\n  --data-binary @request-body.bin",
            body.len()
        );
    }
    let mut format = String::new();
    let mut args = String::new();
    for piece in redactor.pieces(body) {
        match piece {
            Piece::Text(bytes) => format.push_str(&printf_escaped(bytes)),
            Piece::Secret(var) => {
                format.push_str("%s");
                args.push_str(&format!(" \"${var}\""));
            }
        }
    }
    format!("printf '{format}'{args} | {curl} \\\n  --data-binary @-")
}

/// One shell word: plain pieces quoted, secrets as `"$VAR"`.
fn word(text: &[u8], redactor: &Redactor) -> String {
    let pieces = redactor.pieces(text);
    if pieces.is_empty() {
        return "''".into();
    }
    pieces
        .into_iter()
        .map(|p| match p {
            Piece::Text(bytes) => literal(bytes),
            Piece::Secret(var) => format!("\"${var}\""),
        })
        .collect()
}

/// `bytes` quoted for the shell: in single quotes when they are printable text, else
/// in `$'…'` with `\xHH` for every byte that is not printable ASCII.
fn literal(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.chars().all(|c| !c.is_control()) && text.is_ascii() => {
            format!("'{}'", text.replace('\'', r"'\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                match b {
                    b'\'' => out.push_str(r"\'"),
                    b'\\' => out.push_str(r"\\"),
                    0x20..=0x7e => out.push(b as char),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
            out
        }
    }
}

/// `bytes` as a `printf` format inside single quotes: `%` doubled, backslashes
/// escaped, a quote closed and reopened, anything but printable ASCII as `\ooo`.
fn printf_escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'%' => out.push_str("%%"),
            b'\\' => out.push_str(r"\\"),
            b'\'' => out.push_str(r"'\''"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Option<&[u8]>) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:9/api?x='1'".into(),
            headers: vec![
                ("authorization".into(), "Bearer tok-1".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: body.map(<[u8]>::to_vec),
        }
    }

    fn redactor() -> Redactor {
        Redactor::new(["tok-1".to_string()]).with_credential(
            "harness",
            "authorization",
            "Bearer tok-1",
        )
    }

    #[test]
    fn secrets_come_from_the_environment_and_quotes_are_safe() {
        let c = command(&request(None), &redactor());
        assert_eq!(
            c,
            "curl -sS -i -X 'POST' 'http://127.0.0.1:9/api?x='\\''1'\\''' \\\n  \
             -H 'authorization: Bearer '\"$CROSSCHECK_TOKEN_HARNESS\" \\\n  \
             -H 'content-type: application/json'"
        );
        assert!(!c.contains("tok-1"));
    }

    #[test]
    fn a_body_goes_through_printf_with_every_odd_byte_escaped() {
        let c = command(
            &request(Some(
                b"{\"t\":\"tok-1\",\"p\":\"50%\",\"e\":\"\x1b\0\xff'\"}",
            )),
            &redactor(),
        );
        assert!(
            c.starts_with(
                "printf '{\"t\":\"%s\",\"p\":\"50%%\",\"e\":\"\\033\\000\\377'\\''\"}' \"$CROSSCHECK_TOKEN_HARNESS\" | curl"
            ),
            "{c}"
        );
        assert!(c.ends_with("--data-binary @-"), "{c}");
        assert!(!c.contains("tok-1") && !c.bytes().any(|b| b < 0x20 && b != b'\n'));
    }

    #[test]
    fn a_long_body_is_read_from_a_file() {
        let body = vec![b'x'; INLINE_BODY_BYTES + 1];
        let c = command(&request(Some(&body)), &redactor());
        assert!(c.starts_with("# the body (65537 bytes)"), "{c}");
        assert!(
            c.ends_with("--data-binary @request-body.bin") && c.len() < 400,
            "{c}"
        );
    }

    #[test]
    fn control_characters_in_a_header_are_quoted_visibly() {
        assert_eq!(literal(b"a\x1bb'"), "$'a\\x1bb\\''");
        assert_eq!(literal(b"caf\xc3\xa9"), "$'caf\\xc3\\xa9'");
    }
}
