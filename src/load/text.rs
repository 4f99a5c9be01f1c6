//! Turning the bytes of a site file into text: BOM handling, UTF-8 validation with a
//! located error, and line-end normalisation. Used by `load` for every file it reads;
//! everything after this sees only LF line ends and valid UTF-8.

// A `Diagnostic` is the error type throughout; errors are rare, so its size on the
// error path costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use crate::diag::{Diagnostic, Source, SourceRef};

/// Largest file shequn reads as text. A community's records are a few KB; a file beyond
/// this is a mistake (or hostile) and would only slow the build down.
pub const MAX_TEXT_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Decodes `bytes` as the site file `path`. Errors name the encoding problem and point
/// at the first bad byte. Bytes given as a `Vec` become the text without a copy.
pub fn decode(path: &str, bytes: impl Into<Vec<u8>>) -> Result<SourceRef, Diagnostic> {
    let mut bytes: Vec<u8> = bytes.into();
    if bytes.len() > MAX_TEXT_FILE_BYTES {
        return Err(Diagnostic::error(format!(
            "file is larger than the limit of {} MiB for a text file ({} bytes)",
            MAX_TEXT_FILE_BYTES / 1024 / 1024,
            bytes.len()
        ))
        .in_file(path)
        .with_help("split the content into several pages"));
    }
    if let Some(encoding) = utf16_or_32_bom(&bytes).or_else(|| utf16_without_bom(&bytes)) {
        return Err(Diagnostic::error(format!(
            "file is encoded as {encoding}; shequn reads UTF-8 only"
        ))
        .in_file(path)
        .with_help("save the file as UTF-8 in your editor"));
    }
    // Some editors add a BOM to a file that already starts with one.
    let mut boms = 0;
    while bytes[boms..].starts_with(b"\xEF\xBB\xBF") {
        boms += 3;
    }
    bytes.drain(..boms);
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let error = e.utf8_error();
            let bytes = e.into_bytes();
            let what = match error.error_len() {
                Some(_) => format!(
                    "invalid UTF-8 at byte 0x{:02X}: the file is not UTF-8 ({})",
                    bytes[error.valid_up_to()],
                    likely_encoding(&bytes)
                ),
                None => "the file ends in the middle of a UTF-8 character (was it cut short?)"
                    .to_string(),
            };
            return Err(at_byte(path, &bytes, error.valid_up_to(), what)
                .with_help("re-save the file as UTF-8 in your editor"));
        }
    };
    if let Some(nul) = text.find('\0') {
        return Err(at_byte(
            path,
            text.as_bytes(),
            nul,
            "the file contains a NUL byte: is it a binary file, or saved as UTF-16?".into(),
        )
        .with_help("text files must be UTF-8; save it as UTF-8 or move it to `static/`"));
    }
    Ok(Source::new(path, normalise_line_ends(text)))
}

/// The control characters of a decoded file, each an error where it is (at most
/// [`MAX_CONTROL_REPORTS`] a file). Control characters are invisible in editors and break
/// feeds, calendars and HTML (BAD-INPUTS row 9). The file is still parsed, so that the
/// build reports its other problems in the same run.
pub fn control_characters(source: &Source) -> Vec<Diagnostic> {
    if !has_forbidden_control(&source.text) {
        return Vec::new();
    }
    source
        .text
        .char_indices()
        .filter(|(_, c)| is_forbidden_control(*c))
        .take(MAX_CONTROL_REPORTS)
        .map(|(at, c)| {
            Diagnostic::error(format!(
                "the file contains the control character U+{:04X}, invisible in most editors",
                c as u32
            ))
            .at(source, at..at + c.len_utf8())
            .with_help("delete it (it often comes from copying out of a PDF or a terminal)")
        })
        .collect()
}

/// How many control characters of one file are reported.
const MAX_CONTROL_REPORTS: usize = 20;

/// Characters no text file may hold: C0 and C1 controls but tab, LF and CR, DEL, and the
/// noncharacters U+FFFE and U+FFFF.
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Whether `text` holds a character [`is_forbidden_control`] refuses, found from its
/// UTF-8 bytes without decoding them (every file and every Markdown text is scanned):
/// C0 controls and DEL are single bytes, C1 controls are `C2 80`-`C2 9F`, and U+FFFE and
/// U+FFFF are `EF BF BE` and `EF BF BF`.
pub fn has_forbidden_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let forbidden_at = |i: usize| match bytes[i] {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1F | 0x7F => true,
        0xC2 => matches!(bytes.get(i + 1), Some(0x80..=0x9F)),
        0xEF => bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    };
    // The text is sifted many bytes at a time for the byte pairs that may start one
    // (`EF BF` starts a few other characters too); only a text that holds one is looked
    // at byte by byte.
    let may_start = |b: u8, next: u8| {
        (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r')
            | (b == 0x7F)
            | ((b == 0xC2) & (0x80..=0x9F).contains(&next))
            | ((b == 0xEF) & (next == 0xBF))
    };
    crate::scan::any_pair(bytes, may_start) && (0..bytes.len()).any(forbidden_at)
}

