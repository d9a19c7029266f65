//! Demo open chats: a few hundred rooms in Korean and English across the
//! categories, hosted by the demo people under nicknames, joined by a
//! crowd of members who each follow two topics and mostly join rooms of
//! those topics (so recommendations have something real to learn), with
//! some history. Deterministic: the same world on every run, and a re-run
//! finds what it made.

use super::Lcg;
use anyhow::Context;
use indicatif::ProgressBar;
use madang_core::safety::Authority;
use madang_core::{Core, Error, Session};
use madang_types::openchat::{
    CreateOpenChatRequest, JoinAs, JoinOpenChatRequest, OpenChatKind, SpamLabelRequest, Visibility,
};
use madang_types::{OpenChatId, RoomId};
use std::collections::HashMap;

/// A topic: its category, hashtags, and room names in Korean and English
/// (`{r}` is a region).
struct Topic {
    category: &'static str,
    tags: &'static [&'static str],
    names: &'static [&'static str],
    lines: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        category: "food",
        tags: &["맛집", "먹방", "food"],
        names: &["{r} 맛집 탐방", "{r}맛집지도", "{R} foodies", "{r} 혼밥 모임"],
        lines: &[
            "오늘 점심 어디 갈까요?",
            "여기 웨이팅 30분이에요",
            "Any good ramen around?",
            "국밥 최고 🍲",
        ],
    },
    Topic {
        category: "outdoors",
        tags: &["등산", "hiking", "캠핑"],
        names: &["{r} 등산 모임", "{R} hiking club", "{r} 주말 캠핑", "{r} 산악회"],
        lines: &[
            "토요일 8시 출발해요",
            "Trail was muddy today",
            "장갑 꼭 챙기세요",
            "정상 사진 공유합니다 ⛰️",
        ],
    },
    Topic {
        category: "books",
        tags: &["독서", "books", "책"],
        names: &["{r} 독서 모임", "{R} book club", "한 달 한 권", "{r} 북클럽"],
        lines: &[
            "이번 달 책은 뭐로 할까요?",
            "Finished chapter 5!",
            "밑줄 친 문장 공유해요",
            "다음 모임은 카페에서",
        ],
    },
    Topic {
        category: "tech",
        tags: &["개발", "rust", "코딩"],
        names: &["{r} 개발자 모임", "Rust in {R}", "코딩 스터디 {r}", "{R} devs"],
        lines: &[
            "러스트 비동기 질문 있어요",
            "PR 리뷰 부탁드려요",
            "Anyone tried the new compiler?",
            "배포 성공 🎉",
        ],
    },
    Topic {
        category: "music",
        tags: &["음악", "kpop", "밴드"],
        names: &["{r} 밴드 합주", "K-pop fans {R}", "{r} 버스킹", "{r} 음악 감상실"],
        lines: &[
            "오늘 신곡 들어보셨어요?",
            "합주실 예약했어요",
            "Concert tickets are out!",
            "기타 줄 추천해주세요",
        ],
    },
    Topic {
        category: "pets",
        tags: &["고양이", "강아지", "pets"],
        names: &[
            "{r} 고양이 집사",
            "{r} 강아지 산책",
            "{R} pet parents",
            "{r} 반려동물",
        ],
        lines: &[
            "우리 애 사진 보세요 🐈",
            "산책로 추천해요",
            "Vet recommendations?",
            "간식 뭐 주세요?",
        ],
    },
    Topic {
        category: "study",
        tags: &["영어", "토익", "공부"],
        names: &[
            "{r} 토익 스터디",
            "English club {R}",
            "{r} 공부방",
            "{r} 영어 회화",
        ],
        lines: &[
            "오늘 단어 50개 인증",
            "Let's practice speaking",
            "모의고사 점수 올랐어요",
            "화이팅!",
        ],
    },
    Topic {
        category: "finance",
        tags: &["재테크", "주식", "finance"],
        names: &[
            "{r} 재테크 스터디",
            "{R} investors",
            "월급쟁이 재테크",
            "{r} 부동산 공부",
        ],
        lines: &[
            "오늘 장 어땠나요?",
            "분산 투자가 답",
            "Any index fund tips?",
            "가계부 공유합니다",
        ],
    },
    Topic {
        category: "games",
        tags: &["게임", "gaming", "롤"],
        names: &["{r} 게이머 모임", "{R} gamers", "{r} 보드게임", "롤 듀오 {r}"],
        lines: &[
            "오늘 밤 한 판?",
            "New patch is out",
            "보드게임 카페 가요",
            "GG 👍",
        ],
    },
    Topic {
        category: "travel",
        tags: &["여행", "travel", "제주"],
        names: &[
            "{r} 여행 동행",
            "{R} travelers",
            "{r} 당일치기",
            "제주 한 달 살기",
        ],
        lines: &[
            "다음 주 제주 가요",
            "Any tips for Busan?",
            "숙소 추천 부탁해요",
            "사진 명소 공유 📸",
        ],
    },
    Topic {
        category: "sports",
        tags: &["러닝", "running", "축구"],
        names: &["{r} 러닝 크루", "{R} runners", "{r} 조기축구", "{r} 마라톤 준비"],
        lines: &[
            "오늘 10km 완주!",
            "Morning run at 6?",
            "무릎 조심하세요",
            "대회 신청했어요 🏃",
        ],
    },
    Topic {
        category: "parenting",
        tags: &["육아", "parenting"],
        names: &[
            "{r} 육아 맘 모임",
            "{R} parents",
            "{r} 아빠 육아",
            "{r} 키즈카페 정보",
        ],
        lines: &[
            "이유식 추천해주세요",
            "Playdate this weekend?",
            "어린이집 정보 공유",
            "잠 좀 자고 싶다 😴",
        ],
    },
];

