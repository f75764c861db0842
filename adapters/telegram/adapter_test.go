package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/store/sqlite"
)

// TestContract runs the shared adapter suite on the fake Bot API, with the
// engine on SQLite in the test's directory.
func TestContract(t *testing.T) {
	adaptertest.Run(t, adaptertest.Config{
		Platform:  func(t *testing.T) adaptertest.Platform { return newPlatform(t) },
		OpenStore: openSQLite,
	})
}

func openSQLite(t testing.TB, path string) (bot.Store, func()) {
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return st, func() { _ = st.Close() }
}

// started is an adapter on a fresh fake with an engine on the in-memory
// store (fake clock, quiet window 0), the adapter registered and started.
type started struct {
	p *platform
	a *Adapter
	h *bottest.Harness
}

func start(t *testing.T, handler func(bot.Handler) bot.Handler, opts ...Option) *started {
	t.Helper()
	s := &started{p: newPlatform(t)}
	s.h = bottest.New(t, adaptertest.Flows(t))
	s.a = s.p.newAdapter(t, opts...)
	s.h.Engine.Register(Channel, s.a)
	var h bot.Handler = s.h.Engine
	if handler != nil {
		h = handler(h)
	}
	if err := s.a.Start(context.Background(), h); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return s
}

// eventually polls cond until it holds, failing after 10 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *started) inbound(t testing.TB, chat int64) []bot.Entry {
	t.Helper()
	tr, err := s.h.Engine.Transcript(context.Background(), address(chat))
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		t.Fatal(err)
	}
	var out []bot.Entry
	for _, e := range tr {
		if e.Direction == bot.Inbound {
			out = append(out, e)
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	word := func(n int) string { return strings.Repeat("a", n) }
	emoji := "😀" // two UTF-16 code units
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"exactly the limit", word(MaxText), []string{word(MaxText)}},
		{"one over, no space: cut at the limit", word(MaxText + 1), []string{word(MaxText), "a"}},
		{"cut at the last space", word(4000) + " " + word(200), []string{word(4000), word(200)}},
		{"space right after the limit", word(MaxText) + " bb", []string{word(MaxText), "bb"}},
		{"line break in the second half wins over a later space", word(3000) + "\n" + word(1000) + " " + word(500), []string{word(3000), word(1000) + " " + word(500)}},
		{"emoji at the limit", strings.Repeat(emoji, MaxText/2), []string{strings.Repeat(emoji, MaxText/2)}},
		{"one emoji over", strings.Repeat(emoji, MaxText/2+1), []string{strings.Repeat(emoji, MaxText/2), emoji}},
		{"emoji never halved", word(MaxText-1) + emoji, []string{word(MaxText - 1), emoji}},
		{"accents count once", strings.Repeat("è", MaxText), []string{strings.Repeat("è", MaxText)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.in, MaxText)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d parts (%v), want %d", len(got), lens(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("part %d: got %d units %.20q..., want %d units %.20q...", i, utf16Len(got[i]), got[i], utf16Len(tt.want[i]), tt.want[i])
				}
				if utf16Len(got[i]) > MaxText {
					t.Errorf("part %d has %d UTF-16 units", i, utf16Len(got[i]))
				}
			}
		})
	}
}

func lens(ss []string) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = utf16Len(s)
	}
	return out
}

func TestChoiceData(t *testing.T) {
	tests := []struct {
		n      int
		id     string
		wantID string
	}{
		{1, "resend", "resend"},
		{12, strings.Repeat("x", 80), strings.Repeat("x", 64-len("c:12:"))},
		{2, strings.Repeat("é", 40), strings.Repeat("é", (64-len("c:2:"))/2)},
	}
	for _, tt := range tests {
		d := choiceData(tt.n, tt.id)
		if len(d) > maxCallbackData {
			t.Errorf("choiceData(%d, %q) is %d bytes", tt.n, tt.id, len(d))
		}
		n, id, ok := parseChoiceData(d)
		if !ok || n != tt.n || id != tt.wantID {
			t.Errorf("parseChoiceData(%q) = %d %q %v, want %d %q", d, n, id, ok, tt.n, tt.wantID)
		}
	}
	for _, bad := range []string{"", "2", "c:", "c:x:y", "c:0:a", "c:-1", "x:1:a"} {
		if _, _, ok := parseChoiceData(bad); ok {
			t.Errorf("parseChoiceData(%q) ok", bad)
		}
	}
}

