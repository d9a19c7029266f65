//! The storage suite: repositories called directly, on SQLite and on
//! PostgreSQL (invariant 10), for the guarantees the use cases build on.

use madang_store::{AccountRepo, ChatRepo, MessageRepo, NewMessage, NewRoom, NewUser, SqlStore, StoreError};
use madang_testkit::TestDb;
use madang_types::api::RoomKind;
use madang_types::{ClientMsgId, Millis, RoomId, Seq, UserId};
use std::sync::Arc;

async fn store() -> (TestDb, Arc<SqlStore>) {
    let db = TestDb::create().await;
    let store = SqlStore::connect(&db.url, 8)
        .await
        .expect("connects and migrates");
    (db, Arc::new(store))
}

async fn users(store: &SqlStore, n: usize) -> Vec<UserId> {
    let mut out = Vec::new();
    for i in 0..n {
        let u = store
            .create_user(NewUser {
                handle: format!("user{i}"),
                password_hash: "x".into(),
                display_name: format!("User {i}"),
                phone_sha256: None,
                email_sha256: None,
                birthday: None,
                created_at: Millis(0),
                bot_owner: None,
            })
            .await
            .unwrap();
        out.push(u.id);
    }
    out
}

async fn group(store: &SqlStore, members: &[UserId]) -> RoomId {
    let new = NewRoom {
        kind: RoomKind::Group,
        title: "g".into(),
        direct_key: None,
        creator: members[0],
        members: members.to_vec(),
        at: Millis(0),
    };
    store.create_room(new).await.unwrap().0.id
}

fn message(room: RoomId, sender: UserId, client_id: &str) -> NewMessage {
    NewMessage::text(
        room,
        sender,
        sender,
        ClientMsgId(client_id.into()),
        client_id.into(),
        Millis(1),
    )
}

