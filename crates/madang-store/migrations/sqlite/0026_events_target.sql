-- Group commit (issue 32): a message's event has no target, yet each one
-- put an entry in this index, one more page written per message in a
-- 1:1 room. Only the events about a message (edits, reactions…) are
-- looked up by target, so only they are indexed.
DROP INDEX events_target;
CREATE INDEX events_target ON events (room_id, target) WHERE target IS NOT NULL;
