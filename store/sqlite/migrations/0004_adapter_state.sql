-- 0003: small durable values adapters keep (the Telegram poll offset, which
-- message carries a chat's buttons), by key; updated is Unix nanoseconds.
CREATE TABLE adapter_state (
	key     TEXT    PRIMARY KEY,
	value   TEXT    NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;
