-- 0004: conversation leases (Lease, bot.Leases). The instance holding a
-- conversation's lease alone answers it and delivers its replies; the
-- lease is renewed while the conversation is live and taken by another
-- instance once it expired (its holder died) or was released. expires is
-- the database's clock, so the instances' clocks need not agree.
CREATE TABLE conversation_leases (
	channel      text        NOT NULL,
	conversation text        NOT NULL,
	owner        text        NOT NULL,
	expires      timestamptz NOT NULL,
	PRIMARY KEY (channel, conversation)
);
