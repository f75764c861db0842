-- 0002: the events of the bus between instances (Bus). A publication is a
-- row here and a NOTIFY carrying it; an instance that lost its listening
-- connection reads the rows it missed after reconnecting. Rows are kept
-- for a few minutes. at is Unix nanoseconds.
CREATE TABLE bus_events (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	topic   text   NOT NULL,
	payload bytea  NOT NULL,
	at      bigint NOT NULL
);

CREATE INDEX bus_events_at ON bus_events (at);
