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
}
