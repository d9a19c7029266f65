//! The demo's neighbourhood: nine businesses run by demo people around
//! Seoul City Hall (where the Local tab starts), thirteen shops within
//! about a kilometre and a half with their hours, coupons (one for
//! regulars only), regulars, channels with friends who consented to
//! different things, posts, a few conversations in a channel's inbox, and
//! campaigns the node's sender delivers by the rules (advertising at
//! night waits for 08:00 like any other). A business that exists already
//! is left as it is, so a re-run adds nothing.

use madang_core::{Core, Session};
use madang_types::api::SendMessageRequest;
use madang_types::channel::{
    CampaignKind, CreateCampaignRequest, CreatePostRequest, FactRequest, PlaceRequest, Segment,
};
use madang_types::local::{
    AddAgentRequest, ConsentsRequest, CreateBusinessRequest, CreateChannelRequest, CreateCouponRequest,
    CreateShopRequest, OpeningHours,
};
use madang_types::{ChannelId, ClientMsgId, Millis, ShopId};
use std::collections::BTreeMap;

/// Seoul City Hall.
const CENTRE: (f64, f64) = (37.5663, 126.9779);
/// Metres per degree of latitude; of longitude it is this times cos(lat).
const M_PER_DEG: f64 = 111_195.0;
const DAY_MS: i64 = 86_400_000;

struct ShopSeed {
    name: &'static str,
    category: &'static str,
    address: &'static str,
    /// Metres north and east of City Hall.
    north: f64,
    east: f64,
    hours: (&'static str, &'static str),
    phone: &'static str,
    /// (title, description, quantity, per person, regulars only)
    coupons: &'static [(&'static str, &'static str, i64, i64, bool)],
}

struct BusinessSeed {
    owner: &'static str,
    agents: &'static [&'static str],
    name: &'static str,
    channel: (&'static str, &'static str, &'static str),
    posts: &'static [&'static str],
    shops: &'static [ShopSeed],
}

