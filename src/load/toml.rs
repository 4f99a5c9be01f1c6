//! Reading one TOML document (a record file or a front matter block) into its file shape,
//! reporting every unknown key with a "did you mean", and syntax or type errors at the
//! file's own line. The shapes themselves are in `records.rs`.

use std::ops::Range;

use serde::de::DeserializeOwned;

use crate::diag::{closest, Diagnostic, Diagnostics, Source};

/// Deepest nesting of arrays and tables a record may have. TOML parsers recurse, and a
/// hostile file of `[[[[…` must get an error, not a stack overflow.
const MAX_NESTING: usize = 64;

/// Parses `source.text[range]` as `T`. `what` names the record kind for messages ("a
/// member record"). Returns `None` after adding diagnostics when the document is unusable.
pub fn parse<T: DeserializeOwned>(
    source: &Source,
    range: Range<usize>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<T> {
    let text = &source.text[range.clone()];
    if let Some(offset) = too_deep(text) {
        diags.push(
            Diagnostic::error(format!(
                "nesting deeper than {MAX_NESTING} levels in {what}"
            ))
            .at(source, range.start + offset..range.start + offset + 1),
        );
        return None;
    }
    let mut table = match toml::de::DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            // A control character is reported where it is by `load` (`control_character`),
            // which says what it is; TOML's "invalid string" at the same place adds nothing.
            let at_control = e
                .span()
                .and_then(|s| text.get(s.start..)?.chars().next())
                .is_some_and(super::text::is_forbidden_control);
            if !at_control {
                diags.push(toml_error(source, range.start, &e, what));
            }
            return None;
        }
    };
    // serde stops at the first value of the wrong type. To report every problem in one
    // run, the offending value is replaced by one of the expected type (or taken out)
    // and the document read again, a few times.
    let mut unknown: Vec<Vec<String>> = Vec::new();
    // Each attempt meets the same unknown keys again; a file may hold a million.
    let mut seen: std::collections::HashSet<Vec<String>> = std::collections::HashSet::new();
    let mut errors: Vec<toml::de::Error> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut value = None;
    for _ in 0..MAX_TYPE_ERRORS {
        let deserializer = toml::de::Deserializer::from(table.clone());
        let result: Result<T, _> = serde_ignored::deserialize(deserializer, |path| {
            let path = path_segments(&path);
            if seen.insert(path.clone()) {
                unknown.push(path);
            }
        });
        match result {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(e) => {
                // A required key taken out after its own error is not missing twice.
                let message = plain_toml_message(e.message());
                if removed
                    .iter()
                    .any(|k| message == format!("missing required key `{k}`"))
                {
                    break;
                }
                let span = e.span();
                let stand_in = stand_in(e.message());
                errors.push(e);
                match span.and_then(|span| replace_value_at(table.get_mut(), &span, stand_in)) {
                    // Only a key taken out (no stand-in) can go missing.
                    Some(key) if stand_in.is_none() => removed.push(key),
                    Some(_) => {}
                    None => break,
                }
            }
        }
    }
    let suggested = if unknown.is_empty() {
        Vec::new()
    } else {
        report_unknown_keys(source, range.start, table.get_ref(), &unknown, what, diags)
    };
    for e in &errors {
        // `nam = "x"`: the unknown key's "did you mean `name`" says it all.
        let message = plain_toml_message(e.message());
        if suggested
            .iter()
            .any(|k| message == format!("missing required key `{k}`"))
        {
            continue;
        }
        diags.push(toml_error(source, range.start, e, what));
    }
    if unknown.is_empty() && errors.is_empty() {
        value
    } else {
        None
    }
}

/// How many values of the wrong type one document reports before giving up.
const MAX_TYPE_ERRORS: usize = 20;

/// A value of the type a serde message expected, to stand in for the wrong one.
fn stand_in(message: &str) -> Option<&'static str> {
    let expected = message.split("expected ").nth(1)?;
    let text = if expected.starts_with("a string") || expected.starts_with("a character") {
        "\"\""
    } else if expected.starts_with(['i', 'u']) || expected.starts_with("an integer") {
        "0"
    } else if expected.starts_with("a boolean") {
        "false"
    } else if expected.starts_with("a sequence") {
        "[]"
    } else if expected.starts_with("a map") || expected.starts_with("struct") {
        "{}"
    } else {
        return None;
    };
    Some(text)
}

