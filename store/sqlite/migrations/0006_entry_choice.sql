-- 0006: the option id a customer's button press chose
-- (bot.Entry.Choice), beside the label kept in text; '' for typed messages.
ALTER TABLE messages ADD COLUMN choice TEXT NOT NULL DEFAULT '';
