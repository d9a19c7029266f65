//! Message search: the index written in the same transaction as each
//! message, edit and deletion, and the query.
//!
//! A message is indexed as `madang-search`'s tokens (Hangul pairs that
//! bridge spaces, single syllables, lower-cased words), so both backends
//! match the same things: SQLite in an FTS5 table whose `ascii` tokenizer
//! splits only on the spaces between our tokens, PostgreSQL in a tsvector
//! built without a parser (`array_to_tsvector`). A room token beside the
//! text lets the index itself keep a query to the asker's rooms. A search
//! id, growing as messages are written, orders results newest first.

use crate::rows::i64_col;
use crate::script::Script;
use crate::{Backend, Result, SqlStore};
use async_trait::async_trait;
use madang_search::tokenize::{Token, index_tokens, query_tokens};
use madang_types::{RoomId, Seq, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

/// Above this many rooms, a search names none in the index (the query
/// would grow too long) and keeps to the asker's rooms by the join alone.
const MAX_ROOMS_IN_QUERY: usize = 256;

/// One term of a query: a token, and whether longer words that start with
/// it match too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub token: String,
    pub prefix: bool,
}

/// What a query asks for: every term must match. Empty when the query has
/// nothing searchable (punctuation, spaces).
pub fn query_terms(query: &str) -> Vec<Term> {
    query_tokens(query)
        .into_iter()
        .map(|t| Term {
            prefix: matches!(t, Token::Word(_)),
            token: token_text(t),
        })
        .collect()
}

fn token_text(t: Token) -> String {
    match t {
        Token::Pair(p) => p,
        Token::Single(c) => c.to_string(),
        Token::Word(w) => w,
    }
}