/// Replaces the value that the error at `span` is about (an array element or a key's
/// value) with `stand_in`, or takes it out. Returns the key's name, or `None` when the
/// span names a whole table without saying what was expected (a missing key), which
/// changing would not help. Array and table spans do not always cover their contents
/// (`[[talks]]` spans only its first header), so the search looks inside every one.
fn replace_value_at<'i>(
    table: &mut toml::de::DeTable<'i>,
    span: &Range<usize>,
    stand_in: Option<&'static str>,
) -> Option<String> {
    use std::ops::DerefMut;
    use toml::de::DeValue;
    let contains = |outer: &Range<usize>| outer.start <= span.start && span.end <= outer.end;
    let replacement = stand_in
        .and_then(|text| DeValue::parse(text).ok())
        .map(|v| toml::Spanned::new(span.clone(), v.into_inner()));
    let keys: Vec<_> = table.keys().cloned().collect();
    for key in keys {
        let name = key.get_ref().to_string();
        let Some(value) = table.get_mut(&key) else {
            continue;
        };
        let value_span = value.span();
        let is_leaf = !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_));
        if value_span == *span || (is_leaf && contains(&value_span)) {
            if replacement.is_none() && !is_leaf {
                return None;
            }
            set_or_remove(table, &key, replacement);
            return Some(name);
        }
        match value.get_mut() {
            DeValue::Table(inner) => {
                if let Some(found) = replace_value_at(inner, span, stand_in) {
                    return Some(found);
                }
            }
            DeValue::Array(items) => {
                for index in 0..items.len() {
                    let item = &mut items.deref_mut()[index];
                    let item_span = item.span();
                    match item.get_mut() {
                        DeValue::Table(inner) if item_span != *span => {
                            if let Some(found) = replace_value_at(inner, span, stand_in) {
                                return Some(found);
                            }
                        }
                        // A whole table with a key missing: nothing to replace.
                        DeValue::Table(_) if replacement.is_none() => return None,
                        _ if contains(&item_span) => {
                            match &replacement {
                                Some(r) => *item = r.clone(),
                                None => {
                                    // A value array, so rebuilding it loses nothing.
                                    let old = std::mem::replace(items, toml::de::DeArray::new());
                                    *items = old
                                        .into_iter()
                                        .enumerate()
                                        .filter(|(i, _)| *i != index)
                                        .map(|(_, v)| v)
                                        .collect();
                                }
                            }
                            return Some(name);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn set_or_remove<'i>(
    table: &mut toml::de::DeTable<'i>,
    key: &toml::Spanned<std::borrow::Cow<'i, str>>,
    replacement: Option<toml::Spanned<toml::de::DeValue<'i>>>,
) {
    match replacement {
        Some(r) => {
            if let Some(v) = table.get_mut(key) {
                *v = r;
            }
        }
        None => {
            table.remove(key);
        }
    }
}

/// Offset of the first bracket, brace or key segment that makes a level deeper than
/// `MAX_NESTING`: brackets and braces outside strings and comments, plus the dots of a
/// table header (`[a.b.c]`) and of a dotted key (`a.b.c = 1`), each a table deeper.
/// The parser has a limit of its own, but this one names the place.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut header_dots = 0usize;
    let mut key_dots = 0usize;
    // In a table header, or in a key (before its `=`).
    let mut in_header = false;
    let mut in_key = true;
    let mut line_is_blank = true;
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_comment = false;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if in_comment {
            if b == b'\n' {
                in_comment = false;
                line_is_blank = true;
                in_key = depth == 0;
                key_dots = 0;
            }
        } else if let Some(q) = quote {
            if b == b'\\' && q == b'"' {
                i += 1;
            } else if b == q {
                quote = None;
            }
        } else {
            match b {
                b'#' => in_comment = true,
                b'"' | b'\'' => quote = Some(b),
                b'[' if depth == 0 && line_is_blank => {
                    in_header = true;
                    header_dots = 0;
                }
                b'[' if in_header => {}
                b'[' | b'{' => {
                    depth += 1;
                    in_key = b == b'{';
                    key_dots = 0;
                }
                b']' if in_header => in_header = false,
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'.' if in_header => header_dots += 1,
                b'.' if in_key => key_dots += 1,
                b'=' => in_key = false,
                b',' => {
                    in_key = true;
                    key_dots = 0;
                }
                b'\n' => {
                    in_key = depth == 0;
                    key_dots = 0;
                    line_is_blank = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if depth + header_dots + key_dots > MAX_NESTING {
                return Some(i);
            }
            if !b.is_ascii_whitespace() {
                line_is_blank = false;
            }
        }
        i += 1;
    }
    None
}

fn path_segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    let mut segments = Vec::new();
    let mut current = path;
    loop {
        match current {
            Path::Root => break,
            Path::Seq { parent, index } => {
                segments.push(index.to_string());
                current = parent;
            }
            Path::Map { parent, key } => {
                // `toml::Spanned` wraps its value in private keys; they are not the user's.
                if !key.starts_with("$__") {
                    segments.push(key.clone());
                }
                current = parent;
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => {
                current = parent;
            }
        }
    }
    segments.reverse();
    segments
}

/// Reports unknown keys (at most `MAX_UNKNOWN_KEYS`) and returns the keys suggested
/// for them.
fn report_unknown_keys(
    source: &Source,
    base: usize,
    table: &toml::de::DeTable<'_>,
    unknown: &[Vec<String>],
    what: &str,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let mut suggested = Vec::new();
    for path in unknown.iter().take(MAX_UNKNOWN_KEYS) {
        let key = path.last().cloned().unwrap_or_default();
        let (span, siblings) = locate_key(table, path);
        let span = span.unwrap_or(0..0);
        let where_ = if path.len() > 1 {
            format!(" (in `{}`)", display_parent(path))
        } else {
            String::new()
        };
        let help = suggestion(&key, what, path.len(), &siblings);
        if let Some((_, best)) = &help {
            suggested.push(best.clone());
        }
        diags.push(
            Diagnostic::error(format!("unknown key `{key}` in {what}{where_}"))
                .at(source, base + span.start..base + span.end)
                .with_help_opt(help.map(|(text, _)| text)),
        );
    }
    if unknown.len() > MAX_UNKNOWN_KEYS {
        let (span, _) = unknown
            .get(MAX_UNKNOWN_KEYS)
            .map_or((None, Vec::new()), |p| locate_key(table, p));
        let span = span.unwrap_or(0..0);
        diags.push(
            Diagnostic::error(format!(
                "{} more unknown keys in {what}",
                unknown.len() - MAX_UNKNOWN_KEYS
            ))
            .at(source, base + span.start..base + span.end)
            .with_help("free custom data goes under an `[extra]` table"),
        );
    }
    suggested
}

/// How many unknown keys of one document are reported one by one.
const MAX_UNKNOWN_KEYS: usize = 20;

fn display_parent(path: &[String]) -> String {
    let mut out = String::new();
    for segment in &path[..path.len() - 1] {
        if segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// Finds the span of the key at `path` and the names of the keys beside it.
fn locate_key(
    table: &toml::de::DeTable<'_>,
    path: &[String],
) -> (Option<Range<usize>>, Vec<String>) {
    use toml::de::DeValue;
    let Some((first, rest)) = path.split_first() else {
        return (None, Vec::new());
    };
    let Some((key, value)) = table.get_key_value(first.as_str()) else {
        return (None, Vec::new());
    };
    if rest.is_empty() {
        return (
            Some(key.span()),
            table.keys().map(|k| k.get_ref().to_string()).collect(),
        );
    }
    let mut value = value.get_ref();
    let mut rest = rest;
    // Walk through array indices until the next table.
    while let (DeValue::Array(array), Some((index, after))) = (value, rest.split_first()) {
        let Some(item) = index.parse::<usize>().ok().and_then(|i| array.get(i)) else {
            return (None, Vec::new());
        };
        value = item.get_ref();
        rest = after;
    }
    match value {
        DeValue::Table(t) => locate_key(t, rest),
        _ => (None, Vec::new()),
    }
}

/// Keys each record kind accepts, for "did you mean" when the key is at the top level.
fn known_keys(what: &str) -> &'static [&'static str] {
    match what {
        "a member record" => &[
            "name", "role", "joined", "chapter", "city", "tags", "headline", "bio", "avatar",
            "links", "listed", "extra",
        ],
        "a speaker record" => &["name", "headline", "bio", "avatar", "links", "extra"],
        "a chapter record" => &[
            "name",
            "city",
            "description",
            "organizers",
            "founded",
            "links",
            "extra",
        ],
        "a series record" => &["name", "description", "cadence", "extra"],
        "an event record" => &[
            "title",
            "start",
            "end",
            "timezone",
            "series",
            "number",
            "chapter",
            "venue",
            "online_url",
            "hosts",
            "rsvp_url",
            "capacity",
            "status",
            "previous_start",
            "summary",
            "description",
            "cover",
            "tags",
            "talks",
            "extra",
        ],
        "the charter" => &[
            "name",
            "tagline",
            "founded",
            "purpose",
            "audience",
            "values",
            "roles",
            "rules",
            "membership",
            "extra",
        ],
        "the site settings" => &[
            "base_url",
            "title",
            "language",
            "timezone",
            "theme",
            "output_dir",
            "markdown",
            "extra",
        ],
        "page front matter" => &[
            "title", "date", "updated", "draft", "slug", "summary", "tags", "authors", "event",
            "template", "extra",
        ],
        _ => &[],
    }
}

/// A help text for an unknown key, and the key it suggests, if any.
fn suggestion(
    key: &str,
    what: &str,
    depth: usize,
    siblings: &[String],
) -> Option<(String, String)> {
    let nested: &[&str] = &[
        "title",
        "speakers",
        "abstract",
        "slides",
        "video",
        "transcript",
        "language",
        "name",
        "address",
        "city",
        "map_url",
        "description",
        "id",
        "text",
        "open",
        "threshold",
        "apply_url",
        "tiers",
        "price",
        "perks",
        "raw_html",
    ];
    let candidates: Vec<&str> = if depth == 1 {
        known_keys(what).to_vec()
    } else {
        nested.to_vec()
    };
    let candidates: Vec<&str> = candidates
        .into_iter()
        .filter(|c| !siblings.iter().any(|s| s == c))
        .collect();
    if let Some(best) = closest(key, candidates.iter().copied()) {
        return Some((format!("did you mean `{best}`?"), best.to_string()));
    }
    if depth == 1 && !known_keys(what).is_empty() {
        return Some((
            format!(
                "free custom data goes under an `[extra]` table; the keys of {what} are: {}",
                known_keys(what).join(", ")
            ),
            String::new(),
        ));
    }
    None
}

/// A TOML syntax or type error at the file's own line. Rust type names in serde's
/// messages are replaced by words a site author knows.
fn toml_error(source: &Source, base: usize, error: &toml::de::Error, what: &str) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    let mut message = plain_toml_message(error.message());
    if message.starts_with("invalid ") {
        // serde names the types but not the key; the key is on the value's line.
        if let Some(key) = key_before(&source.text, base + span.start) {
            message = format!("`{key}`: {message}");
        }
    }
    let mut start = (base + span.start).min(source.text.len());
    let mut end = (base + span.end).clamp(start, source.text.len());
    if message.contains("multi-line") {
        // The parser stops where the document ends; the mistake is the opening quotes.
        let before = &source.text[base.min(start)..start];
        if let Some(open) = before.rfind("\"\"\"").or_else(|| before.rfind("'''")) {
            start = base + open;
            end = start + 3;
        }
    }
    let spanned = source.text.get(start..end).unwrap_or("");
    if message.starts_with("duplicate key") && !spanned.is_empty() {
        let line_start = source.text[..start].rfind('\n').map_or(0, |i| i + 1);
        message = if source.text[line_start..start].trim_start().starts_with('[') {
            format!("table `[{spanned}]` is defined twice")
        } else {
            format!("duplicate key `{spanned}`")
        };
    }
    let help = if message.starts_with("missing required key") {
        Some("add the key; see the record's fields in the SPEC".to_string())
    } else if message.starts_with("duplicate key") {
        Some("each key may appear only once in a table".to_string())
    } else if message.starts_with("table `[") {
        Some(
            "put all the keys of a table under one header; `[[name]]` makes a list of tables"
                .to_string(),
        )
    } else {
        syntax_help(&source.text, start, &message)
    };
    Diagnostic::error(format!("{message} in {what}"))
        .at(source, start..end)
        .with_help_opt(help)
}

/// A next step for the TOML mistakes people make, typing on a phone or with a Chinese
/// input method: curly quotes, full-width `＝`, a Windows path in `"…"`, slashes in a
/// date, spaces in a key.
fn syntax_help(text: &str, offset: usize, message: &str) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let from_here = &text[offset..line_end];
    if let Some(c) = line
        .chars()
        .find(|c| matches!(c, '“' | '”' | '‘' | '’' | '「' | '」'))
    {
        return Some(format!(
            "`{c}` is a typographic quote: TOML strings use straight quotes, `\"…\"` (phones and word processors replace them)"
        ));
    }
    if let Some(c) = from_here
        .chars()
        .next()
        .filter(|c| ('\u{FF01}'..='\u{FF5E}').contains(c) || matches!(c, '、' | '。'))
    {
        let ascii = match c {
            '、' => ',',
            '。' => '.',
            c => char::from_u32(c as u32 - 0xFEE0).unwrap_or('?'),
        };
        return Some(format!(
            "`{c}` is a full-width character from a Chinese input method: use the ASCII `{ascii}`"
        ));
    }
    let escape = text[line_start..offset]
        .rfind("\\u")
        .or_else(|| text[line_start..offset].rfind("\\U"))
        .map(|i| &text[line_start + i + 2..line_end]);
    let surrogate = escape
        .and_then(|hex| hex.get(..4))
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .is_some_and(|code| (0xD800..=0xDFFF).contains(&code));
    if message.contains("unicode") && surrogate {
        return Some(
            "`\\uD800`-`\\uDFFF` are halves of a UTF-16 pair, not characters: write the character itself, or `\\U` and its eight-digit code"
                .to_string(),
        );
    }
    if message.contains("unicode") || message.contains("escape") {
        return Some(
            "in `\"…\"` a `\\` starts an escape: write paths in single quotes ('C:\\Users\\…') or double each `\\`"
                .to_string(),
        );
    }
    let value = from_here.trim();
    let looks_like_date = value.len() >= 8
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '/' | '.'))
        && value.chars().filter(|c| matches!(c, '/' | '.')).count() == 2;
    if looks_like_date {
        return Some("write dates as 2026-03-01 (year-month-day, with `-`, no quotes)".to_string());
    }
    if message.starts_with("string values must be quoted") && value.is_empty() {
        return Some("give the key a value, e.g. `city = \"…\"`, or remove the line".to_string());
    }
    if message.starts_with("string values must be quoted") {
        return Some(format!("put the text in quotes: `\"{value}\"`"));
    }
    if message.starts_with("key with no value") {
        let key_part = text[line_start..offset].trim();
        let rest = text[offset..line_end].trim_start();
        if !key_part.is_empty() && !key_part.contains('=') && rest.contains('=') {
            let joined = format!("{key_part}_{}", rest.split('=').next().unwrap_or("").trim())
                .replace(' ', "_");
            return Some(format!(
                "a key cannot contain spaces: write `{joined}`, or quote the key"
            ));
        }
        return Some("write `key = value`".to_string());
    }
    if message.contains("multi-line") {
        return Some("this string is never closed: end it with the same three quotes".to_string());
    }
    None
}

/// The key a value belongs to, read from the value's line: `capacity = "forty"`.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = before[line_start..].split_once('=')?;
    let key = key.trim().trim_matches('"');
    let is_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    is_key.then_some(key)
}

