//! The integration suite: every feature through the real HTTP and WebSocket
//! interfaces, on a fresh database per test. Runs on SQLite by default and
//! on PostgreSQL with `MADANG_TEST_DATABASE=postgres` (CI runs both).

mod accounts;
mod ai;
mod backup;
mod bad_input;
mod bots;
mod chat;
mod cluster;
mod crash;
mod drawer;
mod exports;
mod folders;
mod friends;
mod generator;
mod imports;
mod invariants;
mod live;
mod local;
mod media;
mod openchat;
mod ops;
mod polls;
mod pung;
mod push;
mod scheduled;
mod search;
mod sends;
mod store;
mod summaries;
mod threads;
mod voice;