const BUSINESSES: &[BusinessSeed] = &[
    BusinessSeed {
        owner: "jiwoo",
        agents: &["minji"],
        name: "마당 커피",
        channel: (
            "madang_coffee",
            "마당 커피",
            "시청·을지로·명동의 동네 커피집. 원두는 매주 볶아요.",
        ),
        posts: &[
            "이번 주 원두는 에티오피아 예가체프예요. 꽃향이 좋아요 ☕",
            "시청점 2층 좌석을 새로 꾸몄어요. 노트북 하기 좋은 자리가 늘었어요.",
        ],
        shops: &[
            ShopSeed {
                name: "마당 커피 시청점",
                category: "cafe",
                address: "서울 중구 세종대로 110",
                north: 180.0,
                east: 90.0,
                hours: ("07:30", "22:00"),
                phone: "02-730-1101",
                coupons: &[
                    ("아메리카노 1+1", "두 잔 주문하면 한 잔 값", 100, 1, false),
                    ("단골 전용 라떼 50%", "단골 손님께만 드려요", 30, 1, true),
                ],
            },
            ShopSeed {
                name: "마당 커피 을지로점",
                category: "cafe",
                address: "서울 중구 을지로 50",
                north: -320.0,
                east: 720.0,
                hours: ("08:00", "21:00"),
                phone: "02-730-1102",
                coupons: &[],
            },
            ShopSeed {
                name: "마당 커피 명동점",
                category: "cafe",
                address: "서울 중구 명동길 14",
                north: -480.0,
                east: 930.0,
                hours: ("09:00", "23:00"),
                phone: "02-730-1103",
                coupons: &[],
            },
        ],
    },
    BusinessSeed {
        owner: "sua",
        agents: &[],
        name: "을지로 국수",
        channel: (
            "euljiro_noodle",
            "을지로 국수",
            "칼국수와 해장국, 반세기 동안 같은 육수.",
        ),
        posts: &["오늘부터 겨울 메뉴 들깨 칼국수 시작합니다."],
        shops: &[
            ShopSeed {
                name: "을지로 칼국수",
                category: "restaurant",
                address: "서울 중구 을지로 112",
                north: -60.0,
                east: 1480.0,
                hours: ("11:00", "21:00"),
                phone: "02-2265-2201",
                coupons: &[("만두 서비스", "칼국수 주문 시 왕만두 2개", 50, 1, false)],
            },
            ShopSeed {
                name: "무교동 해장국",
                category: "restaurant",
                address: "서울 중구 무교로 19",
                north: 260.0,
                east: 240.0,
                hours: ("06:00", "15:00"),
                phone: "02-2265-2202",
                coupons: &[],
            },
        ],
    },
    BusinessSeed {
        owner: "daeun",
        agents: &[],
        name: "보리 베이커리",
        channel: (
            "bori_bakery",
            "보리 베이커리",
            "정동길의 작은 빵집. 아침 8시에 첫 빵이 나와요.",
        ),
        posts: &["우리밀 식빵이 매일 오전 10시, 오후 3시에 나와요 🍞"],
        shops: &[ShopSeed {
            name: "보리 베이커리",
            category: "bakery",
            address: "서울 중구 정동길 21",
            north: 140.0,
            east: -460.0,
            hours: ("08:00", "20:00"),
            phone: "02-755-3301",
            coupons: &[("식빵 1,000원 할인", "우리밀 식빵", 80, 2, false)],
        }],
    },
    BusinessSeed {
        owner: "jiho",
        agents: &[],
        name: "시청 피트니스",
        channel: ("cityhall_gym", "시청 피트니스", "출근 전, 퇴근 후 한 시간."),
        posts: &["새벽 6시 오픈! 출근 전 30분 코스 운영합니다 💪"],
        shops: &[ShopSeed {
            name: "시청 피트니스",
            category: "fitness",
            address: "서울 중구 세종대로 124 지하 1층",
            north: -100.0,
            east: -80.0,
            hours: ("06:00", "23:00"),
            phone: "02-755-4401",
            coupons: &[("1일 무료 체험", "샤워실 포함", 20, 1, false)],
        }],
    },
    BusinessSeed {
        owner: "yuna",
        agents: &[],
        name: "꽃 한 다발",
        channel: ("flower_bunch", "꽃 한 다발", "계절 꽃으로 만드는 작은 다발."),
        posts: &["이번 주는 튤립이 예뻐요 🌷"],
        shops: &[ShopSeed {
            name: "꽃 한 다발 덕수궁점",
            category: "flowers",
            address: "서울 중구 덕수궁길 15",
            north: -120.0,
            east: -300.0,
            hours: ("10:00", "19:00"),
            phone: "02-755-5501",
            coupons: &[],
        }],
    },
    BusinessSeed {
        owner: "seoyeon",
        agents: &[],
        name: "광화문 책방",
        channel: ("gwanghwamun_books", "광화문 책방", "읽을 만한 책만 골라 둡니다."),
        posts: &["이달의 책: 파친코. 북클럽은 매월 마지막 목요일이에요 📖"],
        shops: &[ShopSeed {
            name: "광화문 책방",
            category: "books",
            address: "서울 종로구 세종대로 172",
            north: 900.0,
            east: 40.0,
            hours: ("10:00", "22:00"),
            phone: "02-735-6601",
            coupons: &[],
        }],
    },
    BusinessSeed {
        owner: "james",
        agents: &[],
        name: "Night Owl",
        channel: (
            "night_owl",
            "Night Owl",
            "Craft beer in Dadong, open past midnight.",
        ),
        posts: &["New on tap this week: a Jeju tangerine IPA 🍊"],
        shops: &[ShopSeed {
            name: "Night Owl",
            category: "bar",
            address: "서울 중구 다동길 24",
            north: 350.0,
            east: 450.0,
            hours: ("18:00", "02:00"),
            phone: "02-777-7701",
            coupons: &[("Happy hour 2-for-1", "Before 20:00", 40, 1, false)],
        }],
    },
    BusinessSeed {
        owner: "jaewon",
        agents: &[],
        name: "마당24",
        channel: ("madang24", "마당24 편의점", "24시간 열려 있는 우리 동네 편의점."),
        posts: &[],
        shops: &[
            ShopSeed {
                name: "마당24 시청광장점",
                category: "convenience",
                address: "서울 중구 세종대로 101",
                north: -30.0,
                east: 60.0,
                hours: ("00:00", "00:00"),
                phone: "02-777-8801",
                coupons: &[],
            },
            ShopSeed {
                name: "마당24 명동점",
                category: "convenience",
                address: "서울 중구 명동8길 27",
                north: -600.0,
                east: 700.0,
                hours: ("00:00", "00:00"),
                phone: "02-777-8802",
                coupons: &[],
            },
        ],
    },
    BusinessSeed {
        owner: "doyoon",
        agents: &[],
        name: "온누리 약국",
        channel: (
            "onnuri_pharmacy",
            "시청 온누리약국",
            "처방전 문의는 채널로 주세요.",
        ),
        posts: &[],
        shops: &[ShopSeed {
            name: "시청 온누리약국",
            category: "pharmacy",
            address: "서울 중구 남대문로 9길 12",
            north: -250.0,
            east: 150.0,
            hours: ("09:00", "19:00"),
            phone: "02-777-9901",
            coupons: &[],
        }],
    },
];

