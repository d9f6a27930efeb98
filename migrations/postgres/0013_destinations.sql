-- Community destinations: places deals are posted for a group of people
-- (first: a Discord channel reached through a webhook URL). The person who
-- registered one owns it; plan limits count against them. A webhook's
-- token is a credential: kept sealed (AES-256-GCM under
-- DEALWATCH_SEAL_KEY), never in plain text. Keep in step with the other
-- dialect's 0013_destinations.sql.
CREATE TABLE destinations (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,          -- 'discord_webhook'
    name            TEXT    NOT NULL,          -- what the owner calls it
    external_id     TEXT    NOT NULL,          -- the webhook's id
    sealed_secret   TEXT,                      -- the webhook's token, sealed
    channel_id      TEXT,
    guild_id        TEXT,
    state           TEXT    NOT NULL DEFAULT 'active', -- 'active' | 'disabled'
    disabled_reason TEXT,
    created_at      BIGINT  NOT NULL,
    UNIQUE (owner_id, name),
    UNIQUE (owner_id, kind, external_id)
);
