-- 0008: the desk's canned replies, saved per team (a skill; '' for every
-- agent), one row per language version of a titled reply ('' for any
-- language). updated is Unix nanoseconds.
CREATE TABLE canned_replies (
	id      INTEGER PRIMARY KEY,
	team    TEXT    NOT NULL DEFAULT '',
	title   TEXT    NOT NULL,
	lang    TEXT    NOT NULL DEFAULT '',
	text    TEXT    NOT NULL,
	author  TEXT    NOT NULL DEFAULT '',
	updated INTEGER
) STRICT;

CREATE UNIQUE INDEX canned_replies_key ON canned_replies (team, title, lang);
