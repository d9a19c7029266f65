//! Campaigns through the API with the clock set by the test and people in
//! different time zones: consent, night deferral to 08:00 (delivered then,
//! not dropped), one advertisement a day, the one-tap opt-out, the label,
//! the channel's name and the opt-out line on every advertisement,
//! informational messages outside the ad rules; template checks (unknown,
//! unused and missing variables, over-length); segments; scheduling;
//! stats, with reads counted once however they race; catch-up of a channel
//! room written from every side at once; and who may do what.

use super::business;
use futures::future::join_all;
use madang_testkit::{Client, TestServer, test_limits};
use madang_types::Millis;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// 2026-11-23 (a Monday) 22:00 in Seoul = 13:00 UTC = 08:00 in New York.
const MON_22_KST: i64 = 1_795_438_800_000;
const HOUR: i64 = 3_600_000;

pub(crate) async fn channel(owner: &Client, handle: &str, name: &str) -> (i64, i64) {
    let b = business(owner, name).await;
    let ch = owner
        .post(
            &format!("/api/v1/businesses/{b}/channels"),
            json!({"handle": handle, "name": name}),
        )
        .await;
    assert_eq!(ch.status, 201, "{}", ch.body);
    (b, ch.body["id"].as_i64().unwrap())
}

pub(crate) async fn add(c: &Client, channel: i64, consents: Value) -> Value {
    c.put(&format!("/api/v1/channels/{channel}/friend"), consents)
        .await
        .ok()
}