func TestSendErrors(t *testing.T) {
	s := start(t, nil)
	const chat = 4242
	s.p.f.sayAll(chat, "en", []string{"hello"}) // the customer exists for the fake
	eventually(t, "first message stored", func() bool { return len(s.inbound(t, chat)) == 1 })
	r := bot.Reply{Address: address(chat), Text: "hello"}
	ctx := context.Background()
	// The bot's own answer to "hello" must be out first, or it takes the
	// 429 meant for the Send below.
	eventually(t, "the bot answered", func() bool { return len(s.p.f.sentTo(chat)) >= 1 })
	if err := s.h.Engine.Flush(ctx, address(chat)); err != nil {
		t.Fatal(err)
	}

	s.p.Throttle(3 * time.Second)
	err := s.a.Send(ctx, r)
	var ra bot.RetryAfterError
	if !errors.As(err, &ra) || ra.RetryAfter() != 3*time.Second {
		t.Errorf("429: got %v, want a RetryAfterError of 3s", err)
	}

	s.p.f.mu.Lock()
	s.p.f.blocked[chat] = true
	s.p.f.mu.Unlock()
	var perm *bot.PermanentError
	if err := s.a.Send(ctx, r); !errors.As(err, &perm) || !strings.Contains(err.Error(), "blocked") {
		t.Errorf("403 blocked: got %v, want a PermanentError", err)
	}
	if err := s.a.Send(ctx, bot.Reply{Address: address(777), Text: "hi"}); !errors.As(err, &perm) || !strings.Contains(err.Error(), "chat not found") {
		t.Errorf("400 chat not found: got %v, want a PermanentError", err)
	}
	if err := s.a.Send(ctx, bot.Reply{Address: bot.Address{Channel: Channel, Conversation: "web-123"}, Text: "hi"}); !errors.As(err, &perm) {
		t.Errorf("bad chat id: got %v, want a PermanentError", err)
	}
	s.p.f.mu.Lock()
	s.p.f.blocked[chat] = false
	s.p.f.mu.Unlock()

	s.p.FailSends(true)
	err = s.a.Send(ctx, r)
	if err == nil || errors.As(err, &perm) || errors.As(err, &ra) {
		t.Errorf("500: got %v, want a plain error", err)
	}
	s.p.FailSends(false)

	s.p.f.srv.CloseClientConnections()
	down, err := New(fakeToken, WithAPIURL("http://127.0.0.1:1"), WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Send(ctx, r); err == nil || errors.As(err, &perm) || errors.As(err, &ra) || strings.Contains(err.Error(), fakeToken) {
		t.Errorf("network: got %v, want a plain error without the token", err)
	}
}

// A 429 on the second part of a split reply: the retry sends the rest,
// not the first part again.
func TestSplitReplyRetriedWithoutDoubles(t *testing.T) {
	s := start(t, nil)
	const chat = 5151
	s.p.f.sayAll(chat, "en", []string{"my order hasn't arrived"})
	eventually(t, "answer", func() bool { return len(s.p.f.sentTo(chat)) >= 2 })
	before := len(s.p.f.sentTo(chat))

	s.p.f.mu.Lock()
	s.p.f.throttle = []time.Duration{time.Second}
	s.p.f.passSends = 1
	s.p.f.mu.Unlock()
	long := strings.TrimSpace(strings.Repeat("calm words here ", 700)) // ~11,000 characters: 3 parts
	if err := s.h.Engine.Post(context.Background(), address(chat), "agent", long); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the throttled part to wait", func() bool { return s.h.Clock.Pending() > 0 })
	s.h.Clock.Advance(time.Second)
	var got []fakeMessage
	eventually(t, "3 parts", func() bool { got = s.p.f.sentTo(chat)[before:]; return len(got) >= 3 })
	if err := s.h.Engine.Flush(context.Background(), address(chat)); err != nil {
		t.Fatal(err)
	}
	got = s.p.f.sentTo(chat)[before:]
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if len(got) != 3 || strings.Join(strings.Fields(strings.Join(texts, " ")), " ") != long {
		t.Errorf("got %d parts %v, want the reply once in 3 parts", len(got), lens(texts))
	}
}

func TestStartUnauthorized(t *testing.T) {
	p := newPlatform(t)
	a, err := New("999:wrong", WithAPIURL(p.f.URL()), WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(context.Background(), bottest.New(t, adaptertest.Flows(t)).Engine)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Start with a wrong token: %v, want ErrUnauthorized", err)
	}
	if a.Ready() == nil {
		t.Error("Ready is nil after a refused token")
	}
}

func TestStartUnreachableRetries(t *testing.T) {
	p := newPlatform(t)
	p.f.mu.Lock()
	p.f.failGetMe = 3
	p.f.mu.Unlock()
	a := p.newAdapter(t)
	h := bottest.New(t, adaptertest.Flows(t))
	h.Engine.Register(Channel, a)
	if err := a.Start(context.Background(), h.Engine); err != nil {
		t.Fatalf("Start with the API down: %v, want nil (retried in the background)", err)
	}
	defer a.Stop(context.Background())
	if a.Ready() == nil {
		t.Error("Ready is nil while the API is down")
	}
	eventually(t, "ready", func() bool { return a.Ready() == nil })
	if n := len(p.f.callsTo("getMe")); n != 4 {
		t.Errorf("getMe called %d times, want 4", n)
	}
	p.f.sayAll(77, "en", []string{"my order hasn't arrived"})
	eventually(t, "an answer", func() bool { return len(p.f.sentTo(77)) > 0 })
}

// failing fails Handle of text while fails > 0.
type failing struct {
	bot.Handler
	text  string
	mu    sync.Mutex
	fails int
	done  func() // called when the message finally went through
}

func (f *failing) Handle(ctx context.Context, m bot.Message) error {
	f.mu.Lock()
	if m.Text == f.text {
		if f.fails > 0 {
			f.fails--
			f.mu.Unlock()
			return errors.New("database is locked")
		}
		if f.done != nil {
			f.done()
			f.done = nil
		}
	}
	f.mu.Unlock()
	return f.Handler.Handle(ctx, m)
}

func TestOffsetNeverPassesAFailedUpdate(t *testing.T) {
	var okAt atomic.Int64 // how many getUpdates calls were made when B went through
	okAt.Store(-1)
	var s *started
	f := &failing{text: "B", fails: 3}
	s = start(t, func(h bot.Handler) bot.Handler {
		f.Handler = h
		f.done = func() { okAt.Store(int64(len(s.p.f.seenOffsets()))) }
		return f
	})
	const chat, other = 1001, 1002
	// One batch: A, B, C in one chat, D in another.
	ids := s.p.f.push(chat, "en", 4, func(i int, _ int64) map[string]any {
		c := int64(chat)
		if i == 3 {
			c = other
			s.p.f.users[other] = "en"
		}
		s.p.f.nextMsg[c]++
		return map[string]any{"message": map[string]any{"message_id": s.p.f.nextMsg[c], "from": userJSON(c, "en"),
			"chat": chatJSON(c), "date": time.Now().Unix(), "text": []string{"A", "B", "C", "D"}[i]}}
	})
	eventually(t, "A, B, C stored", func() bool { return len(s.inbound(t, chat)) == 3 })
	eventually(t, "the offset past the batch", func() bool {
		offs := s.p.f.seenOffsets()
		return offs[len(offs)-1] > ids[3]
	})
	offs := s.p.f.seenOffsets()
	for i, o := range offs[:okAt.Load()] {
		if o > ids[1] {
			t.Fatalf("getUpdates %d confirmed offset %d past the failing update %d before it was stored (offsets %v)", i, o, ids[1], offs)
		}
	}
	var got []string
	for _, e := range s.inbound(t, chat) {
		got = append(got, e.Text)
	}
	if strings.Join(got, ",") != "A,B,C" {
		t.Errorf("stored %v, want A,B,C in order, once each", got)
	}
	if n := len(s.inbound(t, other)); n != 1 {
		t.Errorf("the other chat's message stored %d times, want 1", n)
	}
}

func TestWebhook(t *testing.T) {
	const secret = "s3cret_token-1"
	p := newPlatform(t)
	a := p.newAdapter(t, WithWebhook("https://bot.example.com/telegram/webhook", secret))
	h := bottest.New(t, adaptertest.Flows(t))
	h.Engine.Register(Channel, a)
	var fail atomic.Bool
	handler := handlerFunc(func(ctx context.Context, m bot.Message) error {
		if fail.Load() {
			return errors.New("store down")
		}
		return h.Engine.Handle(ctx, m)
	})
	if code := forge(t, a, 31, "before start", secret); code != 503 {
		t.Errorf("before Start: %d, want 503", code)
	}
	if err := a.Start(context.Background(), handler); err != nil {
		t.Fatal(err)
	}
	defer a.Stop(context.Background())
	p.f.mu.Lock()
	hook := p.f.webhook
	p.f.mu.Unlock()
	if hook.Get("url") != "https://bot.example.com/telegram/webhook" || hook.Get("secret_token") != secret {
		t.Errorf("setWebhook got %v", hook)
	}
	for _, tt := range []struct {
		name, secret string
		fail         bool
		want         int
	}{
		{"no secret", "", false, 401},
		{"wrong secret", "s3cret_token-2", false, 401},
		{"a prefix of the secret", "s3cret", false, 401},
		{"handle fails", secret, true, 500},
		{"right secret", secret, false, 200},
	} {
		fail.Store(tt.fail)
		if got := forge(t, a, 31, "my order hasn't arrived", tt.secret); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
		stored := 0
		if tr, err := h.Engine.Transcript(context.Background(), address(31)); err == nil {
			stored = len(tr)
		}
		if tt.want != 200 && stored != 0 {
			t.Errorf("%s: something was stored", tt.name)
		}
		if tt.want == 200 && stored == 0 {
			t.Errorf("%s: nothing stored", tt.name)
		}
	}
	rec := httptest.NewRecorder()
	a.Webhook().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/telegram/webhook", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", rec.Code)
	}
	if n := len(p.f.callsTo("getUpdates")); n != 0 {
		t.Errorf("webhook mode polled %d times", n)
	}
}

