-- 0005 (to be renumbered 0006 at merge): the outbox keeps each reply's
-- metadata, so that a reply resent after a restart carries the language,
-- the answered customer message ids and the conversation's status it was
-- made with (its seq, flow and state are already columns); and claims, so
-- that instances sharing the outbox hand each conversation's queue to one
-- of them at a time. claim_until is Unix nanoseconds, 0 for no claim.
ALTER TABLE messages ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN answers TEXT;
ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;

-- A conversation's undelivered replies in order: what ClaimOutbox checks
-- for another owner's live claim.
CREATE INDEX messages_outbox_conv ON messages (conv_id, id) WHERE direction = 'out' AND sent = 0;
