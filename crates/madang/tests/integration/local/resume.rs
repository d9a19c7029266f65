//! A campaign survives `kill -9` mid-send: the real binary sends to a
//! generated audience in small batches, is killed while sending, and once
//! restarted finishes; the operators' audit (`madang admin campaign`)
//! then finds every recipient with exactly one message. The million-person
//! run of the same thing is `madang-bench campaign` (bench/RESULTS.md).

use super::campaigns::channel;
use madang_testkit::process::{self, free_port};
use madang_testkit::{Client, TestDb};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;
use tokio::process::{Child, Command};

const PEOPLE: u64 = 20_000;

pub(crate) const CONFIG: &str = r#"
[limits]
password_memory_kib = 64
campaign_batch = 100
campaign_poll_ms = 20
"#;

async fn serve(data: &Path, db: &TestDb, port: u16) -> Child {
    let args = [
        OsString::from("--config"),
        data.join("madang.toml").into(),
        "--data-dir".into(),
        data.into(),
        "--database-url".into(),
        db.url.clone().into(),
    ];
    process::serve(env!("CARGO_BIN_EXE_madang"), port, &args).await
}

/// `madang admin <args>`: its stdout, and whether it succeeded.
pub(crate) async fn admin(data: &Path, db: &TestDb, args: &[&str]) -> (String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madang"));
    let out = cmd
        .arg("admin")
        .arg("--config")
        .arg(data.join("madang.toml"))
        .arg("--data-dir")
        .arg(data)
        .args(["--database-url", &db.url])
        .args(args)
        .env("MADANG_LOG", "warn")
        .output()
        .await
        .expect("madang admin runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.success(),
    )
}

pub(crate) async fn audit(data: &Path, db: &TestDb, id: i64) -> (Value, bool) {
    let (out, ok) = admin(data, db, &["campaign", &id.to_string()]).await;
    let line = out.lines().last().unwrap_or_default();
    (serde_json::from_str(line).expect("the audit prints JSON"), ok)
}

#[tokio::test]
async fn a_campaign_killed_mid_send_finishes_with_everyone_exactly_once() {
    let db = TestDb::create().await;
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("madang.toml"), CONFIG).unwrap();
    let port = free_port();
    let mut server = serve(data.path(), &db, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut owner = Client::new(&base);
    owner.sign_up(&format!("resume_{port}")).await;
    let (_, ch) = channel(&owner, &format!("resume_{port}"), "재개 상점").await;

    // A generated audience; every 10th refused advertising.
    let (out, ok) = admin(
        data.path(),
        &db,
        &[
            "audience",
            &format!("resume_{port}"),
            "--people",
            &PEOPLE.to_string(),
            "--prefix",
            &format!("r{port}_"),
            "--no-marketing-every",
            "10",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let c = owner
        .post(
            &format!("/api/v1/channels/{ch}/campaigns"),
            json!({"name": "big", "kind": "advertising", "template": "#{name}님께만 드리는 쿠폰"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let id = c.body["id"].as_i64().unwrap();

    // Kill it once sending is well under way.
    let mut seen = 0;
    for _ in 0..2_000 {
        let v = owner.get(&format!("/api/v1/campaigns/{id}")).await.ok();
        seen = v["stats"]["delivered"].as_i64().unwrap();
        if seen >= 3_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(seen > 0, "sending never started");
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let (mid, ok) = audit(data.path(), &db, id).await;
    assert!(ok, "{mid}");
    let delivered_at_kill = mid["campaign"]["stats"]["delivered"].as_i64().unwrap();
    assert_eq!(
        mid["campaign"]["status"], "sending",
        "killed after it finished: {mid}"
    );
    assert!(delivered_at_kill < PEOPLE as i64);

    // Restarted, it picks up where the last committed batch ended.
    let _server = serve(data.path(), &db, port).await;
    for _ in 0..3_000 {
        let v = owner.get(&format!("/api/v1/campaigns/{id}")).await.ok();
        if v["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (end, ok) = audit(data.path(), &db, id).await;
    assert!(ok, "{end}");
    let stats = &end["campaign"]["stats"];
    assert_eq!(end["campaign"]["status"], "done", "{end}");
    assert_eq!(end["exactly_once"], true);
    assert_eq!(stats["targeted"], PEOPLE);
    assert_eq!(stats["passed"], PEOPLE);
    assert_eq!(stats["delivered"], PEOPLE * 9 / 10);
    assert_eq!(stats["skipped_by_reason"]["no_consent"], PEOPLE / 10);
    assert_eq!(end["audit"]["messages"], PEOPLE * 9 / 10);
    assert_eq!(end["audit"]["rooms"], PEOPLE * 9 / 10);
    println!(
        "killed at {delivered_at_kill} of {} delivered; finished with each exactly once",
        PEOPLE * 9 / 10
    );
}
