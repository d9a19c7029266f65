//! The `madang` binary's library half: configuration, wiring a node
//! together, and the demo world. `main.rs` only parses the command line.

pub mod config;
pub mod demo;
pub mod node;
