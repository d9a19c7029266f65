//! `discovery`: open chat search and recommendations at scale, in process:
//! the index and recommender a node answers from (`madang-search`), built
//! from a generated world of R rooms (Korean and English titles, hashtags,
//! descriptions, 22 topics) and M memberships (people who mostly join rooms
//! of their two topics, popular rooms more often). Reports build times and
//! per-request latency percentiles of a mixed query set and of
//! recommendations for random people, without and with the topic signal
//! (generated room embeddings in the exact vector index).
//!
//! This times what a request spends in discovery itself; a request through
//! the API adds one batched database read for the cards it returns.

use crate::stats::Latencies;
use clap::Args;
use madang_search::index::{Doc, RoomIndex};
use madang_search::recommend::{Recommender, RoomInfo};
use madang_search::vectors::VectorIndex;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct DiscoveryArgs {
    /// Open chats.
    #[arg(long, default_value_t = 100_000)]
    pub rooms: usize,
    /// Memberships (person, room).
    #[arg(long, default_value_t = 1_000_000)]
    pub members: usize,
    /// Search requests to time.
    #[arg(long, default_value_t = 20_000)]
    pub searches: usize,
    /// Recommendation requests to time.
    #[arg(long, default_value_t = 5_000)]
    pub recommendations: usize,
    /// Length of the rooms' embeddings for the topic signal (generated:
    /// each topic a direction, each room near its topic's); 0 leaves it
    /// out. 384 is all-MiniLM-L6-v2's.
    #[arg(long, default_value_t = 384)]
    pub topic_dims: usize,
    /// Write the result as JSON here.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

const TOPICS: &[(&str, &[&str], &[&str])] = &[
    (
        "food",
        &["맛집", "먹방", "food"],
        &["맛집 탐방", "혼밥 모임", "foodies", "맛집지도"],
    ),
    (
        "outdoors",
        &["등산", "hiking", "캠핑"],
        &["등산 모임", "hiking club", "주말 캠핑", "산악회"],
    ),
    (
        "books",
        &["독서", "books", "책"],
        &["독서 모임", "book club", "북클럽", "한 달 한 권"],
    ),
    (
        "tech",
        &["개발", "rust", "코딩"],
        &["개발자 모임", "rust study", "코딩 스터디", "devs"],
    ),
    (
        "music",
        &["음악", "kpop", "밴드"],
        &["밴드 합주", "kpop fans", "버스킹", "음악 감상실"],
    ),
    (
        "pets",
        &["고양이", "강아지", "pets"],
        &["고양이 집사", "강아지 산책", "pet parents", "반려동물"],
    ),
    (
        "study",
        &["영어", "토익", "공부"],
        &["토익 스터디", "english club", "공부방", "영어 회화"],
    ),
    (
        "finance",
        &["재테크", "주식", "finance"],
        &["재테크 스터디", "investors", "부동산 공부", "주식 이야기"],
    ),
    (
        "games",
        &["게임", "gaming", "롤"],
        &["게이머 모임", "gamers", "보드게임", "롤 듀오"],
    ),
    (
        "travel",
        &["여행", "travel", "제주"],
        &["여행 동행", "travelers", "당일치기", "한 달 살기"],
    ),
    (
        "sports",
        &["러닝", "running", "축구"],
        &["러닝 크루", "runners", "조기축구", "마라톤 준비"],
    ),
    (
        "parenting",
        &["육아", "parenting"],
        &["육아 모임", "parents", "아빠 육아", "키즈카페"],
    ),
];
const REGIONS: &[&str] = &[
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "제주", "강남", "홍대", "성수", "판교", "수원",
    "전주", "seoul", "busan", "jeju", "gangnam",
];
const QUERIES: &[&str] = &[
    "맛집",
    "서울맛집",
    "강남 맛집",
    "등산",
    "hik",
    "hiking",
    "독서모임",
    "book",
    "rust",
    "코딩",
    "고양이",
    "토익",
    "재테크",
    "보드게임",
    "여행",
    "러닝",
    "육아",
    "#등산",
    "부산",
    "제주 한 달",
    "seoul food",
    "kpop",
    "마라톤",
    "주식",
    "캠핑",
    "dev",
    "english",
    "판교 개발자",
    "책",
    "홍대 버스킹",
];

/// A small fast generator, so a run is the same world every time.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A random unit vector of `dims`, or one near `around` (`noise` the
    /// weight of the random part).
    fn unit(&mut self, dims: usize, around: Option<&[f32]>, noise: f32) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dims)
            .map(|_| self.below(2_000_001) as f32 / 1_000_000.0 - 1.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.iter_mut().for_each(|x| *x /= n);
        if let Some(centre) = around {
            v.iter_mut().zip(centre).for_each(|(x, c)| *x = c + noise * *x);
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            v.iter_mut().for_each(|x| *x /= n);
        }
        v
    }

    /// Skewed towards 0: the smaller of two draws.
    fn skewed(&mut self, n: usize) -> usize {
        self.below(n).min(self.below(n))
    }
}

