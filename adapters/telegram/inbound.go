package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/calmbot/calmbot/bot"
)

// allowedUpdates are the update kinds the adapter asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// maxWebhookBody is the largest webhook request read; Telegram's updates are
// far smaller.
const maxWebhookBody = 1 << 20

// poll runs the getUpdates loop until ctx is done. The offset it sends
// (which confirms everything before it to Telegram) only ever moves past
// updates that were handled: the engine stored their messages.
func (a *Adapter) poll(ctx context.Context) {
	var offset int64
	known := false
	wait := a.backoffMin
	for ctx.Err() == nil {
		if !a.leads(ctx) {
			// Another instance polls; the offset it stores is read again
			// when this one takes over.
			known = false
			if !sleep(ctx, a.leaderCheck) {
				return
			}
			continue
		}
		if !known {
			var err error
			if offset, err = a.loadOffset(ctx); err != nil {
				return // ctx ended
			}
			known = true
		}
		raws, err := a.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := wait
			var ra *retryAfterError
			if errors.As(err, &ra) {
				d = max(d, ra.d)
			}
			a.setReady(fmt.Errorf("telegram: %w", err))
			a.log.Warn("telegram: getUpdates failed; retrying", "err", err, "retry_in", d)
			if !sleep(ctx, d) {
				return
			}
			wait = min(2*wait, a.backoffMax)
			continue
		}
		a.setReady(nil)
		next, err := a.handleBatch(ctx, raws)
		if next > offset {
			offset = next
			if serr := a.state.Set(ctx, offsetKey, strconv.FormatInt(offset, 10)); serr != nil && ctx.Err() == nil {
				// Harmless: Telegram redelivers from the older offset after a
				// restart and the engine ignores what it already stored.
				a.log.Warn("telegram: offset not saved", "offset", offset, "err", serr)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("telegram: update not handled; polling it again", "offset", offset, "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
			wait = min(2*wait, a.backoffMax)
			continue
		}
		wait = a.backoffMin
	}
}

// loadOffset reads the saved offset, retrying until it can or ctx ends.
func (a *Adapter) loadOffset(ctx context.Context) (int64, error) {
	wait := a.backoffMin
	for {
		s, err := a.state.Get(ctx, offsetKey)
		if err == nil {
			if s == "" {
				return 0, nil
			}
			n, perr := strconv.ParseInt(s, 10, 64)
			if perr == nil {
				return n, nil
			}
			a.log.Warn("telegram: saved offset is damaged; starting from what Telegram kept", "offset", s)
			return 0, nil
		}
		a.log.Warn("telegram: cannot read the saved offset", "err", err)
		if !sleep(ctx, wait) {
			return 0, ctx.Err()
		}
		wait = min(2*wait, a.backoffMax)
	}
}

// getUpdates asks for the updates from offset on, waiting up to the poll
// timeout for some to arrive.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         max(1, int(a.pollTimeout/time.Second)),
		"allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.apiURL+"/bot"+a.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %s", a.redact(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = a.redact(uerr.URL)
		}
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: read answer: %w", err)
	}
	var env struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("getUpdates: HTTP %d, not a Bot API answer: %w", resp.StatusCode, err)
	}
	if env.OK {
		return env.Result, nil
	}
	switch env.ErrorCode {
	case http.StatusUnauthorized, http.StatusNotFound:
		return nil, ErrUnauthorized
	case http.StatusConflict:
		return nil, fmt.Errorf("getUpdates: %s (another process polls this bot, or a webhook is set)", env.Description)
	case http.StatusTooManyRequests:
		return nil, &retryAfterError{d: time.Duration(env.Parameters.RetryAfter) * time.Second, err: fmt.Errorf("getUpdates: %s", env.Description)}
	}
	return nil, fmt.Errorf("getUpdates: %d %s", env.ErrorCode, env.Description)
}

func (a *Adapter) redact(s string) string { return strings.ReplaceAll(s, a.token, "<token>") }

