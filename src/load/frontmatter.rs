//! Splitting a Markdown file (`charter.md`, `content/**/*.md`) into its TOML front matter
//! and its body. Offsets stay those of the file, so errors in either part point at the
//! file's own lines. Parsing the TOML is `load::toml`'s job.

use std::ops::Range;

/// Byte ranges of a Markdown file's front matter (between the `+++` lines) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub front_matter: Range<usize>,
    pub body: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// The file is empty or does not start with `+++`.
    Missing,
    /// The opening `+++` has no closing line.
    Unclosed,
}

/// Splits `text` (LF line ends) at `+++` lines. The closing `+++` may end the file.
pub fn split(text: &str) -> Result<Split, SplitError> {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    if text[..first_line_end].trim_end() != "+++" {
        return Err(SplitError::Missing);
    }
    let fm_start = (first_line_end + 1).min(text.len());
    let mut pos = fm_start;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..line_end].trim_end() == "+++" {
            let body_start = (line_end + 1).min(text.len());
            return Ok(Split {
                front_matter: fm_start..pos,
                body: body_start..text.len(),
            });
        }
        pos = line_end + 1;
    }
    Err(SplitError::Unclosed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body() {
        let text = "+++\ntitle = \"a\"\n+++\nbody\n";
        let s = split(text).unwrap();
        assert_eq!(&text[s.front_matter.clone()], "title = \"a\"\n");
        assert_eq!(&text[s.body.clone()], "body\n");
    }

    #[test]
    fn closing_line_may_end_the_file() {
        let text = "+++\ntitle = \"a\"\n+++";
        let s = split(text).unwrap();
        assert_eq!(&text[s.body.clone()], "");
    }

    #[test]
    fn empty_and_unclosed_files_are_errors() {
        assert_eq!(split(""), Err(SplitError::Missing));
        assert_eq!(split("title = 1"), Err(SplitError::Missing));
        assert_eq!(split("+++\ntitle = 1\n"), Err(SplitError::Unclosed));
        assert!(split("+++\n+++").is_ok());
    }

    #[test]
    fn plus_lines_inside_the_body_stay_in_the_body() {
        let text = "+++\nt = 1\n+++\n```\n+++\n```\n";
        let s = split(text).unwrap();
        assert_eq!(&text[s.body.clone()], "```\n+++\n```\n");
    }
}
