-- Personalised campaign copy: a campaign may ask the server's model to
-- reword its message for each set of recipient attributes. Each wording
-- is generated once per attribute set (`variant`) and kept with the
-- campaign: `text` NULL when the model's output failed a guardrail (or
-- was not asked for), and why in `reason`; those recipients get the plain
-- template. The campaign counts messages sent either way.
ALTER TABLE campaigns ADD COLUMN rewrite BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN rewritten BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN fell_back BIGINT NOT NULL DEFAULT 0;

CREATE TABLE campaign_copies (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    variant TEXT NOT NULL,
    text TEXT,
    reason TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, variant)
);

-- Messages that fell back to the template, by reason, per campaign.
CREATE TABLE campaign_fallbacks (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    reason TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, reason)
);
