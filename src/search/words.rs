//! The words of a text, for the search index and for queries: text is normalised (NFKC,
//! lower case, Traditional Han characters to Simplified), English and other non-Han
//! words are cut at non-letters and stripped of plural endings, and Han text is cut into
//! dictionary words by jieba. `search.js` does the same to a query, with the character
//! table that [`t2s_pairs`] writes into the index.
//!
//! The index side ([`Splitter`]) runs over every document of a 10 000-page site, so it
//! avoids per-character allocation: ASCII and the common Han blocks take a fast path,
//! and only the rest goes through NFKC.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longer words (hashes, run-together identifiers) are not indexed.
pub const MAX_WORD_BYTES: usize = 40;

/// Han characters, as counted by the Markdown stage.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Han characters of the two main blocks, which NFKC leaves alone.
fn is_unified_han(c: u32) -> bool {
    matches!(c, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

const TABLE_START: u32 = 0x3400;
const TABLE_END: u32 = 0x9FFF;

/// Traditional → Simplified for every character of the two main Han blocks (fast2s,
/// one character at a time, so that the index and `search.js` agree character for
/// character), built once.
fn t2s_table() -> &'static [char] {
    static TABLE: OnceLock<Vec<char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (TABLE_START..=TABLE_END)
            .map(|n| {
                let Some(c) = char::from_u32(n).filter(|c| is_unified_han(*c as u32)) else {
                    return char::from_u32(n).unwrap_or(' ');
                };
                let simplified = fast2s::convert(c.encode_utf8(&mut [0; 4]));
                let mut chars = simplified.chars();
                match (chars.next(), chars.next()) {
                    (Some(s), None) => s,
                    _ => c,
                }
            })
            .collect()
    })
}

/// The Simplified form of a Han character (itself when it has none).
pub fn simplified(c: char) -> char {
    let n = c as u32;
    if (TABLE_START..=TABLE_END).contains(&n) {
        t2s_table()[(n - TABLE_START) as usize]
    } else {
        c
    }
}

/// Every character that [`simplified`] changes, followed by its Simplified form, as one
/// string: the table `search.js` applies to a query.
pub fn t2s_pairs() -> String {
    let mut pairs = String::new();
    for (i, s) in t2s_table().iter().enumerate() {
        // The table holds one character for each number of its range.
        let c = char::from_u32(TABLE_START + i as u32).unwrap();
        if *s != c {
            pairs.push(c);
            pairs.push(*s);
        }
    }
    pairs
}

/// English plural endings off: talks → talk, stories → story, classes → class, boxes → box.
/// Anything that is not a plain ASCII word is kept as it is. Returns the stem's length
/// in bytes and whether a `y` replaces the ending.
fn stem_parts(word: &[u8]) -> (usize, bool) {
    let n = word.len();
    if n <= 3 || word[n - 1] != b's' || !word.iter().all(|b| b.is_ascii_lowercase()) {
        return (n, false);
    }
    if word.ends_with(b"ies") && n > 4 {
        return (n - 3, true);
    }
    if word.ends_with(b"sses") {
        return (n - 2, false);
    }
    for ending in [&b"xes"[..], b"ches", b"shes", b"zzes"] {
        if word.ends_with(ending) {
            return (n - 2, false);
        }
    }
    if word.ends_with(b"ss") || word.ends_with(b"us") || word.ends_with(b"is") {
        return (n, false);
    }
    if word.ends_with(b"s") {
        return (n - 1, false);
    }
    (n, false)
}

/// The stem of a lower-case word (see [`stem_parts`]).
pub fn stem(word: &str) -> String {
    let (len, y) = stem_parts(word.as_bytes());
    let mut stem = word[..len].to_string();
    if y {
        stem.push('y');
    }
    stem
}

/// A run of query text of one script, normalised.
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    /// Han characters, in Simplified form.
    Han(String),
    /// A stemmed word of other letters and digits.
    Word(String),
}

