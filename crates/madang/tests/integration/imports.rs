//! Importing KakaoTalk and WhatsApp exports through `POST /api/v1/imports`:
//! exact counts, times, order, senders and media; nothing new or unread to
//! anyone; a re-import writes nothing; a malformed file names its line and
//! leaves no trace; every refusal.

use madang_testkit::{Client, Reply, TestServer, Ws, test_limits};
use madang_types::RoomId;
use madang_types::events::ServerFrame;
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;

const KAKAO_PC_KO: &str = include_str!("../../../madang-core/src/history/fixtures/kakao_pc_ko.txt");
const WHATSAPP: &str = include_str!("../../../madang-core/src/history/fixtures/whatsapp_android.txt");

/// 2024-01-05 15:04 in Seoul (06:04 UTC), and so on: the fixture's times.
const KST_0105_1504: i64 = 1_704_434_640_000;
const KST_0105_1505: i64 = 1_704_434_700_000;
const KST_0105_1506: i64 = 1_704_434_760_000;
const KST_0105_1510: i64 = 1_704_435_000_000;
const KST_0106_0012: i64 = 1_704_467_520_000;
const KST_0106_1230: i64 = 1_704_511_800_000;
const KST_0106_1231: i64 = 1_704_511_860_000;

pub(crate) async fn preview(c: &Client, file: &[u8], name: &str) -> Value {
    c.multipart(
        "/api/v1/imports/preview",
        vec![("file", file.to_vec(), Some(name))],
    )
    .await
    .ok()
}

pub(crate) async fn import(c: &Client, file: &[u8], name: &str, plan: Value) -> Reply {
    c.multipart(
        "/api/v1/imports",
        vec![
            ("file", file.to_vec(), Some(name)),
            ("plan", plan.to_string().into_bytes(), None),
        ],
    )
    .await
}

