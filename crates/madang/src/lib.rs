//! The `madang` binary's library half: configuration, wiring a node
//! together, the demo world, the admin console and backups. `main.rs` only parses
//! the command line.

pub mod admin;
pub mod ai;
pub mod backup;
pub mod config;
pub mod demo;
pub mod eval;
pub mod node;