type handlerFunc func(ctx context.Context, m bot.Message) error

func (f handlerFunc) Handle(ctx context.Context, m bot.Message) error { return f(ctx, m) }

// Edited messages, stickers, photos and group messages get a polite answer
// in the customer's language and store nothing; a photo's caption is read.
func TestNotices(t *testing.T) {
	s := start(t, nil)
	f := s.p.f
	msg := func(chat int64, lang string, extra map[string]any) map[string]any {
		f.mu.Lock()
		f.nextMsg[chat]++
		id := f.nextMsg[chat]
		f.mu.Unlock()
		m := map[string]any{"message_id": id, "from": userJSON(chat, lang), "chat": chatJSON(chat), "date": time.Now().Unix()}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		chat   int64
		lang   string
		update func() map[string]any
		want   string // the notice, "" for none
		stored int
	}{
		{"sticker", 61, "it", func() map[string]any {
			return map[string]any{"message": msg(61, "it", map[string]any{"sticker": map[string]any{"file_id": "x", "file_unique_id": "y", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false}})}
		}, notices["nontext"]["it"], 0},
		{"photo", 62, "de-AT", func() map[string]any {
			return map[string]any{"message": msg(62, "de-AT", map[string]any{"photo": []any{map[string]any{"file_id": "x", "file_unique_id": "y", "width": 90, "height": 90}}})}
		}, notices["nontext"]["de"], 0},
		{"edited", 63, "fi", func() map[string]any {
			return map[string]any{"edited_message": msg(63, "fi", map[string]any{"text": "korjattu", "edit_date": time.Now().Unix()})}
		}, notices["edited"]["fi"], 0},
		{"unknown language", 64, "pt-br", func() map[string]any {
			return map[string]any{"message": msg(64, "pt-br", map[string]any{"voice": map[string]any{"file_id": "x", "file_unique_id": "y", "duration": 3}})}
		}, notices["nontext"]["en"], 0},
		{"caption", 65, "en", func() map[string]any {
			return map[string]any{"message": msg(65, "en", map[string]any{"caption": "my parcel arrived like this", "photo": []any{map[string]any{"file_id": "x", "file_unique_id": "y", "width": 90, "height": 90}}})}
		}, "", 1},
		{"group command", -1005, "en", func() map[string]any {
			return map[string]any{"message": msg(-1005, "en", map[string]any{"text": "/start@calm_test_bot"})}
		}, notices["group"]["en"], 0},
		{"group chatter", -1006, "en", func() map[string]any {
			return map[string]any{"message": msg(-1006, "en", map[string]any{"text": "anyone here?"})}
		}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.update(tt.chat, tt.lang, tt.update())
			if tt.want != "" {
				eventually(t, "the notice", func() bool { return len(f.sentTo(tt.chat)) > 0 })
				if got := f.sentTo(tt.chat)[0].Text; got != tt.want {
					t.Errorf("notice %q, want %q", got, tt.want)
				}
			}
			if tt.stored > 0 {
				eventually(t, "stored", func() bool { return len(s.inbound(t, tt.chat)) == tt.stored })
			}
		})
	}
	// A second message in the same group is not answered again; nothing of
	// the groups or notices was stored.
	f.update(-1005, "en", map[string]any{"message": msg(-1005, "en", map[string]any{"text": "/help"})})
	f.sayAll(99, "en", []string{"my order hasn't arrived"}) // everything before it was handled once it is answered
	eventually(t, "a later chat answered", func() bool { return len(f.sentTo(99)) > 0 })
	if n := len(f.sentTo(-1005)); n != 1 {
		t.Errorf("the group was told %d times, want once", n)
	}
	for _, chat := range []int64{61, 62, 63, 64, -1005, -1006} {
		if n := len(s.inbound(t, chat)); n != 0 {
			t.Errorf("chat %d: %d messages stored, want none", chat, n)
		}
	}
	if got := s.inbound(t, 65); len(got) != 1 || got[0].Text != "my parcel arrived like this" {
		t.Errorf("caption stored as %v", got)
	}
}

