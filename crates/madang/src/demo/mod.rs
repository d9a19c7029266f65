//! The demo world: people with Korean and English names, friendships, 1:1
//! and group chats with believable conversation, a day of Pungs
//! (`pungs.rs`) and a few hundred open chats with a crowd in them
//! (`openchat.rs`), and shops, channels, coupons and campaigns around
//! Seoul City Hall (`local.rs`). Seeded through the same
//! use cases a client calls, so every rule applies. Re-runnable: existing
//! accounts log in, the 1:1 rooms are the same rooms, groups are found by
//! title and messages carry fixed client ids.

mod earnings;
mod local;
mod openchat;
mod pungs;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use madang_core::{Core, Error, Session};
use madang_types::api::{
    CreateGroupRequest, LoginRequest, SendMessageRequest, SignUpRequest, UpdateProfileRequest,
};
use madang_types::{ClientMsgId, RoomId, Seq};
use std::net::SocketAddr;

/// Every demo account has this password.
pub const DEMO_PASSWORD: &str = "madang-demo";

/// (handle, display name, status message)
const PEOPLE: &[(&str, &str, &str)] = &[
    ("minji", "김민지", "오늘도 화이팅 💪"),
    ("seojun", "이서준", "등산 가실 분?"),
    ("jiwoo", "박지우", "커피는 사랑입니다 ☕"),
    ("haeun", "최하은", "제주 여행 중 🌊"),
    ("doyoon", "정도윤", "야근 중..."),
    ("seoyeon", "강서연", "책 읽는 중 📖"),
    ("minjun", "조민준", "축구 좋아하는 사람"),
    ("jia", "윤지아", "고양이 집사 🐈"),
    ("yejun", "장예준", "개발자입니다"),
    ("sua", "임수아", "맛집 탐방러"),
    ("jiho", "한지호", "운동하자!"),
    ("harin", "오하린", "🎵 음악과 함께"),
    ("jimin", "서지민", "주말엔 캠핑"),
    ("yuna", "신유나", "사진 찍는 걸 좋아해요"),
    ("taeyang", "권태양", "☀️"),
    ("bora", "황보라", "다이어트 3일차"),
    ("jaewon", "안재원", "부산 사나이"),
    ("daeun", "송다은", "요리 연습 중"),
    ("emma", "Emma Wilson", "Learning Korean, one word at a time"),
    ("liam", "Liam Carter", "Coffee first"),
    ("olivia", "Olivia Brown", "In Seoul until May"),
    ("noah", "Noah Davis", "Running my first marathon 🏃"),
    ("ava", "Ava Martin", "Bookworm"),
    ("ethan", "Ethan Clark", "Building things"),
    ("mia", "Mia Lewis", "Plants > people 🌿"),
    ("lucas", "Lucas Hall", "On call this week"),
    ("sophia", "Sophia King", "Exploring Busan"),
    ("james", "James Wright", "Guitar and good food"),
    ("chloe", "Chloe Green", "Weekend hiker"),
    ("daniel", "Daniel Scott", "Teaching English in Daegu"),
    ("grace", "Grace Kim", "Kimchi enthusiast"),
    ("henry", "Henry Park", "Between Seoul and Toronto"),
];

