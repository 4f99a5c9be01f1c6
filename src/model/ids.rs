//! Ids and handles: the file stems of record files (SPEC §1), as types, with the check
//! that a stem is valid and a suggestion of a valid one when it is not.

use std::fmt;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A member's handle: the stem of `members/HANDLE.toml`.
    MemberId
);
id_type!(
    /// A guest speaker's id: the stem of `speakers/ID.toml`.
    SpeakerId
);
id_type!(
    /// The stem of `events/ID.toml`.
    EventId
);
id_type!(
    /// The stem of `chapters/ID.toml`.
    ChapterId
);
id_type!(
    /// The stem of `series/ID.toml`.
    SeriesId
);
id_type!(
    /// A role declared in the charter.
    RoleId
);
id_type!(
    /// A rule declared in the charter.
    RuleId
);

/// A talk speaker or page author: person ids are one namespace (SPEC §1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonRef {
    Member(MemberId),
    Speaker(SpeakerId),
}

impl PersonRef {
    pub fn id(&self) -> &str {
        match self {
            PersonRef::Member(m) => m.as_str(),
            PersonRef::Speaker(s) => s.as_str(),
        }
    }
}

/// Stems Windows cannot create; refused everywhere so that Linux CI catches them.
pub const WINDOWS_RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks a stem against `[a-z0-9][a-z0-9_-]*`. On failure returns the reason and a
/// suggested valid stem (lower case, transliterated, NFC), if one can be made.
pub fn check_stem(stem: &str) -> Result<(), (String, Option<String>)> {
    let valid = stem
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid && WINDOWS_RESERVED.contains(&stem) {
        return Err((
            format!("`{stem}` is a reserved file name on Windows"),
            Some(format!("{stem}-1")),
        ));
    }
    if valid {
        return Ok(());
    }
    let suggestion = suggest_stem(stem);
    Err((
        "ids and handles use only lower-case ASCII letters, digits, `-` and `_`, and start with a letter or digit"
            .to_string(),
        suggestion.filter(|s| s != stem),
    ))
}

/// A valid stem close to `stem`: transliterated (Chinese to pinyin syllables), lower case.
pub fn suggest_stem(stem: &str) -> Option<String> {
    let nfc: String = stem.nfc().collect();
    let ascii = deunicode::deunicode_with_tofu(&nfc, "-");
    let mut out = String::new();
    for c in ascii.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '_').to_string();
    if out.is_empty() {
        None
    } else if WINDOWS_RESERVED.contains(&out.as_str()) {
        Some(format!("{out}-1"))
    } else {
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_stems_pass() {
        assert!(check_stem("li-lei").is_ok());
        assert!(check_stem("weekly_9").is_ok());
        assert!(check_stem("9am").is_ok());
    }

    #[test]
    fn invalid_stems_get_a_suggestion() {
        assert_eq!(
            check_stem("Li Lei").unwrap_err().1.as_deref(),
            Some("li-lei")
        );
        assert_eq!(check_stem("李雷").unwrap_err().1.as_deref(), Some("li-lei"));
        assert_eq!(check_stem("café").unwrap_err().1.as_deref(), Some("cafe"));
        assert_eq!(check_stem("-x").unwrap_err().1.as_deref(), Some("x"));
        assert_eq!(check_stem("🎉").unwrap_err().1.as_deref(), Some("tada"));
        assert_eq!(check_stem("---").unwrap_err().1, None);
    }

    #[test]
    fn windows_reserved_stems_are_refused() {
        assert!(check_stem("con").is_err());
        assert!(check_stem("lpt1").is_err());
        assert!(check_stem("console").is_ok());
    }
}