// A tap on an answered question's button changes nothing; answered
// questions lose their buttons, by a tap or by a typed answer.
func TestButtons(t *testing.T) {
	s := start(t, nil)
	f := s.p.f
	const chat = 88
	f.sayAll(chat, "en", []string{"my order hasn't arrived"})
	eventually(t, "confirm", func() bool { return len(f.sentTo(chat)) == 2 })
	f.sayAll(chat, "en", []string{"yes"})
	eventually(t, "options", func() bool { return len(f.sentTo(chat)) == 3 })
	options := f.sentTo(chat)[2]
	if len(options.Buttons) != 3 || !strings.HasPrefix(options.Buttons[0].Data, "c:1:") {
		t.Fatalf("options message %+v", options)
	}
	if !strings.Contains(options.Text, "\n\n1. "+options.Buttons[0].Text+"\n2. ") {
		t.Errorf("the numbered list is missing from %q", options.Text)
	}
	// The adapter records the question once sendMessage has answered; a
	// customer types only after it reached them, later still.
	eventually(t, "the options' buttons recorded", func() bool { return s.a.keyboard(context.Background(), chat) == options.ID })
	f.sayAll(chat, "en", []string{"3"}) // typed: refund
	eventually(t, "the options' buttons removed", func() bool { return len(f.sentTo(chat)[2].Buttons) == 0 })
	eventually(t, "the answer to 3", func() bool { return len(f.sentTo(chat)) > 3 })
	stored := len(s.inbound(t, chat))

	// The customer taps a button of the answered question anyway.
	f.tapMessage(chat, "en", &options, options.Buttons[1].Data)
	eventually(t, "the tap answered", func() bool { return len(f.callsTo("answerCallbackQuery")) == 1 })
	if got := f.callsTo("answerCallbackQuery")[0].Params["text"]; got != notices["answered"]["en"] {
		t.Errorf("stale tap answered %q", got)
	}
	if n := len(s.inbound(t, chat)); n != stored {
		t.Errorf("a stale tap was stored")
	}
}

