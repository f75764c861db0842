-- 0003: agents' credentials are read from the database, where `calmbot agents`
-- changes them while a server runs, and desk logouts survive a restart.

-- epoch moves on whenever an agent's password changes: a desk session
-- carries the epoch it began in and ends when the agent's epoch is another.
-- A new agent starts at its creation time in Unix nanoseconds, so a name
-- removed and added again never accepts a session of the old agent.
ALTER TABLE agents ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;

-- Desk sessions that logged out, kept until they would have expired
-- (Unix nanoseconds), then pruned.
CREATE TABLE desk_revoked (
	session TEXT PRIMARY KEY,
	expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
