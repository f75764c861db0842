package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/calmbot/calmbot/adapters/textsplit"
	"github.com/calmbot/calmbot/bot"
)

// MaxText is the longest text of one Telegram message (sendMessage's text:
// "1-4096 characters after entities parsing"). It is counted in UTF-16 code
// units, as Telegram counts entity offsets: never more than Telegram's own
// count, whether that is in code units or in code points.
const MaxText = 4096

// maxCallbackData is the most bytes a button's callback_data may hold.
const maxCallbackData = 64

// Send implements bot.Sender: it sends r as plain text, split into parts of
// at most MaxText characters on word boundaries, with r's choices as
// buttons under the last part (their numbered list stays in the text).
// A part already delivered is not sent again when the engine retries r.
// Errors: 429 is a bot.RetryAfterError; a chat that blocked the bot or no
// longer exists, and any other request Telegram refuses as bad, is a
// *bot.PermanentError; anything else (5xx, network) a plain error to retry.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) error {
	chat, err := strconv.ParseInt(r.Address.Conversation, 10, 64)
	if err != nil {
		return &bot.PermanentError{Err: fmt.Errorf("telegram: %q is not a chat id", r.Address.Conversation)}
	}
	parts := split(text(r), MaxText)
	from := a.progress(r.OutboxID)
	for i := from; i < len(parts); i++ {
		p := &tg.SendMessageParams{ChatID: chat, Text: parts[i]}
		last := i == len(parts)-1
		if last && len(r.Choices) > 0 {
			p.ReplyMarkup = keyboard(r.Choices)
			// A tap can arrive before the question is recorded: it waits
			// for this.
			mu := a.postingLock(chat)
			mu.Lock()
			defer mu.Unlock()
		}
		m, err := a.api.SendMessage(ctx, p)
		if err != nil {
			a.setProgress(r.OutboxID, i)
			return classify(err)
		}
		if last && len(r.Choices) > 0 {
			a.openQuestion(ctx, chat, m.ID)
		}
	}
	a.setProgress(r.OutboxID, 0)
	return nil
}

// postingLock is the lock held while a question to chat is sent and
// recorded.
func (a *Adapter) postingLock(chat int64) *sync.Mutex {
	n := chat % int64(len(a.posting))
	if n < 0 {
		n = -n
	}
	return &a.posting[n]
}

// text is what a reply says on Telegram: its text and, when the text does
// not list them itself, its options numbered (the fallback for clients
// without buttons, and what a customer may answer in words).
func text(r bot.Reply) string {
	s := r.Text
	if len(r.Choices) == 0 || strings.Contains(s, r.Choices[0].Label) {
		return s
	}
	var b strings.Builder
	b.WriteString(s)
	b.WriteString("\n")
	for i, c := range r.Choices {
		fmt.Fprintf(&b, "\n%d. %s", i+1, c.Label)
	}
	return b.String()
}

