-- Chat folders (issue 33): a person's named groups of rooms, in their
-- order. A room stays listed after its owner leaves it, but reads join
-- the membership, so only rooms they are in are ever shown.
CREATE TABLE chat_folders (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_folders_user ON chat_folders (user_id, position);

CREATE TABLE chat_folder_rooms (
    folder_id BIGINT NOT NULL REFERENCES chat_folders (id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    PRIMARY KEY (folder_id, room_id)
);