// Bot API calls go out whole, with a Content-Length: go-telegram's
// streamed multipart bodies would go chunked, a write per part.
func TestCallsNotChunked(t *testing.T) {
	s := start(t, nil)
	s.p.f.sayAll(4343, "en", []string{"my order hasn't arrived"})
	eventually(t, "an answer", func() bool { return len(s.p.f.sentTo(4343)) > 0 })
	calls := append(s.p.f.callsTo("sendMessage"), s.p.f.callsTo("getMe")...)
	for _, c := range calls {
		if c.Chunked {
			t.Errorf("%s sent chunked", c.Method)
		}
	}
}

// flushing hands a message to the engine and waits until the replies to it
// were delivered before returning, as a fast engine would: the reply's new
// question is open before the adapter goes on with the typed answer.
type flushing struct{ e *bot.Engine }

func (h flushing) Handle(ctx context.Context, m bot.Message) error {
	if err := h.e.Handle(ctx, m); err != nil {
		return err
	}
	return h.e.Flush(ctx, m.Address)
}

// A typed answer takes the buttons off the question it answered, never off
// the next question its reply has already opened.
func TestTypedAnswerKeepsTheNextQuestion(t *testing.T) {
	s := start(t, func(h bot.Handler) bot.Handler { return flushing{h.(*bot.Engine)} })
	f := s.p.f
	const chat = 89
	f.sayAll(chat, "en", []string{"my order hasn't arrived"})
	eventually(t, "confirm", func() bool { return len(f.sentTo(chat)) == 2 })
	f.sayAll(chat, "en", []string{"yes"}) // typed; the reply offers the options
	eventually(t, "options", func() bool { return len(f.sentTo(chat)) == 3 })
	// The adapter's own calls for "yes" are done once its offset moved past it.
	eventually(t, "the update confirmed", func() bool { return len(f.callsTo("getUpdates")) >= 4 })
	if got := f.sentTo(chat)[2]; len(got.Buttons) != 3 {
		t.Errorf("the options' buttons were taken off by the answer to the question before: %+v", got)
	}
}

