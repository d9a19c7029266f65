-- A campaign's message is its own record. Each delivered recipient used
-- to cost a message row, an event row repeating the message as JSON and
-- a `campaign_recipients` row: the event is now read from the message
-- row (`messages.campaign_id` set), and the campaign's stats and audit
-- count its messages. `campaign_recipients` keeps only the people still
-- deferred and the skipped, with why; opt-outs get their own table.

-- One message per campaign and room, whatever happens: the campaign's
-- messages are keyed by it, and the retry key of a person's send
-- (`messages_client`) covers the other messages only.
CREATE UNIQUE INDEX messages_campaign ON messages (campaign_id, room_id) WHERE campaign_id IS NOT NULL;
DROP INDEX messages_client;
CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE campaign_id IS NULL;

CREATE TABLE campaign_opt_outs (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);

INSERT INTO campaign_opt_outs (campaign_id, user_id, at)
    SELECT campaign_id, user_id, opted_out_at FROM campaign_recipients WHERE opted_out_at IS NOT NULL;
DELETE FROM campaign_recipients WHERE status = 'delivered';
ALTER TABLE campaign_recipients DROP COLUMN opted_out_at;
ALTER TABLE campaign_recipients DROP COLUMN room_id;
ALTER TABLE campaign_recipients DROP COLUMN seq;
DELETE FROM events WHERE EXISTS (
    SELECT 1 FROM messages m
    WHERE m.room_id = events.room_id AND m.seq = events.seq AND m.campaign_id IS NOT NULL
);
