-- 0009: drop messages_outbox_conv. Every reply paid for it twice (inserted
-- into it when stored, deleted from it when sent) for one query:
-- ClaimOutbox's look for another owner's live claim in the same
-- conversation, which the (conv_id, seq) key of messages serves as well
-- (a conversation's rows, few). messages_outbox stays: it orders the outbox.
DROP INDEX messages_outbox_conv;