// handleBatch handles one getUpdates answer: each chat's updates in order,
// different chats in parallel. next is the offset to poll from: past the
// whole batch, or at the first update whose handling failed (everything
// after it is delivered again; the engine ignores messages it already
// stored).
func (a *Adapter) handleBatch(ctx context.Context, raws []json.RawMessage) (next int64, err error) {
	h := a.handler()
	type item struct {
		id int64
		u  *models.Update
	}
	var order []int64
	byChat := map[int64][]item{}
	for _, raw := range raws {
		u, derr := decodeUpdate(raw)
		if derr != nil {
			var id struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(raw, &id)
			a.log.Warn("telegram: update not understood; skipped", "update_id", id.ID, "err", derr)
			next = max(next, id.ID+1)
			continue
		}
		chat := chatOf(u)
		if _, ok := byChat[chat]; !ok {
			order = append(order, chat)
		}
		byChat[chat] = append(byChat[chat], item{u.ID, u})
		next = max(next, u.ID+1)
	}
	var (
		mu     sync.Mutex
		failed int64 = -1
		first  error
		wg     sync.WaitGroup
	)
	for _, chat := range order {
		items := byChat[chat]
		wg.Go(func() {
			for _, it := range items {
				if err := a.process(ctx, h, it.u); err != nil {
					mu.Lock()
					if failed < 0 || it.id < failed {
						failed, first = it.id, err
					}
					mu.Unlock()
					return // the chat's later updates wait: its order is kept
				}
			}
		})
	}
	wg.Wait()
	if failed >= 0 {
		return failed, fmt.Errorf("update %d: %w", failed, first)
	}
	return next, nil
}

// decodeUpdate reads one Update.
func decodeUpdate(raw []byte) (*models.Update, error) {
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, fmt.Errorf("decode update: %w", err)
	}
	return &u, nil
}

// chatOf is the chat an update belongs to, 0 for none.
func chatOf(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
		return u.CallbackQuery.Message.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message.InaccessibleMessage != nil:
		return u.CallbackQuery.Message.InaccessibleMessage.Chat.ID
	}
	return 0
}

// eventKind says what an update asks of the adapter.
type eventKind int

const (
	evIgnore eventKind = iota // nothing to do (a bot, a channel, an update kind calmbot does not use)
	evText                    // a customer's message for the engine
	evTap                     // a tap on an offered choice's button
	evNotice                  // a polite answer from the adapter (edited or non-text message, a group)
)

// event is what the adapter reads from an update.
type event struct {
	kind     eventKind
	msg      bot.Message // evText, evTap
	chat     int64
	lang     string // the customer's language_code
	notice   string // evNotice: a key of notices
	query    string // evTap: the callback query id
	tapped   int    // evTap: the message whose button was tapped
	msgID    int    // evText: the customer's message_id
	group    bool   // evNotice in a group chat
	choiceOK bool   // evTap: the button's data names an option
}

// read turns an update into an event. It never fails: what calmbot cannot
// use is evIgnore or a notice.
func (a *Adapter) read(u *models.Update) event {
	switch {
	case u.Message != nil:
		return a.readMessage(u.Message, false)
	case u.EditedMessage != nil:
		return a.readMessage(u.EditedMessage, true)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		ev := event{kind: evTap, query: q.ID, lang: q.From.LanguageCode}
		switch m := q.Message; {
		case m.Message != nil:
			ev.chat, ev.tapped = m.Message.Chat.ID, m.Message.ID
			if m.Message.Chat.Type != models.ChatTypePrivate {
				return event{kind: evIgnore}
			}
		case m.InaccessibleMessage != nil:
			ev.chat, ev.tapped = m.InaccessibleMessage.Chat.ID, m.InaccessibleMessage.MessageID
		default:
			return event{kind: evIgnore}
		}
		if q.From.IsBot || ev.chat == 0 || q.ID == "" {
			return event{kind: evIgnore}
		}
		n, id, ok := parseChoiceData(q.Data)
		ev.choiceOK = ok
		ev.msg = bot.Message{
			Address: address(ev.chat),
			ID:      "cb" + q.ID,
			Text:    strconv.Itoa(n),
			Locale:  q.From.LanguageCode,
			From:    user(&q.From),
		}
		if label := buttonLabel(q.Message.Message, q.Data); label != "" {
			// The option as the customer saw it, for the transcript; the
			// engine reads the choice, and the label only if the option is
			// no longer on offer.
			ev.msg.Text, ev.msg.Choice = label, id
		}
		return ev
	}
	return event{kind: evIgnore}
}