/// A zip as WhatsApp shares one: the chat and its media side by side.
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, bytes) in files {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

async fn rooms(srv: &TestServer) -> i64 {
    srv.db.scalar("SELECT COUNT(*) FROM rooms").await
}

async fn rows(srv: &TestServer, table: &str) -> i64 {
    srv.db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
}

/// The room's entry in `c`'s list.
async fn listed(c: &Client, room: RoomId) -> Value {
    let list = c.get("/api/v1/rooms").await.ok();
    let all = list
        .as_array()
        .cloned()
        .or_else(|| list["rooms"].as_array().cloned())
        .unwrap();
    all.into_iter().find(|r| r["id"] == room.0).expect("listed")
}

#[tokio::test]
async fn a_kakao_export_lands_in_a_new_group_at_its_times_and_nobody_gets_anything_new() {
    let srv = TestServer::start().await;
    let minji = srv.user("im_minji").await;
    let junho = srv.user("im_junho").await;
    minji.befriend(&junho).await;
    junho
        .patch("/api/v1/me", json!({"display_name": "준호"}))
        .await
        .ok();
    minji
        .patch("/api/v1/me", json!({"display_name": "민지"}))
        .await
        .ok();
    let (mut ws, _) = Ws::connect(&srv.base, minji.token.as_deref().unwrap(), &Default::default()).await;
    let (mut junho_ws, _) =
        Ws::connect(&srv.base, junho.token.as_deref().unwrap(), &Default::default()).await;

    // The preview says what is in it and who the names may be; it writes
    // nothing.
    let before = rooms(&srv).await;
    let p = preview(&minji, KAKAO_PC_KO.as_bytes(), "KakaoTalkChats.txt").await;
    assert_eq!(p["format"], "kakao_pc");
    assert_eq!(p["title"], "주말 등산 모임");
    assert_eq!(p["messages"], 8);
    assert_eq!(p["first_at"], KST_0105_1504);
    assert_eq!(p["last_at"], KST_0106_1231);
    assert_eq!(p["me"], "민지");
    let senders: Vec<(String, i64, Value)> = p["senders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["messages"].as_i64().unwrap(),
                s["friend_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        senders,
        [
            ("서연".to_owned(), 3, Value::Null),
            ("민지".to_owned(), 2, Value::Null),
            ("준호".to_owned(), 2, json!(junho.user_id.0)),
        ]
    );
    assert_eq!(rooms(&srv).await, before);

    let plan = json!({"me": "민지", "friends": {"준호": junho.user_id.0}});
    let r = import(&minji, KAKAO_PC_KO.as_bytes(), "KakaoTalkChats.txt", plan.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let done = r.body;
    assert_eq!(done["messages"], 8);
    assert_eq!(done["already_imported"], false);
    let room = RoomId(done["room_id"].as_i64().unwrap());

    let got = minji.all_messages(room).await;
    let shape: Vec<(i64, i64, &str, &str, Value, bool)> = got
        .iter()
        .map(|m| {
            (
                m["created_at"].as_i64().unwrap(),
                m["sender_id"].as_i64().unwrap(),
                m["kind"].as_str().unwrap(),
                m["text"].as_str().unwrap(),
                m["imported_name"].clone(),
                m["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    let (me, jh) = (minji.user_id.0, junho.user_id.0);
    let seoyeon = || json!("서연");
    assert_eq!(
        shape,
        [
            (
                KST_0105_1504,
                me,
                "text",
                "이번 주 토요일 북한산 어때요?",
                Value::Null,
                false
            ),
            (
                KST_0105_1505,
                jh,
                "text",
                "좋아요!\n9시 구파발역에서 만나요\n물은 각자 챙겨요",
                Value::Null,
                false
            ),
            (KST_0105_1506, me, "text", "[사진]", Value::Null, false),
            (
                KST_0105_1506,
                me,
                "notice",
                "민지님이 서연님을 초대했습니다.",
                Value::Null,
                false
            ),
            (KST_0105_1510, me, "text", "", seoyeon(), true),
            (
                KST_0106_0012,
                me,
                "text",
                "늦게 봤어요 저도 갈게요",
                seoyeon(),
                false
            ),
            (KST_0106_1230, jh, "text", "도착했어요", Value::Null, false),
            (KST_0106_1231, me, "text", "[이모티콘]", seoyeon(), false),
        ]
    );
    assert!(
        got.iter()
            .all(|m| m["imported"] == true && m["unread_count"] == 0)
    );
    let seqs: Vec<i64> = got.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] + 1 == w[1]) && seqs[7] < 1,
        "{seqs:?}"
    );

    // The friend sees it too; nobody has anything unread, and nothing was
    // queued for a push.
    assert_eq!(junho.all_messages(room).await.len(), 8);
    for c in [&minji, &junho] {
        assert_eq!(listed(c, room).await["unread"], 0);
    }
    let pushes = srv
        .db
        .scalar(&format!(
            "SELECT COUNT(*) FROM push_outbox WHERE room_id = {}",
            room.0
        ))
        .await;
    assert_eq!(pushes, 0);

    // The importer's devices heard how far it was; the friend's heard of a
    // new room and its history, and of no message.
    let frames = ws
        .until(Duration::from_secs(5), |f| {
            matches!(f, ServerFrame::ImportProgress { progress } if progress.stage == "messages" && progress.done == progress.total)
        })
        .await;
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, ServerFrame::ImportProgress { progress } if progress.total == 8))
    );
    let mut seen = junho_ws
        .until(
            Duration::from_secs(5),
            |f| matches!(f, ServerFrame::HistoryImported { room_id } if *room_id == room),
        )
        .await;
    seen.extend(junho_ws.drain(Duration::from_millis(300)).await);
    assert!(
        !seen.iter().any(|f| matches!(f, ServerFrame::Event { event } if matches!(event.body, madang_types::events::EventBody::Message { .. }))),
        "{seen:?}"
    );

    // The same chat again, as a .txt or in a zip, writes nothing.
    let again = import(&minji, KAKAO_PC_KO.as_bytes(), "again.txt", plan.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["already_imported"], true);
    assert_eq!(again.body["import_id"], done["import_id"]);
    let zipped = zip_of(&[("KakaoTalkChats.txt", KAKAO_PC_KO.as_bytes())]);
    assert_eq!(
        import(&minji, &zipped, "chat.zip", plan).await.body["already_imported"],
        true
    );
    assert_eq!(minji.all_messages(room).await.len(), 8);
    assert_eq!(rows(&srv, "imports").await, 1);
    let p = preview(&minji, KAKAO_PC_KO.as_bytes(), "KakaoTalkChats.txt").await;
    assert_eq!(p["already"]["room_id"], room.0);

    // Live messages come after the history, from seq 1 on.
    let live = junho.send(room, "after-import", "다음 주에 또 가요").await;
    let all = minji.all_messages(room).await;
    assert_eq!(all.len(), 9);
    assert_eq!(all[8]["seq"], live.0);
    assert_eq!(all[8]["imported"], false);
    assert_eq!(listed(&minji, room).await["unread"], 1);

    // Korean search finds imported words.
    let q: String = "구파발역".bytes().map(|b| format!("%{b:02X}")).collect();
    let hits = minji
        .get(&format!("/api/v1/search/messages?q={q}&room={}", room.0))
        .await
        .ok();
    assert_eq!(hits["results"].as_array().map(Vec::len), Some(1), "{hits}");
}

#[tokio::test]
async fn a_whatsapp_zip_goes_before_a_rooms_live_messages_with_its_media() {
    let srv = TestServer::start().await;
    let minji = srv.user("iw_minji").await;
    let junho = srv.user("iw_junho").await;
    minji.befriend(&junho).await;
    let room = minji.direct(&junho).await;
    let live = minji.send(room, "live-1", "hello from Madang").await;
    let photo = crate::media::png(40, 30);
    let zipped = zip_of(&[
        ("WhatsApp Chat with Junho.txt", WHATSAPP.as_bytes()),
        ("IMG-20240105-WA0001.jpg", &photo),
    ]);
    let p = preview(&minji, &zipped, "WhatsApp Chat with Junho.zip").await;
    assert_eq!(
        (p["format"].as_str(), p["messages"].as_i64(), p["media"].as_i64()),
        (Some("whatsapp"), Some(6), Some(1))
    );

    let plan = json!({"me": "Minji", "friends": {"Junho": junho.user_id.0}, "room_id": room.0, "time_zone": "Europe/London"});
    let done = import(&minji, &zipped, "chat.zip", plan).await.ok();
    assert_eq!(
        (
            done["room_id"].as_i64(),
            done["messages"].as_i64(),
            done["media"].as_i64()
        ),
        (Some(room.0), Some(6), Some(1))
    );

    let all = junho.all_messages(room).await;
    assert_eq!(all.len(), 7);
    let times: Vec<i64> = all[..6]
        .iter()
        .map(|m| m["created_at"].as_i64().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            1_704_466_800_000,
            1_704_467_040_000,
            1_704_467_100_000,
            1_704_467_160_000,
            1_704_467_220_000,
            1_705_136_400_000
        ]
    );
    assert_eq!(all[0]["kind"], "notice");
    assert_eq!(all[1]["text"], "Hiking on Saturday?\nBukhansan maybe");
    let picture = &all[2];
    assert_eq!(
        (picture["kind"].as_str(), picture["text"].as_str()),
        (Some("image"), Some("the trail map"))
    );
    assert_eq!(picture["sender_id"], junho.user_id.0);
    let media = picture["attachment"]["media_id"].as_str().unwrap();
    let bytes = junho
        .raw(reqwest::Method::GET, &format!("/api/v1/media/{media}"), None)
        .await;
    assert_eq!(bytes.status, 200);
    assert_eq!(all[3]["text"], "[Attachment (not in the export)]");
    assert_eq!(
        (all[4]["deleted"].as_bool(), all[4]["sender_id"].as_i64()),
        (Some(true), Some(junho.user_id.0))
    );
    // The live message keeps its place and seq, after the history.
    assert_eq!(
        (all[6]["seq"].as_i64(), all[6]["imported"].as_bool()),
        (Some(live.0), Some(false))
    );
    for c in [&minji, &junho] {
        assert_eq!(
            listed(c, room).await["unread"],
            i64::from(c.user_id == junho.user_id)
        );
    }
}

