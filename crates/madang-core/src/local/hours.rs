//! Opening hours, local to the shop's time zone: checked when a shop is
//! saved, and asked "open at this instant?" for the open-now filter. A
//! closing time at or before the opening time runs past midnight into the
//! next day.

use crate::{Error, Result};
use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use madang_types::Millis;
use madang_types::local::OpeningHours;

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// One checked span: the day it opens and minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    day: Weekday,
    open: i32,
    close: i32,
}

fn minutes(raw: &str) -> Option<i32> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    // 24:00 closes at midnight.
    ((0..24).contains(&h) && (0..60).contains(&m) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

fn span(h: &OpeningHours) -> Option<Span> {
    let day = DAYS.iter().find(|(name, _)| *name == h.day)?.1;
    Some(Span {
        day,
        open: minutes(&h.open).filter(|&m| m < 24 * 60)?,
        close: minutes(&h.close)?,
    })
}

/// The hours as given, checked: known days, `HH:MM` times, at most 14
/// spans (two a day).
pub fn check(hours: &[OpeningHours]) -> Result<Vec<OpeningHours>> {
    if hours.len() > 14 {
        return Err(Error::invalid("invalid_hours", "at most two spans a day"));
    }
    for h in hours {
        if span(h).is_none() {
            return Err(Error::invalid(
                "invalid_hours",
                format!(
                    "opening hours are a day (mon…sun) with HH:MM times; {:?} {:?}–{:?} is not",
                    h.day, h.open, h.close
                ),
            ));
        }
    }
    Ok(hours.to_vec())
}

/// An IANA time zone this server knows.
pub fn zone(name: &str) -> Result<TimeZone> {
    jiff::tz::db()
        .get(name)
        .map_err(|_| Error::invalid("invalid_time_zone", format!("unknown time zone {name:?}")))
}

/// Whether the hours have the place open at `at`.
pub fn open_at(hours: &[OpeningHours], tz: &TimeZone, at: Millis) -> bool {
    let Ok(ts) = Timestamp::from_millisecond(at.0) else {
        return false;
    };
    let local = tz.to_datetime(ts);
    let today = local.weekday();
    let yesterday = today.previous();
    let now = i32::from(local.hour()) * 60 + i32::from(local.minute());
    hours.iter().filter_map(span).any(|s| {
        let overnight = s.close <= s.open;
        if s.day == today {
            now >= s.open && (overnight || now < s.close)
        } else {
            // A span from yesterday that runs past midnight.
            s.day == yesterday && overnight && now < s.close
        }
    })
}

/// When the place next opens after `at`, within a week: how many local
/// days ahead (0: today), that day, and the opening time as given.
pub fn next_open(hours: &[OpeningHours], tz: &TimeZone, at: Millis) -> Option<(i32, Weekday, String)> {
    let ts = Timestamp::from_millisecond(at.0).ok()?;
    let local = tz.to_datetime(ts);
    let now = i32::from(local.hour()) * 60 + i32::from(local.minute());
    let mut day = local.weekday();
    for ahead in 0..=7 {
        let first = hours
            .iter()
            .filter_map(|h| Some((span(h)?, h)))
            .filter(|(s, _)| s.day == day && (ahead > 0 || s.open > now))
            .min_by_key(|(s, _)| s.open);
        if let Some((_, h)) = first {
            return Some((ahead, day, h.open.clone()));
        }
        day = day.next();
    }
    None
}

/// A day's name: Korean (`월요일`) or English (`Monday`); `short` gives
/// `월` or `Mon`.
pub fn day_name(day: Weekday, korean: bool, short: bool) -> &'static str {
    let i = day.to_monday_zero_offset() as usize;
    match (korean, short) {
        (true, true) => ["월", "화", "수", "목", "금", "토", "일"][i],
        (true, false) => [
            "월요일",
            "화요일",
            "수요일",
            "목요일",
            "금요일",
            "토요일",
            "일요일",
        ][i],
        (false, true) => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
        (false, false) => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][i],
    }
}

