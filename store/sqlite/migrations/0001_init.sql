-- 0001: calmbot's first schema. Times are Unix nanoseconds (NULL for the
-- zero time); JSON columns hold TEXT and are NULL when empty.

-- One row per conversation. snapshot is the whole bot.Snapshot as JSON, the
-- other columns copy what queries need. last_in is the highest stored
-- inbound seq, kept by every commit, so that last_in > processed finds the
-- conversations with customer messages the bot has not answered yet.
CREATE TABLE conversations (
	id            INTEGER PRIMARY KEY,
	channel       TEXT    NOT NULL,
	conversation  TEXT    NOT NULL,
	status        TEXT    NOT NULL DEFAULT 'bot',
	lang          TEXT    NOT NULL DEFAULT '',
	flows_version TEXT    NOT NULL DEFAULT '',
	flow          TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL DEFAULT '',
	snapshot      TEXT,
	seq           INTEGER NOT NULL DEFAULT 0,
	processed     INTEGER NOT NULL DEFAULT 0,
	last_in       INTEGER NOT NULL DEFAULT 0,
	started       INTEGER,
	updated       INTEGER,
	UNIQUE (channel, conversation)
) STRICT;

CREATE INDEX conversations_unanswered ON conversations (id) WHERE last_in > processed;

-- The transcript, both directions. The id of an outbound row is its outbox
-- id; sent = 0 marks it undelivered. A redelivered inbound message (same
-- conversation and platform id: platform ids such as Telegram's message_id
-- or Slack's ts are unique only within a chat) hits messages_redelivery and
-- is ignored.
CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	conv_id     INTEGER NOT NULL REFERENCES conversations (id),
	channel     TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	author      TEXT    NOT NULL DEFAULT '',
	platform_id TEXT    NOT NULL DEFAULT '',
	text        TEXT    NOT NULL,
	at          INTEGER,
	analysis    TEXT,
	flow        TEXT    NOT NULL DEFAULT '',
	state       TEXT    NOT NULL DEFAULT '',
	choices     TEXT,
	sent        INTEGER NOT NULL DEFAULT 0,
	UNIQUE (conv_id, seq)
) STRICT;

CREATE UNIQUE INDEX messages_redelivery ON messages (conv_id, platform_id)
	WHERE direction = 'in' AND platform_id <> '';

-- The outbox: undelivered replies, oldest first.
CREATE INDEX messages_outbox ON messages (id) WHERE direction = 'out' AND sent = 0;

CREATE TABLE handoffs (
	id       INTEGER PRIMARY KEY,
	conv_id  INTEGER NOT NULL REFERENCES conversations (id),
	reason   TEXT    NOT NULL,
	evidence TEXT,
	skill    TEXT    NOT NULL DEFAULT '',
	priority TEXT    NOT NULL DEFAULT '',
	flow     TEXT    NOT NULL DEFAULT '',
	state    TEXT    NOT NULL DEFAULT '',
	lang     TEXT    NOT NULL DEFAULT '',
	at       INTEGER
) STRICT;

CREATE INDEX handoffs_conv ON handoffs (conv_id, id);

-- Customers' ratings of the help a person gave: the score first, then
-- the optional comment replaces the row (same conversation and time).
CREATE TABLE ratings (
	id      INTEGER PRIMARY KEY,
	conv_id INTEGER NOT NULL REFERENCES conversations (id),
	score   INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
	comment TEXT    NOT NULL DEFAULT '',
	at      INTEGER NOT NULL,
	UNIQUE (conv_id, at)
) STRICT;

-- Flow files by hash, so that a conversation can finish on the flows it started with.
CREATE TABLE flows_versions (
	hash   TEXT    PRIMARY KEY,
	source BLOB    NOT NULL,
	at     INTEGER NOT NULL
) STRICT;