func (a *Adapter) readMessage(m *models.Message, edited bool) event {
	if m.From == nil || m.From.IsBot || m.Chat.ID == 0 {
		return event{kind: evIgnore}
	}
	ev := event{chat: m.Chat.ID, lang: m.From.LanguageCode}
	if m.Chat.Type != models.ChatTypePrivate {
		if m.Chat.Type == models.ChatTypeChannel || edited || !a.addressed(m) {
			return event{kind: evIgnore}
		}
		ev.kind, ev.notice, ev.group = evNotice, "group", true
		return ev
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	switch {
	case edited:
		ev.kind, ev.notice = evNotice, "edited"
	case strings.TrimSpace(text) == "":
		ev.kind, ev.notice = evNotice, "nontext"
	default:
		ev.kind, ev.msgID = evText, m.ID
		ev.msg = bot.Message{
			Address: address(m.Chat.ID),
			ID:      strconv.Itoa(m.ID),
			Text:    text,
			Locale:  m.From.LanguageCode,
			From:    user(m.From),
		}
		if m.MessageThreadID != 0 {
			ev.msg.Thread = strconv.Itoa(m.MessageThreadID)
		}
		if m.Date > 0 {
			ev.msg.At = time.Unix(int64(m.Date), 0).UTC()
		}
	}
	return ev
}

// addressed reports whether a group message is meant for the bot: a
// command, a mention, or a reply to one of its messages (what a bot in
// privacy mode receives).
func (a *Adapter) addressed(m *models.Message) bool {
	a.mu.Lock()
	me := a.me
	a.mu.Unlock()
	if strings.HasPrefix(m.Text, "/") {
		return true
	}
	if me == nil {
		return false
	}
	if me.Username != "" && strings.Contains(strings.ToLower(m.Text), "@"+strings.ToLower(me.Username)) {
		return true
	}
	return m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == me.ID
}

// address is the conversation of a Telegram chat.
func address(chat int64) bot.Address {
	return bot.Address{Channel: Channel, Conversation: strconv.FormatInt(chat, 10)}
}

// buttonLabel is the text of m's button whose callback_data is data, ""
// when m (an old message Telegram no longer shows the bot) has none: the
// tap is then read as the option's number.
func buttonLabel(m *models.Message, data string) string {
	if m == nil || m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data && strings.TrimSpace(b.Text) != "" {
				return b.Text
			}
		}
	}
	return ""
}

// user is the platform metadata of a Telegram user.
func user(u *models.User) bot.User {
	if u == nil {
		return bot.User{}
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Username
	}
	return bot.User{ID: strconv.FormatInt(u.ID, 10), Name: name}
}

// process handles one update; an error means the update must be delivered
// again (the engine did not store its message).
func (a *Adapter) process(ctx context.Context, h bot.Handler, u *models.Update) error {
	if a.group != nil && chatOf(u) == a.group.chat {
		return a.group.process(ctx, u)
	}
	ev := a.read(u)
	switch ev.kind {
	case evText:
		if err := h.Handle(ctx, ev.msg); err != nil {
			return err
		}
		// The customer answered in words the question asked before their
		// message. Telegram numbers a chat's messages in order, both ways:
		// an open question with a higher id is the reply's next question,
		// already open, and keeps its buttons.
		if open := a.keyboard(ctx, ev.chat); open != 0 && open < ev.msgID {
			a.closeQuestion(ctx, ev.chat, open)
		}
	case evTap:
		mu := a.postingLock(ev.chat)
		mu.Lock() // a question being sent is recorded first
		open := a.keyboard(ctx, ev.chat)
		mu.Unlock()
		if !ev.choiceOK || open == 0 || open != ev.tapped {
			a.answerQuery(ctx, ev.query, notice("answered", ev.lang))
			a.removeKeyboard(ctx, ev.chat, ev.tapped)
			return nil
		}
		if err := h.Handle(ctx, ev.msg); err != nil {
			return err
		}
		a.answerQuery(ctx, ev.query, "")
		a.closeQuestion(ctx, ev.chat, ev.tapped)
	case evNotice:
		if ev.group {
			a.mu.Lock()
			told := a.told[ev.chat]
			a.told[ev.chat] = true
			a.mu.Unlock()
			if told {
				return nil
			}
		}
		// Best effort: a lost notice costs the customer nothing they wrote.
		if _, err := a.api.SendMessage(ctx, &tg.SendMessageParams{ChatID: ev.chat, Text: notice(ev.notice, ev.lang)}); err != nil && ctx.Err() == nil {
			a.log.Warn("telegram: notice not sent", "chat", ev.chat, "notice", ev.notice, "err", err)
		}
	}
	return nil
}

