package bot

import "time"

// Address names one conversation on one channel.
type Address struct {
	// Channel is the adapter's name: console, web, slack, telegram, discord, test.
	Channel string `json:"channel"`
	// Conversation is the platform's id of the chat (a DM, a chat id, a web session).
	Conversation string `json:"conversation"`
}

// String formats a as channel:conversation.
func (a Address) String() string { return a.Channel + ":" + a.Conversation }

// Message is a customer's message as an adapter hands it to the engine.
type Message struct {
	Address Address `json:"address"`
	// ID is the platform's message id, unique within the conversation
	// (Telegram's message_id, Slack's ts); a message whose ID was already
	// stored for the same Address is a redelivery and is ignored. Empty IDs
	// are never deduplicated.
	ID string `json:"id,omitempty"`
	// Text is what the customer wrote.
	Text string `json:"text"`
	// Locale is the language the platform reports for the customer
	// (Telegram's language_code, a browser's Accept-Language), or "".
	Locale string `json:"locale,omitempty"`
	// At is when the platform received the message.
	At time.Time `json:"at"`
	// Choice is the id of the offered option a button press chose, "" for
	// a typed message; Text then holds the option's label, which the
	// transcript shows. The engine takes it as choosing that option when
	// the option is on offer, and reads Text as typed otherwise (the
	// button of an earlier question).
	Choice string `json:"choice,omitempty"`
	// From is who wrote the message, as the platform names them; zero when
	// the platform says nothing (the web chat).
	From User `json:"from,omitzero"`
	// Thread is the platform's thread the message was written in (a Slack
	// thread ts, a Telegram forum topic), "" for none.
	Thread string `json:"thread,omitempty"`
}

// User is a person as a platform names them.
type User struct {
	// ID is the platform's id of the user (Telegram's user id, Slack's U…).
	ID string `json:"id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
}

// Reply is a message from the bot to a customer.
type Reply struct {
	Address Address `json:"address"`
	// Text is the rendered message in the conversation's language and channel variant.
	Text string `json:"text"`
	// Choices are the options the reply offers, in order; empty when none.
	Choices []Choice `json:"choices,omitempty"`
	// Author is "" for the bot, else the person who wrote the reply (an agent's id).
	Author string `json:"author,omitempty"`
	// Lang, Flow and State say where the conversation was when the reply was made.
	Lang  string `json:"lang,omitempty"`
	Flow  string `json:"flow,omitempty"`
	State string `json:"state,omitempty"`
	// Seq is the reply's place in the conversation's transcript; 0 when
	// unknown (a reply resent from the outbox after a restart).
	Seq int64 `json:"seq,omitempty"`
	// Answers are the platform ids of the customer messages this reply
	// answers (a burst answered as one turn has several); empty for what a
	// person or the bot says unprompted.
	Answers []string `json:"answers,omitempty"`
	// Status is the conversation's status after the turn that made the reply.
	Status Status `json:"status,omitempty"`
	// At is when the reply was written, as its transcript entry says; zero
	// when unknown (a reply resent from the outbox after a restart).
	At time.Time `json:"at,omitzero"`
	// OutboxID identifies the reply in the store's outbox; 0 before it is committed.
	OutboxID int64 `json:"-"`
}

// Choice is an option offered to the customer.
type Choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}
