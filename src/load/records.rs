//! File shapes: serde structs that mirror one file each (`shequn.toml`, the charter's
//! front matter, member, speaker, chapter, series and event records, page front matter).
//! Unknown keys are found by `load::toml`; free data goes under `extra`. Values that name
//! other records, URLs, dates and Markdown keep their spans so that `model` can point at
//! them. Nothing here is checked beyond its TOML type: that is `model`'s job.

use serde::Deserialize;
use toml::value::Datetime;
use toml::Spanned;

pub type S<T> = Spanned<T>;
/// A table of label → URL, in file order.
pub type Links = indexmap::IndexMap<String, Spanned<String>>;

#[derive(Debug, Deserialize)]
pub struct ConfigFile {
    pub base_url: S<String>,
    pub title: Option<S<String>>,
    pub language: Option<S<String>>,
    pub timezone: Option<S<String>>,
    pub theme: Option<S<String>>,
    pub output_dir: Option<S<String>>,
    #[serde(default)]
    pub markdown: MarkdownConfigFile,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Default, Deserialize)]
pub struct MarkdownConfigFile {
    pub raw_html: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct CharterFile {
    pub name: S<String>,
    pub tagline: Option<S<String>>,
    pub founded: Option<S<Datetime>>,
    pub purpose: Option<S<String>>,
    pub audience: Option<S<String>>,
    #[serde(default)]
    pub values: Vec<ValueFile>,
    #[serde(default)]
    pub roles: Vec<RoleFile>,
    #[serde(default)]
    pub rules: Vec<RuleFile>,
    pub membership: Option<MembershipFile>,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct ValueFile {
    pub name: S<String>,
    pub description: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RoleFile {
    pub id: S<String>,
    pub title: S<String>,
    pub description: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RuleFile {
    pub id: S<String>,
    pub title: S<String>,
    pub text: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct MembershipFile {
    pub open: Option<bool>,
    pub threshold: Option<S<String>>,
    pub apply_url: Option<S<String>>,
    #[serde(default)]
    pub tiers: Vec<TierFile>,
}

#[derive(Debug, Deserialize)]
pub struct TierFile {
    pub name: S<String>,
    pub price: Option<S<String>>,
    pub perks: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct MemberFile {
    pub name: S<String>,
    pub role: Option<S<String>>,
    pub joined: Option<S<Datetime>>,
    pub chapter: Option<S<String>>,
    pub city: Option<S<String>>,
    #[serde(default)]
    pub tags: Vec<S<String>>,
    pub headline: Option<S<String>>,
    pub bio: Option<S<String>>,
    pub avatar: Option<S<String>>,
    #[serde(default)]
    pub links: Links,
    pub listed: Option<bool>,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct SpeakerFile {
    pub name: S<String>,
    pub headline: Option<S<String>>,
    pub bio: Option<S<String>>,
    pub avatar: Option<S<String>>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct ChapterFile {
    pub name: S<String>,
    pub city: Option<S<String>>,
    pub description: Option<S<String>>,
    #[serde(default)]
    pub organizers: Vec<S<String>>,
    pub founded: Option<S<Datetime>>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct SeriesFile {
    pub name: S<String>,
    pub description: Option<S<String>>,
    pub cadence: Option<S<String>>,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct EventFile {
    pub title: S<String>,
    pub start: S<Datetime>,
    pub end: Option<S<Datetime>>,
    pub timezone: Option<S<String>>,
    pub series: Option<S<String>>,
    pub number: Option<S<i64>>,
    pub chapter: Option<S<String>>,
    pub venue: Option<S<VenueFile>>,
    pub online_url: Option<S<String>>,
    #[serde(default)]
    pub hosts: Vec<S<String>>,
    pub rsvp_url: Option<S<String>>,
    pub capacity: Option<S<i64>>,
    pub status: Option<S<String>>,
    pub previous_start: Option<S<Datetime>>,
    pub summary: Option<S<String>>,
    pub description: Option<S<String>>,
    pub cover: Option<S<String>>,
    #[serde(default)]
    pub tags: Vec<S<String>>,
    #[serde(default)]
    pub talks: Vec<TalkFile>,
    #[serde(default)]
    pub extra: toml::Table,
}

#[derive(Debug, Deserialize)]
pub struct VenueFile {
    pub name: Option<S<String>>,
    pub address: Option<S<String>>,
    pub city: Option<S<String>>,
    pub map_url: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct TalkFile {
    pub title: S<String>,
    #[serde(default)]
    pub speakers: Vec<S<String>>,
    #[serde(rename = "abstract")]
    pub abstract_: Option<S<String>>,
    pub slides: Option<S<String>>,
    pub video: Option<S<String>>,
    pub transcript: Option<S<String>>,
    pub language: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct PageFrontMatter {
    pub title: S<String>,
    pub date: Option<S<Datetime>>,
    pub updated: Option<S<Datetime>>,
    pub draft: Option<bool>,
    pub slug: Option<S<String>>,
    pub summary: Option<S<String>>,
    #[serde(default)]
    pub tags: Vec<S<String>>,
    #[serde(default)]
    pub authors: Vec<S<String>>,
    pub event: Option<S<String>>,
    pub template: Option<S<String>>,
    #[serde(default)]
    pub extra: toml::Table,
}