func (a *Adapter) answerQuery(ctx context.Context, id, text string) {
	if _, err := a.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text}); err != nil && ctx.Err() == nil {
		// A redelivered tap's query is too old to answer: harmless.
		a.log.Debug("telegram: answerCallbackQuery", "err", err)
	}
}

// Webhook returns the handler Telegram posts updates to in webhook mode
// (mount it at the path of the URL given to WithWebhook). A request without
// the right X-Telegram-Bot-Api-Secret-Token is refused with 401 and nothing
// is stored; an update is answered 200 only after the engine stored it, and
// 500 when it could not (Telegram delivers it again); 503 before Start.
func (a *Adapter) Webhook() http.Handler { return http.HandlerFunc(a.serveWebhook) }

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if a.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.secret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	h := a.handler()
	if h == nil {
		http.Error(w, "not started", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	u, err := decodeUpdate(body)
	if err != nil {
		http.Error(w, "not an update: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := a.process(r.Context(), h, u); err != nil {
		a.log.Warn("telegram: webhook update not handled; Telegram will deliver it again", "update_id", u.ID, "err", err)
		http.Error(w, "not stored", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// notices are the adapter's own texts for what it cannot pass to the
// engine. The flow file has no texts for these (issue 8 moves adapter texts
// into it).
var notices = map[string]map[string]string{
	"nontext": {
		"en": "Thank you! I can only read text messages here, so I could not see that one. Could you write it in words?",
		"it": "Grazie! Qui posso leggere solo messaggi di testo, quindi quello non sono riuscito a vederlo. Potrebbe scriverlo a parole?",
		"de": "Danke! Ich kann hier nur Textnachrichten lesen, diese Nachricht konnte ich leider nicht sehen. Könnten Sie es mir in Worten schreiben?",
		"fi": "Kiitos! Pystyn lukemaan täällä vain tekstiviestejä, joten en nähnyt tuota. Voisitko kirjoittaa asian sanoin?",
	},
	"edited": {
		"en": "I saw that you edited a message. I read each message as it was first sent, so please send the change as a new message.",
		"it": "Ho visto che ha modificato un messaggio. Leggo ogni messaggio così come è stato inviato la prima volta: potrebbe mandarmi la modifica in un nuovo messaggio?",
		"de": "Ich habe gesehen, dass Sie eine Nachricht bearbeitet haben. Ich lese jede Nachricht so, wie sie zuerst gesendet wurde: Schicken Sie mir die Änderung bitte als neue Nachricht.",
		"fi": "Huomasin, että muokkasit viestiä. Luen jokaisen viestin sellaisena kuin se ensin lähetettiin, joten lähetäthän muutoksen uutena viestinä.",
	},
	"group": {
		"en": "Hello! I help customers in private chats: please write to me directly and I will be glad to help.",
		"it": "Buongiorno! Aiuto i clienti nelle chat private: mi scriva direttamente e sarò lieto di aiutarLa.",
		"de": "Hallo! Ich helfe Kundinnen und Kunden im privaten Chat: Schreiben Sie mir bitte direkt, dann helfe ich Ihnen gern.",
		"fi": "Hei! Autan asiakkaita yksityisissä keskusteluissa: kirjoita minulle suoraan, niin autan mielelläni.",
	},
	"answered": {
		"en": "This question has already been answered.",
		"it": "A questa domanda è già stata data una risposta.",
		"de": "Diese Frage ist bereits beantwortet.",
		"fi": "Tähän kysymykseen on jo vastattu.",
	},
}

// notice returns notice key in the language of a Telegram language_code
// ("pt-br", "it"), English when calmbot has no text in it.
func notice(key, languageCode string) string {
	lang := strings.ToLower(languageCode)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	if s, ok := notices[key][lang]; ok {
		return s
	}
	return notices[key]["en"]
}
