//! Text from an implementation under test made safe to show anywhere (terminal, Markdown,
//! HTML, XML): control characters and invisible direction overrides become visible
//! escapes, and bytes that are not UTF-8 are decoded lossily and marked.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What precedes a body that was not valid UTF-8 (its bad bytes show as `�`).
pub const INVALID_UTF8: &str = "[invalid UTF-8, shown lossily] ";

/// `bytes` as text: decoded lossily (and marked with [`INVALID_UTF8`]) when they are not
/// UTF-8, with every control character escaped by [`printable`].
pub fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => printable(text).into_owned(),
        Err(_) => format!(
            "{INVALID_UTF8}{}",
            printable(&String::from_utf8_lossy(bytes))
        ),
    }
}

/// Whether `c` must not reach a terminal or a report as it is: a control character
/// other than newline and tab (ESC, NUL, CR, DEL, C1), or a Unicode direction
/// override that reorders what a reader sees.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every hidden character shown as an escape: NUL as `\0`, other ASCII
/// controls as `\x1b`, the rest as `\u{202e}`. Text without one is returned as it is,
/// so applying this twice changes nothing more.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            c if hidden(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes_and_text_stays() {
        assert_eq!(
            printable("a\u{1b}[31mred\0\r\n\tb"),
            "a\\x1b[31mred\\0\\x0d\n\tb"
        );
        assert_eq!(printable("x\u{202e}y\u{85}"), "x\\u{202e}y\\u{85}");
        assert!(matches!(printable("plain ü"), Cow::Borrowed("plain ü")));
        let once = printable("\u{1b}\u{7f}").into_owned();
        assert_eq!(once, "\\x1b\\x7f");
        assert_eq!(printable(&once), once, "a second pass changes nothing");
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_marked() {
        assert_eq!(text_of(b"ok \x1b"), "ok \\x1b");
        assert_eq!(
            text_of(b"bad \xff\xfe\0"),
            format!("{INVALID_UTF8}bad \u{fffd}\u{fffd}\\0")
        );
    }
}
