//! Event times: TOML dates and datetimes turned, once, into values that carry their time
//! zone (SPEC §2 `events`). Offset datetimes are instants; local datetimes are read in the
//! event's IANA zone, where a time in a DST gap is an error naming the nearest valid
//! times and a time in an overlap takes the earlier instant with a warning; a date alone
//! is an all-day event. The zone database is compiled into the binary, so output does
//! not depend on the build machine's zone files or `TZ`.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{Timestamp, Zoned};
use toml::value::{Datetime as TomlDatetime, Offset as TomlOffset};

/// A named IANA time zone.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Looks up an IANA zone name; the error carries the closest known name.
pub fn zone(name: &str) -> Result<Zone, Option<String>> {
    match jiff::tz::db().get(name) {
        // The database matches names case-insensitively; keep its spelling, which is
        // what calendars expect in `TZID`.
        Ok(tz) if !name.is_empty() => Ok(Zone {
            name: tz.iana_name().unwrap_or(name).to_string(),
            tz,
        }),
        _ => {
            let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
            let lower = name.to_ascii_lowercase();
            if let Some(exact) = names.iter().find(|n| n.to_ascii_lowercase() == lower) {
                return Err(Some(exact.clone()));
            }
            if let Some(known) = common_mistake(&lower) {
                return Err(Some(known.to_string()));
            }
            Err(crate::diag::closest(name, names.iter().map(String::as_str)).map(str::to_string))
        }
    }
}

/// Zone names people write that the database does not have, and the zone they mean.
/// China has one zone, named after Shanghai; an offset is not a zone (it has no
/// daylight-saving rules), so the usual city is suggested.
fn common_mistake(lower: &str) -> Option<&'static str> {
    let city = lower
        .rsplit('/')
        .next()
        .unwrap_or(lower)
        .replace([' ', '-'], "_");
    let zone = match city.as_str() {
        "beijing" | "peking" | "guangzhou" | "shenzhen" | "chengdu" | "hangzhou" | "wuhan"
        | "nanjing" | "xian" | "china" | "cst" | "北京" | "上海" => "Asia/Shanghai",
        "hongkong" => "Asia/Hong_Kong",
        "taiwan" | "台北" => "Asia/Taipei",
        "bombay" | "mumbai" | "delhi" | "new_delhi" | "bangalore" => "Asia/Kolkata",
        "saigon" | "ho_chi_minh" => "Asia/Ho_Chi_Minh",
        "san_francisco" | "seattle" | "pst" | "pdt" => "America/Los_Angeles",
        "boston" | "washington" | "est" | "edt" => "America/New_York",
        "munich" | "frankfurt" | "hamburg" | "cet" | "cest" => "Europe/Berlin",
        _ => match lower.replace(' ', "").as_str() {
            "utc+8" | "gmt+8" | "utc+08:00" | "gmt+08:00" | "+08:00" => "Asia/Shanghai",
            "utc+9" | "gmt+9" | "utc+09:00" => "Asia/Tokyo",
            "utc+1" | "gmt+1" | "utc+01:00" => "Europe/Berlin",
            _ => return None,
        },
    };
    Some(zone)
}

/// When an event takes place.
#[derive(Debug, Clone, PartialEq)]
pub enum EventTime {
    /// From `first` to `last`, both inclusive, as calendar dates in the event's zone.
    AllDay { first: Date, last: Date },
    /// Instants shown in the event's zone.
    Timed { start: Zoned, end: Option<Zoned> },
}

impl EventTime {
    pub fn start_timestamp(&self, zone: &TimeZone) -> Timestamp {
        match self {
            EventTime::AllDay { first, .. } => day_start(*first, zone),
            EventTime::Timed { start, .. } => start.timestamp(),
        }
    }

    /// The moment the event is over: its end, or its start when it has none; for an
    /// all-day event, the start of the day after its last.
    pub fn end_timestamp(&self, zone: &TimeZone) -> Timestamp {
        match self {
            EventTime::AllDay { last, .. } => {
                let next = last.tomorrow().unwrap_or(*last);
                day_start(next, zone)
            }
            EventTime::Timed { start, end } => end.as_ref().unwrap_or(start).timestamp(),
        }
    }

    /// Upcoming when its end (or start) is at or after "now" (SPEC §2).
    pub fn is_upcoming(&self, zone: &TimeZone, now: Timestamp) -> bool {
        match self {
            EventTime::AllDay { .. } => self.end_timestamp(zone) > now,
            EventTime::Timed { .. } => self.end_timestamp(zone) >= now,
        }
    }
}

