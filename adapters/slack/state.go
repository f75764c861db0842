package slack

// Keys the adapter keeps in its bot.State. The host gives the adapter its
// own namespace ("slack/"), so they are stored as slack/question/<channel>.
const (
	questionKey = "question/" // + channel id: "<ts>\n<escaped text>" of the open question
)