/// Cuts a query into Han runs and words, as `search.js` does: NFKC and lower case over
/// the whole text, then `simplify` on each Han character.
pub fn runs(text: &str, simplify: &dyn Fn(char) -> char) -> Vec<Run> {
    let normal: String = text.nfkc().collect::<String>().to_lowercase();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut current_is_han = false;
    for c in normal.chars() {
        let han = is_han(c);
        let wordy = han || c.is_alphanumeric();
        if !current.is_empty() && (!wordy || han != current_is_han) {
            out.push(finish_run(std::mem::take(&mut current), current_is_han));
        }
        if wordy {
            current.push(if han { simplify(c) } else { c });
            current_is_han = han;
        }
    }
    if !current.is_empty() {
        out.push(finish_run(current, current_is_han));
    }
    out
}

fn finish_run(text: String, is_han: bool) -> Run {
    if is_han {
        Run::Han(text)
    } else {
        Run::Word(stem(&text))
    }
}

const LOWER: u8 = 1;
const UPPER: u8 = 2;

/// For each byte: [`LOWER`] for an ASCII lower-case letter or digit, [`UPPER`] for an
/// ASCII capital, 0 for any other.
const ASCII_WORD_BYTES: [u8; 256] = {
    let mut kinds = [0; 256];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        if byte.is_ascii_uppercase() {
            kinds[b] = UPPER;
        } else if byte.is_ascii_alphanumeric() {
            kinds[b] = LOWER;
        }
        b += 1;
    }
    kinds
};

/// Splits document text into the index's terms: the words other than Han as they end,
/// and the Han text, Simplified, for jieba ([`han_words`]). One per thread, reused from
/// document to document so that its buffers are allocated once.
#[derive(Default)]
pub struct Splitter {
    /// The word being read, in lower case.
    word: String,
    /// A scratch buffer for text that needs NFKC.
    other: String,
}

impl Splitter {
    /// Cuts `text`: calls `on_word` with each word other than Han, stemmed, and appends
    /// each run of Han characters to `han`, Simplified and followed by a space.
    pub fn feed(&mut self, text: &str, han: &mut String, on_word: &mut impl FnMut(&str)) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() {
                let start = i;
                let mut kinds = 0;
                while let Some(&b) = bytes.get(i) {
                    let kind = ASCII_WORD_BYTES[usize::from(b)];
                    if kind == 0 {
                        break;
                    }
                    kinds |= kind;
                    i += 1;
                }
                let upper = kinds & UPPER != 0;
                end_han(han);
                // A word of lower-case ASCII that ends at ASCII (most words) is passed
                // on as it is in the text.
                let ends = bytes.get(i).is_none_or(u8::is_ascii);
                if self.word.is_empty() && !upper && ends {
                    self.pass_on(&text[start..i], on_word);
                    continue;
                }
                let at = self.word.len();
                self.word.push_str(&text[start..i]);
                self.word[at..].make_ascii_lowercase();
                continue;
            }
            if b < 0x80 {
                self.end_word(on_word);
                end_han(han);
                i += 1;
                continue;
            }
            // `i` is on a character boundary: ASCII bytes and whole characters are
            // consumed one at a time.
            let c = text[i..].chars().next().unwrap();
            if is_unified_han(c as u32) {
                self.end_word(on_word);
                let table = t2s_table();
                // These characters are three bytes each; the ones that are Simplified
                // already are copied a stretch at a time.
                let mut copied = i;
                while let Some(&[b0, b1, b2]) = bytes.get(i..i + 3) {
                    if b0 & 0xF0 != 0xE0 {
                        break;
                    }
                    let n = u32::from(b0 & 0x0F) << 12
                        | u32::from(b1 & 0x3F) << 6
                        | u32::from(b2 & 0x3F);
                    if !is_unified_han(n) {
                        break;
                    }
                    let simplified = table[(n - TABLE_START) as usize];
                    if simplified as u32 != n {
                        han.push_str(&text[copied..i]);
                        han.push(simplified);
                        copied = i + 3;
                    }
                    i += 3;
                }
                han.push_str(&text[copied..i]);
                continue;
            }
            let next = text[i + c.len_utf8()..].chars().next();
            if is_separator(c) && !next.is_some_and(is_combining_mark) {
                // What NFKC would make of it only separates words (，。！).
                self.end_word(on_word);
                end_han(han);
                i += c.len_utf8();
                continue;
            }
            // Everything else, up to the next ASCII byte or common Han character, goes
            // through NFKC and lower case, as the query does.
            let end = text[i..]
                .char_indices()
                .find(|(_, c)| c.is_ascii() || is_unified_han(*c as u32))
                .map_or(text.len(), |(at, _)| i + at);
            let mut other = std::mem::take(&mut self.other);
            other.clear();
            // A combining mark after a letter composes with it (e + ◌́ = é).
            let mut letter = None;
            if is_combining_mark(c) {
                letter = self.word.pop();
            }
            other.extend(letter.into_iter().chain(text[i..end].chars()).nfkc());
            for c in other.to_lowercase().chars() {
                if is_han(c) {
                    self.end_word(on_word);
                    han.push(simplified(c));
                } else if c.is_alphanumeric() {
                    end_han(han);
                    self.word.push(c);
                } else {
                    self.end_word(on_word);
                    end_han(han);
                }
            }
            self.other = other;
            i = end;
        }
        self.end_word(on_word);
        end_han(han);
    }

    fn end_word(&mut self, on_word: &mut impl FnMut(&str)) {
        if self.word.is_empty() {
            return;
        }
        let (len, y) = stem_parts(self.word.as_bytes());
        if len <= MAX_WORD_BYTES {
            self.word.truncate(len);
            if y {
                self.word.push('y');
            }
            on_word(&self.word);
        }
        self.word.clear();
    }

    /// Passes on a whole word, in lower case, stemmed; `self.word` is empty.
    fn pass_on(&mut self, word: &str, on_word: &mut impl FnMut(&str)) {
        let (len, y) = stem_parts(word.as_bytes());
        if len > MAX_WORD_BYTES {
            return;
        }
        if y {
            self.word.push_str(&word[..len]);
            self.word.push('y');
            on_word(&self.word);
            self.word.clear();
        } else {
            on_word(&word[..len]);
        }
    }
}