#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    rooms: usize,
    memberships: usize,
    people: usize,
    index_build_s: f64,
    recommender_build_s: f64,
    search: crate::stats::LatencySummary,
    recommend: crate::stats::LatencySummary,
    /// With the topic signal: the person's interests and rooms looked up
    /// in an exact vector index of every room.
    recommend_with_topics: Option<crate::stats::LatencySummary>,
    topic_dims: usize,
    /// Building the vector index of every room's embedding.
    topic_index_build_s: Option<f64>,
    /// Of the 50 true nearest rooms to a person's taste, the share the
    /// index's cells find (1.0 = exact).
    topic_recall_at_50: Option<f64>,
}

pub async fn run(args: DiscoveryArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || measure(args)).await?
}

fn measure(args: DiscoveryArgs) -> anyhow::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    eprintln!(
        "generating {} rooms and {} memberships…",
        args.rooms, args.members
    );
    let mut docs = Vec::with_capacity(args.rooms);
    let mut by_topic: Vec<Vec<i64>> = vec![Vec::new(); TOPICS.len()];
    let mut topic_of: Vec<usize> = Vec::with_capacity(args.rooms);
    for id in 0..args.rooms as i64 {
        let t = rng.below(TOPICS.len());
        let (category, tags, names) = TOPICS[t];
        let region = REGIONS[rng.below(REGIONS.len())];
        let name = names[rng.below(names.len())];
        let title = if rng.below(3) == 0 {
            format!("{region}{name}")
        } else {
            format!("{region} {name} {}", id % 97)
        };
        let mut hashtags: Vec<String> = tags
            .iter()
            .take(1 + rng.below(tags.len()))
            .map(|s| (*s).to_owned())
            .collect();
        hashtags.push(region.to_owned());
        docs.push(Doc {
            id,
            title,
            description: format!(
                "{region}에서 {} 좋아하는 사람들 · {category} lovers in {region}",
                tags[0]
            ),
            hashtags,
            category: category.to_owned(),
        });
        by_topic[t].push(id);
        topic_of.push(t);
    }
    let people = (args.members / 7).max(1);
    let mut memberships = Vec::with_capacity(args.members);
    let mut interests: Vec<[usize; 2]> = Vec::with_capacity(people);
    for _ in 0..people {
        let a = rng.below(TOPICS.len());
        interests.push([a, (a + 1 + rng.below(TOPICS.len() - 1)) % TOPICS.len()]);
    }
    while memberships.len() < args.members {
        let p = rng.below(people);
        let topic = if rng.below(6) == 0 {
            rng.below(TOPICS.len())
        } else {
            interests[p][rng.below(2)]
        };
        let rooms = &by_topic[topic];
        memberships.push((p as i64, rooms[rng.skewed(rooms.len())]));
    }
    memberships.sort_unstable();
    memberships.dedup();
    let mut members_of: HashMap<i64, i64> = HashMap::new();
    for &(_, r) in &memberships {
        *members_of.entry(r).or_default() += 1;
    }

    let started = Instant::now();
    let mut index = RoomIndex::default();
    for d in &docs {
        index.upsert(d);
        index.set_activity(d.id, members_of.get(&d.id).copied().unwrap_or(0), 0.0);
    }
    let index_build = started.elapsed();
    let rooms: Vec<RoomInfo> = docs
        .iter()
        .map(|d| {
            let mut tags = d.hashtags.clone();
            tags.push(d.category.clone());
            RoomInfo {
                id: d.id,
                tags,
                members: members_of.get(&d.id).copied().unwrap_or(0),
                trending: 0.0,
                joinable: true,
            }
        })
        .collect();
    let started = Instant::now();
    let recommender = Recommender::build(&memberships, &rooms);
    let recommender_build = started.elapsed();
    eprintln!(
        "index built in {:.2} s, recommender in {:.2} s; timing requests…",
        index_build.as_secs_f64(),
        recommender_build.as_secs_f64()
    );

    let mut search = Latencies::default();
    let mut found = 0usize;
    for i in 0..args.searches {
        let q = QUERIES[i % QUERIES.len()];
        let t = Instant::now();
        found += index.search(q, None, 0, 20).len();
        search.record(t.elapsed());
    }
    let mut rooms_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(p, r) in &memberships {
        rooms_of.entry(p).or_default().push(r);
    }
    let mut recommend = Latencies::default();
    let none = HashSet::new();
    let mut given = 0usize;
    // A random person: their rooms and the topics they follow.
    let asker = |rng: &mut Rng| {
        let p = rng.below(people);
        let mine = rooms_of.get(&(p as i64)).cloned().unwrap_or_default();
        let wanted: Vec<String> = interests[p].iter().map(|&t| TOPICS[t].1[0].to_owned()).collect();
        (p, mine, wanted)
    };
    for _ in 0..args.recommendations {
        let (_, mine, wanted) = asker(&mut rng);
        let t = Instant::now();
        given += recommender.recommend(&mine, &wanted, None, &none, 20).len();
        recommend.record(t.elapsed());
    }
    anyhow::ensure!(found > 0 && given > 0, "the generated world answered nothing");

    // The same requests with the topic signal.
    let mut topic_index_build_s = None;
    let mut topic_recall_at_50 = None;
    let recommend_with_topics = if args.topic_dims > 0 {
        let dims = args.topic_dims;
        let directions: Vec<Vec<f32>> = (0..TOPICS.len()).map(|_| rng.unit(dims, None, 0.0)).collect();
        let vectors: Vec<(i64, Vec<f32>)> = (0..args.rooms)
            .map(|r| (r as i64, rng.unit(dims, Some(&directions[topic_of[r]]), 0.6)))
            .collect();
        let started = Instant::now();
        let index = VectorIndex::new(dims, vectors);
        topic_index_build_s = Some(started.elapsed().as_secs_f64());
        eprintln!(
            "vector index of {} {dims}-long room embeddings built in {:.2} s; timing requests…",
            index.len(),
            started.elapsed().as_secs_f64()
        );
        let tastes: Vec<Vec<f32>> = (0..20)
            .map(|i| rng.unit(dims, Some(&directions[i % TOPICS.len()]), 0.3))
            .collect();
        let (mut found, mut wanted) = (0usize, 0usize);
        for taste in &tastes {
            let truth = index.nearest_exact(taste, 50);
            let got: HashSet<i64> = index.nearest(taste, 50, |_| true).iter().map(|x| x.0).collect();
            found += truth.iter().filter(|t| got.contains(&t.0)).count();
            wanted += truth.len();
        }
        topic_recall_at_50 = Some(found as f64 / wanted.max(1) as f64);
        let topical = Recommender::build(&memberships, &rooms)
            .with_topics(std::sync::Arc::new(index), madang_search::recommend::TOPIC_FLOOR);
        let mut timed = Latencies::default();
        let mut topical_given = 0usize;
        for _ in 0..args.recommendations {
            let (p, mine, wanted) = asker(&mut rng);
            let taste = rng.unit(dims, Some(&directions[interests[p][0]]), 0.3);
            let t = Instant::now();
            topical_given += topical.recommend(&mine, &wanted, Some(&taste), &none, 20).len();
            timed.record(t.elapsed());
        }
        anyhow::ensure!(topical_given > 0, "the topic signal answered nothing");
        Some(timed.summary())
    } else {
        None
    };
    let report = Report {
        scenario: "discovery",
        rooms: args.rooms,
        memberships: memberships.len(),
        people,
        index_build_s: index_build.as_secs_f64(),
        recommender_build_s: recommender_build.as_secs_f64(),
        search: search.summary(),
        recommend: recommend.summary(),
        recommend_with_topics,
        topic_dims: args.topic_dims,
        topic_index_build_s,
        topic_recall_at_50,
    };
    println!();
    println!(
        "discovery: {} rooms, {} memberships ({} people), in process",
        report.rooms, report.memberships, report.people
    );
    println!(
        "  build: index {:.2} s, recommender {:.2} s",
        report.index_build_s, report.recommender_build_s
    );
    println!(
        "  {:<16} {:>10} {:>10} {:>10} {:>9}",
        "", "p50 ms", "p99 ms", "p99.9 ms", "requests"
    );
    let topics = report.recommend_with_topics.as_ref().map(|s| ("+ topics", s));
    for (name, s) in [("search", &report.search), ("recommendations", &report.recommend)]
        .into_iter()
        .chain(topics)
    {
        println!(
            "  {:<16} {:>10.3} {:>10.3} {:>10.3} {:>9}",
            name, s.p50_ms, s.p99_ms, s.p999_ms, s.samples
        );
    }
    if let (Some(build), Some(recall)) = (report.topic_index_build_s, report.topic_recall_at_50) {
        println!(
            "  topics: {}-long embeddings, vector index built in {build:.2} s, recall@50 {recall:.3} of exact",
            report.topic_dims
        );
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}
