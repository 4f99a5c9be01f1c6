//! jieba's dictionary, cut down for one build to the words that can occur in the site's
//! Han text. Building jieba's whole dictionary (349 045 words) costs about 0.13 s of one
//! core and 45 MiB on every build; a word can only be found in a text when each pair of
//! its adjacent characters occurs in the text, and most words fail that test for any
//! one site, so the segmenter gets only the words that pass.
//!
//! The segmentation is the same as with the whole dictionary: jieba finds the words of a
//! run of Han characters among the dictionary words that are substrings of the run (all
//! kept), weighs each by its frequency against the total of the whole dictionary (kept:
//! one word that cannot occur stands for the words left out), and cuts what is left with
//! its HMM, which does not depend on the dictionary. `words` feeds the Han text in
//! ([`HanPairs::add`]); `index` segments with [`segmenter`] once all of it is in.
//!
//! `dict.txt` is jieba-rs 0.11's `src/data/dict.txt` (MIT, from jieba) without its
//! part-of-speech column: `awk '{print $1" "$2}' dict.txt`.

use std::sync::atomic::{AtomicU64, Ordering};

use jieba_rs::Jieba;

/// Every word of jieba's dictionary and its frequency, one `word frequency` a line.
const DICTIONARY: &str = include_str!("dict.txt");

/// Stands for the words left out, so that the total frequency is the whole
/// dictionary's: a private-use character, which the Han text never holds.
const LEFT_OUT: &str = "\u{E000}";

/// The characters, and the pairs of adjacent characters, of a Han text: a set of bits
/// indexed by a hash (1 MiB), filled from all threads at once. A hash collision can only
/// keep a word that cannot occur, which changes nothing but the dictionary's size.
pub struct HanPairs {
    bits: Vec<AtomicU64>,
}

const HASH_BITS: u32 = 23;

impl Default for HanPairs {
    fn default() -> Self {
        HanPairs {
            bits: (0..1 << (HASH_BITS - 6))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }
}

/// The bit of a character (`second` is `None`) or of a pair of characters.
fn bit_of(first: char, second: Option<char>) -> usize {
    let key = (u64::from(first) << 21 | second.map_or(0, u64::from)) + 1;
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HASH_BITS)) as usize
}

impl HanPairs {
    fn set(&self, bit: usize) {
        let word = &self.bits[bit / 64];
        let mask = 1 << (bit % 64);
        // Most pairs recur: reading first keeps the cache line shared between cores.
        if word.load(Ordering::Relaxed) & mask == 0 {
            word.fetch_or(mask, Ordering::Relaxed);
        }
    }

    fn get(&self, bit: usize) -> bool {
        self.bits[bit / 64].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0
    }

    /// Adds the characters of `han`: runs of Han characters, separated by spaces.
    pub fn add(&self, han: &str) {
        let mut before = None;
        for c in han.chars() {
            if c == ' ' {
                before = None;
                continue;
            }
            self.set(bit_of(c, None));
            if let Some(b) = before {
                self.set(bit_of(b, Some(c)));
            }
            before = Some(c);
        }
    }

    /// Whether `word` may occur in the text added: each of its characters does, and
    /// each pair of adjacent ones.
    fn may_hold(&self, word: &str) -> bool {
        let mut chars = word.chars();
        let Some(mut before) = chars.next() else {
            return false;
        };
        if !self.get(bit_of(before, None)) {
            return false;
        }
        for c in chars {
            if !self.get(bit_of(before, Some(c))) {
                return false;
            }
            before = c;
        }
        true
    }
}

/// The sum of the frequencies in [`DICTIONARY`] (a test adds them up).
const TOTAL_FREQUENCY: u64 = 60_101_964;

/// A segmenter with the dictionary words that may occur in the text of `pairs`; it cuts
/// that text as jieba's own dictionary does.
pub fn segmenter(pairs: &HanPairs) -> Jieba {
    let mut kept = String::new();
    let mut kept_total: u64 = 0;
    // Most words are left out, after a look at their first characters: the lines are
    // read with one pass over their bytes, and only a kept word's frequency is parsed.
    let bytes = DICTIONARY.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| start + at);
        let line = &DICTIONARY[start..end];
        start = end + 1;
        let Some(space) = line.bytes().position(|b| b == b' ') else {
            continue;
        };
        let (word, frequency) = (&line[..space], &line[space + 1..]);
        if pairs.may_hold(word) {
            // The dictionary is built in and tested: every frequency is a number.
            kept_total += frequency.parse::<u64>().unwrap();
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if TOTAL_FREQUENCY > kept_total {
        kept.push_str(LEFT_OUT);
        kept.push(' ');
        kept.push_str(&(TOTAL_FREQUENCY - kept_total).to_string());
    }
    // Every line is a word and a number, as `load_dict` wants.
    Jieba::with_dict(&mut kept.as_bytes()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts with dictionary words, words inside longer words, names and words that
    /// are in no dictionary (which the HMM joins), and runs a dictionary word spans.
    const TEXTS: &[&str] = &[
        "研究生命起源",
        "我们在会后讨论了所有权和借用检查器的设计",
        "这场讲座讲了数据库的索引和并发控制",
        "小明硕士毕业于中国科学院计算所后在日本京都大学深造",
        "他来到了网易杭研大厦",
        "南京市长江大桥",
        "社区成员改进友好的目录的博客他解释细节很多人回答算法",
        "开源软体在台北的聚会",
        "王小明和李雷在线上分享了编译器的优化经验",
        "永和服装饰品有限公司",
        "一",
        "的",
    ];

    fn cut<'a>(jieba: &Jieba, text: &'a str) -> Vec<&'a str> {
        jieba
            .cut_for_search(text, true)
            .into_iter()
            .map(|t| t.word)
            .collect()
    }

    #[test]
    fn cut_down_dictionary_segments_as_the_whole_one() {
        let whole = Jieba::new();
        let pairs = HanPairs::default();
        pairs.add(&TEXTS.join(" "));
        let cut_down = segmenter(&pairs);
        for text in TEXTS {
            assert_eq!(cut(&cut_down, text), cut(&whole, text), "{text}");
        }
    }

    #[test]
    fn words_that_cannot_occur_are_left_out() {
        let pairs = HanPairs::default();
        pairs.add("数据库 讲座");
        assert!(pairs.may_hold("数据"));
        assert!(pairs.may_hold("数据库"));
        assert!(pairs.may_hold("讲"));
        // Each character occurs, but not next to each other.
        assert!(!pairs.may_hold("库讲"));
        assert!(!pairs.may_hold("社区"));
        let jieba = segmenter(&pairs);
        assert!(jieba.has_word("数据库"));
        assert!(!jieba.has_word("社区"));
    }

    #[test]
    fn built_in_dictionary_is_jiebas_whole_dictionary() {
        let lines: Vec<&str> = DICTIONARY.lines().collect();
        assert_eq!(lines.len(), 349_045);
        let total: u64 = lines
            .iter()
            .map(|l| l.split_once(' ').unwrap().1.parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, TOTAL_FREQUENCY);
        let whole = Jieba::new();
        for line in lines.iter().step_by(97) {
            let (word, frequency) = line.split_once(' ').unwrap();
            assert!(whole.has_word(word), "{word}");
            assert!(frequency.parse::<u64>().unwrap() > 0, "{line}");
        }
    }
}
