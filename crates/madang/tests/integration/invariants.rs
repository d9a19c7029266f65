//! Ordering and idempotency under concurrency (invariants 1 and 3).

use madang_testkit::TestServer;
use madang_types::Seq;
use std::collections::HashSet;

/// Invariant 1: concurrent writers into one room; a reader tailing the
/// event feed by cursor the whole time sees every seq exactly once, with no
/// gap, and each writer's messages in the order it sent them. (With a seq
/// allocated outside the committing transaction, the tailer would skip an
/// event committed after a later one.)
#[tokio::test]
async fn concurrent_writers_produce_gap_free_seqs_that_a_tailing_reader_never_skips() {
    let srv = TestServer::start().await;
    let owner = srv.user("oa").await;
    let mut writers = Vec::new();
    for _ in 0..4 {
        writers.push(srv.user("ow").await);
    }
    let refs: Vec<&madang_testkit::Client> = writers.iter().collect();
    let room = owner.group("busy", &refs).await;
    let start = owner.room(room).await["last_seq"].as_i64().unwrap();
    const EACH: usize = 25;
    let total = (writers.len() * EACH) as i64;
    let tail = {
        let reader = owner.clone();
        tokio::spawn(async move {
            let (mut after, mut seen) = (start, Vec::new());
            while after < start + total {
                let page = reader
                    .get(&format!("/api/v1/rooms/{room}/events?after={after}"))
                    .await
                    .ok();
                for e in page["events"].as_array().unwrap() {
                    let seq = e["seq"].as_i64().unwrap();
                    seen.push(seq);
                    after = seq;
                }
            }
            seen
        })
    };
    let mut tasks = Vec::new();
    for (w, writer) in writers.iter().enumerate() {
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                seqs.push(writer.send(room, &format!("w{w}-{i}"), &format!("{w}:{i}")).await);
            }
            seqs
        }));
    }
    let mut all = HashSet::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(
            seqs.windows(2).all(|p| p[0] < p[1]),
            "a writer's messages keep their order"
        );
        all.extend(seqs);
    }
    let seen = tail.await.unwrap();
    assert_eq!(seen, ((start + 1)..=(start + total)).collect::<Vec<_>>());
    assert_eq!(all.len() as i64, total);
    let history: Vec<i64> = owner
        .all_messages(room)
        .await
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(history, ((start + 1)..=(start + total)).collect::<Vec<_>>());
}

/// Invariant 3: retries of one send, even concurrent ones, store one message.
#[tokio::test]
async fn concurrent_retries_of_one_send_store_one_message() {
    let srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let room = a.direct(&b).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let a = a.clone();
        tasks.push(tokio::spawn(
            async move { a.send(room, "same-id", "only once").await },
        ));
    }
    let mut seqs: Vec<Seq> = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.dedup();
    assert_eq!(seqs.len(), 1);
    let msgs = b.all_messages(room).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["text"], "only once");
    // Reusing the id in another room is a client bug and says so.
    let c = srv.user("rc").await;
    let other = a.direct(&c).await;
    a.try_send(other, "same-id", "elsewhere")
        .await
        .refused(400, "client_id_reused");
}

/// One client id sent at once into two rooms (on PostgreSQL, rooms of two
/// different writers, whose batches race on the unique client id): one
/// room stores it once, every send to it is answered with that copy, and
/// every send to the other room is refused as reused.
#[tokio::test]
async fn one_client_id_raced_into_two_rooms_is_stored_once() {
    let srv = TestServer::start().await;
    let a = srv.user("ca").await;
    let b = srv.user("cb").await;
    let c = srv.user("cc").await;
    let first = a.direct(&b).await;
    let second = a.direct(&c).await;
    assert_ne!(first, second);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let a = a.clone();
        let room = if i % 2 == 0 { first } else { second };
        tasks.push(tokio::spawn(async move {
            (room, a.try_send(room, "raced-id", "once").await)
        }));
    }
    let mut stored_in = HashSet::new();
    let mut refused = 0;
    for t in tasks {
        let (room, reply) = t.await.unwrap();
        match reply.status {
            200 | 201 => {
                stored_in.insert((room, reply.body["seq"].as_i64().unwrap()));
            }
            400 => {
                assert_eq!(reply.body["error"]["code"], "client_id_reused");
                refused += 1;
            }
            other => panic!("{other}: {}", reply.body),
        }
    }
    assert_eq!(stored_in.len(), 1, "{stored_in:?}");
    assert_eq!(refused, 8, "every send to the other room is refused");
    let total = b.all_messages(first).await.len() + c.all_messages(second).await.len();
    assert_eq!(total, 1);
}