#[tokio::test]
async fn refusals_write_nothing() {
    let mut limits = test_limits();
    limits.max_import_bytes = 64 * 1024;
    let srv = TestServer::start_with(limits).await;
    let minji = srv.user("ir_minji").await;
    let junho = srv.user("ir_junho").await;
    let stranger = srv.user("ir_stranger").await;
    minji.befriend(&junho).await;
    let file = KAKAO_PC_KO.as_bytes();
    let plan = json!({"me": "민지", "friends": {"준호": junho.user_id.0}});
    let (rooms0, messages0, media0) = (
        rooms(&srv).await,
        rows(&srv, "messages").await,
        rows(&srv, "media").await,
    );

    // A file broken at line 7 says so, and nothing is made of it.
    let mut broken: Vec<&str> = KAKAO_PC_KO.lines().collect();
    broken.insert(6, "--------------- 2024년 13월 40일 금요일 ---------------");
    let broken = broken.join("\n");
    let r = import(&minji, broken.as_bytes(), "chat.txt", plan.clone()).await;
    r.refused(400, "malformed_export");
    assert_eq!(r.body["error"]["line"], 7, "{}", r.body);
    let r = minji
        .multipart(
            "/api/v1/imports/preview",
            vec![("file", broken.clone().into_bytes(), Some("chat.txt"))],
        )
        .await;
    r.refused(400, "malformed_export");
    import(&minji, b"just some words\nno chat here", "x.txt", plan.clone())
        .await
        .refused(400, "malformed_export");
    import(&minji, &[0xff, 0xfe, 0x00, 0x41], "x.txt", plan.clone())
        .await
        .refused(400, "malformed_export");
    import(&minji, &zip_of(&[("photo.jpg", b"jpeg")]), "x.zip", plan.clone())
        .await
        .refused(400, "malformed_export");

    // Who is who must hold.
    import(&minji, file, "c.txt", json!({"me": "나"}))
        .await
        .refused(400, "unknown_sender");
    import(
        &minji,
        file,
        "c.txt",
        json!({"me": "민지", "friends": {"누구": junho.user_id.0}}),
    )
    .await
    .refused(400, "unknown_sender");
    import(
        &minji,
        file,
        "c.txt",
        json!({"me": "민지", "friends": {"준호": stranger.user_id.0}}),
    )
    .await
    .refused(404, "friend_not_found");
    import(
        &minji,
        file,
        "c.txt",
        json!({"me": "민지", "friends": {"준호": minji.user_id.0}}),
    )
    .await
    .refused(400, "invalid_plan");
    import(&minji, file, "c.txt", json!({"me": "민지", "nickname": "x"}))
        .await
        .refused(400, "invalid_plan");
    import(
        &minji,
        file,
        "c.txt",
        json!({"me": "민지", "time_zone": "Mars/Olympus"}),
    )
    .await
    .refused(400, "invalid_time_zone");
    minji
        .multipart("/api/v1/imports", vec![("file", file.to_vec(), Some("c.txt"))])
        .await
        .refused(400, "invalid_plan");
    minji
        .multipart(
            "/api/v1/imports",
            vec![("plan", plan.to_string().into_bytes(), None)],
        )
        .await
        .refused(400, "invalid_body");
    minji
        .post("/api/v1/imports", plan.clone())
        .await
        .refused(400, "invalid_body");

    // Someone else's room, and a room without the friend.
    let theirs = junho.direct(&stranger).await;
    import(&minji, file, "c.txt", json!({"me": "민지", "room_id": theirs.0}))
        .await
        .refused(403, "not_member");
    stranger.befriend(&minji).await;
    let other = minji.direct(&stranger).await;
    import(
        &minji,
        file,
        "c.txt",
        json!({"me": "민지", "friends": {"준호": junho.user_id.0}, "room_id": other.0}),
    )
    .await
    .refused(400, "not_in_room");

    // Too large, also a small zip whose chat unpacks past the limit, and
    // nobody signed in.
    let big = vec![b'a'; 70 * 1024];
    import(&minji, &big, "big.txt", plan.clone())
        .await
        .refused(413, "too_large");
    let mut bomb_text = KAKAO_PC_KO.to_owned();
    bomb_text.push_str(&"\n".repeat(200 * 1024));
    let bomb = zip_of(&[("KakaoTalkChats.txt", bomb_text.as_bytes())]);
    assert!(bomb.len() < 64 * 1024, "the zip itself is small: {}", bomb.len());
    import(&minji, &bomb, "bomb.zip", plan.clone())
        .await
        .refused(413, "too_large");
    srv.anonymous()
        .multipart("/api/v1/imports", vec![("file", file.to_vec(), Some("c.txt"))])
        .await
        .refused(401, "unauthenticated");

    let opened = 2; // the two 1:1 rooms above
    assert_eq!(rooms(&srv).await, rooms0 + opened);
    assert_eq!(rows(&srv, "messages").await, messages0);
    assert_eq!(rows(&srv, "media").await, media0);
    assert_eq!(rows(&srv, "imports").await, 0);
}

