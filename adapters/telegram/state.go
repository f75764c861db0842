package telegram

// Keys the adapter keeps in its bot.State. The host gives the adapter its
// own namespace ("telegram/"), so they are stored as telegram/offset and
// telegram/keyboard/<chat>.
const (
	offsetKey   = "offset"
	keyboardKey = "keyboard/" // + chat id
)
