-- Dealwatch schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql:
-- same tables, same columns, same meaning. Times are UTC Unix seconds;
-- money is a decimal string beside an ISO 4217 code. Never edit an applied
-- migration: add a new one.

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    plan               TEXT    NOT NULL DEFAULT 'free',
    plan_renews_at     INTEGER,
    locale             TEXT    NOT NULL,
    time_zone          TEXT    NOT NULL,
    currency           TEXT    NOT NULL DEFAULT 'GBP',
    quiet_start        INTEGER,            -- minutes after local midnight
    quiet_end          INTEGER,
    digest_mode        TEXT    NOT NULL DEFAULT 'off',   -- off | daily | weekly
    digest_minute      INTEGER NOT NULL DEFAULT 480,
    digest_weekday     INTEGER NOT NULL DEFAULT 1,       -- 1 = Monday
    daily_cap          INTEGER,
    next_item_no       INTEGER NOT NULL DEFAULT 1,       -- per-user #N for watches and rules
    stripe_customer_id TEXT UNIQUE,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE identities (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    reply_address   TEXT    NOT NULL,
    display_name    TEXT,
    opted_out       BOOLEAN NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    last_inbound_at INTEGER,            -- WhatsApp's 24-hour window starts here
    created_at      INTEGER NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE products (
    id                   INTEGER PRIMARY KEY,
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
    last_checked_at      INTEGER,
    next_check_at        INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    lease_owner          TEXT,
    lease_expires_at     INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX products_due ON products (next_check_at);

CREATE TABLE price_points (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price        TEXT,
    currency     TEXT,
    availability TEXT    NOT NULL,
    observed_at  INTEGER NOT NULL
);
CREATE INDEX price_points_product ON price_points (product_id, observed_at);

CREATE TABLE watches (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_no         INTEGER NOT NULL,
    product_id      INTEGER NOT NULL REFERENCES products (id),
    target_price    TEXT,
    target_currency TEXT,
    drop_percent    TEXT,
    back_in_stock   BOOLEAN NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL DEFAULT 'active',   -- active | paused
    paused_reason   TEXT,                                -- user | plan
    last_alert_key  TEXT,                                -- what last fired, so a change alerts once
    created_at      INTEGER NOT NULL,
    UNIQUE (user_id, item_no),
    UNIQUE (user_id, product_id)
);
CREATE INDEX watches_product ON watches (product_id);

CREATE TABLE rules (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_no            INTEGER NOT NULL,
    words              TEXT    NOT NULL,   -- JSON array of lower-case words
    excluded           TEXT    NOT NULL,   -- JSON array
    min_price          TEXT,
    max_price          TEXT,
    currency           TEXT,
    category           TEXT,
    min_score          TEXT,
    condition          TEXT,
    channel            TEXT,               -- per-rule channel choice; NULL = the user's usual
    target_identity_id INTEGER REFERENCES identities (id) ON DELETE SET NULL, -- community alerts
    state              TEXT    NOT NULL DEFAULT 'active',
    paused_reason      TEXT,
    created_at         INTEGER NOT NULL,
    UNIQUE (user_id, item_no)
);

CREATE TABLE deals (
    id         INTEGER PRIMARY KEY,
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
    product_id INTEGER REFERENCES products (id) ON DELETE SET NULL,
    seen_at    INTEGER NOT NULL
);
CREATE INDEX deals_seen ON deals (seen_at);

CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    identity_id         INTEGER REFERENCES identities (id) ON DELETE SET NULL,
    kind                TEXT    NOT NULL,
    dedupe_key          TEXT    NOT NULL UNIQUE,
    payload             TEXT    NOT NULL,   -- JSON
    state               TEXT    NOT NULL DEFAULT 'pending', -- pending | held | sending | sent | dead
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    claimed_by          TEXT,
    claimed_until       INTEGER,
    provider_message_id TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE inbound_messages (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    payload             TEXT    NOT NULL,   -- JSON of the neutral Incoming
    state               TEXT    NOT NULL DEFAULT 'accepted', -- accepted | processed | failed
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    received_at         INTEGER NOT NULL,
    processed_at        INTEGER,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX inbound_pending ON inbound_messages (state, received_at);

CREATE TABLE billing_events (
    id               INTEGER PRIMARY KEY,
    provider         TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    event_created_at INTEGER,
    received_at      INTEGER NOT NULL,
    applied_at       INTEGER,
    UNIQUE (provider, event_id)
);

CREATE TABLE link_codes (
    code        TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