// A tap can reach calmbot before the question it answers is recorded: the
// customer taps as soon as the message shows, while sendMessage's answer is
// still on its way back. The tap waits for the question and is read as the
// choice, not as a tap on an answered question (a race adaptertest's
// FiveStagesEnglishTap hit under load).
func TestTapBeforeQuestionRecorded(t *testing.T) {
	s := start(t, nil)
	f := s.p.f
	const chat = 89
	f.sayAll(chat, "en", []string{"my order hasn't arrived"})
	eventually(t, "confirm", func() bool { return len(f.sentTo(chat)) == 2 })
	f.mu.Lock()
	tapped := false // guarded by f.mu: onSend runs on the fake server's handler goroutines
	f.onSend = func(c int64, _ string) {
		if c != chat {
			return
		}
		// Tap once, and only the message just sent when it is the
		// question: a tap on an earlier question (the confirmation) or a
		// second tap would be answered too, and the count below would
		// pass 1 before it was seen.
		f.mu.Lock()
		sent := f.sent[chat]
		question := !tapped && len(sent) > 0 && len(sent[len(sent)-1].Buttons) > 0
		tapped = tapped || question
		f.mu.Unlock()
		if !question {
			return
		}
		if _, err := f.tap(chat, 1); err != nil {
			t.Errorf("tap: %v", err)
			return
		}
		// Hold sendMessage's answer until the tap was answered (the old
		// reading: at once, as stale) or half a second passed.
		deadline := time.After(500 * time.Millisecond)
		for len(f.callsTo("answerCallbackQuery")) == 0 {
			select {
			case <-deadline:
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}
	f.mu.Unlock()
	f.sayAll(chat, "en", []string{"yes"})
	eventually(t, "the tap answered", func() bool { return len(f.callsTo("answerCallbackQuery")) == 1 })
	if got := f.callsTo("answerCallbackQuery")[0].Params["text"]; got != "" {
		t.Errorf("the tap was answered %q, want it taken as the choice", got)
	}
	eventually(t, "the choice stored", func() bool {
		for _, e := range s.inbound(t, chat) {
			if strings.HasPrefix(e.PlatformID, "cb") {
				return e.Choice != ""
			}
		}
		return false
	})
}
