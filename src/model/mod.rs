//! The model: the community as the rest of shequn trusts it. `build.rs` makes it from
//! the files `load` read, checking every field and resolving every reference; a value
//! here is complete and valid. Markdown is kept as source text with its position
//! (`Markdown`) until the `markdown` stage renders it; who is public is `plan`'s call.

pub mod build;
pub mod config;
pub mod ids;
pub mod time;

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::Timestamp;

pub use config::{Config, Language, RawHtml};
pub use ids::*;
use time::{EventTime, Moment, Zone};

use crate::diag::SourceRef;
use crate::load::AssetFile;

/// Index of a Markdown field in [`Site::markdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MdId(pub usize);

/// A Markdown field or page body, with where it came from, so that a broken link is
/// reported at its own line.
#[derive(Debug, Clone)]
pub struct Markdown {
    /// The text of a TOML string (escapes decoded); `None` for a page body, which is
    /// read from the source file itself rather than copied (see [`Markdown::text`]).
    pub owned: Option<String>,
    pub source: SourceRef,
    /// Byte range of the raw value in the file (a TOML string with its quotes, or a
    /// page body), searched to locate a link target for a message.
    pub raw_span: std::ops::Range<usize>,
    /// Whether raw HTML passes (SPEC §2 `raw_html`) in this field.
    pub allows_raw_html: bool,
}

impl Markdown {
    pub fn text(&self) -> &str {
        match &self.owned {
            Some(text) => text,
            None => self.source.text.get(self.raw_span.clone()).unwrap_or(""),
        }
    }
}

/// A URL field, checked and ready for `href`: external as written, site paths prefixed
/// with the base URL path.
pub type Href = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: Href,
}

/// An image (`avatar`, `cover`): its URL, and the file to copy when it sits beside the
/// record that names it.
#[derive(Debug, Clone)]
pub struct Image {
    pub url: Href,
    pub copy: Option<AssetFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tag {
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone)]
pub struct Charter {
    pub source: SourceRef,
    pub name: String,
    pub tagline: Option<String>,
    pub founded: Option<Date>,
    pub purpose: Option<MdId>,
    pub audience: Option<MdId>,
    pub values: Vec<Value>,
    pub roles: Vec<Role>,
    pub rules: Vec<Rule>,
    pub membership: Option<Membership>,
    pub body: MdId,
    pub extra: toml::Table,
}

#[derive(Debug, Clone)]
pub struct Value {
    pub name: String,
    pub description: Option<MdId>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: RoleId,
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: RuleId,
    pub title: String,
    pub text: Option<MdId>,
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub open: bool,
    pub threshold: Option<MdId>,
    pub apply_url: Option<Href>,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    pub price: Option<String>,
    pub perks: Option<MdId>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub handle: MemberId,
    pub source: SourceRef,
    pub name: String,
    pub role: Option<RoleId>,
    pub joined: Option<Date>,
    pub chapter: Option<ChapterId>,
    pub city: Option<String>,
    pub tags: Vec<Tag>,
    pub headline: Option<String>,
    pub bio: Option<MdId>,
    pub avatar: Option<Image>,
    pub links: Vec<Link>,
    pub is_listed: bool,
    pub extra: toml::Table,
}

#[derive(Debug, Clone)]
pub struct Speaker {
    pub id: SpeakerId,
    pub source: SourceRef,
    pub name: String,
    pub headline: Option<String>,
    pub bio: Option<MdId>,
    pub avatar: Option<Image>,
    pub links: Vec<Link>,
    pub extra: toml::Table,
}