/// A fixture's file name and text, the importer's name in it, its message
/// count, first and last times, and the names kept as names.
type Fixture = (
    &'static str,
    &'static str,
    &'static str,
    usize,
    i64,
    i64,
    &'static [&'static str],
);

/// Every fixture, through the API: its count, its first and last times in
/// Seoul, and whose each message is (the importer's own name, the others
/// kept as names).
#[tokio::test]
async fn every_fixture_lands_with_its_count_times_and_senders() {
    let srv = TestServer::start().await;
    let fixtures: [Fixture; 6] = [
        (
            "kakao_pc_ko.txt",
            KAKAO_PC_KO,
            "민지",
            8,
            KST_0105_1504,
            KST_0106_1231,
            &["서연", "준호"],
        ),
        (
            "kakao_pc_en.txt",
            include_str!("../../../madang-core/src/history/fixtures/kakao_pc_en.txt"),
            "Minji",
            3,
            KST_0105_1504,
            1_704_467_100_000,
            &["Junho", "Seoyeon"],
        ),
        (
            "kakao_mobile_ko.txt",
            include_str!("../../../madang-core/src/history/fixtures/kakao_mobile_ko.txt"),
            "민지",
            5,
            KST_0105_1504,
            1_704_466_980_000,
            &["서연", "준호"],
        ),
        (
            "kakao_mobile_en.txt",
            include_str!("../../../madang-core/src/history/fixtures/kakao_mobile_en.txt"),
            "Minji",
            3,
            KST_0105_1504,
            KST_0105_1510,
            &["Junho", "Seoyeon"],
        ),
        (
            "whatsapp_android.txt",
            WHATSAPP,
            "Minji",
            6,
            KST_0105_1500_AS_KST,
            KST_0113_0900_AS_KST,
            &["Junho"],
        ),
        (
            "whatsapp_ios.txt",
            include_str!("../../../madang-core/src/history/fixtures/whatsapp_ios.txt"),
            "민지",
            3,
            1_704_434_652_000,
            1_706_184_060_000,
            &["준호"],
        ),
    ];
    for (name, text, me, count, first, last, others) in fixtures {
        let c = srv.user("if_each").await;
        let plan = json!({"me": me, "time_zone": "Asia/Seoul", "title": name});
        let done = import(&c, text.as_bytes(), name, plan).await.ok();
        assert_eq!(done["messages"], count as i64, "{name}");
        let got = c.all_messages(RoomId(done["room_id"].as_i64().unwrap())).await;
        assert_eq!(got.len(), count, "{name}");
        assert_eq!(
            (
                got[0]["created_at"].as_i64(),
                got[count - 1]["created_at"].as_i64()
            ),
            (Some(first), Some(last)),
            "{name}"
        );
        let mut kept: Vec<&str> = got.iter().filter_map(|m| m["imported_name"].as_str()).collect();
        kept.sort();
        kept.dedup();
        assert_eq!(kept, others, "{name}");
        assert!(
            got.iter()
                .all(|m| m["imported_name"].is_string() || m["sender_id"] == c.user_id.0),
            "{name}"
        );
    }
}

