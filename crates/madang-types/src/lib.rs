//! Shared vocabulary of Madang: identifier newtypes, the REST request and
//! response bodies, and the live events that travel over the bus and the
//! WebSocket. This crate does no I/O; every other crate may depend on it.

pub mod ai;
pub mod api;
pub mod channel;
pub mod earnings;
pub mod events;
pub mod folders;
pub mod history;
pub mod ids;
pub mod local;
pub mod openchat;
pub mod polls;
pub mod pung;
pub mod push;
pub mod scheduled;

pub use ids::*;
