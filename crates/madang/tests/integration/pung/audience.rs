//! The audience matrix: for each audience mode, friends inside and outside
//! it, a friend added after posting, friends who were unfriended (from
//! either side) or blocked (either way) after posting, a one-way "friend"
//! and a stranger; through every endpoint and every WebSocket frame.

use super::{QUIET, id, png, post, pung_frames, socket};
use madang_testkit::{Client, TestServer, Ws};
use reqwest::Method;
use serde_json::{Value, json};

/// Posts a photo Pung with a poll for `audience`.
async fn pung(author: &Client, client_id: &str, audience: Value) -> Value {
    let up = author
        .raw(
            Method::POST,
            "/api/v1/pungs/uploads",
            Some((png(32, 32), "image/png")),
        )
        .await
        .ok();
    post(
        author,
        json!({
            "client_id": client_id,
            "photo": up["media_id"],
            "text": format!("for {client_id}"),
            "audience": audience,
            "layers": [{"type": "poll", "question": "?", "options": ["yes", "no"], "x": 0.5, "y": 0.5}]
        }),
    )
    .await
}

fn ids_in(list: &Value) -> Vec<i64> {
    list.as_array().into_iter().flatten().map(id).collect()
}

/// Every endpoint a viewer can reach a Pung through agrees on whether
/// `viewer` may see it.
async fn check(viewer: &Client, who: &str, author: &Client, p: &Value, visible: bool) {
    let pid = id(p);
    let path = format!("/api/v1/pungs/{pid}");
    let what = format!("{who} / {}", p["text"]);
    let feed = viewer.get("/api/v1/pungs/feed").await.ok();
    let in_feed = feed["friends"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|ring| ids_in(&ring["pungs"]).contains(&pid));
    assert_eq!(in_feed, visible, "feed: {what}");
    let of_author = viewer
        .get(&format!("/api/v1/users/{}/pungs", author.user_id))
        .await
        .ok();
    assert_eq!(ids_in(&of_author).contains(&pid), visible, "user's pungs: {what}");
    let media = [
        format!("/api/v1/media/{}", p["photo"]["media_id"].as_str().unwrap()),
        format!("/api/v1/media/{}", p["photo"]["thumbnail"].as_str().unwrap()),
    ];
    let reply = json!({"client_id": format!("reply-{pid}-{who}"), "text": "👀"});
    if visible {
        assert_eq!(viewer.get(&path).await.ok()["id"], pid, "{what}");
        for m in &media {
            assert_eq!(viewer.get(m).await.status, 200, "media: {what}");
        }
        assert_eq!(viewer.post(&format!("{path}/views"), json!({})).await.status, 204);
        assert_eq!(
            viewer
                .post(&format!("{path}/reactions"), json!({"emoji": "😍"}))
                .await
                .status,
            204
        );
        viewer
            .post(&format!("{path}/votes"), json!({"option": 0}))
            .await
            .ok();
        viewer.post(&format!("{path}/replies"), reply).await.ok();
        viewer
            .get(&format!("{path}/viewers"))
            .await
            .refused(403, "not_author");
        viewer.delete(&path).await.refused(403, "not_author");
    } else {
        for r in [
            viewer.get(&path).await,
            viewer.post(&format!("{path}/views"), json!({})).await,
            viewer
                .post(&format!("{path}/reactions"), json!({"emoji": "😍"}))
                .await,
            viewer.delete(&format!("{path}/reactions/😍")).await,
            viewer.post(&format!("{path}/votes"), json!({"option": 0})).await,
            viewer.post(&format!("{path}/replies"), reply).await,
            viewer.get(&format!("{path}/viewers")).await,
            viewer.delete(&path).await,
        ] {
            r.refused(404, "pung_not_found");
        }
        for m in &media {
            viewer.get(m).await.refused(404, "media_not_found");
        }
    }
}