fn day_start(date: Date, zone: &TimeZone) -> Timestamp {
    zone.to_ambiguous_timestamp(date.to_datetime(Time::midnight()))
        .compatible()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// What a TOML date or datetime means, before it is combined with others.
#[derive(Debug, Clone, PartialEq)]
pub enum Moment {
    Date(Date),
    Instant(Zoned),
}

/// Why a TOML value is not a usable moment.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeError {
    pub message: String,
    pub help: Option<String>,
}

/// A moment that resolved, perhaps with a warning (a DST overlap).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub moment: Moment,
    pub warning: Option<String>,
}

/// Reads a TOML date or datetime: an offset datetime is an instant shown in `zone`; a
/// local datetime is read in `zone`; a date is a calendar date.
pub fn resolve(value: &TomlDatetime, zone: &Zone) -> Result<Resolved, TimeError> {
    let err = |message: String| TimeError {
        message,
        help: None,
    };
    let Some(d) = value.date else {
        return Err(err(
            "a time of day alone is not a date; write a date or a datetime".into(),
        ));
    };
    let date = Date::new(d.year as i16, d.month as i8, d.day as i8).map_err(|_| {
        err(format!(
            "{:04}-{:02}-{:02} is not a date in the calendar",
            d.year, d.month, d.day
        ))
    })?;
    let Some(t) = value.time else {
        return Ok(Resolved {
            moment: Moment::Date(date),
            warning: None,
        });
    };
    let second = t.second.min(59) as i8; // a leap second reads as :59
    let time =
        Time::new(t.hour as i8, t.minute as i8, second, t.nanosecond as i32).map_err(|_| {
            err(format!(
                "{:02}:{:02}:{:02} is not a time of day",
                t.hour, t.minute, t.second
            ))
        })?;
    let local = date.to_datetime(time);
    match value.offset {
        Some(offset) => {
            let seconds = match offset {
                TomlOffset::Z => 0,
                TomlOffset::Custom { minutes } => i32::from(minutes) * 60,
            };
            let offset = Offset::from_seconds(seconds)
                .map_err(|_| err("the UTC offset is out of range".into()))?;
            let ts = offset
                .to_timestamp(local)
                .map_err(|_| err("the datetime is out of range".into()))?;
            Ok(Resolved {
                moment: Moment::Instant(ts.to_zoned(zone.tz.clone())),
                warning: None,
            })
        }
        None => local_in_zone(local, zone),
    }
}

fn local_in_zone(local: DateTime, zone: &Zone) -> Result<Resolved, TimeError> {
    let ambiguous = zone.tz.to_ambiguous_zoned(local);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => {
            let z = ambiguous.compatible().map_err(|_| TimeError {
                message: "the datetime is out of range".into(),
                help: None,
            })?;
            Ok(Resolved {
                moment: Moment::Instant(z),
                warning: None,
            })
        }
        AmbiguousOffset::Gap { after, .. } => {
            // Local times in [T+before, T+after) do not exist. Read with `after`, the
            // instant lies before the transition T; the next transition from there is T.
            let probe = after.to_timestamp(local).unwrap_or(Timestamp::UNIX_EPOCH);
            let transition = zone.tz.following(probe).next().map(|t| t.timestamp());
            let (earlier, later) = match transition {
                Some(t) => {
                    let last_valid =
                        (t - jiff::SignedDuration::from_secs(60)).to_zoned(zone.tz.clone());
                    let first_valid = t.to_zoned(zone.tz.clone());
                    (
                        last_valid.strftime("%H:%M").to_string(),
                        first_valid.strftime("%H:%M").to_string(),
                    )
                }
                None => ("?".into(), "?".into()),
            };
            Err(TimeError {
                message: format!(
                    "local time {} does not exist in {}: clocks jump forward from {} to {} that day",
                    local.strftime("%Y-%m-%dT%H:%M"),
                    zone.name,
                    before_label(&earlier),
                    later
                ),
                help: Some(format!("the nearest valid times are {earlier} and {later}; or write the time with its UTC offset")),
            })
        }
        AmbiguousOffset::Fold { before, after } => {
            let z = ambiguous.earlier().map_err(|_| TimeError {
                message: "the datetime is out of range".into(),
                help: None,
            })?;
            Ok(Resolved {
                moment: Moment::Instant(z),
                warning: Some(format!(
                    "local time {} occurs twice in {} (clocks go back); the earlier one (UTC{}) is used, not the later one (UTC{})",
                    local.strftime("%Y-%m-%dT%H:%M"),
                    zone.name,
                    before,
                    after
                )),
            })
        }
    }
}

