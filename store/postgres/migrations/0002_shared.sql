-- 0002: what the instances on one database share beyond the store.

-- The events of the bus between instances (Bus). A publication is a row
-- here and a NOTIFY carrying it; an instance that lost its listening
-- connection reads the rows it missed after reconnecting. Rows are kept
-- for a few minutes. at is Unix nanoseconds.
CREATE TABLE bus_events (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	topic   text   NOT NULL,
	payload bytea  NOT NULL,
	at      bigint NOT NULL
);

CREATE INDEX bus_events_at ON bus_events (at);

-- The key signing web chat tokens and desk sessions (SharedKey): one for
-- every instance, made by the first that needs it.
CREATE TABLE server_key (
	id      int    PRIMARY KEY CHECK (id = 1),
	key     bytea  NOT NULL,
	created bigint NOT NULL
);