/// Whether `c` is a punctuation mark or symbol whose NFKC form, in lower case, holds
/// neither letters, digits nor Han characters: it only separates words. Answered from
/// a table for Latin-1, general punctuation and the CJK and full-width punctuation
/// marks, the ones that are common in text; `false` for any other character.
fn is_separator(c: char) -> bool {
    const RANGES: [(u32, u32); 4] = [
        (0x80, 0x100),
        (0x2000, 0x2070),
        (0x3000, 0x3040),
        (0xFF00, 0xFF66),
    ];
    static TABLE: OnceLock<Vec<Vec<bool>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        RANGES
            .iter()
            .map(|&(start, end)| {
                (start..end)
                    .map(|n| {
                        char::from_u32(n).is_some_and(|c| {
                            !is_combining_mark(c)
                                && std::iter::once(c)
                                    .nfkc()
                                    .flat_map(char::to_lowercase)
                                    .all(|d| !is_han(d) && !d.is_alphanumeric())
                        })
                    })
                    .collect()
            })
            .collect()
    });
    let n = c as u32;
    RANGES
        .iter()
        .zip(table)
        .find(|((start, end), _)| (*start..*end).contains(&n))
        .is_some_and(|((start, _), marks)| marks[(n - start) as usize])
}

fn end_han(han: &mut String) {
    if !han.is_empty() && !han.ends_with(' ') {
        han.push(' ');
    }
}

