package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// recorder is a bot.Handler that keeps what it was given; block, when set,
// holds Handle until it is closed; fail makes Handle fail.
type recorder struct {
	mu    sync.Mutex
	msgs  []bot.Message
	block chan struct{}
	fail  error
}

func (r *recorder) Handle(ctx context.Context, m bot.Message) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// handled counts every Handle call, redeliveries included.
func (r *recorder) handled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// got returns the messages handled, each id once, as the engine stores
// them: a socket that reconnects under load is sent its unacked envelopes
// again, as Slack redelivers.
func (r *recorder) got() []bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Message
	for _, m := range r.msgs {
		if !slices.ContainsFunc(out, func(o bot.Message) bool { return o.ID == m.ID }) {
			out = append(out, m)
		}
	}
	return out
}

// eventually polls cond until it holds, for at most 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// started returns a started adapter on p, handing messages to h.
func started(t *testing.T, p *platform, h bot.Handler, extra ...Option) *Adapter {
	t.Helper()
	a := p.newAdapter(t, extra...)
	if err := a.Start(context.Background(), h); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return a
}

func TestReadEvent(t *testing.T) {
	tests := []struct {
		file   string
		kind   eventKind
		text   string
		notice string
		thread string
		conv   string // the address's conversation, "T0FAKE/D0CUST" when ""
	}{
		{file: "message.json", kind: evText, text: "my order <#123> hasn't arrived & I am upset"},
		{file: "thread_reply.json", kind: evText, text: "and another thing", thread: "1700000000.000100"},
		{file: "bot_message.json", kind: evIgnore},
		{file: "own_message.json", kind: evIgnore},
		{file: "message_changed.json", kind: evNotice, notice: "edited"},
		{file: "own_edit.json", kind: evIgnore},
		{file: "file_share.json", kind: evNotice, notice: "nontext"},
		{file: "message_deleted.json", kind: evIgnore},
		{file: "channel_message.json", kind: evChannel},
		{file: "app_mention.json", kind: evText, text: "help", thread: "1700000015.000100", conv: "T0FAKE/C0PUBLIC/1700000015.000100"},
		{file: "app_mention_thread.json", kind: evText, text: "my parcel is late & lost", thread: "1700000010.000100", conv: "T0FAKE/C0PUBLIC/1700000010.000100"},
		{file: "app_mention_bot.json", kind: evIgnore},
		{file: "url_verification.json", kind: evIgnore},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			e, err := decodeEvent(body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			ev := readEvent(e, self{user: fakeBotUser, id: fakeBotID, team: fakeTeam})
			if ev.kind != tt.kind || ev.notice != tt.notice {
				t.Fatalf("kind %d notice %q, want %d %q", ev.kind, ev.notice, tt.kind, tt.notice)
			}
			if tt.kind != evText {
				return
			}
			m := ev.msg
			want := bot.Address{Channel: Channel, Conversation: "T0FAKE/D0CUST"}
			if tt.conv != "" {
				want.Conversation = tt.conv
			}
			if m.Text != tt.text || m.Thread != tt.thread || m.Address != want || m.From.ID != "U0CUST" || m.ID == "" || m.At.IsZero() {
				t.Errorf("message %+v, want text %q thread %q in %s from U0CUST with its ts", m, tt.text, tt.thread, want)
			}
		})
	}
}

func TestEventsSignature(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		req    func(body []byte) *http.Request
		want   int
		stored bool
	}{
		{"valid", func(b []byte) *http.Request { return signed(b, fakeSecret, now) }, http.StatusOK, true},
		{"forged", func(b []byte) *http.Request { return signed(b, "someone-else", now) }, http.StatusUnauthorized, false},
		{"stale", func(b []byte) *http.Request { return signed(b, fakeSecret, now.Add(-6*time.Minute)) }, http.StatusUnauthorized, false},
		{"future", func(b []byte) *http.Request { return signed(b, fakeSecret, now.Add(6*time.Minute)) }, http.StatusUnauthorized, false},
		{"unsigned", func(b []byte) *http.Request {
			r := signed(b, fakeSecret, now)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized, false},
		{"body changed", func(b []byte) *http.Request {
			r := signed(b, fakeSecret, now)
			r2 := signed([]byte(strings.Replace(string(b), "refund", "REFUND", 1)), fakeSecret, now)
			r2.Header = r.Header
			return r2
		}, http.StatusUnauthorized, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlatform(t)
			h := &recorder{}
			a := started(t, p, h)
			rec := serve(a, tt.req(eventBody("D0CUST", "U0CUST", "I want a refund", "1700000000.000100")))
			if rec.Code != tt.want {
				t.Errorf("answered %d %q, want %d", rec.Code, rec.Body.String(), tt.want)
			}
			got := len(h.got())
			if (got == 1) != tt.stored || got > 1 {
				t.Errorf("%d messages handled, stored want %v", got, tt.stored)
			}
			t.Logf("%s request: answered %d, %d message(s) handed to the engine", tt.name, rec.Code, got)
		})
	}
}

