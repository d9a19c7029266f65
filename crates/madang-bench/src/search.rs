//! `search`: message search at scale, against the store a node answers
//! from (`madang-store`'s `SearchRepo`), on SQLite or PostgreSQL. A
//! generated world: M messages (Korean with and without spaces, some
//! English) over R rooms; P people in a few rooms each, and S searchers in
//! many. The messages are written without the index, then indexed the way
//! an upgraded server does at its first start (`index_backlog`), which
//! times the indexing. Then random searchers run a mixed set of queries
//! (two-syllable Korean, Korean without its spaces, English words and
//! prefixes, words that occur nowhere): latency percentiles, and the
//! index's size beside the messages' own.
//!
//! This times the database query; a request through the API adds reading
//! the found messages (one page) and marking their snippets.

use crate::discovery::Rng;
use crate::stats::{Latencies, LatencySummary, table, write_json};
use anyhow::Context;
use clap::Args;
use madang_store::{MessageSearch, SearchRepo, SqlStore, query_terms};
use madang_types::{RoomId, UserId};
use serde::Serialize;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe, Connection};
use std::io::Write;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct SearchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    #[arg(long, default_value_t = 10_000)]
    pub rooms: usize,
    /// People in a few rooms each.
    #[arg(long, default_value_t = 10_000)]
    pub people: usize,
    /// Rooms each of them is in.
    #[arg(long, default_value_t = 10)]
    pub rooms_each: usize,
    /// Searchers: people in many rooms, who run the timed searches.
    #[arg(long, default_value_t = 200)]
    pub searchers: usize,
    /// Rooms each searcher is in.
    #[arg(long, default_value_t = 50)]
    pub searcher_rooms: usize,
    /// Searches to time.
    #[arg(long, default_value_t = 2_000)]
    pub searches: usize,
    /// Results per search (a page).
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// A PostgreSQL server to run on (a database is made and dropped);
    /// SQLite in a temporary folder when absent.
    #[arg(long)]
    pub postgres: Option<String>,
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct SearchResult {
    pub backend: &'static str,
    pub messages: usize,
    pub rooms: usize,
    pub seed_seconds: f64,
    pub index_seconds: f64,
    pub index_bytes: Option<i64>,
    pub message_bytes: Option<i64>,
    pub searches: LatencySummary,
    pub one_room: LatencySummary,
    pub mean_results: f64,
}

const KOREAN: &[&str] = &[
    "등산",
    "모임",
    "맛집",
    "주말",
    "서울",
    "부산",
    "여행",
    "카페",
    "커피",
    "점심",
    "저녁",
    "회의",
    "일정",
    "사진",
    "영화",
    "공연",
    "운동",
    "캠핑",
    "독서",
    "공부",
    "시험",
    "회사",
    "출근",
    "퇴근",
    "약속",
    "생일",
    "선물",
    "파티",
    "날씨",
    "오늘",
    "내일",
    "어제",
    "우리",
    "같이",
    "정말",
    "진짜",
    "너무",
    "좋아요",
    "감사합니다",
    "안녕하세요",
    "괜찮아요",
    "어디",
    "언제",
    "예약",
    "식당",
    "메뉴",
    "치킨",
    "피자",
    "떡볶이",
    "김밥",
    "라면",
    "삼겹살",
    "소주",
    "맥주",
    "디저트",
    "케이크",
    "빵집",
    "시장",
    "쇼핑",
    "신발",
    "가방",
    "게임",
    "야구",
    "축구",
    "콘서트",
    "노래",
    "음악",
    "드라마",
    "뉴스",
    "주식",
    "이사",
    "청소",
    "강아지",
    "고양이",
    "산책",
    "공원",
    "바다",
    "제주도",
    "강릉",
    "경주",
    "전주",
    "기차",
    "버스",
    "지하철",
    "택시",
    "호텔",
    "숙소",
    "등산화",
    "배낭",
    "탐방",
    "동호회",
    "번개",
];
const ENGLISH: &[&str] = &[
    "hiking",
    "meeting",
    "coffee",
    "lunch",
    "dinner",
    "weekend",
    "seoul",
    "busan",
    "trip",
    "photo",
    "movie",
    "concert",
    "workout",
    "camping",
    "reading",
    "study",
    "office",
    "party",
    "birthday",
    "weather",
    "today",
    "thanks",
    "hello",
    "booking",
    "restaurant",
    "menu",
    "chicken",
    "pizza",
    "beer",
    "market",
    "shopping",
    "game",
    "baseball",
    "soccer",
    "music",
    "drama",
    "news",
    "puppy",
    "walk",
    "park",
    "beach",
    "train",
    "subway",
    "hotel",
];
/// What people search for: words, Korean without its spaces, prefixes,
/// pairs, and words that occur nowhere.
const QUERIES: &[&str] = &[
    "맛집",
    "등산모임",
    "주말 등산",
    "제주도여행",
    "hik",
    "coffee",
    "seoul trip",
    "생일파티",
    "떡볶이",
    "concert",
    "고양이",
    "삼겹살 소주",
    "약속",
    "예약",
    "bus",
    "동호회",
    "맛집탐방",
    "카페",
    "res",
    "pho",
    "강릉 바다",
    "번개",
    "낚시",
    "kayak",
    "야구",
    "치킨 맥주",
    "오늘 저녁",
    "meet",
    "수영",
    "서울",
];