/// A diagnostic at byte `offset` of a file that cannot be decoded: the line is shown
/// as well as it can be (bad bytes as U+FFFD), the column counts the characters before.
fn at_byte(path: &str, bytes: &[u8], offset: usize, message: String) -> Diagnostic {
    let before = normalise_line_ends(String::from_utf8_lossy(&bytes[..offset]));
    let whole = normalise_line_ends(String::from_utf8_lossy(bytes));
    let source = Source::new(path, whole);
    // The bytes before the offset are valid UTF-8, so their text is a prefix of the
    // whole file's text.
    let at = before.len();
    Diagnostic::error(message).at(&source, at..at + 1)
}

/// UTF-16 saved without a BOM: ASCII text with a zero byte beside every character.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let pairs = bytes.len() / 2;
    // Without a zero byte it is not UTF-16 with 40% of one kind (a quick scan first).
    if pairs < 2 || !bytes.contains(&0) {
        return None;
    }
    let even_zeros = bytes.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_zeros = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if odd_zeros * 10 >= pairs * 4 && even_zeros == 0 {
        Some("UTF-16 (little-endian, without a BOM)")
    } else if even_zeros * 10 >= pairs * 4 && odd_zeros == 0 {
        Some("UTF-16 (big-endian, without a BOM)")
    } else {
        None
    }
}

fn utf16_or_32_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        Some("UTF-32 (little-endian)")
    } else if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        Some("UTF-32 (big-endian)")
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Some("UTF-16 (little-endian)")
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some("UTF-16 (big-endian)")
    } else {
        None
    }
}

/// A guess at the encoding of bytes that are not UTF-8, for the error message only.
fn likely_encoding(bytes: &[u8]) -> &'static str {
    let high: Vec<u8> = bytes.iter().copied().filter(|b| *b >= 0x80).collect();
    let smart_quotes = high
        .iter()
        .filter(|b| matches!(b, 0x91..=0x94 | 0x96 | 0x97 | 0x85))
        .count();
    let gbk_pairs = bytes
        .windows(2)
        .filter(|w| (0x81..=0xFE).contains(&w[0]) && (0x40..=0xFE).contains(&w[1]))
        .count();
    if smart_quotes * 2 >= high.len() && smart_quotes > 0 {
        "probably Windows-1252, e.g. Word's smart quotes"
    } else if gbk_pairs * 2 >= high.len() && high.len() >= 2 {
        "probably GBK or GB18030"
    } else {
        "probably Latin-1 or Windows-1252"
    }
}

/// CRLF and lone CR become LF, so that no `\r` reaches any output and line numbers are
/// the ones an editor shows.
/// A text without `\r` is given back as it is, not copied.
pub fn normalise_line_ends(text: impl Into<String>) -> String {
    let text = text.into();
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_scan_finds_exactly_the_forbidden_characters() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let alone = c.to_string();
            let among = format!("a{c}é");
            assert_eq!(
                has_forbidden_control(&alone),
                is_forbidden_control(c),
                "{c:?}"
            );
            assert_eq!(
                has_forbidden_control(&among),
                is_forbidden_control(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn bom_and_crlf_are_removed() {
        let s = decode("a.md", b"\xEF\xBB\xBF+++\r\ntitle = 1\r\n+++\rbody").unwrap();
        assert_eq!(s.text, "+++\ntitle = 1\n+++\nbody");
    }

    #[test]
    fn utf16_bom_is_named() {
        let e = decode("a.md", b"\xFF\xFEa\0").unwrap_err();
        assert!(e.message.contains("UTF-16"), "{}", e.message);
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        let s = decode("a.md", b"+++\ntitle = 1\n+++\nab\x1b[31m").unwrap();
        let e = control_characters(&s).remove(0);
        let l = e.location.unwrap();
        assert_eq!((l.line, l.column), (4, 3));
        assert!(e.message.contains("U+001B"), "{}", e.message);
        let tab = decode("a.md", b"tab\there\r\n").unwrap();
        assert!(control_characters(&tab).is_empty());
    }

    #[test]
    fn invalid_utf8_points_at_line_and_column() {
        let e = decode("a.md", b"ok\nab\x93quote\x94").unwrap_err();
        let l = e.location.unwrap();
        assert_eq!((l.line, l.column), (2, 3));
        assert!(e.message.contains("Windows-1252"), "{}", e.message);
    }
}