/// A 1:1 conversation: (first person, second person, lines; `true` means the
/// second person speaks).
type Direct = (&'static str, &'static str, &'static [(bool, &'static str)]);
const DIRECT: &[Direct] = &[
    (
        "minji",
        "seojun",
        &[
            (false, "서준아 이번 주말에 시간 돼?"),
            (true, "토요일 오후는 괜찮아! 왜?"),
            (false, "북한산 가려고 하는데 같이 갈래?"),
            (true, "좋아 ㅎㅎ 몇 시에 만날까?"),
            (false, "아침 9시 구파발역 어때"),
            (true, "콜! 김밥은 내가 살게 🍙"),
        ],
    ),
    (
        "emma",
        "minji",
        &[
            (false, "Hi Minji! Thanks for the restaurant tip yesterday"),
            (true, "에마! 맛있었어? 거기 된장찌개 진짜 맛있지"),
            (
                false,
                "It was amazing. I'll try to say 잘 먹었습니다 next time 😄",
            ),
            (true, "완벽해요! 발음도 좋아요"),
        ],
    ),
    (
        "jiwoo",
        "sua",
        &[
            (false, "수아야 성수동에 새로 생긴 카페 가봤어?"),
            (true, "아직! 거기 웨이팅 길다던데"),
            (false, "평일 오전엔 괜찮대. 목요일에 갈래?"),
            (true, "좋아 10시에 보자 ☕"),
        ],
    ),
    (
        "liam",
        "noah",
        &[
            (false, "How's the marathon training going?"),
            (true, "Did 25km on Sunday. Legs are still complaining"),
            (false, "Respect. Dinner on Friday to carb-load?"),
            (true, "Only if it's pasta 🍝"),
        ],
    ),
    (
        "doyoon",
        "yejun",
        &[
            (false, "예준님 배포 끝나셨어요?"),
            (true, "방금 끝났어요. 모니터링 중입니다"),
            (false, "고생 많으셨어요! 내일 회고 때 얘기해요"),
        ],
    ),
    (
        "olivia",
        "henry",
        &[
            (false, "Henry, do you know a good place to buy a winter coat?"),
            (true, "Try the outlet near Yeouido, prices are fair"),
            (false, "Perfect, thank you!"),
        ],
    ),
];

/// The demo's group chats: (title, members, lines as (speaker, text)).
pub type Group = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);
pub const GROUPS: &[Group] = &[
    (
        "주말 등산 모임 ⛰️",
        &["seojun", "minji", "chloe", "jiho", "jimin", "taeyang"],
        &[
            ("seojun", "이번 주 토요일 북한산 백운대 코스 어때요?"),
            ("jiho", "좋아요! 날씨 맑대요"),
            ("chloe", "Count me in! What time?"),
            ("minji", "9시 구파발역 2번 출구에서 만나요"),
            ("jimin", "저는 물이랑 간식 챙겨갈게요 🍫"),
            ("taeyang", "아이젠 필요할까요?"),
            ("seojun", "아직은 괜찮을 것 같아요. 그래도 장갑은 꼭!"),
            ("chloe", "See you all Saturday 👋"),
        ],
    ),
    (
        "Book club 📚",
        &["ava", "seoyeon", "emma", "olivia", "daniel", "grace"],
        &[
            ("ava", "This month's pick: Pachinko by Min Jin Lee"),
            ("seoyeon", "한국어 번역본으로 읽어도 될까요?"),
            ("ava", "Of course! We'll discuss in both languages"),
            ("emma", "I'm halfway through. No spoilers please 🙈"),
            ("daniel", "Meeting at the usual café on the 28th?"),
            ("grace", "Works for me"),
            ("olivia", "I'll bring cookies 🍪"),
        ],
    ),
    (
        "회사 점심 메뉴 🍜",
        &["doyoon", "yejun", "sua", "jiwoo", "bora", "jaewon", "lucas"],
        &[
            ("sua", "오늘 점심 뭐 먹을까요?"),
            ("jaewon", "돼지국밥 어떠세요 ㅎㅎ"),
            ("bora", "저는 샐러드요… 다이어트 중 🥗"),
            ("doyoon", "그럼 샐러드랑 국밥 둘 다 되는 푸드코트 가요"),
            ("lucas", "Food court sounds good, I'm in"),
            ("yejun", "12시 10분에 로비에서 봬요"),
        ],
    ),
    (
        "Seoul newcomers",
        &[
            "olivia", "henry", "emma", "sophia", "james", "mia", "grace", "liam",
        ],
        &[
            ("henry", "Welcome everyone! Ask anything about life in Seoul here"),
            ("sophia", "How do I get a T-money card?"),
            ("grace", "Any convenience store sells them, then top up with cash"),
            ("james", "Also works on buses in Busan 👍"),
            ("mia", "Where do people buy plants around here?"),
            ("olivia", "Yangjae flower market! Go early in the morning"),
        ],
    ),
    (
        "우리 가족 🏠",
        &["jia", "daeun", "harin", "yuna"],
        &[
            ("daeun", "엄마가 이번 주 일요일에 다 같이 저녁 먹재"),
            ("jia", "좋아! 내가 케이크 사갈게 🎂"),
            ("harin", "나 토요일 저녁에 도착해"),
            ("yuna", "사진은 내가 찍을게 📸"),
        ],
    ),
];

