//! Chat folders: each person's named groups of rooms (at most
//! `max_folders` of at most `max_folder_rooms` rooms), in their order, the
//! same on all their devices: every change is told to each of them live.

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::FolderRow;
use madang_types::folders::{Folder, FolderList, FolderUpdate, NewFolder};
use madang_types::{FolderId, RoomId};
use std::collections::BTreeSet;

fn folder(row: FolderRow) -> Folder {
    Folder {
        id: row.id,
        name: row.name,
        room_ids: row.room_ids,
    }
}

impl Core {
    pub async fn folders(&self, me: &Session) -> Result<FolderList> {
        let rows = self.repos.folders(me.user).await?;
        Ok(FolderList {
            folders: rows.into_iter().map(folder).collect(),
            max_folders: self.limits.max_folders,
            max_rooms: self.limits.max_folder_rooms,
        })
    }

    pub async fn create_folder(&self, me: &Session, req: NewFolder) -> Result<Folder> {
        let name = self.check_folder_name(&req.name)?;
        let rooms = self.folder_rooms(me, &req.room_ids).await?;
        let id = self
            .repos
            .create_folder(me.user, &name, &rooms, self.now(), self.limits.max_folders)
            .await?
            .ok_or_else(|| Error::Conflict {
                code: "folder_limit",
                message: format!("a person may have at most {} folders", self.limits.max_folders),
            })?;
        self.folders_changed(me).await;
        Ok(Folder {
            id,
            name,
            room_ids: rooms,
        })
    }

    pub async fn update_folder(&self, me: &Session, id: FolderId, req: FolderUpdate) -> Result<Folder> {
        let name = req
            .name
            .as_deref()
            .map(|n| self.check_folder_name(n))
            .transpose()?;
        let rooms = match &req.room_ids {
            Some(ids) => Some(self.folder_rooms(me, ids).await?),
            None => None,
        };
        if !self
            .repos
            .update_folder(me.user, id, name.as_deref(), rooms.as_deref())
            .await?
        {
            return Err(Error::NotFound("folder"));
        }
        self.folders_changed(me).await;
        self.repos
            .folders(me.user)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .map(folder)
            .ok_or(Error::NotFound("folder"))
    }

    pub async fn delete_folder(&self, me: &Session, id: FolderId) -> Result<()> {
        if !self.repos.delete_folder(me.user, id).await? {
            return Err(Error::NotFound("folder"));
        }
        self.folders_changed(me).await;
        Ok(())
    }

    pub async fn order_folders(&self, me: &Session, order: &[FolderId]) -> Result<FolderList> {
        if !self.repos.order_folders(me.user, order).await? {
            return Err(Error::invalid(
                "folder_order_mismatch",
                "the order must name each of your folders exactly once",
            ));
        }
        self.folders_changed(me).await;
        self.folders(me).await
    }

    fn check_folder_name(&self, name: &str) -> Result<String> {
        let n = name.trim();
        let max = self.limits.max_folder_name_chars;
        if n.is_empty() || n.chars().count() > max || n.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid_folder_name",
                format!("a folder name is 1–{max} characters"),
            ));
        }
        Ok(n.to_owned())
    }

    /// The rooms asked for, once each and by id, if the caller is in every
    /// one and there are not too many.
    async fn folder_rooms(&self, me: &Session, ids: &[RoomId]) -> Result<Vec<RoomId>> {
        let wanted: BTreeSet<RoomId> = ids.iter().copied().collect();
        let max = self.limits.max_folder_rooms;
        if wanted.len() as i64 > max {
            return Err(Error::invalid(
                "folder_rooms_limit",
                format!("a folder holds at most {max} rooms"),
            ));
        }
        let wanted: Vec<RoomId> = wanted.into_iter().collect();
        let mine: BTreeSet<RoomId> = self
            .repos
            .member_rooms(me.user, &wanted)
            .await?
            .into_iter()
            .collect();
        if mine.len() != wanted.len() {
            return Err(Error::NotMember);
        }
        Ok(wanted)
    }

    /// Every device of the caller's, this one included, fetches again.
    async fn folders_changed(&self, me: &Session) {
        self.publish(Topic::User(me.user), Live::FoldersChanged).await;
    }
}