fn sentence(rng: &mut Rng) -> String {
    let words = 4 + rng.below(9);
    let mut s = String::new();
    for i in 0..words {
        let english = rng.below(10) < 3;
        let w = if english {
            ENGLISH[rng.below(ENGLISH.len())]
        } else {
            KOREAN[rng.below(KOREAN.len())]
        };
        // Korean words are often written together ("등산모임").
        let glued = !english && i > 0 && rng.below(4) == 0 && !s.ends_with(|c: char| c.is_ascii());
        if i > 0 && !glued {
            s.push(' ');
        }
        s.push_str(w);
    }
    s
}

/// Inserts rows `width` columns wide, `per` to a statement.
async fn insert_rows(
    pool: &AnyPool,
    postgres: bool,
    head: &str,
    width: usize,
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let per = (30_000 / width).max(1);
    for chunk in rows.chunks(per) {
        let mut sql = String::from(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                if postgres {
                    sql.push_str(&format!("${n}"));
                } else {
                    sql.push_str(&format!("?{n}"));
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Value::I(i) => q.bind(*i),
                    Value::S(s) => q.bind(s.clone()),
                };
            }
        }
        q.execute(pool).await?;
    }
    Ok(())
}

enum Value {
    I(i64),
    S(String),
}

fn progress(what: &str, done: u64, total: u64) {
    eprint!("\r  {what}: {done} / {total}   ");
    let _ = std::io::stderr().flush();
    if done >= total {
        eprintln!();
    }
}

struct World {
    /// Each searcher's rooms.
    searchers: Vec<(UserId, Vec<RoomId>)>,
}

/// People, rooms, memberships and messages, written straight to the
/// tables (no index): what a database from before search holds.
async fn seed(pool: &AnyPool, postgres: bool, a: &SearchArgs, rng: &mut Rng) -> anyhow::Result<World> {
    let people = a.people + a.searchers;
    let users: Vec<Vec<Value>> = (1..=people as i64)
        .map(|id| {
            vec![
                Value::I(id + 100),
                Value::S(format!("p{id}")),
                Value::S(String::new()),
                Value::S(format!("사람{id}")),
                Value::I(0),
            ]
        })
        .collect();
    insert_rows(
        pool,
        postgres,
        "INSERT INTO users (id, handle, password_hash, display_name, created_at)",
        5,
        &users,
    )
    .await?;
    let user = |i: usize| i as i64 + 101;
    // Memberships, and who may write where.
    let mut members: Vec<Vec<i64>> = vec![Vec::new(); a.rooms];
    let mut searchers = Vec::with_capacity(a.searchers);
    for p in 0..people {
        let count = if p < a.people {
            a.rooms_each
        } else {
            a.searcher_rooms
        };
        let mut mine = std::collections::BTreeSet::new();
        while mine.len() < count.min(a.rooms) {
            mine.insert(rng.below(a.rooms));
        }
        for &r in &mine {
            members[r].push(user(p));
        }
        if p >= a.people {
            searchers.push((
                UserId(user(p)),
                mine.iter().map(|&r| RoomId(r as i64 + 1)).collect(),
            ));
        }
    }
    let mut rooms = Vec::with_capacity(a.rooms);
    let mut memberships = Vec::new();
    for (r, who) in members.iter().enumerate() {
        let id = r as i64 + 1;
        rooms.push(vec![
            Value::I(id),
            Value::S("group".into()),
            Value::S(format!("방 {id}")),
            Value::I(who.len() as i64),
            Value::I(who.first().copied().unwrap_or(101)),
            Value::I(0),
        ]);
        for &u in who {
            memberships.push(vec![
                Value::I(id),
                Value::I(u),
                Value::I(u),
                Value::I(0),
                Value::I(0),
            ]);
        }
    }
    insert_rows(
        pool,
        postgres,
        "INSERT INTO rooms (id, kind, title, member_count, created_by, created_at)",
        6,
        &rooms,
    )
    .await?;
    insert_rows(
        pool,
        postgres,
        "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq)",
        5,
        &memberships,
    )
    .await?;
    // Each message's room and time, in the order written; then stored
    // room by room (as a B-tree likes them: random order made seeding
    // the 1M-message world take minutes).
    let mut placed: Vec<(usize, i64)> = (0..a.messages)
        .map(|i| (rng.below(a.rooms), 1_700_000_000_000 + i as i64 * 1000))
        .collect();
    placed.sort_unstable();
    let mut written = 0;
    let mut seq = 0i64;
    let mut last_room = usize::MAX;
    for chunk in placed.chunks(20_000) {
        let mut rows = Vec::with_capacity(chunk.len());
        for &(r, at) in chunk {
            if r != last_room {
                last_room = r;
                seq = 0;
            }
            seq += 1;
            let who = &members[r];
            let sender = if who.is_empty() {
                101
            } else {
                who[rng.below(who.len())]
            };
            rows.push(vec![
                Value::I(r as i64 + 1),
                Value::I(seq),
                Value::I(sender),
                Value::I(sender),
                Value::S(format!("b{at}")),
                Value::S("text".into()),
                Value::S(sentence(rng)),
                Value::S("[]".into()),
                Value::I(at),
            ]);
        }
        insert_rows(
            pool,
            postgres,
            "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, created_at)",
            9,
            &rows,
        )
        .await?;
        written += chunk.len();
        progress("messages written", written as u64, a.messages as u64);
    }
    // The rooms' counters, as sends would have left them.
    sqlx::query("UPDATE rooms SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.room_id = rooms.id)")
        .execute(pool)
        .await?;
    Ok(World { searchers })
}

