//! Demo Pungs: text cards, decorated ones (sticker, poll, link, place) and
//! photos drawn here, from about a dozen people, with views, reactions,
//! votes and a few replies, so the ring row and the viewers list have
//! something to show. Client ids carry today's date: a re-run the same day
//! finds what it posted, and the next day seeds a fresh day of Pungs while
//! yesterday's expire and are purged.

use bytes::Bytes;
use madang_core::{Core, Session};
use madang_types::pung::{Audience, AudienceMode, CreatePungRequest, Layer, PungReplyRequest};
use madang_types::{ClientMsgId, PungId};

/// What a demo Pung looks like.
enum Look {
    Card(&'static str),
    Photo(Scene),
}

/// A photo drawn for the demo (no image files ship with it).
#[derive(Clone, Copy)]
enum Scene {
    Sunset,
    Sea,
    Mountain,
}

struct DemoPung {
    author: &'static str,
    text: &'static str,
    look: Look,
    layers: fn() -> Vec<Layer>,
    hours: i64,
}

fn none() -> Vec<Layer> {
    Vec::new()
}

fn sticker(emoji: &str, x: f64, y: f64) -> Layer {
    Layer::Sticker {
        emoji: emoji.into(),
        x,
        y,
        scale: 1.6,
        rotation: -12.0,
    }
}

fn place(name: &str, lat: f64, lng: f64) -> Layer {
    Layer::Location {
        name: name.into(),
        lat,
        lng,
        x: 0.5,
        y: 0.86,
    }
}

const PUNGS: &[DemoPung] = &[
    DemoPung {
        author: "seojun",
        text: "백운대 정상 도착! ⛰️",
        look: Look::Photo(Scene::Mountain),
        layers: || {
            vec![
                place("북한산 백운대", 37.6587, 126.9779),
                sticker("🙌", 0.8, 0.15),
            ]
        },
        hours: 24,
    },
    DemoPung {
        author: "minji",
        text: "이번 주말 뭐 할까?",
        look: Look::Card("#ff7a59"),
        layers: || {
            vec![Layer::Poll {
                question: "토요일 계획".into(),
                options: vec!["등산".into(), "전시회".into(), "집에서 쉬기".into()],
                x: 0.5,
                y: 0.75,
            }]
        },
        hours: 24,
    },
    DemoPung {
        author: "haeun",
        text: "제주 바다 색 실화? 🌊",
        look: Look::Photo(Scene::Sea),
        layers: || vec![place("협재 해수욕장", 33.3940, 126.2397)],
        hours: 48,
    },
    DemoPung {
        author: "jiwoo",
        text: "오늘의 라떼 ☕\n성수동 새 카페",
        look: Look::Card("#8a5a44"),
        layers: || {
            vec![
                sticker("☕", 0.2, 0.15),
                place("성수동 카페거리", 37.5446, 127.0557),
            ]
        },
        hours: 24,
    },
    DemoPung {
        author: "emma",
        text: "Finally tried 떡볶이 at Gwangjang Market 🌶️",
        look: Look::Card("#e84393"),
        layers: || {
            vec![
                sticker("🔥", 0.82, 0.2),
                place("Gwangjang Market", 37.5701, 126.9996),
            ]
        },
        hours: 24,
    },
    DemoPung {
        author: "noah",
        text: "30 km long run done. Marathon in 3 weeks!",
        look: Look::Photo(Scene::Sunset),
        layers: || vec![sticker("🏃", 0.2, 0.2)],
        hours: 24,
    },
    DemoPung {
        author: "ava",
        text: "Book club pick for next month?",
        look: Look::Card("#1e90ff"),
        layers: || {
            vec![Layer::Poll {
                question: "Vote!".into(),
                options: vec!["Pachinko".into(), "Kim Jiyoung, Born 1982".into()],
                x: 0.5,
                y: 0.72,
            }]
        },
        hours: 48,
    },
    DemoPung {
        author: "jia",
        text: "우리 고양이 낮잠 시간 🐈",
        look: Look::Card("#2e8b57"),
        layers: || vec![sticker("💤", 0.75, 0.25)],
        hours: 12,
    },
    DemoPung {
        author: "yejun",
        text: "배포 완료. 오늘은 칼퇴 🎉",
        look: Look::Card("#191919"),
        layers: || {
            vec![Layer::Link {
                url: "https://github.com".into(),
                label: Some("릴리스 노트".into()),
                x: 0.5,
                y: 0.78,
            }]
        },
        hours: 24,
    },
    DemoPung {
        author: "sophia",
        text: "Haeundae at golden hour",
        look: Look::Photo(Scene::Sunset),
        layers: || vec![place("Haeundae Beach", 35.1587, 129.1604)],
        hours: 24,
    },
    DemoPung {
        author: "sua",
        text: "을지로 노포 투어 2차 🍻",
        look: Look::Card("#f5b700"),
        layers: || vec![sticker("🍻", 0.5, 0.2)],
        hours: 24,
    },
    DemoPung {
        author: "chloe",
        text: "Trail was icy today, bring gloves!",
        look: Look::Photo(Scene::Mountain),
        layers: none,
        hours: 24,
    },
];

/// Replies some friends send: (author of the Pung, replier, text).
const REPLIES: &[(&str, &str, &str)] = &[
    ("seojun", "minji", "와 날씨 진짜 좋다! 다음엔 나도 갈래"),
    ("emma", "minji", "맵지 않았어요? 😂"),
    ("haeun", "jiwoo", "부럽다… 기념품 부탁해 🙏"),
    ("noah", "liam", "Beast mode. Pasta on me after the race 🍝"),
];

/// A 360×640 picture of `scene`, as PNG.
fn draw(scene: Scene) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (360u32, 640u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let t = y as f32 / h as f32;
        let mix = |a: [u8; 3], b: [u8; 3], t: f32| -> image::Rgb<u8> {
            let t = t.clamp(0.0, 1.0);
            image::Rgb([0, 1, 2].map(|i| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t) as u8))
        };
        match scene {
            Scene::Sunset => {
                let sun = ((x as f32 - 180.0).powi(2) + (y as f32 - 380.0).powi(2)).sqrt() < 60.0;
                if sun {
                    image::Rgb([255, 214, 120])
                } else if y > 420 {
                    mix([40, 60, 120], [10, 20, 50], (t - 0.65) * 3.0)
                } else {
                    mix([255, 120, 80], [120, 60, 160], 1.0 - t * 1.5)
                }
            }
            Scene::Sea => {
                if y < 260 {
                    mix([120, 200, 255], [200, 235, 255], t * 2.5)
                } else if y < 500 {
                    let wave = ((x as f32 / 18.0 + y as f32 / 7.0).sin() * 12.0) as i32;
                    let v = mix([20, 160, 190], [10, 90, 150], (t - 0.4) * 2.5);
                    image::Rgb(v.0.map(|c| (c as i32 + wave).clamp(0, 255) as u8))
                } else {
                    mix([240, 220, 170], [220, 195, 140], (t - 0.78) * 4.0)
                }
            }
            Scene::Mountain => {
                let ridge = 300.0 + ((x as f32 / 40.0).sin() * 60.0) + ((x as f32 / 13.0).cos() * 15.0);
                if (y as f32) < ridge {
                    mix([150, 190, 230], [230, 240, 250], t * 1.8)
                } else {
                    mix([70, 110, 80], [30, 55, 40], (t - 0.45) * 2.0)
                }
            }
        }
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// Seeds the day's Pungs for the demo people (`(handle, session)`).
pub(super) async fn seed(core: &Core, people: &[(&str, Session)]) -> anyhow::Result<()> {
    let session = |handle: &str| -> anyhow::Result<Session> {
        people
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, s)| *s)
            .ok_or_else(|| anyhow::anyhow!("unknown demo person {handle}"))
    };
    let day = time::OffsetDateTime::now_utc().date();
    let mut posted: Vec<(&'static str, PungId)> = Vec::new();
    for (k, p) in PUNGS.iter().enumerate() {
        let me = session(p.author)?;
        let client_id = ClientMsgId(format!("demo-pung-{day}-{k}"));
        let mine = core.pung_feed(&me).await?.mine;
        if let Some(existing) = mine.iter().find(|x| x.text == p.text) {
            posted.push((p.author, existing.id));
            continue;
        }
        let (background, photo) = match p.look {
            Look::Card(colour) => (Some(colour.to_owned()), None),
            Look::Photo(scene) => {
                let up = core.upload_pung_photo(&me, Bytes::from(draw(scene)?)).await?;
                (None, Some(up.media_id))
            }
        };
        let req = CreatePungRequest {
            client_id,
            text: p.text.into(),
            background,
            photo,
            layers: (p.layers)(),
            audience: Audience {
                mode: AudienceMode::Friends,
                user_ids: Vec::new(),
            },
            duration_hours: Some(p.hours),
            tags: Vec::new(),
        };
        posted.push((p.author, core.post_pung(&me, req).await?.id));
    }
    // One in three of each audience has viewed it (so whoever logs in sees
    // mostly unseen rings); some react, and vote where there is a poll.
    for (i, &(author, pung)) in posted.iter().enumerate() {
        let shown = core.pung(&session(author)?, pung).await?;
        let audience = shown.shared_with.unwrap_or_default();
        let options = shown.layers.iter().find_map(|l| match l {
            Layer::Poll { options, .. } => Some(options.len()),
            _ => None,
        });
        let viewers = people
            .iter()
            .filter(|(_, s)| audience.contains(&s.user))
            .enumerate()
            .filter(|(j, _)| (i + j) % 3 == 0);
        for (j, (_, who)) in viewers {
            core.view_pung(who, pung).await?;
            if j % 2 == 0 {
                let emoji = ["❤️", "😂", "👏", "🔥"][(i + j) % 4];
                core.react_pung(who, pung, emoji).await?;
            }
            if let Some(n) = options {
                core.vote_pung(who, pung, ((i + j) % n) as i64).await?;
            }
        }
    }
    for (n, &(author, replier, text)) in REPLIES.iter().enumerate() {
        let Some(&(_, pung)) = posted.iter().find(|(a, _)| *a == author) else {
            continue;
        };
        let me = session(replier)?;
        if core.pung(&me, pung).await.is_err() {
            continue; // not friends both ways in this world
        }
        let req = PungReplyRequest {
            client_id: ClientMsgId(format!("demo-pung-reply-{day}-{n}")),
            text: text.into(),
        };
        core.reply_pung(&me, pung, req).await?;
    }
    Ok(())
}