/// The week's hours as a line, Monday first, days with the same hours
/// run together: `월–금 10:00–20:00, 토 11:00–18:00, 일 휴무`.
pub fn describe(hours: &[OpeningHours], korean: bool) -> String {
    let closed = if korean { "휴무" } else { "closed" };
    let of_day = |day: Weekday| -> String {
        let mut spans: Vec<(i32, &OpeningHours)> = hours
            .iter()
            .filter_map(|h| span(h).filter(|s| s.day == day).map(|s| (s.open, h)))
            .collect();
        spans.sort_by_key(|(open, _)| *open);
        if spans.is_empty() {
            return closed.to_owned();
        }
        let all_day = if korean { "24시간" } else { "24 hours" };
        let parts: Vec<String> = spans
            .iter()
            .map(|(_, h)| {
                if h.open == "00:00" && (h.close == "24:00" || h.close == "00:00") {
                    all_day.to_owned()
                } else {
                    format!("{}–{}", h.open, h.close)
                }
            })
            .collect();
        parts.join(" · ")
    };
    let week: Vec<(Weekday, String)> = DAYS.iter().map(|(_, d)| (*d, of_day(*d))).collect();
    let mut runs: Vec<(Weekday, Weekday, &str)> = Vec::new();
    for (day, what) in &week {
        match runs.last_mut() {
            Some((_, last, w)) if *w == what.as_str() => *last = *day,
            _ => runs.push((*day, *day, what.as_str())),
        }
    }
    runs.iter()
        .map(|(first, last, what)| {
            let days = if *first == Weekday::Monday && *last == Weekday::Sunday {
                (if korean { "매일" } else { "Daily" }).to_owned()
            } else if first == last {
                day_name(*first, korean, true).to_owned()
            } else {
                format!(
                    "{}–{}",
                    day_name(*first, korean, true),
                    day_name(*last, korean, true)
                )
            };
            format!("{days} {what}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(day: &str, open: &str, close: &str) -> OpeningHours {
        OpeningHours {
            day: day.into(),
            open: open.into(),
            close: close.into(),
        }
    }

    /// Milliseconds of a local time in Seoul.
    fn seoul(civil: &str) -> Millis {
        let dt = civil.parse::<jiff::civil::DateTime>().unwrap();
        let ts = zone("Asia/Seoul").unwrap().to_timestamp(dt).unwrap();
        Millis(ts.as_millisecond())
    }

    #[test]
    fn bad_hours_and_zones_are_refused() {
        for bad in [
            h("funday", "09:00", "18:00"),
            h("mon", "9:00", "18:00"),
            h("mon", "09:60", "18:00"),
            h("mon", "24:00", "02:00"),
            h("mon", "09:00", "25:00"),
        ] {
            assert!(check(&[bad]).is_err());
        }
        assert!(check(&vec![h("mon", "09:00", "10:00"); 15]).is_err());
        assert!(check(&[h("sun", "00:00", "24:00")]).is_ok());
        assert!(zone("Mars/Olympus").is_err());
    }

    #[test]
    fn open_now_follows_local_time_and_runs_past_midnight() {
        let tz = zone("Asia/Seoul").unwrap();
        // 2026-11-20 is a Friday.
        let hours = [h("fri", "18:00", "02:00"), h("sat", "11:00", "15:00")];
        assert!(!open_at(&hours, &tz, seoul("2026-11-20T17:59")));
        assert!(open_at(&hours, &tz, seoul("2026-11-20T18:00")));
        assert!(
            open_at(&hours, &tz, seoul("2026-11-21T01:59")),
            "Friday night runs into Saturday"
        );
        assert!(!open_at(&hours, &tz, seoul("2026-11-21T02:00")));
        assert!(open_at(&hours, &tz, seoul("2026-11-21T12:00")));
        assert!(
            !open_at(&hours, &tz, seoul("2026-11-22T01:00")),
            "Saturday's span ends the same day"
        );
        // The same instant is another local day elsewhere.
        let la = zone("America/Los_Angeles").unwrap();
        assert!(!open_at(&hours, &la, seoul("2026-11-20T18:00")));
        assert!(open_at(
            &[h("sun", "00:00", "24:00")],
            &tz,
            seoul("2026-11-22T23:59")
        ));
    }

    #[test]
    fn the_next_opening_is_later_today_or_the_first_open_day_after() {
        let tz = zone("Asia/Seoul").unwrap();
        let hours = [
            h("mon", "10:00", "20:00"),
            h("tue", "10:00", "20:00"),
            h("sat", "11:00", "15:00"),
            h("sat", "17:00", "21:00"),
        ];
        // 2026-11-20 is a Friday: next is Saturday 11:00.
        let next = next_open(&hours, &tz, seoul("2026-11-20T21:00")).unwrap();
        assert_eq!(next, (1, Weekday::Saturday, "11:00".into()));
        // Saturday between the spans: later today.
        let next = next_open(&hours, &tz, seoul("2026-11-21T16:00")).unwrap();
        assert_eq!(next, (0, Weekday::Saturday, "17:00".into()));
        // Saturday night: Monday, two days on.
        let next = next_open(&hours, &tz, seoul("2026-11-21T22:00")).unwrap();
        assert_eq!(next, (2, Weekday::Monday, "10:00".into()));
        // Monday after opening: a week to the next Monday is not needed,
        // Tuesday is first.
        let next = next_open(&hours, &tz, seoul("2026-11-23T10:30")).unwrap();
        assert_eq!(next, (1, Weekday::Tuesday, "10:00".into()));
        assert_eq!(next_open(&[], &tz, seoul("2026-11-23T10:30")), None);
        // Only Monday: from Monday noon, next Monday (7 days on).
        let only = [h("mon", "10:00", "11:00")];
        let next = next_open(&only, &tz, seoul("2026-11-23T12:00")).unwrap();
        assert_eq!(next, (7, Weekday::Monday, "10:00".into()));
    }

    #[test]
    fn a_week_reads_as_runs_of_days() {
        let mut hours: Vec<OpeningHours> = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| h(d, "10:00", "20:00"))
            .collect();
        hours.push(h("sat", "17:00", "21:00"));
        hours.push(h("sat", "11:00", "15:00"));
        assert_eq!(
            describe(&hours, true),
            "월–금 10:00–20:00, 토 11:00–15:00 · 17:00–21:00, 일 휴무"
        );
        assert_eq!(
            describe(&hours, false),
            "Mon–Fri 10:00–20:00, Sat 11:00–15:00 · 17:00–21:00, Sun closed"
        );
        let always: Vec<OpeningHours> = DAYS.iter().map(|(d, _)| h(d, "00:00", "24:00")).collect();
        assert_eq!(describe(&always, true), "매일 24시간");
        assert_eq!(describe(&always, false), "Daily 24 hours");
    }
}
