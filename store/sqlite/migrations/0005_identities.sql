-- 0005: agents' identities on chat platforms (package handoff's Link): a
-- platform user acting there as an agent. One agent may have several; a
-- platform user is one agent's at most. Removing an agent removes its links
-- (RemoveAgent deletes them in the same savepoint).
CREATE TABLE agent_identities (
	platform TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	agent    TEXT    NOT NULL,
	name     TEXT    NOT NULL DEFAULT '',
	created  INTEGER NOT NULL,
	PRIMARY KEY (platform, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX agent_identities_agent ON agent_identities (agent);