/// `01:59` → `02:00`: the wall-clock time at which the gap starts.
fn before_label(last_valid: &str) -> String {
    let Some((h, m)) = last_valid.split_once(':') else {
        return last_valid.to_string();
    };
    let (h, m): (u32, u32) = (h.parse().unwrap_or(0), m.parse().unwrap_or(0));
    let total = (h * 60 + m + 1) % (24 * 60);
    format!("{:02}:{:02}", total / 60, total % 60)
}

/// A calendar date for records (`joined`, `founded`, page `date`): a datetime's date part.
pub fn calendar_date(value: &TomlDatetime) -> Result<Date, TimeError> {
    let Some(d) = value.date else {
        return Err(TimeError {
            message: "expected a date (YYYY-MM-DD)".into(),
            help: None,
        });
    };
    Date::new(d.year as i16, d.month as i8, d.day as i8).map_err(|_| TimeError {
        message: format!(
            "{:04}-{:02}-{:02} is not a date in the calendar",
            d.year, d.month, d.day
        ),
        help: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> TomlDatetime {
        s.parse().unwrap()
    }

    fn berlin() -> Zone {
        zone("Europe/Berlin").unwrap()
    }

    #[test]
    fn offset_datetime_is_an_instant_shown_in_the_zone() {
        let r = resolve(&dt("2026-11-26T12:00:00Z"), &zone("Asia/Shanghai").unwrap()).unwrap();
        let Moment::Instant(z) = r.moment else {
            panic!()
        };
        assert_eq!(z.strftime("%H:%M %Z").to_string(), "20:00 CST");
    }

    #[test]
    fn local_datetime_is_read_in_the_zone() {
        let r = resolve(&dt("2026-07-01T20:00:00"), &berlin()).unwrap();
        let Moment::Instant(z) = r.moment else {
            panic!()
        };
        assert_eq!(z.timestamp().to_string(), "2026-07-01T18:00:00Z");
    }

    #[test]
    fn dst_gap_is_an_error_naming_nearest_times() {
        let e = resolve(&dt("2026-03-29T02:30:00"), &berlin()).unwrap_err();
        assert!(
            e.message.contains("does not exist in Europe/Berlin"),
            "{}",
            e.message
        );
        assert!(e.message.contains("from 02:00 to 03:00"), "{}", e.message);
        assert!(e.help.unwrap().contains("01:59 and 03:00"));
    }

    #[test]
    fn dst_overlap_takes_the_earlier_instant_with_a_warning() {
        let r = resolve(&dt("2026-10-25T02:30:00"), &berlin()).unwrap();
        let Moment::Instant(z) = r.moment else {
            panic!()
        };
        assert_eq!(z.timestamp().to_string(), "2026-10-25T00:30:00Z");
        assert!(r.warning.unwrap().contains("occurs twice"));
    }

    #[test]
    fn unknown_zone_suggests_a_real_one() {
        assert_eq!(
            zone("Asia/Shangai").unwrap_err().as_deref(),
            Some("Asia/Shanghai")
        );
        assert_eq!(zone("asia/shanghai").unwrap().name, "Asia/Shanghai");
    }

    #[test]
    fn zones_that_do_not_exist_suggest_the_one_meant() {
        for wrong in ["Asia/Peking", "Asia/Beijing", "Beijing", "UTC+8"] {
            assert_eq!(
                zone(wrong).unwrap_err().as_deref(),
                Some("Asia/Shanghai"),
                "{wrong}"
            );
        }
    }

    #[test]
    fn all_day_event_is_upcoming_until_its_last_day_ends() {
        let z = zone("Asia/Shanghai").unwrap();
        let first = Date::new(2026, 12, 12).unwrap();
        let t = EventTime::AllDay {
            first,
            last: Date::new(2026, 12, 13).unwrap(),
        };
        let during: Timestamp = "2026-12-13T15:59:00Z".parse().unwrap();
        let after: Timestamp = "2026-12-13T16:00:00Z".parse().unwrap();
        assert!(t.is_upcoming(&z.tz, during));
        assert!(!t.is_upcoming(&z.tz, after));
    }

    #[test]
    fn impossible_dates_are_errors() {
        let z = berlin();
        let bad = TomlDatetime {
            date: Some(toml::value::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            time: None,
            offset: None,
        };
        assert!(resolve(&bad, &z).is_err());
    }
}
