-- The platform API (issue 31): buttons under a bot's message, a bot's
-- slash commands, its outgoing webhook and the durable queue of what is
-- posted to it.

-- A bot's message may carry buttons: JSON, NULL when it has none.
ALTER TABLE messages ADD COLUMN buttons TEXT;

-- What a bot offers when `/` is typed in a room it is in: JSON
-- [{command, description}], NULL when it declared none.
ALTER TABLE users ADD COLUMN bot_commands TEXT;

-- A bot's outgoing webhook (one per bot). `secret` signs each delivery.
-- A webhook whose deliveries failed for the whole retry window is turned
-- off (`disabled_at`) until it is set again.
CREATE TABLE webhooks (
    bot_id BIGINT PRIMARY KEY REFERENCES users (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    last_error TEXT
);

-- What is to be posted to a webhook, written when the event is expanded
-- from the outbox (a message) or in the transaction of its cause (a
-- button press). Delivered in `id` order per bot and room; a row stays
-- until its receiver answered 2xx. `delivery_id` is the id the receiver
-- sees, the same on every try.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    bot_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    first_failed_at BIGINT
);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (bot_id, room_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at);
