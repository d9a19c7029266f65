//! The room event log and its per-room counter.
//!
//! Every room event takes the next `seq` with
//! `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING last_seq` inside the
//! transaction that stores it. That statement takes the room's row lock on
//! PostgreSQL (and the database write lock on SQLite), so two writers of one
//! room commit in `seq` order and no reader can ever see seq n+1 before n.

use crate::Result;
use crate::StoreError;
use crate::rows::{i64_col, opt_i64, to_json};
use crate::script::Script;
use madang_types::events::{EventBody, RoomEvent};
use madang_types::{Millis, RoomId, Seq, UserId};
use sqlx::AnyConnection;

/// A seq taken by [`claim_seq`], with what the room was at that moment.
pub(crate) struct Claimed {
    pub seq: Seq,
    pub member_count: i64,
    /// A person's room with a channel.
    pub channel: bool,
}

/// Takes the next seq of `room` (and with it the room's lock).
pub(crate) async fn claim_seq(conn: &mut AnyConnection, room: RoomId) -> Result<Claimed> {
    let row = sqlx::query(
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq, member_count, channel_id",
    )
    .bind(room.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(Claimed {
        seq: Seq(i64_col(&row, "last_seq")?),
        member_count: i64_col(&row, "member_count")?,
        channel: opt_i64(&row, "channel_id")?.is_some(),
    })
}

async fn next_seq(conn: &mut AnyConnection, room: RoomId) -> Result<Seq> {
    Ok(claim_seq(conn, room).await?.seq)
}

/// Appends one event at a seq taken by [`next_seq`] in the same transaction.
pub(crate) async fn append_event(
    conn: &mut AnyConnection,
    room: RoomId,
    actor: UserId,
    at: Millis,
    body: EventBody,
) -> Result<RoomEvent> {
    let seq = next_seq(conn, room).await?;
    let event = RoomEvent {
        room_id: room,
        seq,
        actor,
        at,
        body,
    };
    insert_event(conn, &event).await?;
    Ok(event)
}

/// The message an event is about, if it is about one.
fn target_of(body: &EventBody) -> Option<Seq> {
    match body {
        EventBody::Edited { target, .. }
        | EventBody::Deleted { target }
        | EventBody::ReactionAdded { target, .. }
        | EventBody::ReactionRemoved { target, .. } => Some(*target),
        _ => None,
    }
}

pub(crate) async fn insert_event(conn: &mut AnyConnection, event: &RoomEvent) -> Result<()> {
    insert_events(conn, std::slice::from_ref(event)).await
}

/// Inserts events (at seqs already taken) in one statement.
pub(crate) async fn insert_events(conn: &mut AnyConnection, events: &[RoomEvent]) -> Result<()> {
    Script::run_on(conn, |s| insert_events_in(s, events)).await
}

/// [`insert_events`] as a statement of `script`.
pub(crate) fn insert_events_in(script: &mut Script, events: &[RoomEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let values = [
            script.bind(event.room_id.0)?,
            script.bind(event.seq.0)?,
            script.bind(event.actor.0)?,
            script.bind(event.at.0)?,
            script.bind(target_of(&event.body).map(|s| s.0))?,
            script.bind(to_json(&event.body)?)?,
        ];
        rows.push(format!("({})", values.join(", ")));
    }
    script.push(format!(
        "INSERT INTO events (room_id, seq, actor_id, at, target, body) VALUES {}",
        rows.join(", ")
    ));
    Ok(())
}
