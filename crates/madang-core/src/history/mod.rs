//! A person's history, carried in and out: reading other messengers'
//! chat exports (`exports`, written by hand from the formats as the apps
//! document and write them; the fixtures are invented chats), writing
//! them into rooms (`import`), and taking rooms and accounts out
//! (`export`).

pub mod export;
pub mod exports;
pub mod import;