const REGIONS: &[(&str, &str)] = &[
    ("서울", "Seoul"),
    ("부산", "Busan"),
    ("대구", "Daegu"),
    ("인천", "Incheon"),
    ("광주", "Gwangju"),
    ("대전", "Daejeon"),
    ("제주", "Jeju"),
    ("강남", "Gangnam"),
    ("홍대", "Hongdae"),
    ("성수", "Seongsu"),
];

const SURNAMES: &[&str] = &[
    "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오",
];
const GIVEN: &[&str] = &[
    "지훈", "서연", "민서", "도현", "하윤", "예린", "준우", "수빈", "지호", "유진", "현우", "다인", "시우",
    "채원",
];
const FIRST: &[&str] = &[
    "Alex", "Jamie", "Sam", "Taylor", "Jordan", "Casey", "Riley", "Morgan",
];
const LAST: &[&str] = &["Lee", "Kim", "Smith", "Park", "Brown", "Jones", "Choi", "Miller"];

/// Crowd members, on top of the named demo people.
pub(super) const MEMBERS: usize = 240;
const ROOMS_PER_TOPIC: usize = 25;

fn member_name(i: usize) -> String {
    if i % 3 == 2 {
        format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i / FIRST.len()) % LAST.len()]
        )
    } else {
        format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i / SURNAMES.len()) % GIVEN.len()]
        )
    }
}

async fn member(core: &Core, i: usize) -> anyhow::Result<Session> {
    super::account(core, &format!("member{i:03}"), &member_name(i), None).await
}

/// A demo room: its topic and its name.
struct Planned {
    topic: usize,
    title: String,
    hashtags: Vec<String>,
    description: String,
}

fn plan(rng: &mut Lcg) -> Vec<Planned> {
    let mut out = Vec::new();
    for (t, topic) in TOPICS.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        while seen.len() < ROOMS_PER_TOPIC {
            let (ko, en) = REGIONS[rng.next(REGIONS.len())];
            let name = topic.names[rng.next(topic.names.len())]
                .replace("{r}", ko)
                .replace("{R}", en);
            if name.chars().count() < 30 && seen.insert(name.clone()) {
                let mut hashtags: Vec<String> = topic.tags.iter().map(|s| (*s).to_owned()).collect();
                hashtags.push(ko.to_owned());
                out.push(Planned {
                    topic: t,
                    description: format!(
                        "{ko}에서 {} 좋아하는 사람들 모여라 · {en} {} people welcome",
                        topic.tags[0], topic.category
                    ),
                    title: name,
                    hashtags,
                });
            }
        }
    }
    out
}

