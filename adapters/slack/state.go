package slack

// Keys the adapter keeps in its bot.State. The host gives the adapter its
// own namespace ("slack/"), so they are stored as slack/question/<channel>.
const (
	questionKey   = "question/" // + conversation key (channel[/thread]): "<ts>\n<escaped text>" of the open question
	threadConvKey = "mention/"  // + channel/thread: "1" for the thread of a mention, a customer's conversation
)