// The slash command URL is verified like the events: a forged or stale
// command gets 401 and does nothing; a signed one an ephemeral answer.
func TestCommandsSignature(t *testing.T) {
	now := time.Now()
	body := []byte(url.Values{"command": {"/calmbot"}, "text": {"help"}, "user_id": {"U0AGENT"}, "channel_id": {"C0HANDOFF"}, "team_id": {fakeTeam}}.Encode())
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"valid", signedTo(CommandsPath, form, body, fakeSecret, now), http.StatusOK},
		{"forged", signedTo(CommandsPath, form, body, "someone-else", now), http.StatusUnauthorized},
		{"stale", signedTo(CommandsPath, form, body, fakeSecret, now.Add(-6*time.Minute)), http.StatusUnauthorized},
	}
	p := newPlatform(t)
	a := started(t, p, &recorder{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(a, tt.req)
			if rec.Code != tt.want {
				t.Fatalf("answered %d %q, want %d", rec.Code, rec.Body.String(), tt.want)
			}
			if tt.want != http.StatusOK {
				return
			}
			var answer map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer["response_type"] != "ephemeral" || !strings.Contains(answer["text"], "calmbot") {
				t.Errorf("answer %s (%v)", rec.Body.String(), err)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	p := newPlatform(t)
	a := started(t, p, &recorder{})
	body, err := os.ReadFile(filepath.Join("testdata", "events", "url_verification.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(a, signed(body, fakeSecret, time.Now()))
	if rec.Code != http.StatusOK || rec.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("answered %d %q, want 200 and the challenge", rec.Code, rec.Body.String())
	}
	if rec := serve(a, signed(body, "forged", time.Now())); rec.Code != http.StatusUnauthorized {
		t.Errorf("forged url_verification answered %d, want 401", rec.Code)
	}
}

func TestEventsRetry(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	a := started(t, p, h)
	body := eventBody("D0CUST", "U0CUST", "where is my parcel", "1700000000.000100")
	if rec := serve(a, signed(body, fakeSecret, time.Now())); rec.Code != http.StatusOK {
		t.Fatalf("first delivery answered %d", rec.Code)
	}
	for i := range 2 {
		req := signed(body, fakeSecret, time.Now())
		req.Header.Set("X-Slack-Retry-Num", string(rune('1'+i)))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		if rec := serve(a, req); rec.Code != http.StatusOK {
			t.Errorf("retry %d answered %d, want 200", i+1, rec.Code)
		}
	}
	if got := h.got(); len(got) != 1 || got[0].Text != "where is my parcel" || got[0].ID != "1700000000.000100" {
		t.Errorf("handled %+v, want the message once", got)
	}

	// An event Handle could not store is answered 500, and its retry handled.
	h.mu.Lock()
	h.fail = errors.New("store unavailable")
	h.mu.Unlock()
	body = eventBody("D0CUST", "U0CUST", "hello?", "1700000001.000100")
	if rec := serve(a, signed(body, fakeSecret, time.Now())); rec.Code != http.StatusInternalServerError {
		t.Errorf("unstored event answered %d, want 500", rec.Code)
	}
	h.mu.Lock()
	h.fail = nil
	h.mu.Unlock()
	req := signed(body, fakeSecret, time.Now())
	req.Header.Set("X-Slack-Retry-Num", "1")
	if rec := serve(a, req); rec.Code != http.StatusOK {
		t.Errorf("retry of the unstored event answered %d, want 200", rec.Code)
	}
	if got := h.got(); len(got) != 2 || got[1].Text != "hello?" {
		t.Errorf("handled %d messages, want the retried one too", len(got))
	}
}

func TestInteractiveOverHTTP(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	a := started(t, p, h)
	ch := channelID("ivy")
	p.f.say(ch, userID("ivy"), "en-US", []string{"hi"})
	eventually(t, "the first message", func() bool { return len(h.got()) == 1 })
	err := a.Send(context.Background(), bot.Reply{Address: dm(ch), Text: "Which one?",
		Choices: []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "refund", Label: "Refund it"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := p.f.lastWithButtons(ch)
	payload := `{"type":"block_actions","user":{"id":"` + userID("ivy") + `","name":"ivy"},"container":{"type":"message","message_ts":"` + m.TS +
		`","channel_id":"` + ch + `"},"channel":{"id":"` + ch + `"},"actions":[{"action_id":"choice:2","block_id":"calmbot_choices","value":"refund","type":"button","action_ts":"1700000100.000001","text":{"type":"plain_text","text":"Refund it"}}]}`
	form := []byte(url.Values{"payload": {payload}}.Encode())
	if rec := serve(a, signedTo(InteractivePath, "application/x-www-form-urlencoded", form, "forged", time.Now())); rec.Code != http.StatusUnauthorized {
		t.Errorf("forged click answered %d, want 401", rec.Code)
	}
	if rec := serve(a, signedTo(InteractivePath, "application/x-www-form-urlencoded", form, fakeSecret, time.Now())); rec.Code != http.StatusOK {
		t.Fatalf("click answered %d %q", rec.Code, rec.Body.String())
	}
	got := h.got()
	if len(got) != 2 || got[1].Choice != "refund" || got[1].Text != "Refund it" || got[1].ID != "act1700000100.000001" {
		t.Fatalf("click handled as %+v, want choice refund labelled Refund it", got[len(got)-1])
	}
	// The question's buttons are replaced by the choice made.
	if m := p.f.sentTo(ch); len(m[len(m)-1].Buttons) != 0 {
		t.Errorf("buttons still on the answered question: %+v", m[len(m)-1].Buttons)
	}
	p.f.mu.Lock()
	ups := append([]fakeUpdate(nil), p.f.updates...)
	p.f.mu.Unlock()
	if len(ups) != 1 || ups[0].TS != m.TS || !strings.Contains(ups[0].Blocks, "✓ Refund it") || !strings.Contains(ups[0].Blocks, "Which one?") {
		t.Errorf("chat.update calls %+v, want one keeping the text and showing the choice", ups)
	}
}

func TestAckAfterStore(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{block: make(chan struct{})}
	started(t, p, h)
	p.f.say(channelID("jo"), userID("jo"), "en-US", []string{"my parcel is late"})
	eventually(t, "the envelope delivered", func() bool {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		return p.f.conn != nil && p.f.nextEnv == 1
	})
	// While Handle has not returned, the envelope stays unacked.
	if n := p.f.pendingCount(); n != 1 {
		t.Fatalf("%d envelopes pending while Handle runs, want 1", n)
	}
	close(h.block)
	eventually(t, "the ack", func() bool { return p.f.pendingCount() == 0 })
	if got := h.got(); len(got) != 1 || got[0].Locale != "en-US" {
		t.Errorf("handled %+v, want one message with the users.info locale", got)
	}
}

func TestDisconnectEnvelope(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	started(t, p, h)
	ch, u := channelID("kim"), userID("kim")
	p.f.say(ch, u, "", []string{"one"})
	eventually(t, "one", func() bool { return len(h.got()) == 1 && p.f.pendingCount() == 0 })
	p.f.mu.Lock()
	c, before := p.f.conn, p.f.conns
	p.f.mu.Unlock()
	if err := c.write(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fake"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new connection", func() bool {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		return p.f.conns > before && p.f.conn != nil && p.f.conn != c
	})
	p.f.say(ch, u, "", []string{"two"})
	eventually(t, "two", func() bool { return len(h.got()) == 2 && p.f.pendingCount() == 0 })
	if got := h.got(); got[0].Text != "one" || got[1].Text != "two" {
		t.Errorf("handled %q, %q", got[0].Text, got[1].Text)
	}
	if n := p.f.callCount("users.info"); n != 1 {
		t.Errorf("users.info called %d times for one customer, want 1 (cached)", n)
	}
}

func TestNotices(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	started(t, p, h)
	ch, u := channelID("lea"), userID("lea")
	p.f.event(ch, u, "it-IT", map[string]any{"type": "message", "subtype": "message_changed", "channel": ch, "channel_type": "im",
		"message": map[string]any{"type": "message", "user": u, "text": "edited", "ts": "1700000000.000100"}, "ts": "1700000001.000100"})
	eventually(t, "the notice", func() bool { return len(p.f.sentTo(ch)) == 1 })
	if got := unescape(p.f.sentTo(ch)[0].Text); got != notices["edited"]["it"] {
		t.Errorf("notice %q, want the Italian edited notice", got)
	}
	// The bot's own messages and edits never start a turn nor a notice.
	p.f.event(ch, u, "it-IT", map[string]any{"type": "message", "channel": ch, "channel_type": "im", "user": fakeBotUser, "bot_id": fakeBotID, "text": "loop?", "ts": "1700000002.000100"})
	p.f.event(ch, u, "it-IT", map[string]any{"type": "message", "subtype": "message_changed", "channel": ch, "channel_type": "im",
		"message": map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "x", "ts": "1700000002.000100"}, "ts": "1700000003.000100"})
	eventually(t, "every envelope acked", func() bool { return p.f.pendingCount() == 0 })
	if len(h.got()) != 0 || len(p.f.sentTo(ch)) != 1 {
		t.Errorf("the bot's own messages handled %d, answered %d", len(h.got()), len(p.f.sentTo(ch))-1)
	}
}

func TestSendErrors(t *testing.T) {
	p := newPlatform(t)
	a := started(t, p, &recorder{})
	ch := channelID("max")
	p.f.mu.Lock()
	p.f.channels[ch] = true
	p.f.archived["DARCHIVED"] = true
	p.f.mu.Unlock()
	send := func(channel string) error {
		return a.Send(context.Background(), bot.Reply{Address: dm(channel), Text: "hello"})
	}

	p.Throttle(3 * time.Second)
	err := send(ch)
	var ra bot.RetryAfterError
	if !errors.As(err, &ra) || ra.RetryAfter() != 3*time.Second {
		t.Errorf("429: %v, want a RetryAfterError of 3s", err)
	}
	var perm *bot.PermanentError
	if err := send("DGONE"); !errors.As(err, &perm) || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("unknown channel: %v, want a PermanentError", err)
	}
	if err := send("DARCHIVED"); !errors.As(err, &perm) || !strings.Contains(err.Error(), "is_archived") {
		t.Errorf("archived channel: %v, want a PermanentError", err)
	}
	p.FailSends(true)
	if err := send(ch); err == nil || errors.As(err, &perm) || errors.As(err, &ra) {
		t.Errorf("500: %v, want a plain error to retry", err)
	}
	p.FailSends(false)
	if err := send(ch); err != nil {
		t.Errorf("send: %v", err)
	}
}

func TestSendEscapesAndSplits(t *testing.T) {
	p := newPlatform(t)
	a := started(t, p, &recorder{})
	ch := channelID("ned")
	p.f.mu.Lock()
	p.f.channels[ch] = true
	p.f.mu.Unlock()
	long := strings.Repeat("a <b> & c ", 700) // 7,000 characters, 11,900 once escaped
	err := a.Send(context.Background(), bot.Reply{Address: dm(ch), Text: long,
		Choices: []bot.Choice{{ID: "x", Label: "Yes & <no>"}}})
	if err != nil {
		t.Fatal(err)
	}
	sent := p.f.sentTo(ch)
	if len(sent) < 4 {
		t.Fatalf("%d parts, want at least 4", len(sent))
	}
	var all []string
	for i, m := range sent {
		if n := len([]rune(m.Text)); n > MaxText {
			t.Errorf("part %d has %d characters", i, n)
		}
		if strings.ContainsAny(m.Text, "<>") {
			t.Errorf("part %d not escaped: %.40q", i, m.Text)
		}
		all = append(all, unescape(m.Text))
	}
	if got := strings.Join(strings.Fields(strings.Join(all, " ")), " "); !strings.HasPrefix(got, strings.TrimSpace(long)) {
		t.Errorf("the parts do not add up to the reply")
	}
	last := sent[len(sent)-1]
	if len(last.Buttons) != 1 || last.Buttons[0].ActionID != "choice:1" || last.Buttons[0].Value != "x" || last.Buttons[0].Text != "Yes & <no>" {
		t.Errorf("buttons %+v", last.Buttons)
	}
}

func TestUnauthorized(t *testing.T) {
	p := newPlatform(t)
	a, err := New("xoxb-wrong", WithAPIURL(p.f.URL()), WithAppToken(fakeAppToken), WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(context.Background(), &recorder{})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("start with a wrong token: %v, want ErrUnauthorized naming invalid_auth", err)
	}
	if a.Ready() == nil {
		t.Error("ready after a refused token")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		token string
		opts  []Option
		err   string
	}{
		{"no token", "", []Option{WithAppToken(fakeAppToken)}, "no bot token"},
		{"user token", "xoxp-1", []Option{WithAppToken(fakeAppToken)}, "xoxb-"},
		{"no mode", fakeBotToken, nil, "app-level token"},
		{"bad app token", fakeBotToken, []Option{WithAppToken("xoxb-2")}, "xapp-"},
		{"socket mode", fakeBotToken, []Option{WithAppToken(fakeAppToken)}, ""},
		{"events api", fakeBotToken, []Option{WithSigningSecret(fakeSecret)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.token, tt.opts...)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := a.Routes() != nil; got != (a.secret != "") {
					t.Errorf("routes %v with secret %q", got, a.secret)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err %v, want one mentioning %q", err, tt.err)
			}
		})
	}
}

// A click that arrives before Send has recorded its question (Slack
// delivers it while chat.postMessage is still answering) is still read as
// the choice, not as a click on an old question.
func TestClickBeforeQuestionRecorded(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	a := started(t, p, h)
	ch, u := channelID("pia"), userID("pia")
	p.f.say(ch, u, "en-US", []string{"hi"})
	eventually(t, "the first message", func() bool { return len(h.got()) == 1 && p.f.pendingCount() == 0 })
	p.f.mu.Lock()
	p.f.onPost = func(channel string) {
		m := p.f.lastWithButtons(channel)
		if m == nil {
			return
		}
		p.f.click(u, m, m.Buttons[0])
		// Let the adapter read the click before the answer comes: it must
		// wait for the question, or it answers "already answered" at once.
		deadline := time.After(300 * time.Millisecond)
		for p.f.pendingCount() > 0 {
			select {
			case <-deadline:
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}
	p.f.mu.Unlock()
	err := a.Send(context.Background(), bot.Reply{Address: dm(ch), Text: "Which one?",
		Choices: []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "refund", Label: "Refund it"}}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the click handled", func() bool { return p.f.pendingCount() == 0 })
	got := h.got()
	if len(got) != 2 || got[1].Choice != "track" {
		t.Errorf("handled %+v, want the click on the new question as choice track", got)
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if n := len(p.f.ephemeral[ch]); n != 0 {
		t.Errorf("the click was answered %q", p.f.ephemeral[ch])
	}
}

// A redelivered old message does not take the buttons off the question
// asked after it.
func TestRedeliveryKeepsQuestion(t *testing.T) {
	p := newPlatform(t)
	h := &recorder{}
	a := started(t, p, h)
	ch, u := channelID("quinn"), userID("quinn")
	p.f.say(ch, u, "en-US", []string{"my parcel is late"})
	eventually(t, "the message", func() bool { return len(h.got()) == 1 && p.f.pendingCount() == 0 })
	err := a.Send(context.Background(), bot.Reply{Address: dm(ch), Text: "Which one?",
		Choices: []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "refund", Label: "Refund it"}}})
	if err != nil {
		t.Fatal(err)
	}
	p.f.redeliver(ch)
	eventually(t, "the redelivery handled", func() bool { return h.handled() >= 2 && p.f.pendingCount() == 0 })
	if m := p.f.lastWithButtons(ch); m == nil || len(m.Buttons) != 2 {
		t.Errorf("the open question lost its buttons to a redelivered older message: %+v", m)
	}
	// A new typed answer closes it.
	p.f.say(ch, u, "en-US", []string{"track it please"})
	eventually(t, "the buttons removed", func() bool { return p.f.lastWithButtons(ch) == nil })
}
