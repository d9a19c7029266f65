//! Group commit through the API: many people sending into one group at
//! once, over HTTP and the WebSocket, all acknowledged in seq order.

use madang_core::Limits;
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::events::ServerFrame;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// 64 people send into one group at the same moment, half over HTTP and
/// half over their sockets, each several messages, some retried: the
/// room's messages are its next seqs with no gap, each client id stored
/// once, each sender's messages in the order they were sent.
#[tokio::test]
async fn sixty_four_senders_in_one_group_get_every_seq_once() {
    const SENDERS: usize = 64;
    const EACH: usize = 4;
    let srv = TestServer::start_with(Limits {
        signups_per_hour: 1000,
        ..test_limits()
    })
    .await;
    let owner = srv.user("gco").await;
    let mut people = Vec::new();
    for _ in 0..SENDERS - 1 {
        people.push(srv.user("gcm").await);
    }
    let refs: Vec<&Client> = people.iter().collect();
    let room = owner.group("다 같이", &refs).await;
    people.push(owner.clone());
    let start = people[0].room(room).await["last_seq"].as_i64().unwrap();

    let mut tasks = Vec::new();
    for (p, person) in people.iter().enumerate() {
        let person = person.clone();
        let socket = if p % 2 == 0 {
            Some(
                Ws::connect(&srv.base, person.token.as_deref().unwrap(), &BTreeMap::new())
                    .await
                    .0,
            )
        } else {
            None
        };
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            match socket {
                Some(mut ws) => {
                    for i in 0..EACH {
                        let id = format!("p{p}-{i}");
                        let frame =
                            serde_json::json!({"type": "send", "room_id": room, "client_id": id, "text": id});
                        ws.send_json(frame).await;
                        let acks = ws
                            .until(
                                WAIT,
                                |f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id.0 == id),
                            )
                            .await;
                        let Some(ServerFrame::Ack { seq, .. }) = acks.last() else {
                            panic!("no ack for {id}");
                        };
                        seqs.push(seq.0);
                    }
                }
                None => {
                    for i in 0..EACH {
                        let id = format!("p{p}-{i}");
                        let seq = person.send(room, &id, &id).await;
                        // A retry at once finds the first copy.
                        assert_eq!(person.send(room, &id, &id).await, seq);
                        seqs.push(seq.0);
                    }
                }
            }
            seqs
        }));
    }
    let mut acked = HashSet::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's order: {seqs:?}"
        );
        acked.extend(seqs);
    }
    let total = (SENDERS * EACH) as i64;
    assert_eq!(acked.len() as i64, total, "every ack has its own seq");
    let messages = people[0].all_messages(room).await;
    let seqs: Vec<i64> = messages.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, ((start + 1)..=(start + total)).collect::<Vec<_>>());
    let ids: HashSet<&str> = messages
        .iter()
        .map(|m| m["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len() as i64, total, "each client id once");
}
