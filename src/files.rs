//! The machine-readable files of the plan (`plan.files`): calendars from `ics`, the feed,
//! sitemap, robots.txt and build report from `feeds`, each written to the output sink.
//! Comes after `render` (the HTML pages) in the same build; `output` owns the bytes.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rayon::prelude::*;

use crate::diag::Diagnostic;
use crate::feeds;
use crate::ics::{self, CalendarSite};
use crate::markdown::Rendered;
use crate::model::*;
use crate::output::Sink;
use crate::plan::{FileJob, Plan, PlannedFile};

/// Writes every planned file; each failed write is one diagnostic.
pub fn write_files(
    plan: &Plan<'_>,
    md: &[Rendered],
    strings: &BTreeMap<String, String>,
    next_change: Option<Timestamp>,
    sink: &dyn Sink,
) -> Vec<Diagnostic> {
    let files = Files::new(plan, md, strings, next_change);
    plan.files
        .par_iter()
        .filter_map(|f| {
            let text = files.text(f);
            sink.write(&f.file, text.as_bytes())
                .err()
                .map(Diagnostic::error)
        })
        .collect()
}

/// What the files share, made once: every public event soonest first, and each
/// event's `VEVENT`.
struct Files<'a> {
    plan: &'a Plan<'a>,
    md: &'a [Rendered],
    strings: &'a BTreeMap<String, String>,
    next_change: Option<Timestamp>,
    calendar: CalendarSite<'a>,
    /// Every calendar lists its events soonest first, from the plan's public lists.
    all: Vec<&'a Event>,
    /// Where each event is in `all`.
    position: BTreeMap<&'a EventId, usize>,
}

impl<'a> Files<'a> {
    fn new(
        plan: &'a Plan<'a>,
        md: &'a [Rendered],
        strings: &'a BTreeMap<String, String>,
        next_change: Option<Timestamp>,
    ) -> Files<'a> {
        let all: Vec<&Event> = plan
            .past
            .iter()
            .rev()
            .chain(plan.upcoming.iter())
            .copied()
            .collect();
        let mut calendar = CalendarSite {
            site: plan.site,
            md,
            now: plan.now,
            vevents: BTreeMap::new(),
        };
        calendar.vevents = ics::vevents(&calendar, &all);
        let position = all.iter().enumerate().map(|(i, e)| (&e.id, i)).collect();
        Files {
            position,
            plan,
            md,
            strings,
            next_change,
            calendar,
            all,
        }
    }

    /// The contents of one planned file.
    fn text(&self, file: &PlannedFile<'_>) -> String {
        let Files {
            plan,
            md,
            strings,
            next_change,
            calendar: cs,
            all,
            ..
        } = self;
        let site = plan.site;
        let name = |what: Option<&str>| ics::calendar_name(site, what);
        match &file.job {
            FileJob::EventCalendar(e) => ics::calendar(cs, &[e], None),
            FileJob::SiteCalendar => ics::calendar(cs, all, Some(&name(None))),
            FileJob::SeriesCalendar(s) => {
                let events: Vec<&Event> = all
                    .iter()
                    .filter(|e| e.series.as_ref() == Some(&s.id))
                    .copied()
                    .collect();
                ics::calendar(cs, &events, Some(&name(Some(&s.name))))
            }
            FileJob::ChapterCalendar(c) => {
                let events: Vec<&Event> = all
                    .iter()
                    .filter(|e| e.chapter.as_ref() == Some(&c.id))
                    .copied()
                    .collect();
                ics::calendar(cs, &events, Some(&name(Some(&c.name))))
            }
            FileJob::SpeakerCalendar(s) => {
                let talks = plan
                    .talks_by_person
                    .get(&PersonRef::Speaker(s.id.clone()))
                    .map_or(&[][..], |v| v);
                // The speaker's events, soonest first like every calendar: from their
                // talks, not by searching every event for them (a site with thousands
                // of guest speakers and events would make that quadratic).
                let mut events: Vec<&Event> = talks.iter().map(|t| t.event).collect();
                events.sort_by_key(|e| self.position.get(&e.id).copied().unwrap_or(usize::MAX));
                events.dedup_by_key(|e| &e.id);
                ics::calendar(cs, &events, Some(&name(Some(&s.name))))
            }
            FileJob::Feed => feeds::atom(plan, md, strings),
            FileJob::Sitemap => feeds::sitemap(plan),
            FileJob::Robots => feeds::robots(plan),
            FileJob::BuildInfo => feeds::build_info(plan, *next_change),
        }
    }
}