/// A point `north` and `east` metres from City Hall.
fn place(north: f64, east: f64) -> (f64, f64) {
    let lat = CENTRE.0 + north / M_PER_DEG;
    let lon = CENTRE.1 + east / (M_PER_DEG * CENTRE.0.to_radians().cos());
    (lat, lon)
}

fn text(client_id: String, text: &str) -> SendMessageRequest {
    SendMessageRequest {
        client_id: ClientMsgId(client_id),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
        attachment: None,
        voice: None,
        thread_root: None,
        buttons: Vec::new(),
    }
}

/// Seeds the neighbourhood; `people` are the demo accounts by handle.
pub(super) async fn seed(core: &Core, people: &[(&str, Session)]) -> anyhow::Result<()> {
    let who = |h: &str| people.iter().find(|p| p.0 == h).map(|p| p.1);
    let now = Millis(time::OffsetDateTime::now_utc().unix_timestamp() * 1000);
    // Everyone lives somewhere around the centre, in Seoul's time.
    for (i, (_, s)) in people.iter().enumerate() {
        let (lat, lon) = place(
            ((i * 37) % 23) as f64 * 90.0 - 1000.0,
            ((i * 53) % 29) as f64 * 80.0 - 1100.0,
        );
        let req = PlaceRequest {
            time_zone: Some("Asia/Seoul".into()),
            lat: Some(lat),
            lon: Some(lon),
            clear_neighbourhood: false,
        };
        core.set_place(s, req).await?;
    }
    for (b, seed) in BUSINESSES.iter().enumerate() {
        let Some(owner) = who(seed.owner) else { continue };
        if core
            .my_businesses(&owner)
            .await?
            .iter()
            .any(|x| x.name == seed.name)
        {
            continue;
        }
        let business = core
            .create_business(
                &owner,
                CreateBusinessRequest {
                    name: seed.name.into(),
                },
            )
            .await?
            .id;
        for agent in seed.agents {
            core.add_agent(
                &owner,
                business,
                AddAgentRequest {
                    handle: (*agent).into(),
                },
            )
            .await?;
        }
        let (handle, name, description) = seed.channel;
        let channel = core
            .create_channel(
                &owner,
                business,
                CreateChannelRequest {
                    handle: handle.into(),
                    name: name.into(),
                    description: description.into(),
                },
            )
            .await?
            .id;
        for post in seed.posts {
            let req = CreatePostRequest {
                text: (*post).into(),
                photos: Vec::new(),
            };
            core.create_post(&owner, channel, req).await?;
        }
        let mut shops = Vec::new();
        for shop in seed.shops {
            let (lat, lon) = place(shop.north, shop.east);
            let hours = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .map(|d| OpeningHours {
                    day: (*d).into(),
                    open: shop.hours.0.into(),
                    close: shop.hours.1.into(),
                })
                .collect();
            let req = CreateShopRequest {
                business_id: business,
                channel_id: Some(channel),
                name: shop.name.into(),
                category: shop.category.into(),
                description: String::new(),
                address: shop.address.into(),
                lat,
                lon,
                time_zone: "Asia/Seoul".into(),
                hours,
                photos: Vec::new(),
                phone: shop.phone.into(),
            };
            let id = core.create_shop(&owner, req).await?.id;
            shops.push(id);
            for &(title, description, quantity, per_person, regulars_only) in shop.coupons {
                let req = CreateCouponRequest {
                    title: title.into(),
                    description: description.into(),
                    quantity,
                    per_person: Some(per_person),
                    regulars_only,
                    starts_at: None,
                    ends_at: Millis(now.0 + 14 * DAY_MS),
                };
                core.create_coupon(&owner, id, req).await?;
            }
        }
        customers(core, people, b, channel, &shops).await?;
        if b == 0 {
            coffee_inbox_and_campaigns(core, people, &owner, channel, shops[0]).await?;
        }
        if seed.owner == "daeun" {
            let req = CreateCampaignRequest {
                name: "오후 빵 알림".into(),
                kind: CampaignKind::Advertising,
                template: "#{name}님, 갓 구운 #{bread} 나왔어요! 오늘 오후 3시부터.".into(),
                variables: BTreeMap::from([("bread".into(), "우리밀 식빵".into())]),
                attributes: Vec::new(),
                segment: Segment::default(),
                send_at: None,
                rewrite: false,
            };
            core.create_campaign(&owner, channel, req).await?;
        }
    }
    Ok(())
}