#[derive(Debug, Clone)]
pub struct Chapter {
    pub id: ChapterId,
    pub source: SourceRef,
    pub name: String,
    pub city: Option<String>,
    pub description: Option<MdId>,
    pub organizers: Vec<MemberId>,
    pub founded: Option<Date>,
    pub links: Vec<Link>,
    pub extra: toml::Table,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub id: SeriesId,
    pub source: SourceRef,
    pub name: String,
    pub description: Option<MdId>,
    pub cadence: Option<String>,
    pub extra: toml::Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled,
    Cancelled,
    Postponed,
    Rescheduled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Cancelled => "cancelled",
            Status::Postponed => "postponed",
            Status::Rescheduled => "rescheduled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Venue {
    pub name: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub map_url: Option<Href>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub source: SourceRef,
    pub title: String,
    pub time: EventTime,
    pub zone: Zone,
    pub series: Option<SeriesId>,
    pub number: Option<u32>,
    pub chapter: Option<ChapterId>,
    pub venue: Option<Venue>,
    pub online_url: Option<Href>,
    pub hosts: Vec<MemberId>,
    pub rsvp_url: Option<Href>,
    pub capacity: Option<u32>,
    pub status: Status,
    pub previous_start: Option<Moment>,
    pub summary: Option<String>,
    pub description: Option<MdId>,
    pub cover: Option<Image>,
    pub tags: Vec<Tag>,
    pub talks: Vec<Talk>,
    pub extra: toml::Table,
}

impl Event {
    pub fn start(&self) -> Timestamp {
        self.time.start_timestamp(&self.zone.tz)
    }

    pub fn is_upcoming(&self, now: Timestamp) -> bool {
        self.time.is_upcoming(&self.zone.tz, now)
    }
}

#[derive(Debug, Clone)]
pub struct Talk {
    pub title: String,
    pub speakers: Vec<PersonRef>,
    pub abstract_: Option<MdId>,
    pub slides: Option<Href>,
    pub video: Option<Href>,
    /// The key of the content page holding the transcript (`content/transcripts/x.md`).
    pub transcript: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// `content/_index.md`: the home page's introduction.
    Home,
    /// A folder's `_index.md`: a section with a list page.
    Section,
    Page,
}

/// A page date: the calendar date as written, and the instant used for sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageDate {
    pub instant: Timestamp,
    pub date: Date,
}

#[derive(Debug, Clone)]
pub struct Page {
    /// Path of the source file relative to the site (`content/news/hello.md`).
    pub key: String,
    pub source: SourceRef,
    pub kind: PageKind,
    /// The page's path relative to the site root (`news/hello/`; empty for home).
    pub path: String,
    pub title: String,
    pub date: Option<PageDate>,
    pub updated: Option<PageDate>,
    pub is_draft: bool,
    pub summary: Option<String>,
    pub tags: Vec<Tag>,
    pub authors: Vec<MemberId>,
    pub event: Option<EventId>,
    pub template: Option<String>,
    pub extra: toml::Table,
    pub body: MdId,
    /// The key of the section (`_index.md`) the page belongs to, if any.
    pub section: Option<String>,
}

/// The whole community, checked and resolved.
#[derive(Debug)]
pub struct Site {
    pub config: Config,
    pub charter: Charter,
    pub members: BTreeMap<MemberId, Member>,
    pub speakers: BTreeMap<SpeakerId, Speaker>,
    pub chapters: BTreeMap<ChapterId, Chapter>,
    pub series: BTreeMap<SeriesId, Series>,
    pub events: BTreeMap<EventId, Event>,
    /// Content pages by key; drafts only when building with `--drafts`.
    pub pages: BTreeMap<String, Page>,
    /// Keys of draft pages left out of this build, so a link to one gets a clear error.
    pub left_out_drafts: BTreeSet<String>,
    /// Records and pages that exist but were left out for their own errors
    /// (`member/li-lei`, `page/content/x.md`), so a link to one is not a second error.
    pub records_with_errors: BTreeSet<String>,
    pub markdown: Vec<Markdown>,
    /// Files copied as they are: site `static/` and the content folder's non-Markdown files.
    pub assets: Vec<AssetFile>,
}

impl Site {
    pub fn title(&self) -> &str {
        self.config.title.as_deref().unwrap_or(&self.charter.name)
    }
}
