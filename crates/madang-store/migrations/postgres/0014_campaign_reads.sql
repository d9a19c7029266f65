-- A campaign's read count, kept as it happens. Counting it on demand
-- visited every delivered message of the campaign (a million for a
-- million-person campaign) on each look at the stats; now the move of a
-- person's read cursor in their channel room adds the campaign messages
-- it passed. The count is split over a few rows per campaign (`shard`,
-- from the room) so that many people reading at once do not all wait on
-- one row; the stats add them up.
CREATE TABLE campaign_reads (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    shard BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, shard)
);

-- What was read before this migration, counted once the old way.
INSERT INTO campaign_reads (campaign_id, shard, n)
    SELECT m.campaign_id, 0, COUNT(*) FROM messages m
    JOIN channel_rooms r ON r.room_id = m.room_id
    JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = r.user_id
    WHERE m.campaign_id IS NOT NULL AND rm.read_seq >= m.seq
    GROUP BY m.campaign_id;