/// Waits until the campaign reaches one of `statuses`.
pub(crate) async fn settle(c: &Client, id: i64, statuses: &[&str]) -> Value {
    for _ in 0..500 {
        let v = c.get(&format!("/api/v1/campaigns/{id}")).await.ok();
        if statuses.contains(&v["status"].as_str().unwrap_or_default()) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let last = c.get(&format!("/api/v1/campaigns/{id}")).await.body;
    panic!("campaign {id} did not reach {statuses:?}: {last}");
}

/// The campaign messages in `c`'s room with the channel.
async fn received(c: &Client, channel: i64) -> Vec<Value> {
    let room = c.get(&format!("/api/v1/channels/{channel}/room")).await.ok();
    let id = madang_types::RoomId(room["id"].as_i64().unwrap());
    c.all_messages(id)
        .await
        .into_iter()
        .filter(|m| m["campaign_id"].is_i64())
        .collect()
}

fn skips(c: &Value, reason: &str) -> i64 {
    c["stats"]["skipped_by_reason"][reason].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn advertising_rules_hold_per_recipient_with_an_injected_clock_and_time_zones() {
    let limits = madang_core::Limits {
        campaign_poll_ms: 20,
        campaign_batch: 2,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    srv.clock.set(Millis(MON_22_KST));
    let owner = srv.user("cpo").await;
    let (_, ch) = channel(&owner, "dongne_bakery", "동네빵집").await;
    let night_ok = srv.user("cpa").await; // advertising, also at night
    let day_only = srv.user("cpb").await; // advertising by day only
    let no_ads = srv.user("cpc").await; // informational only
    let no_info = srv.user("cpd").await; // advertising, no informational
    let new_york = srv.user("cpe").await; // by day only, in New York
    let outsider = srv.user("cpx").await;
    add(&night_ok, ch, json!({"marketing": true, "marketing_night": true})).await;
    add(&day_only, ch, json!({"marketing": true})).await;
    add(&no_ads, ch, json!({})).await;
    add(
        &no_info,
        ch,
        json!({"informational": false, "marketing": true, "marketing_night": true}),
    )
    .await;
    add(&new_york, ch, json!({"marketing": true})).await;
    new_york
        .put("/api/v1/me/place", json!({"time_zone": "America/Nowhere"}))
        .await
        .refused(400, "invalid_time_zone");
    let place = new_york
        .put("/api/v1/me/place", json!({"time_zone": "America/New_York"}))
        .await
        .ok();
    assert_eq!(place["time_zone"], "America/New_York");
    assert_eq!(
        day_only.get("/api/v1/me/place").await.ok()["time_zone"],
        "Asia/Seoul"
    );

    let campaigns = format!("/api/v1/channels/{ch}/campaigns");
    let ad = |name: &str| {
        json!({
            "name": name, "kind": "advertising",
            "template": "#{name}님, 오늘 #{menu} #{price}원!",
            "variables": {"menu": "소금빵", "price": "2,500"}
        })
    };

    // Template checks, and only the business may send.
    let mut bad = ad("bad");
    bad["template"] = json!("#{name}님 #{coupon}");
    bad["variables"] = json!({});
    owner.post(&campaigns, bad).await.refused(400, "unknown_variable");
    let mut unused = ad("unused");
    unused["variables"]["extra"] = json!("x");
    owner
        .post(&campaigns, unused)
        .await
        .refused(400, "unused_variable");
    let mut missing = ad("missing");
    missing["variables"]["price"] = json!(" ");
    owner
        .post(&campaigns, missing)
        .await
        .refused(400, "missing_variable");
    let mut long = ad("long");
    long["variables"]["menu"] = json!("빵".repeat(480));
    long["variables"]["price"] = json!("9".repeat(480));
    owner.post(&campaigns, long).await.refused(400, "too_long");
    let mut unclosed = ad("unclosed");
    unclosed["template"] = json!("#{name");
    unclosed["variables"] = json!({});
    owner
        .post(&campaigns, unclosed)
        .await
        .refused(400, "invalid_template");
    outsider
        .post(&campaigns, ad("x"))
        .await
        .refused(404, "channel_not_found");
    let mut past = ad("past");
    past["send_at"] = json!(MON_22_KST - 24 * HOUR);
    owner.post(&campaigns, past).await.refused(400, "invalid_send_at");

    // The preview is exactly what a recipient gets.
    let preview = owner
        .post(&format!("{campaigns}/preview"), ad("preview"))
        .await
        .ok();
    let text = preview["text"].as_str().unwrap();
    assert!(text.starts_with("(광고) 동네빵집\n"), "{text}");
    assert!(text.contains("소금빵 2,500원!"), "{text}");
    assert!(
        text.ends_with(madang_core::local::campaigns::OPT_OUT_LINE),
        "{text}"
    );

    // 22:00 in Seoul: only night consent gets it now; New York is at 08:00.
    let first = owner.post(&campaigns, ad("first")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first_id = first.body["id"].as_i64().unwrap();
    let c1 = settle(&owner, first_id, &["waiting"]).await;
    assert_eq!(c1["stats"]["audience"], 5);
    assert_eq!(c1["stats"]["targeted"], 5);
    assert_eq!(c1["stats"]["delivered"], 3, "{c1}");
    assert_eq!(c1["stats"]["deferred"], 1);
    assert_eq!(c1["stats"]["waiting"], 1);
    assert_eq!(skips(&c1, "no_consent"), 1);
    let got = received(&night_ok, ch).await;
    assert_eq!(got.len(), 1);
    let text = got[0]["text"].as_str().unwrap();
    assert!(text.starts_with("(광고) 동네빵집\n"), "{text}");
    assert!(
        text.contains(&format!("{}님, 오늘 소금빵 2,500원!", night_ok.handle)),
        "{text}"
    );
    assert!(text.ends_with(madang_core::local::campaigns::OPT_OUT_LINE));
    assert_eq!(got[0]["campaign_id"], first_id);
    // Shown as the channel, in a room that names it.
    let room = night_ok.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
    assert_eq!(room["kind"], "channel");
    assert_eq!(room["title"], "동네빵집");
    assert_eq!(room["peer"]["id"], got[0]["sender_id"]);
    assert_eq!(received(&new_york, ch).await.len(), 1);
    assert_eq!(received(&no_info, ch).await.len(), 1);
    assert!(received(&day_only, ch).await.is_empty());
    assert!(received(&no_ads, ch).await.is_empty());

    // A second advertisement the same local day reaches nobody who had one.
    let second = owner.post(&campaigns, ad("second")).await.ok();
    let second_id = second["id"].as_i64().unwrap();
    let c2 = settle(&owner, second_id, &["waiting"]).await;
    assert_eq!(c2["stats"]["delivered"], 0, "{c2}");
    assert_eq!(skips(&c2, "daily_limit"), 3);
    assert_eq!(c2["stats"]["deferred"], 1);

    // Informational messages ignore the hour and marketing consent, but
    // not a refusal of informational messages.
    let notice = owner
        .post(
            &campaigns,
            json!({"name": "notice", "kind": "informational", "template": "#{channel}: 내일 휴무입니다"}),
        )
        .await
        .ok();
    let c3 = settle(&owner, notice["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(c3["stats"]["delivered"], 4, "{c3}");
    assert_eq!(skips(&c3, "informational_refused"), 1);
    let info = received(&no_ads, ch).await;
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["text"], "동네빵집: 내일 휴무입니다");

    // 08:00 next morning in Seoul: the deferred one arrives, once (the
    // first campaign's; the second finds the day taken).
    srv.clock.set(Millis(MON_22_KST + 10 * HOUR));
    let c1 = settle(&owner, first_id, &["done"]).await;
    let c2 = settle(&owner, second_id, &["done"]).await;
    assert_eq!(c1["stats"]["delivered"], 4);
    assert_eq!(c1["stats"]["waiting"], 0);
    assert_eq!(c2["stats"]["delivered"], 0);
    assert_eq!(skips(&c2, "daily_limit"), 4);
    let morning: Vec<Value> = received(&day_only, ch)
        .await
        .into_iter()
        .filter(|m| m["campaign_id"] == first_id)
        .collect();
    assert_eq!(morning.len(), 1);
    assert_eq!(morning[0]["created_at"], MON_22_KST + 10 * HOUR);

    // Reads are counted.
    let room = day_only.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
    let seq = morning[0]["seq"].as_i64().unwrap();
    day_only
        .post(&format!("/api/v1/rooms/{}/read", room["id"]), json!({"seq": seq}))
        .await
        .ok();
    let c1 = settle(&owner, first_id, &["done"]).await;
    assert_eq!(c1["stats"]["read"], 1);

    // One tap opts out: advertising (and night advertising) off, counted.
    outsider
        .post(&format!("/api/v1/campaigns/{first_id}/opt-out"), json!({}))
        .await
        .refused(404, "campaign_not_found");
    no_ads
        .post(&format!("/api/v1/campaigns/{first_id}/opt-out"), json!({}))
        .await
        .refused(404, "campaign_not_found");
    let out = night_ok
        .post(&format!("/api/v1/campaigns/{first_id}/opt-out"), json!({}))
        .await
        .ok();
    assert_eq!(out["mine"]["marketing"], false);
    assert_eq!(out["mine"]["marketing_night"], false);
    assert_eq!(out["mine"]["informational"], true);
    night_ok
        .post(&format!("/api/v1/campaigns/{first_id}/opt-out"), json!({}))
        .await
        .ok();
    let c1 = owner.get(&format!("/api/v1/campaigns/{first_id}")).await.ok();
    assert_eq!(c1["stats"]["opted_out"], 1);

    // The next day (10:00): the one who opted out gets no advertisement.
    srv.clock.set(Millis(MON_22_KST + 36 * HOUR));
    let third = owner.post(&campaigns, ad("third")).await.ok();
    let c4 = settle(&owner, third["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(c4["stats"]["delivered"], 3, "{c4}");
    assert_eq!(skips(&c4, "no_consent"), 2);
    // Theirs are the first campaign's and the notice, nothing newer.
    assert_eq!(received(&night_ok, ch).await.len(), 2);

    // Stats and the list are the business's alone.
    outsider
        .get(&format!("/api/v1/campaigns/{first_id}"))
        .await
        .refused(404, "campaign_not_found");
    night_ok.get(&campaigns).await.refused(404, "channel_not_found");
    assert_eq!(owner.get(&campaigns).await.ok().as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn segments_attributes_scheduling_and_cancelling() {
    let limits = madang_core::Limits {
        campaign_poll_ms: 20,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    // 11:00 in Seoul.
    srv.clock.set(Millis(MON_22_KST - 11 * HOUR));
    let owner = srv.user("cso").await;
    let (b, ch) = channel(&owner, "seg_cafe", "세그 카페").await;
    let shop = super::shop(&owner, super::shop_body(b, "세그 카페 본점", 37.5665, 126.978)).await;
    let regular = srv.user("csr").await;
    let near = srv.user("csn").await;
    let far = srv.user("csf").await;
    for c in [&regular, &near, &far] {
        add(c, ch, json!({"marketing": true})).await;
    }
    regular
        .put(&format!("/api/v1/shops/{shop}/regular"), json!({}))
        .await
        .ok();
    near.put("/api/v1/me/place", json!({"lat": 37.567, "lon": 126.979}))
        .await
        .ok();
    far.put("/api/v1/me/place", json!({"lat": 35.1796, "lon": 129.0756}))
        .await
        .ok();
    near.put("/api/v1/me/place", json!({"lat": 37.0}))
        .await
        .refused(400, "invalid_point");
    let campaigns = format!("/api/v1/channels/{ch}/campaigns");

    // Tags and attributes are the business's, per friend.
    let data = |u: &Client| format!("/api/v1/channels/{ch}/friends/{}", u.user_id);
    owner
        .put(
            &data(&near),
            json!({"tags": ["vip"], "attributes": {"tier": "gold", "coupon": "GOLD10"}}),
        )
        .await
        .ok();
    owner
        .put(
            &data(&far),
            json!({"tags": ["vip"], "attributes": {"tier": "silver"}}),
        )
        .await
        .ok();
    regular
        .put(&data(&near), json!({"tags": ["x"]}))
        .await
        .refused(404, "channel_not_found");
    let stranger = srv.user("css").await;
    owner
        .put(&data(&stranger), json!({"tags": ["x"]}))
        .await
        .refused(404, "friend_not_found");

    let send = |name: &str, segment: Value| json!({"name": name, "kind": "informational", "template": "안내: #{name}", "segment": segment});
    let check = |v: Value| v["id"].as_i64().unwrap();
    let regulars = check(
        owner
            .post(&campaigns, send("regulars", json!({"regulars_of": shop})))
            .await
            .ok(),
    );
    let nearby = check(
        owner
            .post(
                &campaigns,
                send(
                    "near",
                    json!({"near": {"lat": 37.5665, "lon": 126.978, "radius_m": 2000.0}}),
                ),
            )
            .await
            .ok(),
    );
    let vips = check(
        owner
            .post(&campaigns, send("vip", json!({"tags": ["vip"]})))
            .await
            .ok(),
    );
    let gold = check(
        owner
            .post(&campaigns, send("gold", json!({"attributes": {"tier": "gold"}})))
            .await
            .ok(),
    );
    for (id, expect) in [(regulars, 1), (nearby, 1), (vips, 2), (gold, 1)] {
        let c = settle(&owner, id, &["done"]).await;
        assert_eq!(c["stats"]["targeted"], expect, "{c}");
        assert_eq!(c["stats"]["delivered"], expect, "{c}");
        assert_eq!(c["stats"]["passed"], 3);
    }
    owner
        .post(&campaigns, send("bad", json!({"regulars_of": 999_999})))
        .await
        .refused(404, "shop_not_found");

    // Per-recipient attributes: someone without the attribute is skipped.
    let coupon = owner
        .post(
            &campaigns,
            json!({"name": "coupon", "kind": "informational", "template": "쿠폰 코드 #{coupon}",
                   "attributes": ["coupon"], "segment": {"tags": ["vip"]}}),
        )
        .await
        .ok();
    let c = settle(&owner, coupon["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(c["stats"]["delivered"], 1);
    assert_eq!(skips(&c, "missing_variable"), 1);
    assert_eq!(
        received(&near, ch).await.last().unwrap()["text"],
        "쿠폰 코드 GOLD10"
    );

    // Scheduled: nothing until its time; cancelled: nothing at all.
    let later = owner
        .post(
            &campaigns,
            json!({"name": "later", "kind": "informational", "template": "곧 만나요",
                   "send_at": MON_22_KST - 9 * HOUR}),
        )
        .await
        .ok();
    let later_id = later["id"].as_i64().unwrap();
    let never = owner
        .post(
            &campaigns,
            json!({"name": "never", "kind": "informational", "template": "취소될 소식",
                   "send_at": MON_22_KST - 9 * HOUR}),
        )
        .await
        .ok();
    let never_id = never["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = owner.get(&format!("/api/v1/campaigns/{later_id}")).await.ok();
    assert_eq!(c["status"], "scheduled");
    assert_eq!(c["stats"]["delivered"], 0);
    let cancelled = owner
        .post(&format!("/api/v1/campaigns/{never_id}/cancel"), json!({}))
        .await
        .ok();
    assert_eq!(cancelled["status"], "cancelled");
    owner
        .post(&format!("/api/v1/campaigns/{never_id}/cancel"), json!({}))
        .await
        .refused(400, "campaign_finished");
    srv.clock.set(Millis(MON_22_KST - 9 * HOUR));
    let c = settle(&owner, later_id, &["done"]).await;
    assert_eq!(c["stats"]["delivered"], 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c = owner.get(&format!("/api/v1/campaigns/{never_id}")).await.ok();
    assert_eq!(c["stats"]["delivered"], 0);
    assert!(
        received(&far, ch)
            .await
            .iter()
            .all(|m| m["text"] != "취소될 소식")
    );

    // Someone who removed the channel gets nothing more.
    far.delete(&format!("/api/v1/channels/{ch}/friend")).await;
    let after = owner
        .post(
            &campaigns,
            json!({"name": "after", "kind": "informational", "template": "안녕"}),
        )
        .await
        .ok();
    let c = settle(&owner, after["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(c["stats"]["targeted"], 2);
}

/// A delivered campaign message is stored once, as a message: no event
/// row and no outcome row. Catch-up (the events feed, paged, and a
/// reconnect's replay) still hands it back in its place between the
/// room's other events, and its stats count it.
#[tokio::test]
async fn a_campaign_message_is_caught_up_in_its_place_and_stored_once() {
    let limits = madang_core::Limits {
        campaign_poll_ms: 20,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let owner = srv.user("cuo").await;
    let person = srv.user("cup").await;
    let (_, ch) = channel(&owner, "catch_up_shop", "따라잡기 상점").await;
    add(&person, ch, json!({})).await;
    let room = person.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
    let room_id = madang_types::RoomId(room["id"].as_i64().unwrap());
    let channel_id = room["peer"]["id"].as_i64().unwrap();

    // seq 1: the person; seq 2: the campaign; seq 3: the channel answers.
    person.send(room_id, "cu1", "주말에도 여나요?").await;
    let notice = owner
        .post(
            &format!("/api/v1/channels/{ch}/campaigns"),
            json!({"name": "notice", "kind": "informational", "template": "#{channel}: 내일 휴무입니다"}),
        )
        .await
        .ok();
    let id = notice["id"].as_i64().unwrap();
    let done = settle(&owner, id, &["done"]).await;
    assert_eq!(done["stats"]["delivered"], 1, "{done}");
    owner
        .post(
            &format!("/api/v1/channels/{ch}/inbox/{room_id}/messages"),
            json!({"client_id": "cu-a1", "text": "네, 10시부터예요"}),
        )
        .await
        .ok();

    let feed = person
        .get(&format!("/api/v1/rooms/{room_id}/events?after=0"))
        .await
        .ok();
    let events = feed["events"].as_array().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3], "{feed}");
    let sent = &events[1];
    assert_eq!(sent["actor"], channel_id);
    assert_eq!(sent["body"]["type"], "message");
    assert_eq!(sent["body"]["message"]["campaign_id"], id);
    assert_eq!(sent["body"]["message"]["sender_id"], channel_id);
    assert_eq!(sent["body"]["message"]["text"], "따라잡기 상점: 내일 휴무입니다");
    assert_eq!(events[2]["body"]["message"]["text"], "네, 10시부터예요");

    // Paged: one at a time, the campaign's in the middle.
    let page = person
        .get(&format!("/api/v1/rooms/{room_id}/events?after=1&limit=1"))
        .await
        .ok();
    assert_eq!(page["events"][0]["seq"], 2, "{page}");
    assert_eq!(page["has_more"], true);
    let page = person
        .get(&format!("/api/v1/rooms/{room_id}/events?after=2&limit=1"))
        .await
        .ok();
    assert_eq!(page["events"][0]["seq"], 3, "{page}");
    assert_eq!(page["has_more"], false);

    // A device that saw seq 1 reconnects and is replayed 2 and 3.
    let token = person.token.clone().unwrap();
    let cursors = [(room_id, madang_types::Seq(1))].into_iter().collect();
    let (_ws, replayed) = madang_testkit::Ws::connect(&srv.base, &token, &cursors).await;
    let replayed: Vec<i64> = replayed
        .iter()
        .filter_map(|f| match f {
            madang_types::events::ServerFrame::Event { event } if event.room_id == room_id => {
                Some(event.seq.0)
            }
            _ => None,
        })
        .collect();
    assert_eq!(replayed, [2, 3]);

    // Stored once: the message row, and nothing per delivery beside it.
    let room_sql = room_id.0;
    assert_eq!(
        srv.db
            .scalar(&format!(
                "SELECT COUNT(*) FROM events WHERE room_id = {room_sql} AND seq = 2"
            ))
            .await,
        0
    );
    assert_eq!(
        srv.db
            .scalar(&format!(
                "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = {id}"
            ))
            .await,
        0
    );

    // Read and opted out are counted from it.
    person
        .post(&format!("/api/v1/rooms/{room_id}/read"), json!({"seq": 2}))
        .await
        .ok();
    person
        .post(&format!("/api/v1/campaigns/{id}/opt-out"), json!({}))
        .await
        .ok();
    let stats = owner.get(&format!("/api/v1/campaigns/{id}")).await.ok();
    assert_eq!(stats["stats"]["read"], 1, "{stats}");
    assert_eq!(stats["stats"]["opted_out"], 1, "{stats}");
}

/// The read count is kept as cursors move: a read, a repeated read,
/// many reads at once and a reply (which reads what came before it) each
/// count a campaign message once, and one read past two campaigns counts
/// for both.
#[tokio::test]
async fn reads_are_counted_once_as_people_read_and_reply() {
    let limits = madang_core::Limits {
        campaign_poll_ms: 20,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let owner = srv.user("rco").await;
    let (_, ch) = channel(&owner, "read_counts", "읽음가게").await;
    let reader = srv.user("rca").await;
    let eager = srv.user("rcb").await;
    let replier = srv.user("rcc").await;
    let idle = srv.user("rcd").await;
    for p in [&reader, &eager, &replier, &idle] {
        add(p, ch, json!({})).await;
    }
    let campaigns = format!("/api/v1/channels/{ch}/campaigns");
    let mut ids = Vec::new();
    for name in ["첫 소식", "둘째 소식"] {
        let made = owner
            .post(
                &campaigns,
                json!({"name": name, "kind": "informational", "template": format!("#{{name}}님, {name}")}),
            )
            .await
            .ok();
        let id = made["id"].as_i64().unwrap();
        let done = settle(&owner, id, &["done"]).await;
        assert_eq!(done["stats"]["delivered"], 4, "{done}");
        assert_eq!(done["stats"]["read"], 0, "{done}");
        ids.push(id);
    }
    let reads = |owner: &Client| {
        let owner = owner.clone();
        let ids = ids.clone();
        async move {
            let mut out = Vec::new();
            for id in ids {
                out.push(owner.get(&format!("/api/v1/campaigns/{id}")).await.ok()["stats"]["read"].clone());
            }
            out
        }
    };
    let room_of = |c: &Client| {
        let c = c.clone();
        async move {
            let room = c.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
            (room["id"].as_i64().unwrap(), room["last_seq"].as_i64().unwrap())
        }
    };

    // Reading up to the first campaign counts it alone; again, nothing.
    let (room, last) = room_of(&reader).await;
    let first = received(&reader, ch).await[0]["seq"].as_i64().unwrap();
    for _ in 0..2 {
        reader
            .post(&format!("/api/v1/rooms/{room}/read"), json!({"seq": first}))
            .await
            .ok();
    }
    assert_eq!(reads(&owner).await, [json!(1), json!(0)]);
    // Then past the second.
    reader
        .post(&format!("/api/v1/rooms/{room}/read"), json!({"seq": last}))
        .await
        .ok();
    assert_eq!(reads(&owner).await, [json!(1), json!(1)]);

    // Twenty reads at once, at every seq up to the last, count each once.
    let (room, last) = room_of(&eager).await;
    let path = format!("/api/v1/rooms/{room}/read");
    let all = (0..20).map(|i| eager.post(&path, json!({"seq": 1 + i % last})));
    for r in join_all(all).await {
        r.ok();
    }
    assert_eq!(reads(&owner).await, [json!(2), json!(2)]);

    // A reply reads what came before it.
    let (room, _) = room_of(&replier).await;
    replier
        .send(madang_types::RoomId(room), "rc-reply", "감사합니다")
        .await;
    assert_eq!(reads(&owner).await, [json!(3), json!(3)]);
    // The business answering (and reading its inbox) does not read for
    // anyone.
    let conv = format!("/api/v1/channels/{ch}/inbox/{room}");
    let answer = owner
        .post(
            &format!("{conv}/messages"),
            json!({"client_id": "rc-answer", "text": "안녕하세요"}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    owner.get(&format!("{conv}/messages")).await.ok();
    // The fourth person never read: 3 of 4 delivered.
    assert_eq!(reads(&owner).await, [json!(3), json!(3)]);
}

/// Catch-up of a channel room while it is written from every side: the
/// campaign sender (batches of one person), the person and the business.
/// A campaign's message keeps no event row, so catch-up merges logged
/// events with campaign messages; a device following the room by
/// `events?after=` must see every seq once, in order, with no gap.
#[tokio::test]
async fn catch_up_of_a_channel_room_written_from_every_side_skips_nothing() {
    const CAMPAIGNS: usize = 6;
    const MINE: usize = 30;
    const ANSWERS: usize = 15;
    let limits = madang_core::Limits {
        campaign_poll_ms: 5,
        campaign_batch: 1,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let owner = srv.user("cuo").await;
    let (_, ch) = channel(&owner, "busy_room", "붐비는가게").await;
    let person = srv.user("cup").await;
    add(&person, ch, json!({})).await;
    for i in 0..8 {
        add(&srv.user(&format!("cuf{i}")).await, ch, json!({})).await;
    }
    let room = person.get(&format!("/api/v1/channels/{ch}/room")).await.ok()["id"]
        .as_i64()
        .unwrap();
    let room_id = madang_types::RoomId(room);
    // The person writes first, so the room is in the business's inbox.
    person.send(room_id, "cu-0", "안녕하세요").await;

    let campaigns = format!("/api/v1/channels/{ch}/campaigns");
    let sender = {
        let owner = owner.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..CAMPAIGNS {
                let made = owner
                    .post(
                        &campaigns,
                        json!({"name": format!("소식 {i}"), "kind": "informational", "template": format!("소식 {i}")}),
                    )
                    .await
                    .ok();
                ids.push(made["id"].as_i64().unwrap());
            }
            ids
        })
    };
    let mine = {
        let person = person.clone();
        tokio::spawn(async move {
            for i in 1..=MINE {
                person
                    .send(room_id, &format!("cu-{i}"), &format!("질문 {i}"))
                    .await;
            }
        })
    };
    let answers = {
        let owner = owner.clone();
        tokio::spawn(async move {
            for i in 0..ANSWERS {
                let r = owner
                    .post(
                        &format!("/api/v1/channels/{ch}/inbox/{room}/messages"),
                        json!({"client_id": format!("cu-a{i}"), "text": format!("답 {i}")}),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        })
    };

    // Devices following the room the whole time, a few events a page,
    // until everything is written; then to the end.
    let written = Arc::new(AtomicBool::new(false));
    let followers: Vec<_> = (0..4)
        .map(|_| {
            let person = person.clone();
            let written = written.clone();
            tokio::spawn(async move {
                let mut seen: Vec<i64> = Vec::new();
                let mut campaign_messages = 0;
                let mut pages = 0;
                loop {
                    let last = seen.last().copied().unwrap_or(0);
                    let done = written.load(Ordering::SeqCst);
                    let page = person
                        .get(&format!("/api/v1/rooms/{room}/events?after={last}&limit=3"))
                        .await
                        .ok();
                    pages += 1;
                    let events = page["events"].as_array().unwrap();
                    for e in events {
                        let seq = e["seq"].as_i64().unwrap();
                        let expected = seen.last().copied().unwrap_or(0) + 1;
                        assert_eq!(seq, expected, "a gap or a repeat after {seen:?}: {page}");
                        seen.push(seq);
                        if e["body"]["message"]["campaign_id"].is_i64() {
                            campaign_messages += 1;
                        }
                    }
                    if done && events.is_empty() {
                        return (seen, campaign_messages, pages);
                    }
                }
            })
        })
        .collect();
    let ids = sender.await.unwrap();
    mine.await.unwrap();
    answers.await.unwrap();
    for id in &ids {
        settle(&owner, *id, &["done"]).await;
    }
    written.store(true, Ordering::SeqCst);
    let last_seq = person.room(room_id).await["last_seq"].as_i64().unwrap();
    for f in followers {
        let (seen, campaign_messages, pages) = f.await.unwrap();
        assert_eq!(seen.last().copied(), Some(last_seq));
        assert_eq!(campaign_messages, CAMPAIGNS, "one message per campaign");
        assert!(pages > 1, "followed while it was written");
    }
    // Every message once: the first, the questions, the answers and one
    // per campaign.
    let messages = person.all_messages(room_id).await;
    assert_eq!(messages.len(), 1 + MINE + ANSWERS + CAMPAIGNS);
}