/// The words of Han text (runs separated by spaces), once per occurrence, with where
/// they start in `han`: jieba's words and, for long words, the dictionary words inside
/// them (所有权 → 所有, 所有权), never a string across two words.
pub fn han_words<'a>(jieba: &Jieba, han: &'a str) -> impl Iterator<Item = (usize, &'a str)> {
    let tokens = if han.is_empty() {
        Vec::new()
    } else {
        jieba.cut_for_search(han, true)
    };
    tokens
        .into_iter()
        .map(|token| (token.byte_start, token.word))
        // The text between runs is single spaces, each a token of its own.
        .filter(|(_, w)| *w != " " && w.len() <= MAX_WORD_BYTES * 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut han = String::new();
        Splitter::default().feed(text, &mut han, &mut |w| words.push(w.to_string()));
        let pairs = super::super::dictionary::HanPairs::default();
        pairs.add(&han);
        let jieba = super::super::dictionary::segmenter(&pairs);
        words.extend(han_words(&jieba, &han).map(|(_, w)| w.to_string()));
        words
    }

    #[test]
    fn plurals_are_stemmed() {
        assert_eq!(stem("talks"), "talk");
        assert_eq!(stem("stories"), "story");
        assert_eq!(stem("classes"), "class");
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("matches"), "match");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("rust"), "rust");
    }

    #[test]
    fn query_runs_split_han_from_latin() {
        assert_eq!(
            runs("Rust所有權Talks, ＡＢＣ", &simplified),
            vec![
                Run::Word("rust".into()),
                Run::Han("所有权".into()),
                Run::Word("talk".into()),
                Run::Word("abc".into()),
            ]
        );
    }

    #[test]
    fn index_terms_match_query_runs() {
        assert_eq!(
            split("Rust Talks, ＡＢＣ café cafe\u{301} Stories"),
            ["rust", "talk", "abc", "café", "café", "story"]
        );
        // Lower-case words are passed on from the text itself.
        assert_eq!(split("stories, talks.rust"), ["story", "talk", "rust"]);
        // Han text: Simplified, cut into words, with the words inside long ones.
        let terms = split("Rust講座，所有權");
        assert_eq!(terms[0], "rust");
        assert!(terms.contains(&"讲座".to_string()), "{terms:?}");
        assert!(terms.contains(&"所有权".to_string()), "{terms:?}");
        assert!(terms.contains(&"所有".to_string()), "{terms:?}");
        assert!(!terms.iter().any(|t| t.contains(' ') || t.contains('，')));
    }

    #[test]
    fn separators_split_as_the_query_does() {
        let mut separators = 0;
        for n in 0x80..0x10000 {
            let Some(c) = char::from_u32(n).filter(|c| is_separator(*c)) else {
                continue;
            };
            separators += 1;
            let text = format!("ab{c}cd数{c}据");
            let expected = [
                Run::Word("ab".into()),
                Run::Word("cd".into()),
                Run::Han("数".into()),
                Run::Han("据".into()),
            ];
            assert_eq!(runs(&text, &simplified), expected, "{c:?}");
            let mut words = Vec::new();
            let mut han = String::new();
            Splitter::default().feed(&text, &mut han, &mut |w| words.push(w.to_string()));
            assert_eq!(
                (words, han.as_str()),
                (vec!["ab".into(), "cd".into()], "数 据 ")
            );
        }
        assert!(separators > 100, "{separators}");
        for c in ['，', '。', '！', '？', '：', '“', '·', '›', '　', '…'] {
            assert!(is_separator(c), "{c:?}");
        }
        for c in ['é', '〇', '々', 'Ａ', '１', '\u{301}', '²'] {
            assert!(!is_separator(c), "{c:?}");
        }
        // A mark after a separator goes through NFKC with it.
        assert_eq!(
            split("Talks，\u{301}数据库。"),
            split("Talks,\u{301}数据库.")
        );
    }

    #[test]
    fn long_words_are_left_out() {
        let hash = "0123456789abcdef0123456789abcdef0123456789";
        assert_eq!(split(&format!("commit {hash} fixes")), ["commit", "fix"]);
    }

    #[test]
    fn compatibility_ideographs_and_traditional_forms_fold() {
        assert_eq!(simplified('國'), '国');
        assert_eq!(simplified('国'), '国');
        let pairs = t2s_pairs();
        assert!(pairs.contains("國国"));
        assert_eq!(pairs.chars().count() % 2, 0);
    }
}
