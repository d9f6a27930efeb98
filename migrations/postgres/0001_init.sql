-- Dealwatch schema, PostgreSQL dialect. Keep in step with ../sqlite/0001_init.sql:
-- same tables, same columns, same meaning. Times are UTC Unix seconds;
-- money is a decimal string beside an ISO 4217 code. Never edit an applied
-- migration: add a new one.

CREATE TABLE users (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan               TEXT    NOT NULL DEFAULT 'free',
    plan_renews_at     BIGINT,
    locale             TEXT    NOT NULL,
    time_zone          TEXT    NOT NULL,
    currency           TEXT    NOT NULL DEFAULT 'GBP',
    quiet_start        BIGINT,            -- minutes after local midnight
    quiet_end          BIGINT,
    digest_mode        TEXT    NOT NULL DEFAULT 'off',   -- off | daily | weekly
    digest_minute      BIGINT NOT NULL DEFAULT 480,
    digest_weekday     BIGINT NOT NULL DEFAULT 1,       -- 1 = Monday
    daily_cap          BIGINT,
    next_item_no       BIGINT NOT NULL DEFAULT 1,       -- per-user #N for watches and rules
    stripe_customer_id TEXT UNIQUE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE identities (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    reply_address   TEXT    NOT NULL,
    display_name    TEXT,
    opted_out       BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason TEXT,
    last_inbound_at BIGINT,            -- WhatsApp's 24-hour window starts here
    created_at      BIGINT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE products (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canonical_url        TEXT    NOT NULL UNIQUE,
    host                 TEXT    NOT NULL,
    title                TEXT,
    image_url            TEXT,
    price                TEXT,
    currency             TEXT,
    availability         TEXT    NOT NULL DEFAULT 'unknown',
    extract_method       TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    last_checked_at      BIGINT,
    next_check_at        BIGINT NOT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    last_error           TEXT,
    lease_owner          TEXT,
    lease_expires_at     BIGINT,
    created_at           BIGINT NOT NULL
);
CREATE INDEX products_due ON products (next_check_at);

CREATE TABLE price_points (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price        TEXT,
    currency     TEXT,
    availability TEXT    NOT NULL,
    observed_at  BIGINT NOT NULL
);
CREATE INDEX price_points_product ON price_points (product_id, observed_at);

CREATE TABLE watches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_no         BIGINT NOT NULL,
    product_id      BIGINT NOT NULL REFERENCES products (id),
    target_price    TEXT,
    target_currency TEXT,
    drop_percent    TEXT,
    back_in_stock   BOOLEAN NOT NULL DEFAULT FALSE,
    state           TEXT    NOT NULL DEFAULT 'active',   -- active | paused
    paused_reason   TEXT,                                -- user | plan
    last_alert_key  TEXT,                                -- what last fired, so a change alerts once
    created_at      BIGINT NOT NULL,
    UNIQUE (user_id, item_no),
    UNIQUE (user_id, product_id)
);
CREATE INDEX watches_product ON watches (product_id);

CREATE TABLE rules (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id            BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_no            BIGINT NOT NULL,
    words              TEXT    NOT NULL,   -- JSON array of lower-case words
    excluded           TEXT    NOT NULL,   -- JSON array
    min_price          TEXT,
    max_price          TEXT,
    currency           TEXT,
    category           TEXT,
    min_score          TEXT,
    condition          TEXT,
    channel            TEXT,               -- per-rule channel choice; NULL = the user's usual
    target_identity_id BIGINT REFERENCES identities (id) ON DELETE SET NULL, -- community alerts
    state              TEXT    NOT NULL DEFAULT 'active',
    paused_reason      TEXT,
    created_at         BIGINT NOT NULL,
    UNIQUE (user_id, item_no)
);

CREATE TABLE deals (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     TEXT    NOT NULL,
    dedupe_key TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    price      TEXT,
    was_price  TEXT,
    currency   TEXT,
    merchant   TEXT,
    category   TEXT,
    condition  TEXT,
    score      TEXT,
    product_id BIGINT REFERENCES products (id) ON DELETE SET NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX deals_seen ON deals (seen_at);

CREATE TABLE outbox (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    identity_id         BIGINT REFERENCES identities (id) ON DELETE SET NULL,
    kind                TEXT    NOT NULL,
    dedupe_key          TEXT    NOT NULL UNIQUE,
    payload             TEXT    NOT NULL,   -- JSON
    state               TEXT    NOT NULL DEFAULT 'pending', -- pending | held | sending | sent | dead
    attempts            BIGINT NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT NOT NULL,
    claimed_by          TEXT,
    claimed_until       BIGINT,
    provider_message_id TEXT,
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    sent_at             BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE inbound_messages (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel             TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    payload             TEXT    NOT NULL,   -- JSON of the neutral Incoming
    state               TEXT    NOT NULL DEFAULT 'accepted', -- accepted | processed | failed
    attempts            BIGINT NOT NULL DEFAULT 0,
    last_error          TEXT,
    received_at         BIGINT NOT NULL,
    processed_at        BIGINT,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX inbound_pending ON inbound_messages (state, received_at);

CREATE TABLE billing_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider         TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    event_created_at BIGINT,
    received_at      BIGINT NOT NULL,
    applied_at       BIGINT,
    UNIQUE (provider, event_id)
);

CREATE TABLE link_codes (
    code        TEXT    PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    identity_id BIGINT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
