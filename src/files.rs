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
    plan.files
        .par_iter()
        .filter_map(|f| {
            let text = file_text(plan, md, strings, next_change, f);
            sink.write(&f.file, text.as_bytes())
                .err()
                .map(Diagnostic::error)
        })
        .collect()
}

/// The contents of one planned file.
pub fn file_text(
    plan: &Plan<'_>,
    md: &[Rendered],
    strings: &BTreeMap<String, String>,
    next_change: Option<Timestamp>,
    file: &PlannedFile<'_>,
) -> String {
    let site = plan.site;
    let cs = CalendarSite {
        site,
        md,
        now: plan.now,
    };
    // Every calendar lists its events soonest first, from the plan's public lists.
    let all: Vec<&Event> = plan
        .past
        .iter()
        .rev()
        .chain(plan.upcoming.iter())
        .copied()
        .collect();
    let name = |what: Option<&str>| ics::calendar_name(site, what);
    match &file.job {
        FileJob::EventCalendar(e) => ics::calendar(&cs, &[e], None),
        FileJob::SiteCalendar => ics::calendar(&cs, &all, Some(&name(None))),
        FileJob::SeriesCalendar(s) => {
            let events: Vec<&Event> = all
                .iter()
                .filter(|e| e.series.as_ref() == Some(&s.id))
                .copied()
                .collect();
            ics::calendar(&cs, &events, Some(&name(Some(&s.name))))
        }
        FileJob::ChapterCalendar(c) => {
            let events: Vec<&Event> = all
                .iter()
                .filter(|e| e.chapter.as_ref() == Some(&c.id))
                .copied()
                .collect();
            ics::calendar(&cs, &events, Some(&name(Some(&c.name))))
        }
        FileJob::SpeakerCalendar(s) => {
            let talks = plan
                .talks_by_person
                .get(&PersonRef::Speaker(s.id.clone()))
                .map_or(&[][..], |v| v);
            let events: Vec<&Event> = all
                .iter()
                .filter(|e| talks.iter().any(|t| t.event.id == e.id))
                .copied()
                .collect();
            ics::calendar(&cs, &events, Some(&name(Some(&s.name))))
        }
        FileJob::Feed => feeds::atom(plan, md, strings),
        FileJob::Sitemap => feeds::sitemap(plan),
        FileJob::Robots => feeds::robots(plan),
        FileJob::BuildInfo => feeds::build_info(plan, next_change),
    }
}
