-- The channel's assistant (issue 29): it answers a customer in their room
-- with the channel from the facts the business wrote, or hands the room to
-- the agents.

-- Written by an assistant (a group's or a channel's), not by a person.
ALTER TABLE messages ADD COLUMN by_assistant BIGINT NOT NULL DEFAULT 0;

-- The switch, per channel, and what it did (answered, handed over,
-- withheld), for the business's console.
CREATE TABLE channel_assistants (
    channel_id BIGINT PRIMARY KEY REFERENCES channels (id),
    enabled BIGINT NOT NULL,
    answered BIGINT NOT NULL DEFAULT 0,
    handed_over BIGINT NOT NULL DEFAULT 0,
    withheld BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- The business's questions and answers.
CREATE TABLE channel_facts (
    id INTEGER PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX channel_facts_channel ON channel_facts (channel_id, id);

-- The people have the conversation (a handover, an agent's answer or
-- assignment): the assistant is quiet until it is closed. handover: JSON,
-- what the assistant had when it handed over.
ALTER TABLE channel_rooms ADD COLUMN with_agents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channel_rooms ADD COLUMN handover TEXT;
