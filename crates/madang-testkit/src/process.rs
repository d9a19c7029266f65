//! The real `madang` binary as a child process, for tests of what only a
//! process shows: `kill -9`, restarts, several nodes. The binary's path
//! comes from the calling test crate (`env!("CARGO_BIN_EXE_madang")`).

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `madang serve --listen 127.0.0.1:{port} {args}`, returned once it
/// answers `/readyz`; killed when dropped.
pub async fn serve<S: AsRef<OsStr>>(bin: &str, port: u16, args: &[S]) -> Child {
    let child = Command::new(bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .env("MADANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the madang binary starts");
    let url = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..300 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server on port {port} did not become ready");
}
