//! Chat folders: a person's own named groups of rooms, the same on every
//! device. The built-in views (all, unread, open chats, channels) are
//! filters a client applies to the room list and are not stored.

use crate::{FolderId, RoomId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One folder: its rooms are those the person is still a member of, by id
/// (the client shows them in the room list's own order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Folder {
    pub id: FolderId,
    pub name: String,
    pub room_ids: Vec<RoomId>,
}

/// The person's folders in their order, with the limits that apply.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FolderList {
    pub folders: Vec<Folder>,
    /// How many folders a person may have.
    pub max_folders: i64,
    /// How many rooms one folder may hold.
    pub max_rooms: i64,
}

/// `POST /api/v1/folders`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFolder {
    /// 1 to 20 characters.
    pub name: String,
    /// Rooms the caller is a member of; duplicates count once.
    #[serde(default)]
    pub room_ids: Vec<RoomId>,
}

/// `PATCH /api/v1/folders/{id}`: what is given replaces what was there.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderUpdate {
    #[serde(default)]
    pub name: Option<String>,
    /// The folder's whole room list.
    #[serde(default)]
    pub room_ids: Option<Vec<RoomId>>,
}

/// `PUT /api/v1/folders/order`: every one of the caller's folders, once,
/// in the order wanted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderOrder {
    pub folder_ids: Vec<FolderId>,
}
