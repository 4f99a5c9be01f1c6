//! Localised date and time text for pages: "Thu 26 Nov 2026, 20:00 CST" in English,
//! "2026年11月26日 周四 20:00 CST" in Chinese. Only this file knows the formats; `render`
//! calls it while building contexts. Weekday and month names are fixed tables, not the
//! machine's locale, so output is the same on every machine.

use jiff::civil::{Date, Weekday};
use jiff::Zoned;

use crate::model::Language;

const EN_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const HANS_WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const HANT_WEEKDAYS: [&str; 7] = ["週一", "週二", "週三", "週四", "週五", "週六", "週日"];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

/// A calendar date with its weekday: "Thu 26 Nov 2026" / "2026年11月26日 周四".
pub fn date_with_weekday(date: Date, language: Language) -> String {
    let w = weekday_index(date.weekday());
    match language {
        Language::En => format!(
            "{} {} {} {}",
            EN_WEEKDAYS[w],
            date.day(),
            EN_MONTHS[date.month() as usize - 1],
            date.year()
        ),
        Language::ZhHans => format!(
            "{}年{}月{}日 {}",
            date.year(),
            date.month(),
            date.day(),
            HANS_WEEKDAYS[w]
        ),
        Language::ZhHant => format!(
            "{}年{}月{}日 {}",
            date.year(),
            date.month(),
            date.day(),
            HANT_WEEKDAYS[w]
        ),
    }
}

/// A calendar date alone: "26 Nov 2026" / "2026年11月26日".
pub fn date(date: Date, language: Language) -> String {
    match language {
        Language::En => format!(
            "{} {} {}",
            date.day(),
            EN_MONTHS[date.month() as usize - 1],
            date.year()
        ),
        _ => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    }
}

/// "20:00".
pub fn time(z: &Zoned) -> String {
    format!("{:02}:{:02}", z.hour(), z.minute())
}

/// The zone's abbreviation at that instant ("CST", "BST"), or its UTC offset when the
/// zone has none.
pub fn zone_abbreviation(z: &Zoned) -> String {
    z.strftime("%Z").to_string()
}

/// The full form: "Thu 26 Nov 2026, 20:00 CST" / "2026年11月26日 周四 20:00 CST".
pub fn date_time(z: &Zoned, language: Language) -> String {
    let d = date_with_weekday(z.date(), language);
    match language {
        Language::En => format!("{d}, {} {}", time(z), zone_abbreviation(z)),
        _ => format!("{d} {} {}", time(z), zone_abbreviation(z)),
    }
}

/// An event's time range as one string, the zone named once.
pub fn range(start: &Zoned, end: Option<&Zoned>, language: Language) -> String {
    let Some(end) = end else {
        return date_time(start, language);
    };
    if start.date() == end.date() && zone_abbreviation(start) == zone_abbreviation(end) {
        let d = date_with_weekday(start.date(), language);
        return match language {
            Language::En => format!(
                "{d}, {}–{} {}",
                time(start),
                time(end),
                zone_abbreviation(end)
            ),
            _ => format!(
                "{d} {}–{} {}",
                time(start),
                time(end),
                zone_abbreviation(end)
            ),
        };
    }
    format!(
        "{} – {}",
        date_time(start, language),
        date_time(end, language)
    )
}

/// An all-day event's dates: one day, or first – last.
pub fn day_range(first: Date, last: Date, language: Language) -> String {
    if first == last {
        date_with_weekday(first, language)
    } else {
        format!(
            "{} – {}",
            date_with_weekday(first, language),
            date_with_weekday(last, language)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(s: &str) -> Zoned {
        s.parse().unwrap()
    }

    #[test]
    fn english_and_chinese_forms() {
        let t = z("2026-11-26T20:00:00+08:00[Asia/Shanghai]");
        assert_eq!(date_time(&t, Language::En), "Thu 26 Nov 2026, 20:00 CST");
        assert_eq!(
            date_time(&t, Language::ZhHans),
            "2026年11月26日 周四 20:00 CST"
        );
        assert_eq!(
            date_time(&t, Language::ZhHant),
            "2026年11月26日 週四 20:00 CST"
        );
    }

    #[test]
    fn same_day_range_names_the_zone_once() {
        let a = z("2026-11-26T20:00:00+08:00[Asia/Shanghai]");
        let b = z("2026-11-26T21:30:00+08:00[Asia/Shanghai]");
        assert_eq!(
            range(&a, Some(&b), Language::En),
            "Thu 26 Nov 2026, 20:00–21:30 CST"
        );
    }
}
