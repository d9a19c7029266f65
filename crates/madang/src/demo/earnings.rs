//! Demo earnings: the first demo person's busiest open chat sells a
//! monthly tier that some of its members bought, and three ads (one for
//! hikers, one for food lovers, one anywhere) have been seen and clicked
//! in rooms across the world, so the earnings page and the operators' ad
//! list have something to show. A re-run adds nothing: tiers and ads are
//! found again, and subscriptions already active are kept.

use madang_core::safety::Authority;
use madang_core::{Core, Error, Session};
use madang_types::OpenChatId;
use madang_types::earnings::{AdFormat, CreateAdRequest, CreateTierRequest, SubscribeRequest};

/// Seeds tiers, subscriptions and ad traffic. `chats` are the demo's open
/// chats hosted by `host`; `crowd` are members of the world.
pub(super) async fn seed(
    core: &Core,
    host: &Session,
    chats: &[OpenChatId],
    crowd: &[Session],
) -> anyhow::Result<()> {
    if let Some(&chat) = chats.first() {
        let tiers = core.tiers(host, chat, None).await?;
        let tier = match tiers.tiers.first() {
            Some(t) => t.id,
            None => {
                let req = CreateTierRequest {
                    name: "월간 멤버십".into(),
                    description: "매주 코스 추천과 장비 공동구매".into(),
                    price: 4_900,
                    period_days: 30,
                };
                core.create_tier(host, chat, req).await?.id
            }
        };
        for (i, s) in crowd.iter().enumerate().take(12) {
            let req = SubscribeRequest {
                tier_id: tier,
                payment_method: format!("pm_test_ok_demo{i}"),
            };
            match core.subscribe(s, chat, req, None).await {
                Ok(_) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let console = Authority::Console;
    if !core.ads(&console).await?.is_empty() {
        return Ok(());
    }
    let ads = [
        (
            "산으로",
            AdFormat::Banner,
            "겨울 등산화 30% 할인",
            "이번 주말까지",
            vec![],
            vec!["등산", "hiking"],
        ),
        (
            "동네밥상",
            AdFormat::Message,
            "첫 주문 5,000원 쿠폰",
            "우리 동네 맛집 배달",
            vec!["food"],
            vec![],
        ),
        (
            "Madang",
            AdFormat::Banner,
            "Run your own Madang",
            "Self-hosted chat for your community",
            vec![],
            vec![],
        ),
    ];
    for (advertiser, format, title, body, categories, hashtags) in ads {
        let req = CreateAdRequest {
            advertiser: advertiser.into(),
            format,
            title: title.into(),
            body: body.into(),
            link: "https://madang.example/ads".into(),
            categories: categories.into_iter().map(String::from).collect(),
            hashtags: hashtags.into_iter().map(String::from).collect(),
            price_impression: 2,
            price_click: 50,
            budget: 200_000,
            starts_at: None,
            ends_at: None,
        };
        core.create_ad(&console, req).await?;
    }
    // Some traffic: crowd members see the ad placed in one of their rooms;
    // every fourth opens it.
    for (i, s) in crowd.iter().enumerate().take(120) {
        let rooms = core.rooms(s).await?;
        let Some(room) = rooms.iter().find(|r| r.open_chat.is_some()) else {
            continue;
        };
        if let Some(p) = core.place_ad(s, room.id).await? {
            core.ad_impression(s, p.id).await?;
            if i % 4 == 0 {
                core.ad_click(s, p.id).await?;
            }
        }
    }
    Ok(())
}