/// Says a line in an open chat; the flood guard may refuse a crowd of
/// identical lines, which are skipped.
async fn say(core: &Core, who: &Session, room: RoomId, client_id: String, text: &str) -> anyhow::Result<()> {
    match super::say(core, who, room, client_id, text).await {
        Ok(_) | Err(Error::Flooding { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Seeds the open chats; `hosts` are the named demo people.
/// What the demo's operator labelled for spam screening: messages like
/// the first four are held for the host in every open chat; like the last
/// two, they are not.
const SPAM_LABELS: [(&str, bool); 6] = [
    ("하루 30만원 재택 부업! 자세한 건 프로필 링크로 DM 주세요", true),
    ("코인 리딩방 무료 입장, 수익 보장합니다. 링크 클릭", true),
    (
        "Earn $500 a day from home! DM me for the crypto investment link",
        true,
    ),
    ("Free followers and likes, click the link in my profile now", true),
    ("이번 주말 등산 같이 가실 분 계신가요?", false),
    ("Is anyone selling a used bike? DM me", false),
];

pub(super) async fn seed(core: &Core, hosts: &[Session], bar: &ProgressBar) -> anyhow::Result<usize> {
    for (text, spam) in SPAM_LABELS {
        let label = SpamLabelRequest {
            text: text.into(),
            spam,
        };
        core.label_spam(&Authority::Console, label).await?;
    }
    let mut rng = Lcg(20_261_123);
    let rooms = plan(&mut rng);
    bar.set_message("open chat members");
    let mut crowd = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        crowd.push(member(core, i).await?);
        if i % 40 == 0 {
            bar.tick();
        }
    }
    // Each crowd member follows two topics.
    let follows: Vec<[usize; 2]> = (0..MEMBERS)
        .map(|i| {
            let a = i % TOPICS.len();
            [
                a,
                (a + 1 + (i / TOPICS.len()) % (TOPICS.len() - 1)) % TOPICS.len(),
            ]
        })
        .collect();
    for (s, f) in crowd.iter().zip(&follows) {
        let tags: Vec<String> = f.iter().map(|&t| TOPICS[t].tags[0].to_owned()).collect();
        core.set_interests(s, &tags).await?;
    }
    bar.set_message("open chats");
    // The rooms, hosted round-robin by the named people; found again by title.
    let mut existing: HashMap<String, OpenChatId> = HashMap::new();
    for host in hosts {
        for r in core.rooms(host).await? {
            if let Some(chat) = r.open_chat {
                existing.insert(r.title.clone(), chat);
            }
        }
    }
    let mut chats: Vec<(OpenChatId, RoomId, usize)> = Vec::with_capacity(rooms.len());
    for (k, p) in rooms.iter().enumerate() {
        let host = &hosts[k % hosts.len()];
        let id = match existing.get(&p.title) {
            Some(&id) => id,
            None => {
                let req = CreateOpenChatRequest {
                    kind: OpenChatKind::Group,
                    title: p.title.clone(),
                    description: p.description.clone(),
                    hashtags: p.hashtags.clone(),
                    category: TOPICS[p.topic].category.into(),
                    cover: None,
                    visibility: Visibility::Public,
                    entry_code: None,
                    real_profile_only: false,
                    member_cap: None,
                    host: JoinAs::Nickname {
                        nickname: format!("방장{}", k % 97),
                    },
                };
                core.create_open_chat(host, req).await?.id
            }
        };
        let room = core
            .open_chat(host, id)
            .await?
            .mine
            .and_then(|m| m.room_id)
            .context("the host's room")?;
        chats.push((id, room, p.topic));
        if k % 25 == 0 {
            bar.tick();
        }
    }
    bar.set_message("members join");
    // Popular rooms: the first few of each topic.
    for (i, s) in crowd.iter().enumerate() {
        let joins = 4 + rng.next(5);
        for j in 0..joins {
            // Mostly rooms of what they follow; sometimes anything.
            let topic = if j % 5 == 4 {
                rng.next(TOPICS.len())
            } else {
                follows[i][j % 2]
            };
            let in_topic: Vec<&(OpenChatId, RoomId, usize)> = chats.iter().filter(|c| c.2 == topic).collect();
            // Skewed: earlier rooms of a topic are more popular.
            let pick = rng.next(in_topic.len()).min(rng.next(in_topic.len()));
            let (chat, room, _) = *in_topic[pick];
            let req = JoinOpenChatRequest {
                profile: JoinAs::Nickname {
                    nickname: format!(
                        "{}{}",
                        ["산토끼", "고양이", "바다", "별빛", "여행자", "러너"][(i + j) % 6],
                        i
                    ),
                },
                entry_code: None,
            };
            match core.join_open_chat(s, chat, req).await {
                Ok(_) | Err(Error::RoomFull(_)) => {}
                Err(e) => return Err(e.into()),
            }
            // Some talk: a line or two from a few of the members.
            if (i + j) % 4 == 0 {
                let lines = TOPICS[topic].lines;
                say(
                    core,
                    s,
                    room,
                    format!("demo-open-{i}-{j}"),
                    lines[(i + j) % lines.len()],
                )
                .await?;
            }
        }
        if i % 20 == 0 {
            bar.tick();
        }
    }
    // The named people join a few rooms too, and follow a topic.
    for (k, s) in hosts.iter().enumerate() {
        let topic = k % TOPICS.len();
        core.set_interests(s, &[TOPICS[topic].tags[0].to_owned()]).await?;
        for (chat, _, _) in chats.iter().filter(|c| c.2 == topic).skip(1 + k % 3).take(2) {
            let req = JoinOpenChatRequest {
                profile: JoinAs::Nickname {
                    nickname: format!("이웃{k}"),
                },
                entry_code: None,
            };
            match core.join_open_chat(s, *chat, req).await {
                Ok(_)
                | Err(Error::RoomFull(_))
                | Err(Error::Invalid {
                    code: "own_open_chat",
                    ..
                }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if let Some(first) = hosts.first() {
        let hosted: Vec<OpenChatId> = chats.iter().step_by(hosts.len().max(1)).map(|c| c.0).collect();
        bar.set_message("earnings");
        super::earnings::seed(core, first, &hosted, &crowd).await?;
    }
    core.refresh_discovery().await?;
    Ok(chats.len())
}