#[tokio::test]
async fn concurrent_appends_take_every_seq_once() {
    let (_db, store) = store().await;
    let people = users(&store, 4).await;
    let room = group(&store, &people).await;
    let start = store.room(room).await.unwrap().unwrap().last_seq;
    let mut tasks = Vec::new();
    for (w, &u) in people.iter().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..20 {
                let a = store
                    .append_message(message(room, u, &format!("{w}-{i}")))
                    .await
                    .unwrap();
                seqs.push(a.message.seq.0);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(all, ((start.0 + 1)..=(start.0 + 80)).collect::<Vec<_>>());
    let events = store.events_after(room, start, Seq(0), 1000).await.unwrap();
    assert_eq!(events.len(), 80);
}

#[tokio::test]
async fn appends_are_idempotent_per_client_id_and_refused_to_non_members() {
    let (_db, store) = store().await;
    let people = users(&store, 3).await;
    let room = group(&store, &people[..2]).await;
    let first = store
        .append_message(message(room, people[0], "once"))
        .await
        .unwrap();
    let again = store
        .append_message(message(room, people[0], "once"))
        .await
        .unwrap();
    assert!(first.event.is_some() && again.event.is_none());
    assert_eq!(first.message.seq, again.message.seq);
    // The refused retry consumed no seq.
    let next = store
        .append_message(message(room, people[1], "next"))
        .await
        .unwrap();
    assert_eq!(next.message.seq, first.message.seq.next());
    let outsider = store.append_message(message(room, people[2], "no")).await;
    assert!(matches!(outsider, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn read_cursors_only_move_forward() {
    let (_db, store) = store().await;
    let people = users(&store, 2).await;
    let room = group(&store, &people).await;
    let row = store.room(room).await.unwrap().unwrap();
    assert!(store.mark_read(&row, people[1], Seq(10)).await.unwrap());
    assert!(!store.mark_read(&row, people[1], Seq(5)).await.unwrap());
    assert_eq!(
        store.member(room, people[1]).await.unwrap().unwrap().read_seq,
        Seq(10)
    );
}

#[tokio::test]
async fn a_direct_key_is_unique_and_the_member_cap_is_atomic() {
    let (_db, store) = store().await;
    let people = users(&store, 5).await;
    let direct = |a: UserId, b: UserId| NewRoom {
        kind: RoomKind::Direct,
        title: String::new(),
        direct_key: Some(format!("{a}:{b}")),
        creator: a,
        members: vec![a, b],
        at: Millis(0),
    };
    store.create_room(direct(people[0], people[1])).await.unwrap();
    let twice = store.create_room(direct(people[0], people[1])).await;
    assert!(matches!(twice, Err(StoreError::Conflict("direct_key"))));
    let room = group(&store, &people[..2]).await;
    let over = store
        .add_members(room, &people[2..], people[0], Millis(0), 4)
        .await;
    assert!(matches!(over, Err(StoreError::RoomFull)));
    assert_eq!(store.members(room).await.unwrap().len(), 2, "nobody was added");
    let events = store
        .add_members(room, &people[2..4], people[0], Millis(0), 4)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(store.room(room).await.unwrap().unwrap().member_count, 4);
}

#[tokio::test]
async fn deleting_a_message_blanks_it_and_its_events() {
    let (_db, store) = store().await;
    let people = users(&store, 2).await;
    let room = group(&store, &people).await;
    let new = NewMessage {
        text: "secret words".into(),
        ..message(room, people[0], "c1")
    };
    let m = store.append_message(new).await.unwrap().message;
    store
        .edit_message(room, m.seq, people[0], "more secret words", Millis(2))
        .await
        .unwrap();
    store
        .delete_message(room, m.seq, people[0], Millis(3))
        .await
        .unwrap();
    let log = format!(
        "{:?}",
        store.events_after(room, Seq(0), Seq(0), 100).await.unwrap()
    );
    assert!(!log.contains("secret"), "{log}");
    let stored = store.message(room, m.seq).await.unwrap().unwrap();
    assert!(stored.text.is_empty() && stored.deleted_at.is_some());
    assert!(matches!(
        store.delete_message(room, m.seq, people[0], Millis(4)).await,
        Err(StoreError::NotFound)
    ));
}

/// Nodes polling for due scheduled messages at the same moment each claim
/// different ones (PostgreSQL: `SKIP LOCKED`; SQLite: one writer), and a
/// claimed one is not claimed again until its lease ends.
#[tokio::test]
async fn due_scheduled_messages_are_claimed_by_one_poller_each() {
    use madang_store::{NewScheduled, ScheduledRepo};
    use madang_types::DeviceId;
    let (_db, store) = store().await;
    let u = users(&store, 2).await;
    let room = group(&store, &u).await;
    for i in 0..40 {
        let new = NewScheduled {
            room_id: room,
            user_id: u[0],
            device_id: DeviceId(1),
            client_id: format!("sched-{i}"),
            text: format!("m{i}"),
            reply_to: None,
            mentions: Vec::new(),
            attachment: None,
            send_at: Millis(1_000 + i),
            at: Millis(0),
        };
        assert!(store.schedule(new, 100).await.unwrap().is_some());
    }
    let now = Millis(10_000);
    let pollers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due_scheduled(now, Millis(70_000), 3).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|r| r.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for p in pollers {
        all.extend(p.await.unwrap());
    }
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40), "each claimed once");
    assert!(
        store
            .claim_due_scheduled(Millis(69_999), Millis(130_000), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due_scheduled(Millis(70_000), Millis(130_000), 100)
            .await
            .unwrap()
            .len(),
        40,
        "after the lease"
    );
}

/// Group commit: sends queued together are written in one transaction,
/// and the ones the batch must refuse (a stranger, a client id used in
/// another room, no such room) are refused alone, taking no seq; the rest
/// are acknowledged with the room's next seqs, no gap, a retry of an
/// earlier send answered with its first copy.
#[tokio::test]
async fn a_batch_refuses_its_bad_sends_alone_and_writes_the_rest() {
    let (_db, store) = store().await;
    let people = users(&store, 5).await;
    let stranger = people[4];
    let room = group(&store, &people[..4]).await;
    let other = group(&store, &people[..2]).await;
    let start = store.room(room).await.unwrap().unwrap().last_seq;
    store
        .append_message(message(other, people[0], "used-elsewhere"))
        .await
        .unwrap();
    store
        .append_message(message(room, people[1], "sent-before"))
        .await
        .unwrap();

    // Every future queues its send on its first poll, before any answer:
    // the writer takes them in one or two batches.
    let mut sends = Vec::new();
    for i in 0..40 {
        let new = match i {
            7 => message(room, stranger, "from-a-stranger"),
            13 => message(room, people[0], "used-elsewhere"),
            21 => message(RoomId(i64::MAX), people[2], "no-such-room"),
            29 => message(room, people[1], "sent-before"),
            _ => message(room, people[i % 4], &format!("b{i}")),
        };
        sends.push(store.append_message(new));
    }
    let answers = futures::future::join_all(sends).await;
    let mut fresh = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        match (i, answer) {
            (7, Err(StoreError::NotFound)) | (21, Err(StoreError::NotFound)) => {}
            (13, Err(StoreError::Conflict("client_id"))) => {}
            (29, Ok(a)) => {
                assert!(a.event.is_none(), "a retry stores nothing");
                assert_eq!(a.message.seq, Seq(start.0 + 1));
            }
            (i, Ok(a)) if ![7, 13, 21, 29].contains(&i) => {
                let event = a.event.expect("a fresh send has its event");
                assert_eq!(event.seq, a.message.seq);
                fresh.push(a.message.seq.0);
            }
            (i, other) => panic!("send {i}: {other:?}"),
        }
    }
    assert_eq!(fresh.len(), 36);
    assert!(
        fresh.windows(2).all(|w| w[0] < w[1]),
        "queued order is seq order: {fresh:?}"
    );
    assert_eq!(fresh, ((start.0 + 2)..=(start.0 + 37)).collect::<Vec<_>>());
    let stored = store.history(room, Seq(i64::MAX), Seq(0), 100).await.unwrap();
    assert_eq!(stored.len(), 37, "the retry and the refused sends stored nothing");
    assert_eq!(
        store.room(room).await.unwrap().unwrap().last_seq,
        Seq(start.0 + 37)
    );
    assert_eq!(
        store.room(room).await.unwrap().unwrap().last_message_seq,
        Some(Seq(start.0 + 37))
    );
    // Each sender's cursor is on their last message of the batch.
    let last_of_2 = stored
        .iter()
        .filter(|m| m.sender_id == people[2])
        .map(|m| m.seq)
        .max()
        .unwrap();
    assert_eq!(
        store.member(room, people[2]).await.unwrap().unwrap().read_seq,
        last_of_2
    );
    // And the batch's events are the log a device catches up from.
    let events = store.events_after(room, start, Seq(0), 100).await.unwrap();
    assert_eq!(events.len(), 37);
}
