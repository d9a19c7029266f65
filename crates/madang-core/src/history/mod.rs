//! A person's history, carried in and out: reading other messengers'
//! chat exports (`exports`). Written by hand from the formats as the apps
//! document and write them; the fixtures are invented chats.

pub mod exports;
