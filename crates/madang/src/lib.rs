//! The `madang` binary's library half: configuration, wiring a node
//! together, the demo world and the admin console. `main.rs` only parses
//! the command line.

pub mod admin;
pub mod ai;
pub mod config;
pub mod demo;
pub mod eval;
pub mod node;