pub fn plain_toml_message(message: &str) -> String {
    let message = message.trim().trim_end_matches('.').to_string();
    let replacements = [
        ("i64", "an integer"),
        ("u64", "a non-negative integer"),
        ("u32", "a non-negative integer"),
        ("i32", "an integer"),
        ("a boolean", "true or false"),
        ("struct Datetime", "a date or datetime"),
        ("a sequence", "an array"),
        ("a map", "a table"),
        ("a string", "a string"),
    ];
    let mut out = message.lines().next().unwrap_or("").to_string();
    for (from, to) in replacements {
        out = out.replace(&format!("expected {from}"), &format!("expected {to}"));
    }
    if let Some(rest) = out.strip_prefix("missing field ") {
        out = format!("missing required key {rest}");
    }
    out = out.replace("struct ", "").replace("Spanned", "value");
    // Record shapes are Rust structs (`VenueFile`); a user wrote a table.
    if let Some(at) = out.find("expected ") {
        let start = at + "expected ".len();
        let word_end = out[start..]
            .find(|c: char| !c.is_alphanumeric())
            .map_or(out.len(), |i| start + i);
        if out[start..word_end].starts_with(|c: char| c.is_ascii_uppercase()) {
            out.replace_range(start..word_end, "a table");
        }
    }
    let mut chars = out.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => "invalid TOML".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Shape {
        name: toml::Spanned<String>,
        city: Option<String>,
        #[serde(default)]
        talks: Vec<Talk>,
        #[serde(default)]
        extra: toml::Table,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Talk {
        title: String,
    }

    fn errors(text: &str) -> Vec<String> {
        let source = Source::new("members/a.toml", text);
        let mut diags = Diagnostics::new();
        let _: Option<Shape> = parse(&source, 0..text.len(), "a member record", &mut diags);
        diags.sorted().iter().map(|d| d.render()).collect()
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let e = errors("name = \"a\"\ncitty = \"x\"\n[[talks]]\ntitel = \"t\"\ntitle = \"t\"\n[extra]\nanything = 1\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("members/a.toml:2:1: unknown key `citty`"),
            "{}",
            e[0]
        );
        assert!(e[0].contains("did you mean `city`?"), "{}", e[0]);
        assert!(
            e[1].starts_with("members/a.toml:4:1: unknown key `titel`"),
            "{}",
            e[1]
        );
    }

    #[test]
    fn type_errors_avoid_rust_type_names() {
        let e = errors("name = 3\n");
        assert!(e[0].starts_with("members/a.toml:1:8:"), "{}", e[0]);
        assert!(e[0].contains("expected a string"), "{}", e[0]);
    }

    #[test]
    fn every_wrong_type_is_reported_in_one_run() {
        let e = errors(
            "name = \"a\"\ncity = 3\n[[talks]]\ntitle = 4\n[[talks]]\ntitel = \"t\"\n[extra]\nx = 1\n",
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("members/a.toml:2:8: `city`"), "{}", e[0]);
        assert!(e[1].starts_with("members/a.toml:4:9: `title`"), "{}", e[1]);
        assert!(
            e[2].starts_with("members/a.toml:6:1: unknown key `titel`"),
            "{}",
            e[2]
        );
    }

    #[test]
    fn a_misspelt_required_key_is_one_error() {
        let e = errors("nam = \"a\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("did you mean `name`?"), "{}", e[0]);
    }

    #[test]
    fn record_shapes_are_called_tables() {
        assert_eq!(
            plain_toml_message("invalid type: integer `3`, expected struct VenueFile"),
            "invalid type: integer `3`, expected a table"
        );
    }

    #[test]
    fn type_errors_name_the_key() {
        let e = errors("name = \"a\"\ncity = 3\n");
        assert!(
            e[0].starts_with("members/a.toml:2:8: `city`: invalid type"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!(
            "name = \"a\"\nx = {}1{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = errors(&text);
        assert!(e[0].contains("nesting deeper than"), "{}", e[0]);
    }

    #[test]
    fn deep_dotted_keys_and_headers_are_refused_where_they_get_too_deep() {
        let key = vec!["a"; 100_000].join(".");
        for text in [
            format!("name = \"a\"\n[extra]\n{key} = 1\n"),
            format!("name = \"a\"\n[{key}]\n"),
            format!("name = \"a\"\n[[{key}]]\n"),
        ] {
            let e = errors(&text);
            assert!(e[0].contains("nesting deeper than 64"), "{}", e[0]);
            assert!(e[0].starts_with("members/a.toml:"), "{}", e[0]);
            assert!(!e[0].starts_with("members/a.toml:1:1:"), "{}", e[0]);
        }
    }

    #[test]
    fn nesting_up_to_the_limit_is_accepted() {
        let arrays = format!("{}1{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(
            errors(&format!("name = \"a\"\n[extra]\nx = {arrays}\n")),
            Vec::<String>::new()
        );
        let floats = format!(
            "name = \"a\"\n[extra]\nx = [{}]\n",
            vec!["1.5"; 200].join(", ")
        );
        assert_eq!(errors(&floats), Vec::<String>::new());
        let dotted = vec!["a"; 60].join(".");
        assert_eq!(
            errors(&format!("name = \"a\"\n[extra]\n{dotted} = 1\n")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let e = errors("name = \"a\"\ndraft = false,\n");
        assert!(e[0].starts_with("members/a.toml:2:"), "{}", e[0]);
    }
}