pub async fn run(a: SearchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, admin, dbname) = match &a.postgres {
        Some(server) => {
            let name = format!("madang_bench_search_{}", std::process::id());
            let base = server.trim_end_matches('/');
            let root = base.rsplit_once('/').map_or(base, |(r, _)| r);
            (format!("{root}/{name}"), Some(server.clone()), name)
        }
        None => (
            format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()),
            None,
            String::new(),
        ),
    };
    sqlx::any::install_default_drivers();
    if let Some(admin) = &admin {
        let mut c = sqlx::AnyConnection::connect(admin)
            .await
            .context("the PostgreSQL server")?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {dbname}")))
            .execute(&mut c)
            .await?;
    }
    let outcome = measure(&a, &url).await;
    if let Some(admin) = &admin {
        let mut c = sqlx::AnyConnection::connect(admin).await?;
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await?;
    }
    let result = outcome?;
    table(
        &format!(
            "search: {} messages over {} rooms ({})",
            a.messages, a.rooms, result.backend
        ),
        &[
            ("written in", format!("{:.1} s", result.seed_seconds)),
            ("indexed in", format!("{:.1} s", result.index_seconds)),
            (
                "index / messages",
                match (result.index_bytes, result.message_bytes) {
                    (Some(i), Some(m)) => format!("{:.0} MB / {:.0} MB", i as f64 / 1e6, m as f64 / 1e6),
                    _ => "not measured".into(),
                },
            ),
            (
                "all my rooms p50 / p99",
                format!("{:.2} / {:.2} ms", result.searches.p50_ms, result.searches.p99_ms),
            ),
            (
                "one room p50 / p99",
                format!("{:.2} / {:.2} ms", result.one_room.p50_ms, result.one_room.p99_ms),
            ),
            ("results per search (mean)", format!("{:.1}", result.mean_results)),
        ],
    );
    write_json(&a.json, &result)?;
    Ok(())
}

async fn measure(a: &SearchArgs, url: &str) -> anyhow::Result<SearchResult> {
    let postgres = a.postgres.is_some();
    let store = SqlStore::connect(url, 4).await?;
    let pool = AnyPoolOptions::new().max_connections(2).connect(url).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let world = seed(&pool, postgres, a, &mut rng).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    store
        .index_backlog(&|done, total| progress("messages indexed", done, total))
        .await?;
    let index_seconds = started.elapsed().as_secs_f64();
    if postgres {
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    } else {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    let sizes = store.search_index_size().await?;

    let mut all = Latencies::default();
    let mut one = Latencies::default();
    let mut found = 0usize;
    for i in 0..a.searches {
        let (user, rooms) = &world.searchers[rng.below(world.searchers.len())];
        let terms = query_terms(QUERIES[rng.below(QUERIES.len())]);
        let room = (i % 4 == 3).then(|| rooms[rng.below(rooms.len())]);
        let search = MessageSearch {
            user: *user,
            terms: &terms,
            room,
            before: None,
            limit: a.limit,
        };
        let t = Instant::now();
        let hits = store.search_messages(&search).await?;
        let took = t.elapsed();
        found += hits.len();
        match room {
            Some(_) => one.record(took),
            None => all.record(took),
        }
        if (i + 1) % 200 == 0 || i + 1 == a.searches {
            progress("searches", (i + 1) as u64, a.searches as u64);
        }
    }
    store.close().await;
    pool.close().await;
    Ok(SearchResult {
        backend: if postgres { "PostgreSQL" } else { "SQLite" },
        messages: a.messages,
        rooms: a.rooms,
        seed_seconds,
        index_seconds,
        index_bytes: sizes.map(|s| s.0),
        message_bytes: sizes.map(|s| s.1),
        searches: all.summary(),
        one_room: one.summary(),
        mean_results: found as f64 / a.searches.max(1) as f64,
    })
}
