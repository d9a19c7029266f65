//! A person's history, carried in and out: reading other messengers'
//! chat exports (`exports`, written by hand from the formats as the apps
//! document and write them; the fixtures are invented chats), writing
//! them into rooms (`import`), and taking rooms and accounts out
//! (`export`).

pub mod export;
pub mod exports;
pub mod import;

use crate::{Core, Result};
use jiff::tz::TimeZone;
use madang_types::UserId;

impl Core {
    /// The zone a person's times are read and written in: their own, else
    /// the operator's `default_time_zone`; its name and the zone.
    pub(crate) async fn person_zone(&self, user: UserId) -> Result<(String, TimeZone)> {
        let name = self
            .repos
            .place(user)
            .await?
            .time_zone
            .unwrap_or_else(|| self.limits.default_time_zone.clone());
        let tz = crate::local::hours::zone(&name)?;
        Ok((name, tz))
    }
}
