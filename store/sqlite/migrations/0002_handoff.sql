-- 0002: the handoff queue (package handoff): tickets and agents. Times are
-- Unix nanoseconds (NULL for the zero time).

-- One row per ticket. ticket is the whole handoff.Ticket as JSON; the other
-- columns copy what queries need. version only grows: an update carrying
-- an older version changes nothing.
CREATE TABLE tickets (
	id           INTEGER PRIMARY KEY,
	channel      TEXT    NOT NULL,
	conversation TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('queued', 'assigned', 'closed')),
	owner        TEXT    NOT NULL DEFAULT '',
	skill        TEXT    NOT NULL DEFAULT '',
	priority     TEXT    NOT NULL DEFAULT 'normal',
	reason       TEXT    NOT NULL DEFAULT '',
	created      INTEGER,
	closed       INTEGER,
	version      INTEGER NOT NULL,
	ticket       TEXT    NOT NULL
) STRICT;

CREATE INDEX tickets_open ON tickets (id) WHERE status <> 'closed';
CREATE INDEX tickets_closed ON tickets (closed) WHERE status = 'closed';
CREATE INDEX tickets_address ON tickets (channel, conversation);

-- Agents. agent is the handoff.Agent as JSON; password_hash its bcrypt hash.
CREATE TABLE agents (
	id            TEXT PRIMARY KEY,
	password_hash BLOB NOT NULL,
	agent         TEXT NOT NULL,
	updated       INTEGER
) STRICT;