#[tokio::test]
async fn only_the_audience_sees_a_pung_through_every_endpoint_and_event() {
    let srv = TestServer::start().await;
    let a = srv.user("author").await;
    let names = [
        "f1",
        "f2",
        "later",
        "unfriended",
        "unfriender",
        "blocked",
        "blocker",
        "oneway",
        "stranger",
    ];
    let mut people: Vec<Client> = Vec::new();
    for n in names {
        people.push(srv.user(n).await);
    }
    let [
        f1,
        f2,
        later,
        unfriended,
        unfriender,
        blocked,
        blocker,
        oneway,
        _stranger,
    ] = &people[..]
    else {
        unreachable!()
    };
    for p in [f1, f2, unfriended, unfriender, blocked, blocker] {
        a.befriend(p).await;
    }
    // One-way: they list the author, the author does not list them.
    oneway.add_friend(&a).await;
    let mut sockets: Vec<Ws> = Vec::new();
    for p in &people {
        sockets.push(socket(&srv, p).await);
    }

    let everyone = pung(&a, "friends", json!({"mode": "friends"})).await;
    let chosen = pung(
        &a,
        "chosen",
        json!({"mode": "chosen", "user_ids": [f1.user_id, unfriended.user_id, blocker.user_id]}),
    )
    .await;
    let except = pung(&a, "except", json!({"mode": "except", "user_ids": [f2.user_id]})).await;
    let only_me = pung(&a, "only_me", json!({"mode": "only_me"})).await;
    assert_eq!(only_me["shared_with"], json!([]));

    // After posting: a new friend, unfriending from both sides, blocks both ways.
    later.befriend(&a).await;
    assert_eq!(
        a.delete(&format!("/api/v1/friends/{}", unfriended.user_id))
            .await
            .status,
        204
    );
    assert_eq!(
        unfriender
            .delete(&format!("/api/v1/friends/{}", a.user_id))
            .await
            .status,
        204
    );
    a.post("/api/v1/blocks", json!({"user_id": blocked.user_id}))
        .await
        .ok();
    blocker
        .post("/api/v1/blocks", json!({"user_id": a.user_id}))
        .await
        .ok();

    let sees = |p: &Value| -> Vec<&str> {
        match p["text"].as_str().unwrap() {
            "for friends" => vec!["f1", "f2"],
            "for chosen" | "for except" => vec!["f1"],
            _ => vec![],
        }
    };
    for p in [&everyone, &chosen, &except, &only_me] {
        for (who, viewer) in names.iter().zip(&people) {
            check(viewer, who, &a, p, sees(p).contains(who)).await;
        }
        assert_eq!(a.get(&format!("/api/v1/pungs/{}", id(p))).await.status, 200);
    }
    let mine = a.get("/api/v1/pungs/feed").await.ok();
    assert_eq!(ids_in(&mine["mine"]).len(), 4);

    // Posted after the changes: the new friend sees it, the others still not.
    let fresh = pung(&a, "fresh", json!({"mode": "friends"})).await;
    for (who, viewer) in names.iter().zip(&people) {
        check(viewer, who, &a, &fresh, ["f1", "f2", "later"].contains(who)).await;
    }

    // Deleting tells only those who can still see each Pung.
    for p in [&everyone, &chosen, &except, &only_me, &fresh] {
        assert_eq!(a.delete(&format!("/api/v1/pungs/{}", id(p))).await.status, 204);
    }

    let (e, c, x, f) = (id(&everyone), id(&chosen), id(&except), id(&fresh));
    let expected: [(&str, Vec<(&str, i64)>); 9] = [
        (
            "f1",
            vec![
                ("posted", e),
                ("posted", c),
                ("posted", x),
                ("posted", f),
                ("removed", e),
                ("removed", c),
                ("removed", x),
                ("removed", f),
            ],
        ),
        (
            "f2",
            vec![("posted", e), ("posted", f), ("removed", e), ("removed", f)],
        ),
        ("later", vec![("posted", f), ("removed", f)]),
        (
            "unfriended",
            vec![("posted", e), ("posted", c), ("posted", x), ("changed", 0)],
        ),
        ("unfriender", vec![("posted", e), ("posted", x), ("changed", 0)]),
        ("blocked", vec![("posted", e), ("posted", x), ("changed", 0)]),
        (
            "blocker",
            vec![("posted", e), ("posted", c), ("posted", x), ("changed", 0)],
        ),
        ("oneway", vec![]),
        ("stranger", vec![]),
    ];
    for ((who, want), ws) in expected.into_iter().zip(sockets.iter_mut()) {
        let mut got = pung_frames(&ws.drain(QUIET).await);
        let mut want = want;
        got.sort();
        want.sort();
        assert_eq!(got, want, "frames of {who}");
    }
}