/// The WhatsApp fixture's first and last times read in Seoul.
const KST_0105_1500_AS_KST: i64 = 1_704_434_400_000;
const KST_0113_0900_AS_KST: i64 = 1_705_104_000_000;

/// An import left half-written by a node that stopped: its messages are
/// seen by nobody; the same file tried at once is refused as running, and
/// later removes what was left and imports whole.
#[tokio::test]
async fn a_half_written_import_is_unseen_then_replaced() {
    use madang_core::Clock;
    use sha2::{Digest, Sha256};
    let srv = TestServer::start().await;
    let minji = srv.user("ih_minji").await;
    let room = minji.group("반쯤", &[]).await;
    let sha: String = Sha256::digest(KAKAO_PC_KO.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = srv.clock.now().0;
    srv.db
        .execute(&format!(
            "INSERT INTO imports (id, user_id, sha256, room_id, format, messages, media, first_seq, last_seq, state, created_at) \
             VALUES (900, {me}, '{sha}', {room}, 'kakao_pc', 8, 0, -8, -1, 'writing', {now})",
            me = minji.user_id.0,
            room = room.0
        ))
        .await;
    srv.db
        .execute(&format!(
            "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, created_at, import_id) \
             VALUES ({room}, -8, {me}, {me}, 'import:900:0', 'text', 'half', '[]', {now}, 900), \
                    ({room}, -7, {me}, {me}, 'import:900:1', 'text', 'written', '[]', {now}, 900)",
            me = minji.user_id.0,
            room = room.0
        ))
        .await;
    assert!(minji.all_messages(room).await.is_empty(), "nobody sees it");
    let p = preview(&minji, KAKAO_PC_KO.as_bytes(), "c.txt").await;
    assert!(p["already"].is_null(), "{p}");

    let plan = json!({"me": "민지"});
    import(&minji, KAKAO_PC_KO.as_bytes(), "c.txt", plan.clone())
        .await
        .refused(409, "import_running");
    srv.clock.advance(Duration::from_secs(11 * 60));
    let done = import(&minji, KAKAO_PC_KO.as_bytes(), "c.txt", plan).await;
    assert_eq!(done.status, 201, "{}", done.body);
    assert_eq!(
        srv.db
            .scalar("SELECT COUNT(*) FROM messages WHERE import_id = 900")
            .await,
        0
    );
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM imports").await, 1);
    let got = minji
        .all_messages(RoomId(done.body["room_id"].as_i64().unwrap()))
        .await;
    assert_eq!(got.len(), 8);
}