// keyboard makes one button per choice, one per row. A button's
// callback_data is "c:<number>:<choice id>", cut to 64 bytes.
func keyboard(cs []bot.Choice) *models.InlineKeyboardMarkup {
	rows := make([][]models.InlineKeyboardButton, len(cs))
	for i, c := range cs {
		rows[i] = []models.InlineKeyboardButton{{Text: c.Label, CallbackData: choiceData(i+1, c.ID)}}
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// choiceData is a button's callback_data for option n (1-based) with id.
func choiceData(n int, id string) string {
	s := "c:" + strconv.Itoa(n) + ":" + id
	if len(s) <= maxCallbackData {
		return s
	}
	s = s[:maxCallbackData]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// parseChoiceData reads choiceData's format; ok is false for anything else.
func parseChoiceData(s string) (n int, id string, ok bool) {
	rest, found := strings.CutPrefix(s, "c:")
	if !found {
		return 0, "", false
	}
	num, id, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 100 {
		return 0, "", false
	}
	return n, id, true
}

// split cuts s into parts of at most limit UTF-16 code units, at white
// space (textsplit.Split); Telegram trims the white space at a cut anyway.
func split(s string, limit int) []string { return textsplit.Split(s, limit, utf16Units) }

// utf16Units is r's length in UTF-16 code units.
func utf16Units(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

// progress is how many parts of a split reply were delivered already.
func (a *Adapter) progress(outboxID int64) int {
	if outboxID == 0 {
		return 0
	}
	a.partsMu.Lock()
	defer a.partsMu.Unlock()
	return a.parts[outboxID]
}

func (a *Adapter) setProgress(outboxID int64, sent int) {
	if outboxID == 0 {
		return
	}
	a.partsMu.Lock()
	defer a.partsMu.Unlock()
	if sent == 0 {
		delete(a.parts, outboxID)
	} else {
		a.parts[outboxID] = sent
	}
}

// keyboard returns the message carrying chat's open question's buttons, 0
// for none.
func (a *Adapter) keyboard(ctx context.Context, chat int64) int {
	a.kbMu.Lock()
	defer a.kbMu.Unlock()
	if id, ok := a.keyboards[chat]; ok {
		return id
	}
	s, err := a.state.Get(ctx, keyboardKey+strconv.FormatInt(chat, 10))
	if err != nil {
		a.log.Warn("telegram: read keyboard state", "chat", chat, "err", err)
		return 0
	}
	id, _ := strconv.Atoi(s)
	a.keyboards[chat] = id
	return id
}

// openQuestion remembers that message id carries chat's buttons now; an
// older question's buttons are removed.
func (a *Adapter) openQuestion(ctx context.Context, chat int64, id int) {
	old := a.keyboard(ctx, chat)
	a.setKeyboard(ctx, chat, id)
	if old != 0 && old != id {
		a.removeKeyboard(ctx, chat, old)
	}
}

// closeQuestion removes the buttons of chat's open question (when tapped is
// not 0, only if they are on that message): it was answered.
func (a *Adapter) closeQuestion(ctx context.Context, chat int64, tapped int) {
	open := a.keyboard(ctx, chat)
	if open == 0 || tapped != 0 && open != tapped {
		return
	}
	a.setKeyboard(ctx, chat, 0)
	a.removeKeyboard(ctx, chat, open)
}

func (a *Adapter) setKeyboard(ctx context.Context, chat int64, id int) {
	a.kbMu.Lock()
	a.keyboards[chat] = id
	a.kbMu.Unlock()
	v := ""
	if id != 0 {
		v = strconv.Itoa(id)
	}
	if err := a.state.Set(ctx, keyboardKey+strconv.FormatInt(chat, 10), v); err != nil {
		a.log.Warn("telegram: save keyboard state", "chat", chat, "err", err)
	}
}

// removeKeyboard takes the buttons off a message (best effort: the message
// may be gone, or have none left).
func (a *Adapter) removeKeyboard(ctx context.Context, chat int64, id int) {
	if id == 0 {
		return
	}
	_, err := a.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{
		ChatID: chat, MessageID: id, ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}},
	})
	if err != nil && ctx.Err() == nil {
		a.log.Debug("telegram: buttons not removed", "chat", chat, "message_id", id, "err", err)
	}
}

// retryAfterError is a 429: Telegram asks to wait before the next call.
type retryAfterError struct {
	d   time.Duration
	err error
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.d }

var _ bot.RetryAfterError = (*retryAfterError)(nil)

// classify maps a Bot API error to what the engine's outbox does with it.
func classify(err error) error {
	err = fmt.Errorf("telegram: sendMessage: %w", err)
	var tooMany *tg.TooManyRequestsError
	switch {
	case errors.As(err, &tooMany):
		return &retryAfterError{d: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, err: err}
	case errors.Is(err, tg.ErrorForbidden), errors.Is(err, tg.ErrorBadRequest):
		// 403: the customer blocked the bot or deleted their account; 400:
		// chat not found, or a request Telegram will never accept as it is.
		return &bot.PermanentError{Err: err}
	}
	return err
}