/// A handle and the password to log in with.
pub struct DemoLogin {
    pub handle: &'static str,
    pub display_name: &'static str,
}

/// Signs a demo account up, or logs it in if a run before made it.
async fn account(core: &Core, handle: &str, name: &str, birthday: Option<String>) -> anyhow::Result<Session> {
    let addr = format!("demo-seed:{handle}");
    let signed = core
        .sign_up(
            &addr,
            SignUpRequest {
                handle: handle.into(),
                password: DEMO_PASSWORD.into(),
                display_name: Some(name.into()),
                phone: None,
                email: None,
                birthday,
                device_name: Some("demo seeder".into()),
            },
        )
        .await;
    let session = match signed {
        Ok(s) => s,
        Err(Error::HandleTaken) => core
            .log_in(
                &addr,
                LoginRequest {
                    handle: handle.into(),
                    password: DEMO_PASSWORD.into(),
                    device_name: Some("demo seeder".into()),
                },
            )
            .await
            .with_context(|| format!("logging in as {handle}; was the demo password changed?"))?,
        Err(e) => return Err(e.into()),
    };
    Ok(Session {
        user: session.user.id,
        device: session.device_id,
        bot: false,
    })
}

/// A fixed pseudo-random sequence, so re-runs build the same world.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Sends a plain text message as `who`; the core's error as it is, so that
/// a caller may let some refusals pass.
async fn say(
    core: &Core,
    who: &Session,
    room: RoomId,
    client_id: String,
    text: &str,
) -> madang_core::Result<Seq> {
    let req = SendMessageRequest {
        client_id: ClientMsgId(client_id),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
        attachment: None,
        voice: None,
        thread_root: None,
        buttons: Vec::new(),
    };
    Ok(core.send_message(who, room, req).await?.seq)
}

