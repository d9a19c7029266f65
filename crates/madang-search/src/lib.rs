//! Discovery for Madang's open chats, as plain data structures with no I/O:
//! a Korean-aware text index ([`index`]), trending scores ([`trending`]),
//! an index of sentence embeddings ([`vectors`]) and recommendations with
//! their offline evaluation ([`recommend`]); for message search, the
//! tokens ([`tokenize`]) and the marked snippet of a hit ([`snippet`]). The core
//! fills them from the database and keeps them current; they are rebuilt
//! at start, so every node holds the same picture.

pub mod index;
pub mod recommend;
pub mod snippet;
pub mod tokenize;
pub mod trending;
pub mod vectors;
