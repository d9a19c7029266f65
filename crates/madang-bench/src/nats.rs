//! The limit: the fan-out shape on plain NATS core pub/sub (no
//! persistence): one subscriber connection per member, the same senders and
//! the same message text.

use crate::fanout::{FanoutArgs, FanoutResult, Tally};
use crate::stats::Latencies;
use crate::{Pace, padded};
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub async fn fanout(args: &FanoutArgs) -> anyhow::Result<FanoutResult> {
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    eprintln!("connecting {} NATS subscribers…", args.rooms * args.members);
    let mut tasks = Vec::new();
    for r in 0..args.rooms {
        for _ in 0..args.members {
            let client = async_nats::connect(&args.nats_url).await?;
            let mut sub = client.subscribe(format!("madang.bench.{r}")).await?;
            client.flush().await?;
            let local = Arc::new(std::sync::Mutex::new(Latencies::default()));
            tally.latencies.lock().await.push(local.clone());
            let tally = tally.clone();
            tasks.push(tokio::spawn(async move {
                let _keep = client;
                while let Some(msg) = sub.next().await {
                    let text = std::str::from_utf8(&msg.payload).unwrap_or("");
                    if let Some(at) = text
                        .strip_prefix("t=")
                        .and_then(|t| t.split('|').next())
                        .and_then(|t| t.parse().ok())
                    {
                        let mut local = local.lock().unwrap_or_else(|p| p.into_inner());
                        tally.delivered(at, &mut local);
                    }
                }
            }));
        }
    }
    for r in 0..args.rooms {
        for _ in 0..args.senders {
            let client = async_nats::connect(&args.nats_url).await?;
            let (stop, tally, payload, rate) = (stop.clone(), tally.clone(), args.payload, args.rate);
            tokio::spawn(async move {
                let subject = format!("madang.bench.{r}");
                let mut pace = Pace::new(rate);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    pace.tick().await;
                    if client
                        .publish(subject.clone(), padded(payload).into())
                        .await
                        .is_err()
                    {
                        break;
                    }
                    n += 1;
                    if tally.measuring.load(Ordering::Relaxed) {
                        tally.sends.fetch_add(1, Ordering::Relaxed);
                    }
                    // Like a madang sender's window: wait for the server now and then.
                    if !pace.is_paced() && n.is_multiple_of(16) && client.flush().await.is_err() {
                        break;
                    }
                }
            });
        }
    }
    let elapsed = tally.measure(args.secs).await;
    stop.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for t in &tasks {
        t.abort();
    }
    Ok(tally.result("nats", args, elapsed, None).await)
}