/// Seeds the world (idempotently) and returns the logins.
pub async fn seed(core: &Core) -> anyhow::Result<Vec<DemoLogin>> {
    let total = PEOPLE.len() + DIRECT.len() + GROUPS.len() + 4;
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} seeding the demo world [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut rng = Lcg(20_261_122);
    let today = time::OffsetDateTime::now_utc().date();
    let mut sessions = Vec::with_capacity(PEOPLE.len());
    for (i, &(handle, name, status)) in PEOPLE.iter().enumerate() {
        bar.set_message(name);
        // Two people have their birthday today, so the feature shows.
        let birthday = if i == 2 || i == 20 {
            format!(
                "{}-{:02}-{:02}",
                1994 + i % 7,
                u8::from(today.month()),
                today.day()
            )
        } else {
            format!(
                "{}-{:02}-{:02}",
                1985 + rng.next(20),
                1 + rng.next(12),
                1 + rng.next(28)
            )
        };
        let s = account(core, handle, name, Some(birthday)).await?;
        let update = UpdateProfileRequest {
            status_message: Some(status.into()),
            ..Default::default()
        };
        core.update_profile(&s, update).await?;
        sessions.push(s);
        bar.inc(1);
    }
    let by_handle = |h: &str| -> anyhow::Result<Session> {
        PEOPLE
            .iter()
            .position(|p| p.0 == h)
            .map(|i| sessions[i])
            .with_context(|| format!("unknown demo person {h}"))
    };
    bar.set_message("friendships");
    // Friends both ways, as most real friendships are (and as Pungs need).
    for (i, me) in sessions.iter().enumerate() {
        for _ in 0..10 {
            let j = rng.next(PEOPLE.len());
            if j != i {
                core.add_friend(me, PEOPLE[j].0).await?;
                core.add_friend(&sessions[j], PEOPLE[i].0).await?;
            }
        }
    }
    bar.inc(1);
    for (a, b, lines) in DIRECT {
        bar.set_message(format!("{a} ↔ {b}"));
        let (sa, sb) = (by_handle(a)?, by_handle(b)?);
        core.add_friend(&sa, b).await?;
        core.add_friend(&sb, a).await?;
        let room = core.open_direct(&sa, sb.user).await?.id;
        let mut last = Seq::ZERO;
        for (k, &(second, text)) in lines.iter().enumerate() {
            let who = if second { &sb } else { &sa };
            last = say(core, who, room, format!("demo-{a}-{b}-{k}"), text).await?;
        }
        // The first person has read everything; the second is one behind.
        core.mark_read(&sa, room, last).await?;
        core.mark_read(&sb, room, Seq(last.0 - 1)).await?;
        bar.inc(1);
    }
    for (g, (title, members, lines)) in GROUPS.iter().enumerate() {
        bar.set_message(*title);
        let owner = by_handle(members[0])?;
        let existing = core.rooms(&owner).await?.into_iter().find(|r| r.title == *title);
        let room = match existing {
            Some(r) => r.id,
            None => {
                let mut ids = Vec::new();
                for m in &members[1..] {
                    ids.push(by_handle(m)?.user);
                }
                core.create_group(
                    &owner,
                    CreateGroupRequest {
                        title: (*title).into(),
                        member_ids: ids,
                    },
                )
                .await?
                .id
            }
        };
        let mut seqs = Vec::new();
        for (k, &(who, text)) in lines.iter().enumerate() {
            seqs.push(say(core, &by_handle(who)?, room, format!("demo-g{g}-{k}"), text).await?);
        }
        // The first group has the assistant, where the server runs a model.
        if g == 0 {
            match core.set_assistant(&owner, room, true).await {
                Ok(_) | Err(Error::FeatureOff(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(&first) = seqs.first() {
            for (m, emoji) in members.iter().skip(1).zip(["👍", "❤️", "😂"]) {
                core.react(&by_handle(m)?, room, first, emoji).await?;
            }
        }
        // Half the members have caught up; the rest see unread counts.
        for (k, m) in members.iter().enumerate() {
            let upto = if k % 2 == 0 {
                seqs.last()
            } else {
                seqs.get(seqs.len() / 2)
            };
            if let Some(&s) = upto {
                core.mark_read(&by_handle(m)?, room, s).await?;
            }
        }
        bar.inc(1);
    }
    bar.set_message("Pungs");
    let people: Vec<(&str, Session)> = PEOPLE.iter().map(|p| p.0).zip(sessions.iter().copied()).collect();
    pungs::seed(core, &people).await?;
    bar.inc(1);
    bar.set_message("shops and channels");
    local::seed(core, &people).await?;
    bar.inc(1);
    openchat::seed(core, &sessions, &bar).await?;
    bar.inc(1);
    bar.finish_with_message("done");
    Ok(PEOPLE
        .iter()
        .map(|&(handle, display_name, _)| DemoLogin { handle, display_name })
        .collect())
}

pub fn print_logins(logins: &[DemoLogin], addr: SocketAddr) {
    println!("\nMadang demo is running on http://{addr}");
    println!("API docs: http://{addr}/api/docs\n");
    println!("Log in with any of these handles; the password is \"{DEMO_PASSWORD}\":");
    for chunk in logins.chunks(4) {
        let row: Vec<String> = chunk
            .iter()
            .map(|l| format!("{:<10} {:<14}", l.handle, l.display_name))
            .collect();
        println!("  {}", row.join("  "));
    }
    println!();
}
