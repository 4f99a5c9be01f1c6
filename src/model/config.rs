//! Site settings: `shequn.toml` (SPEC §2) checked into a [`Config`], with the command
//! line's `--base-url` applied. Read before the rest of the site, because the theme and
//! output folder decide what `load` reads.

use crate::diag::{closest, Diagnostic, Diagnostics, Source};
use crate::load::records::ConfigFile;
use crate::model::time::{self, Zone};
use crate::urls::Urls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    ZhHans,
    ZhHant,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::ZhHans, Language::ZhHant];

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::ZhHans => "zh-Hans",
            Language::ZhHant => "zh-Hant",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn is_chinese(self) -> bool {
        self != Language::En
    }
}

/// Where raw HTML in Markdown passes (SPEC §2 `[markdown] raw_html`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawHtml {
    /// In content pages, the charter, events, chapters and series; escaped in member
    /// and speaker records, which strangers send by pull request.
    Content,
    None,
    All,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub urls: Urls,
    pub title: Option<String>,
    pub language: Language,
    pub zone: Zone,
    /// A folder under `themes/`, or `None` for the built-in theme.
    pub theme: Option<String>,
    pub output_dir: String,
    pub raw_html: RawHtml,
    pub extra: toml::Table,
}

/// Checks `shequn.toml`. `base_url_override` is `--base-url`.
pub fn build(
    source: &Source,
    base_url_override: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Config> {
    let file: ConfigFile =
        crate::load::toml::parse(source, 0..source.text.len(), "the site settings", diags)?;
    let errors_before = diags.error_count();
    let base_url = base_url_override.unwrap_or(file.base_url.get_ref());
    let urls = match Urls::new(base_url) {
        Ok(u) => Some(u),
        Err(message) => {
            let d = Diagnostic::error(message)
                .with_help("for example `base_url = \"https://example.org/\"`");
            diags.push(if base_url_override.is_some() {
                d
            } else {
                d.at(source, file.base_url.span())
            });
            None
        }
    };
    let language = match &file.language {
        None => Language::En,
        Some(l) => Language::parse(l.get_ref()).unwrap_or_else(|| {
            let codes = Language::ALL.map(Language::code);
            diags.push(
                Diagnostic::error(format!("unknown language `{}`", l.get_ref()))
                    .at(source, l.span())
                    .with_help(match closest(l.get_ref(), codes) {
                        Some(c) => {
                            format!("did you mean `{c}`? shequn knows en, zh-Hans and zh-Hant")
                        }
                        None => "shequn knows en, zh-Hans and zh-Hant".to_string(),
                    }),
            );
            Language::En
        }),
    };
    let zone_name = file
        .timezone
        .as_ref()
        .map_or("UTC", |z| z.get_ref().as_str());
    let zone = match time::zone(zone_name) {
        Ok(z) => Some(z),
        Err(suggestion) => {
            let mut d = Diagnostic::error(format!("unknown time zone `{zone_name}`"))
                .with_help_opt(suggestion.map(|s| format!("did you mean `{s}`?")));
            if let Some(z) = &file.timezone {
                d = d.at(source, z.span());
            }
            diags.push(d);
            None
        }
    };
    let theme = match &file.theme {
        None => None,
        Some(t) if t.get_ref() == "default" => None,
        Some(t) => {
            let name = t.get_ref();
            if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
                diags.push(
                    Diagnostic::error(format!(
                        "theme `{name}` must be a folder name under `themes/`"
                    ))
                    .at(source, t.span()),
                );
            }
            Some(name.clone())
        }
    };
    let raw_html = match file
        .markdown
        .raw_html
        .as_ref()
        .map(|r| r.get_ref().as_str())
    {
        None | Some("content") => RawHtml::Content,
        Some("none") => RawHtml::None,
        Some("all") => RawHtml::All,
        Some(other) => {
            let span = file
                .markdown
                .raw_html
                .as_ref()
                .map(|r| r.span())
                .unwrap_or(0..0);
            diags.push(
                Diagnostic::error(format!("unknown `raw_html` policy `{other}`"))
                    .at(source, span)
                    .with_help("use \"content\" (the default), \"none\" or \"all\""),
            );
            RawHtml::Content
        }
    };
    let title = file.title.as_ref().and_then(|t| {
        if let Some(c) = t
            .get_ref()
            .chars()
            .find(|c| super::build::is_refused_char(*c))
        {
            diags.push(
                Diagnostic::error(format!(
                    "`title` contains the control character U+{:04X}",
                    c as u32
                ))
                .at(source, t.span())
                .with_help("remove it; control characters are not allowed in text fields"),
            );
            return None;
        }
        // A one-line field, like every title: new lines fold into spaces.
        Some(t.get_ref().split_whitespace().collect::<Vec<_>>().join(" "))
    });
    let output_dir = file
        .output_dir
        .as_ref()
        .map_or("public".to_string(), |o| o.get_ref().clone());
    if diags.error_count() > errors_before {
        return None;
    }
    Some(Config {
        urls: urls?,
        title: title.filter(|t| !t.is_empty()),
        language,
        zone: zone?,
        theme,
        output_dir,
        raw_html,
        extra: file.extra,
    })
}