/// Friends of the channel with different consents, regulars of its
/// shops, and a few coupons claimed.
async fn customers(
    core: &Core,
    people: &[(&str, Session)],
    b: usize,
    channel: ChannelId,
    shops: &[ShopId],
) -> anyhow::Result<()> {
    for (i, (_, s)) in people.iter().enumerate() {
        // About half of everyone follows each channel, a different half
        // each; the first person follows them all.
        if i != 0 && (i + b) % 2 == 1 {
            continue;
        }
        let consents = ConsentsRequest {
            informational: Some(true),
            marketing: Some(i % 3 != 2),
            marketing_night: Some(i % 3 == 0),
        };
        core.add_channel(s, channel, consents).await?;
        if let Some(&shop) = shops.first()
            && (i + b).is_multiple_of(4)
        {
            core.set_regular(s, shop, true).await?;
        }
    }
    let coupons = match shops.first() {
        Some(&shop) => core.shop_coupons(&people[0].1, shop).await?,
        None => Vec::new(),
    };
    if let Some(c) = coupons.iter().find(|c| !c.regulars_only) {
        for (_, s) in people.iter().step_by(5) {
            core.claim_coupon(s, c.id).await?;
        }
    }
    Ok(())
}

/// People asking the coffee shop things, one answered by its owner, and
/// its two campaigns: a notice to everyone and an offer to regulars.
async fn coffee_inbox_and_campaigns(
    core: &Core,
    people: &[(&str, Session)],
    owner: &Session,
    channel: ChannelId,
    shop: ShopId,
) -> anyhow::Result<()> {
    let questions = [
        ("minji", "안녕하세요! 시청점 오늘 몇 시까지 하나요?"),
        ("emma", "Hi! Do you have oat milk?"),
        ("minjun", "20명 단체 주문도 가능할까요? 내일 오전 10시요."),
    ];
    for (k, (handle, q)) in questions.iter().enumerate() {
        let Some((_, s)) = people.iter().find(|p| p.0 == *handle) else {
            continue;
        };
        let room = core.my_channel_room(s, channel).await?.id;
        core.send_message(s, room, text(format!("demo-inbox-{k}"), q))
            .await?;
        if k == 0 {
            let answer = text(
                "demo-inbox-answer-0".into(),
                "오늘은 밤 10시까지 해요. 기다릴게요 ☕",
            );
            core.inbox_reply(owner, channel, room, answer).await?;
        }
    }
    let notice = CreateCampaignRequest {
        name: "일요일 영업 안내".into(),
        kind: CampaignKind::Informational,
        template: "#{name}님, 이번 주 일요일 시청점은 20시에 문을 닫아요. 양해 부탁드려요.".into(),
        variables: BTreeMap::new(),
        attributes: Vec::new(),
        segment: Segment::default(),
        send_at: None,
        rewrite: false,
    };
    core.create_campaign(owner, channel, notice).await?;
    let offer = CreateCampaignRequest {
        name: "단골 딸기 라떼".into(),
        kind: CampaignKind::Advertising,
        template: "#{name}님, 이번 주 #{menu} 1+1! 시청점에서 기다릴게요.".into(),
        variables: BTreeMap::from([("menu".into(), "딸기 라떼".into())]),
        attributes: Vec::new(),
        segment: Segment {
            regulars_of: Some(shop),
            ..Segment::default()
        },
        send_at: None,
        // Reworded by the on-box model when one runs here.
        rewrite: core.ai_offer().campaign_copy,
    };
    core.create_campaign(owner, channel, offer).await?;
    // The assistant answers the next customers (those above were the
    // people's): from these, and the shop's hours, address and coupons.
    let facts = [
        (
            "오트밀크 있나요?",
            "네, 모든 라떼를 오트밀크로 바꿔 드려요. 500원 추가예요.",
        ),
        (
            "단체 주문 되나요?",
            "10잔 이상은 하루 전까지 채널로 주문해 주세요.",
        ),
        ("와이파이 비밀번호가 뭐예요?", "영수증 아래에 적혀 있어요."),
    ];
    for (question, answer) in facts {
        let req = FactRequest {
            question: question.into(),
            answer: answer.into(),
        };
        core.add_fact(owner, channel, req).await?;
    }
    match core.set_channel_assistant(owner, channel, true).await {
        Ok(_) | Err(madang_core::Error::FeatureOff(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