/// The index's text for a message: its tokens, space-separated.
fn body(text: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::with_capacity(text.len() * 2);
    for t in index_tokens(text) {
        let t = token_text(t);
        if seen.insert(t.clone()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
    }
    out
}

pub(crate) fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Indexes a new message (its text may be empty: a photo; the row still
/// marks it as indexed).
pub(crate) async fn index(conn: &mut AnyConnection, room: RoomId, seq: Seq, text: &str) -> Result<()> {
    Script::run_on(conn, |s| index_in(s, &[(room, seq, text)])).await
}

/// [`index`] for messages just stored (so none is indexed yet), as
/// statements of `script`.
pub(crate) fn index_in(script: &mut Script, rows: &[(RoomId, Seq, &str)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut values = Vec::with_capacity(rows.len());
    match script.backend() {
        Backend::Sqlite => {
            for (room, seq, _) in rows {
                values.push(format!("({}, {})", script.bind(room.0)?, script.bind(seq.0)?));
            }
            script.push(format!(
                "INSERT INTO message_search_rows (room_id, seq) VALUES {}",
                values.join(", ")
            ));
            // Each search row, just made, found again by its message.
            let mut docs = Vec::with_capacity(rows.len());
            for (room, seq, text) in rows {
                docs.push(format!(
                    "((SELECT id FROM message_search_rows WHERE room_id = {} AND seq = {}), {}, {})",
                    script.bind(room.0)?,
                    script.bind(seq.0)?,
                    script.bind(body(text))?,
                    script.bind(format!("r{}", room.0))?
                ));
            }
            script.push(format!(
                "INSERT INTO message_search (rowid, body, room) VALUES {}",
                docs.join(", ")
            ));
        }
        Backend::Postgres => {
            for (room, seq, text) in rows {
                values.push(format!(
                    "({}, {}, array_to_tsvector(string_to_array({}, ' ')))",
                    script.bind(room.0)?,
                    script.bind(seq.0)?,
                    script.bind(pg_doc(*room, text))?
                ));
            }
            script.push(format!(
                "INSERT INTO message_search (room_id, seq, doc) VALUES {}",
                values.join(", ")
            ));
        }
    }
    Ok(())
}

async fn fts_insert(conn: &mut AnyConnection, id: i64, room: RoomId, text: &str) -> Result<()> {
    sqlx::query("INSERT INTO message_search (rowid, body, room) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(body(text))
        .bind(format!("r{}", room.0))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn pg_doc(room: RoomId, text: &str) -> String {
    let body = body(text);
    if body.is_empty() {
        format!("#{}", room.0)
    } else {
        format!("{body} #{}", room.0)
    }
}

/// Indexes many messages at once, search ids in the order given (the
/// backlog: a statement per few hundred rather than two per message).
async fn index_many(conn: &mut AnyConnection, rows: &[(RoomId, Seq, String)]) -> Result<()> {
    let numbered = |n: usize, width: usize, each: &dyn Fn(usize) -> String| {
        (0..n).map(|i| each(i * width)).collect::<Vec<_>>().join(", ")
    };
    for chunk in rows.chunks(300) {
        match backend_of(conn) {
            Backend::Sqlite => {
                let values = numbered(chunk.len(), 2, &|b| format!("(${}, ${})", b + 1, b + 2));
                let sql = format!(
                    "INSERT INTO message_search_rows (room_id, seq) VALUES {values} \
                     ON CONFLICT (room_id, seq) DO NOTHING RETURNING id, room_id, seq"
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (room, seq, _) in chunk {
                    q = q.bind(room.0).bind(seq.0);
                }
                let made = q.fetch_all(&mut *conn).await?;
                if made.is_empty() {
                    continue;
                }
                let texts: std::collections::HashMap<(i64, i64), &str> =
                    chunk.iter().map(|(r, s, t)| ((r.0, s.0), t.as_str())).collect();
                let values = numbered(made.len(), 3, &|b| {
                    format!("(${}, ${}, ${})", b + 1, b + 2, b + 3)
                });
                let sql = format!("INSERT INTO message_search (rowid, body, room) VALUES {values}");
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for row in &made {
                    let room = i64_col(row, "room_id")?;
                    let seq = i64_col(row, "seq")?;
                    let text = texts.get(&(room, seq)).copied().unwrap_or_default();
                    q = q
                        .bind(i64_col(row, "id")?)
                        .bind(body(text))
                        .bind(format!("r{room}"));
                }
                q.execute(&mut *conn).await?;
            }
            Backend::Postgres => {
                let values = numbered(chunk.len(), 3, &|b| {
                    format!(
                        "(${}, ${}, array_to_tsvector(string_to_array(${}, ' ')))",
                        b + 1,
                        b + 2,
                        b + 3
                    )
                });
                let sql = format!(
                    "INSERT INTO message_search (room_id, seq, doc) VALUES {values} \
                     ON CONFLICT (room_id, seq) DO NOTHING"
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (room, seq, text) in chunk {
                    q = q.bind(room.0).bind(seq.0).bind(pg_doc(*room, text));
                }
                q.execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}

/// Takes a message's tokens out of SQLite's index: FTS5's 'delete'
/// command with the tokens it was indexed with (`old_text`'s), which,
/// with the table's secure-delete, rewrites the pages that held them.
async fn fts_delete(conn: &mut AnyConnection, id: i64, room: RoomId, old_text: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_search (message_search, rowid, body, room) VALUES ('delete', $1, $2, $3)",
    )
    .bind(id)
    .bind(body(old_text))
    .bind(format!("r{}", room.0))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The message's text changed from `old_text`: its tokens are replaced,
/// its place in the order kept.
pub(crate) async fn reindex(
    conn: &mut AnyConnection,
    room: RoomId,
    seq: Seq,
    old_text: &str,
    text: &str,
) -> Result<()> {
    match backend_of(conn) {
        Backend::Sqlite => {
            let id = sqlx::query("SELECT id FROM message_search_rows WHERE room_id = $1 AND seq = $2")
                .bind(room.0)
                .bind(seq.0)
                .fetch_optional(&mut *conn)
                .await?;
            match id {
                Some(row) => {
                    let id = i64_col(&row, "id")?;
                    fts_delete(conn, id, room, old_text).await?;
                    fts_insert(conn, id, room, text).await?;
                }
                None => index(conn, room, seq, text).await?,
            }
        }
        Backend::Postgres => {
            let done = sqlx::query(
                "UPDATE message_search SET doc = array_to_tsvector(string_to_array($3, ' ')) \
                 WHERE room_id = $1 AND seq = $2",
            )
            .bind(room.0)
            .bind(seq.0)
            .bind(pg_doc(room, text))
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                index(conn, room, seq, text).await?;
            }
        }
    }
    Ok(())
}

/// A deleted message (its text was `old_text`) leaves the index, tokens
/// and all.
pub(crate) async fn unindex(conn: &mut AnyConnection, room: RoomId, seq: Seq, old_text: &str) -> Result<()> {
    match backend_of(conn) {
        Backend::Sqlite => {
            let id =
                sqlx::query("DELETE FROM message_search_rows WHERE room_id = $1 AND seq = $2 RETURNING id")
                    .bind(room.0)
                    .bind(seq.0)
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some(row) = id {
                fts_delete(conn, i64_col(&row, "id")?, room, old_text).await?;
            }
        }
        Backend::Postgres => {
            sqlx::query("DELETE FROM message_search WHERE room_id = $1 AND seq = $2")
                .bind(room.0)
                .bind(seq.0)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// One message a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHit {
    /// The search id: later messages have larger ones; the cursor.
    pub id: i64,
    pub room_id: RoomId,
    pub seq: Seq,
}

/// What a search asks for.
#[derive(Clone, Debug)]
pub struct MessageSearch<'a> {
    pub user: UserId,
    pub terms: &'a [Term],
    /// One room (the caller checked membership), or all of the user's.
    pub room: Option<RoomId>,
    /// Only hits with a smaller search id.
    pub before: Option<i64>,
    pub limit: i64,
}

#[async_trait]
pub trait SearchRepo: Send + Sync {
    /// Messages matching every term, newest first, from rooms the user is
    /// in and from when they joined, never deleted or hidden ones.
    async fn search_messages(&self, search: &MessageSearch<'_>) -> Result<Vec<MessageHit>>;
    /// Indexes messages written before the index existed, oldest first,
    /// once per database; calls `progress(done, total)` as it goes.
    /// Returns how many it indexed.
    async fn index_backlog(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64>;
    /// What the index takes on disk, and what the messages themselves
    /// take, in bytes (for the bench; None where the backend cannot say).
    async fn search_index_size(&self) -> Result<Option<(i64, i64)>>;
}

/// `"a" AND "b"*` for FTS5, each term in the `body` column.
fn fts_match(terms: &[Term], rooms: &[RoomId]) -> String {
    let mut q = terms
        .iter()
        .map(|t| format!("body : \"{}\"{}", t.token, if t.prefix { "*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" AND ");
    if !rooms.is_empty() {
        let any = rooms
            .iter()
            .map(|r| format!("room : \"r{}\"", r.0))
            .collect::<Vec<_>>()
            .join(" OR ");
        q = format!("{q} AND ({any})");
    }
    q
}

/// `'a' & 'b':*` for a tsquery, with the rooms as `'#id'` lexemes.
fn ts_query(terms: &[Term], rooms: &[RoomId]) -> String {
    let mut q = terms
        .iter()
        .map(|t| format!("'{}'{}", t.token, if t.prefix { ":*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" & ");
    if !rooms.is_empty() {
        let any = rooms
            .iter()
            .map(|r| format!("'#{}'", r.0))
            .collect::<Vec<_>>()
            .join(" | ");
        q = format!("{q} & ({any})");
    }
    q
}

/// Tokens hold letters and digits only (the tokenizer's pieces): nothing
/// that could close a quote in either query language.
fn safe(terms: &[Term]) -> bool {
    terms
        .iter()
        .all(|t| !t.token.is_empty() && t.token.chars().all(char::is_alphanumeric))
}

#[async_trait]
impl SearchRepo for SqlStore {
    async fn search_messages(&self, s: &MessageSearch<'_>) -> Result<Vec<MessageHit>> {
        if s.terms.is_empty() || !safe(s.terms) {
            return Ok(Vec::new());
        }
        let rooms: Vec<RoomId> = match s.room {
            Some(room) => vec![room],
            None => {
                let rows = sqlx::query("SELECT room_id FROM room_members WHERE user_id = $1")
                    .bind(s.user.0)
                    .fetch_all(self.pool())
                    .await?;
                let mut rooms = Vec::with_capacity(rows.len());
                for r in &rows {
                    rooms.push(RoomId(i64_col(r, "room_id")?));
                }
                if rooms.is_empty() {
                    return Ok(Vec::new());
                }
                if rooms.len() > MAX_ROOMS_IN_QUERY {
                    rooms.clear();
                }
                rooms
            }
        };
        let before = s.before.unwrap_or(i64::MAX);
        let rows = match self.backend() {
            Backend::Sqlite => {
                sqlx::query(
                    "SELECT r.id, r.room_id, r.seq FROM message_search \
                     JOIN message_search_rows r ON r.id = message_search.rowid \
                     JOIN room_members m ON m.room_id = r.room_id AND m.user_id = $2 \
                     JOIN messages g ON g.room_id = r.room_id AND g.seq = r.seq \
                     WHERE message_search MATCH $1 AND message_search.rowid < $3 \
                     AND r.seq >= m.joined_seq AND g.deleted_at IS NULL AND g.hidden_at IS NULL \
                     ORDER BY message_search.rowid DESC LIMIT $4",
                )
                .bind(fts_match(s.terms, &rooms))
                .bind(s.user.0)
                .bind(before)
                .bind(s.limit)
                .fetch_all(self.pool())
                .await?
            }
            Backend::Postgres => {
                // The matches are found in the GIN index first (kept to the
                // asker's rooms by their lexemes), then ordered: a plan that
                // walked the ids backwards testing each would read them all.
                sqlx::query(
                    "WITH found AS MATERIALIZED (SELECT id, room_id, seq FROM message_search \
                     WHERE doc @@ $1::tsquery AND id < $3) \
                     SELECT f.id, f.room_id, f.seq FROM found f \
                     JOIN room_members m ON m.room_id = f.room_id AND m.user_id = $2 \
                     JOIN messages g ON g.room_id = f.room_id AND g.seq = f.seq \
                     WHERE f.seq >= m.joined_seq AND g.deleted_at IS NULL AND g.hidden_at IS NULL \
                     ORDER BY f.id DESC LIMIT $4",
                )
                .bind(ts_query(s.terms, &rooms))
                .bind(s.user.0)
                .bind(before)
                .bind(s.limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        let mut hits = Vec::with_capacity(rows.len());
        for r in &rows {
            hits.push(MessageHit {
                id: i64_col(r, "id")?,
                room_id: RoomId(i64_col(r, "room_id")?),
                seq: Seq(i64_col(r, "seq")?),
            });
        }
        Ok(hits)
    }

    async fn index_backlog(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64> {
        let done = sqlx::query("SELECT 1 AS one FROM search_backfill")
            .fetch_optional(self.pool())
            .await?;
        if done.is_some() {
            return Ok(0);
        }
        let indexed = match self.backend() {
            Backend::Sqlite => "message_search_rows",
            Backend::Postgres => "message_search",
        };
        let pending = format!(
            "FROM messages g WHERE g.deleted_at IS NULL AND NOT EXISTS \
             (SELECT 1 FROM {indexed} r WHERE r.room_id = g.room_id AND r.seq = g.seq)"
        );
        let total = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n {pending}")))
            .fetch_one(self.pool())
            .await?;
        let total = i64_col(&total, "n")?.max(0) as u64;
        let mut count = 0u64;
        if total > 0 {
            // Oldest first, so search ids follow the order they were written.
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT g.room_id, g.seq, g.text {pending} ORDER BY g.created_at, g.room_id, g.seq"
            )))
            .fetch_all(self.pool())
            .await?;
            for chunk in rows.chunks(3_000) {
                let mut batch = Vec::with_capacity(chunk.len());
                for r in chunk {
                    batch.push((
                        RoomId(i64_col(r, "room_id")?),
                        Seq(i64_col(r, "seq")?),
                        crate::rows::text(r, "text")?,
                    ));
                }
                let mut tx = self.begin_write().await?;
                index_many(&mut tx, &batch).await?;
                tx.commit().await?;
                count += chunk.len() as u64;
                progress(count, total);
            }
        }
        sqlx::query("INSERT INTO search_backfill (indexed) VALUES ($1)")
            .bind(count as i64)
            .execute(self.pool())
            .await?;
        Ok(count)
    }

    async fn search_index_size(&self) -> Result<Option<(i64, i64)>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'message_search%') AS idx, \
                 (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'messages' \
                  OR name LIKE 'sqlite_autoindex_messages%' OR name = 'messages_client') AS msgs"
            }
            Backend::Postgres => {
                "SELECT pg_total_relation_size('message_search')::BIGINT AS idx, \
                 pg_total_relation_size('messages')::BIGINT AS msgs"
            }
        };
        match sqlx::query(sql).fetch_one(self.pool()).await {
            Ok(row) => Ok(Some((i64_col(&row, "idx")?, i64_col(&row, "msgs")?))),
            // SQLite built without the dbstat table.
            Err(_) if self.backend() == Backend::Sqlite => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_every_term_and_name_the_rooms() {
        let terms = query_terms("등산모임 Seo");
        assert_eq!(
            terms,
            [
                Term {
                    token: "등산".into(),
                    prefix: false
                },
                Term {
                    token: "산모".into(),
                    prefix: false
                },
                Term {
                    token: "모임".into(),
                    prefix: false
                },
                Term {
                    token: "seo".into(),
                    prefix: true
                },
            ]
        );
        assert_eq!(
            fts_match(&terms[3..], &[RoomId(4), RoomId(9)]),
            "body : \"seo\"* AND (room : \"r4\" OR room : \"r9\")"
        );
        assert_eq!(ts_query(&terms[..1], &[RoomId(4)]), "'등산' & ('#4')");
        assert!(query_terms(" ?! ").is_empty());
        assert!(safe(&terms));
        assert!(!safe(&[Term {
            token: "a\"b".into(),
            prefix: false
        }]));
    }

    #[test]
    fn a_body_holds_each_token_once() {
        assert_eq!(body("맛집 맛집"), "맛집 집맛 맛 집");
        assert_eq!(body("Seoul seoul!"), "seoul");
        assert_eq!(body(""), "");
    }
}
