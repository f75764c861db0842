package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/webserve"
)

// Limits of what a client may send.
const (
	idBytes      = 16                                      // random bytes of a conversation id
	idLen        = (idBytes*8 + 5) / 6                     // its length in unpadded base64url
	maxMessageID = 128                                     // longest client message id
	maxLangLen   = 35                                      // longest language tag
	tokenContext = "calmbot/web/conversation-token/v1\x00" // domain of the token's HMAC
)

// conversation is an authenticated request's conversation.
type conversation struct {
	id   string
	addr bot.Address
	// lang is the locale given when the conversation was created ("" for none).
	lang string
}

// createRequest is the optional body of POST /api/conversations.
type createRequest struct {
	Lang string `json:"lang"`
}

// createResponse answers POST /api/conversations.
type createResponse struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Lang  string `json:"lang,omitempty"`
}

// postRequest is the body of POST /api/conversations/{id}/messages.
type postRequest struct {
	Text string `json:"text"`
	// ID is the client's id of the message: posting it again is harmless.
	ID string `json:"id"`
	// Choice is the id of the option whose button was pressed (Text is
	// then its label); "" for a typed message.
	Choice string `json:"choice,omitempty"`
}

// postResponse answers POST /api/conversations/{id}/messages.
type postResponse struct {
	Stored bool   `json:"stored"`
	ID     string `json:"id"`
	// Replies, Complete and Status are set in wait mode.
	Replies  *[]message `json:"replies,omitempty"`
	Complete *bool      `json:"complete,omitempty"`
	Status   string     `json:"status,omitempty"`
}

// create starts a conversation: a fresh id and its token. Nothing is
// stored until the first message.
func (a *Adapter) create(w http.ResponseWriter, r *http.Request) {
	if err := a.limit(r, a.createLimit, "new conversations"); err != nil {
		a.fail(w, err)
		return
	}
	var req createRequest
	if err := a.decode(w, r, &req, true); err != nil {
		a.fail(w, err)
		return
	}
	lang := req.Lang
	if lang != "" && !validLang(lang) {
		a.fail(w, badRequest("lang %q is not a language tag (like \"de\" or \"pt-BR\")", lang))
		return
	}
	if lang == "" {
		lang = acceptLanguage(r.Header.Get("Accept-Language"))
	}
	id := randomID(idBytes)
	w.Header().Set("Location", a.prefix+"/api/conversations/"+id)
	writeJSON(w, http.StatusCreated, createResponse{ID: id, Token: a.token(id, lang), Lang: lang})
}

// post stores a customer message and, in wait mode, answers with the
// replies to it.
func (a *Adapter) post(w http.ResponseWriter, r *http.Request, c conversation) {
	if err := a.limit(r, a.postLimit, "messages"); err != nil {
		a.fail(w, err)
		return
	}
	wait, err := a.waitFor(r)
	if err != nil {
		a.fail(w, err)
		return
	}
	var req postRequest
	if err := a.decode(w, r, &req, false); err != nil {
		a.fail(w, err)
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		a.fail(w, badRequest(`text is empty; want {"text": "..."}`))
		return
	}
	if err := checkMessageID(req.ID); err != nil {
		a.fail(w, err)
		return
	}
	if len(req.Choice) > bot.MaxChoiceBytes || strings.ContainsFunc(req.Choice, unicode.IsControl) {
		a.fail(w, badRequest("choice is not an option id"))
		return
	}
	if req.ID == "" {
		req.ID = "w-" + randomID(12)
	}
	var waiter *sub
	if wait > 0 {
		// Subscribed before the message is handled, so no reply is missed.
		waiter, _ = a.hub.subscribe(c.id, 0)
		a.hub.mu.Lock()
		waiter.waiter = true
		a.hub.mu.Unlock()
		defer a.hub.unsubscribe(c.id, waiter)
	}
	m := bot.Message{Address: c.addr, ID: req.ID, Text: req.Text, Choice: req.Choice, Locale: c.lang}
	if m.Locale == "" {
		m.Locale = acceptLanguage(r.Header.Get("Accept-Language"))
	}
	if err := a.handler().Handle(r.Context(), m); err != nil {
		a.handleFailed(w, r, c, err)
		return
	}
	// Other tabs show the message (and that the bot is typing).
	a.wake(c.id)
	if wait == 0 {
		writeJSON(w, http.StatusAccepted, postResponse{Stored: true, ID: req.ID})
		return
	}
	w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait/time.Second)))
	res := a.await(r.Context(), c, req.ID, waiter, wait)
	res.Stored, res.ID = true, req.ID
	writeJSON(w, http.StatusOK, res)
}

// handleFailed answers a message the engine did not store.
func (a *Adapter) handleFailed(w http.ResponseWriter, r *http.Request, c conversation, err error) {
	switch {
	case r.Context().Err() != nil:
		// The client is gone; whether the message was stored it learns
		// by posting it again with the same id.
		a.fail(w, &httpError{status: http.StatusServiceUnavailable, msg: "request cancelled", err: err})
	case errors.Is(err, bot.ErrEmptyText):
		a.fail(w, badRequest(`text is empty once control characters are removed; want {"text": "..."}`))
	case errors.Is(err, bot.ErrConflict):
		a.fail(w, &httpError{status: http.StatusConflict, msg: "a message with this id was already stored with another text; post new text with a new id", err: err})
	case errors.Is(err, bot.ErrClosed):
		a.fail(w, &httpError{status: http.StatusServiceUnavailable, msg: "the chat is shutting down; try again shortly", err: err})
	default:
		a.log.Error("web chat: message not stored", "addr", c.addr.String(), "err", err)
		a.fail(w, &httpError{status: http.StatusInternalServerError, msg: "message not stored; try again", err: err})
	}
}

// await waits, at most d, until the bot has answered message msgID, and
// returns the messages written after it. Complete is false when d passed
// first; what had come by then is returned.
func (a *Adapter) await(ctx context.Context, c conversation, msgID string, s *sub, d time.Duration) postResponse {
	replies := []message{}
	complete := false
	res := postResponse{Replies: &replies, Complete: &complete}
	// The timer is set only once the replies are not there at the first
	// look: usually the turn ran in Handle, and the engine sent its replies
	// (Send is instant) before Handle returned, so that Flush has nothing
	// to wait for.
	deadline := time.Now().Add(d)
	timed := false
	for {
		// Flush first: what the transcript then shows was delivered too.
		if err := a.engine.Flush(ctx, c.addr); err != nil {
			return res
		}
		if a.held(s, msgID, &res) {
			return res
		}
		if !timed {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel() // once: timed is set
			timed = true
		}
		// The state is read before the transcript: when it says the message
		// was answered, the transcript read after it holds the answer.
		var snap *bot.Snapshot
		if a.state != nil {
			if sn, err := a.state.Conversation(ctx, c.addr); err == nil {
				snap = sn
				res.Status = string(sn.Status)
			}
		}
		tr, err := a.engine.Transcript(ctx, c.addr)
		if err != nil {
			a.log.Warn("web chat: read transcript", "addr", c.addr.String(), "err", err)
			return res
		}
		seq := int64(-1)
		for i := len(tr) - 1; i >= 0; i-- {
			if tr[i].Direction == bot.Inbound && tr[i].PlatformID == msgID {
				seq = tr[i].Seq
				break
			}
		}
		replies = replies[:0]
		if seq >= 0 {
			for _, e := range tr {
				if e.Seq > seq && e.Direction == bot.Outbound {
					replies = append(replies, a.toMessage(e))
				}
			}
			// Replies of one turn are committed together: one is all of
			// them. A message answered without a word from the bot (a
			// person holds the conversation) is answered too.
			complete = len(replies) > 0 || snap != nil && snap.Processed >= seq
		}
		if complete {
			return res
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return res
		case <-a.done:
			return res
		}
	}
}

// held completes res with the replies to message msgID that came through
// Send, and reports whether there were any. A reply without its time
// (resent from the outbox) is read from the transcript instead (held
// reports false), so at is always the stored one.
func (a *Adapter) held(s *sub, msgID string, res *postResponse) bool {
	got := a.hub.answers(s, msgID)
	if len(got) == 0 || slices.ContainsFunc(got, func(r bot.Reply) bool { return r.At.IsZero() }) {
		return false
	}
	for _, r := range got {
		*res.Replies = append(*res.Replies, a.replyMessage(r))
	}
	*res.Complete = true
	res.Status = string(got[len(got)-1].Status)
	return true
}

// waitFor reads how long a post should wait for the replies: ?wait=1 (or
// true) waits the default; "Prefer: wait=N" waits N seconds, at most the
// limit (a larger N, however large, waits the limit). 0 means do not wait.
// Anything but a whole number of seconds is refused before anything is
// stored.
func (a *Adapter) waitFor(r *http.Request) (time.Duration, error) {
	var d time.Duration
	if v := queryValue(r.URL, "wait"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return 0, badRequest("wait=%q: want wait=1 or wait=0", v)
		}
		if on {
			d = a.wait
		}
	}
	for _, h := range r.Header.Values("Prefer") {
		for pref := range strings.SplitSeq(h, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if !strings.EqualFold(strings.TrimSpace(name), "wait") {
				continue
			}
			secs, ok := seconds(strings.Trim(strings.TrimSpace(val), `"`), a.maxWait)
			if !ok {
				return 0, badRequest("Prefer: wait=%s: want a number of seconds", val)
			}
			d = secs
		}
	}
	return max(0, min(d, a.maxWait)), nil
}

// queryValue is u.Query().Get(name) without parsing the whole query into
// a map when the query is plain (no escapes, no ';').
func queryValue(u *url.URL, name string) string {
	q := u.RawQuery
	if strings.ContainsAny(q, "%+;") {
		return u.Query().Get(name)
	}
	for pair := range strings.SplitSeq(q, "&") {
		if k, v, _ := strings.Cut(pair, "="); k == name {
			return v
		}
	}
	return ""
}

// seconds reads a whole number of seconds (RFC 9110 delta-seconds), at
// most limit: a larger number, however many digits, is limit.
func seconds(v string, limit time.Duration) (time.Duration, bool) {
	if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > uint64(limit/time.Second) {
		return limit, true // only digits: too many of them
	}
	return time.Duration(n) * time.Second, true
}

// checkMessageID refuses client message ids that are too long or hold
// control characters.
func checkMessageID(id string) error {
	if len(id) > maxMessageID {
		return badRequest("id is longer than %d bytes", maxMessageID)
	}
	if strings.ContainsFunc(id, unicode.IsControl) {
		return badRequest("id holds control characters")
	}
	return nil
}

// authed checks a request's conversation id and token before h runs. The
// token comes in the Authorization header or, when query is true (for
// EventSource, which cannot set headers), in the token query parameter.
func (a *Adapter) authed(h func(http.ResponseWriter, *http.Request, conversation), query bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !validID(id) {
			a.fail(w, &httpError{status: http.StatusNotFound, msg: "no such conversation"})
			return
		}
		tok := bearer(r, query)
		if tok == "" {
			msg := "missing token: send Authorization: Bearer <token>"
			if query {
				msg += " or ?token=<token>"
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="calmbot"`)
			a.fail(w, &httpError{status: http.StatusUnauthorized, msg: msg})
			return
		}
		lang, ok := a.check(id, tok)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="calmbot", error="invalid_token"`)
			a.fail(w, &httpError{status: http.StatusUnauthorized, msg: "wrong token for this conversation"})
			return
		}
		h(w, r, conversation{id: id, addr: address(id), lang: lang})
	}
}

// bearer returns the request's token: the Authorization header's, else,
// with query, the token query parameter's.
func bearer(r *http.Request, query bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if query {
		return queryValue(r.URL, "token")
	}
	return ""
}

// token signs a conversation id, with the conversation's language.
func (a *Adapter) token(id, lang string) string { return a.signer.token(id, lang) }

// check reports whether tok is id's token and returns the language it holds.
func (a *Adapter) check(id, tok string) (lang string, ok bool) { return a.signer.check(id, tok) }

// randomID returns n random bytes in unpadded base64url.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validID reports whether id has the shape of a conversation id.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validLang reports whether s looks like a BCP 47 language tag: letters,
// then subtags of letters and digits joined by hyphens.
func validLang(s string) bool {
	if s == "" || len(s) > maxLangLen {
		return false
	}
	first := true
	for sub := range strings.SplitSeq(s, "-") {
		if len(sub) == 0 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j]
			if !isAlnum(c) || first && c <= '9' {
				return false
			}
		}
		first = false
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// acceptLanguage returns the language an Accept-Language header prefers
// most, or "".
func acceptLanguage(h string) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(h, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		if !validLang(tag) {
			continue // "*" and junk
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			var err error
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = tag, q
		}
	}
	return best
}

// decode reads a request's JSON body into v. An empty body is an error
// unless optional.
func (a *Adapter) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, a.maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = errTrailing
		}
	}
	if err == nil {
		return nil
	}
	return decodeError(err, optional)
}

// decodeError turns a failed decode's error into the answer for the
// client. It is apart from decode so that the targets of errors.As, which
// escape, are allocated only when a body is bad, not on every request.
func decodeError(err error, optional bool) error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body is larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &httpError{status: http.StatusRequestTimeout, msg: "the body came too slowly", err: err}
	case errors.Is(err, io.EOF):
		if optional {
			return nil
		}
		return badRequest(`empty body; want {"text": "..."}`)
	case errors.Is(err, errTrailing):
		return badRequest("bad JSON: more data after the object")
	case errors.As(err, &syntax):
		return badRequest("bad JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return badRequest("bad JSON: field %q must be a %s", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("bad JSON: the body ends in the middle of the object")
	default:
		// Unknown fields, and the like.
		return badRequest("bad JSON: %v", err)
	}
}

var errTrailing = errors.New("trailing data")

// httpError is an error answer: status and a message for the client.
type httpError struct {
	status int
	msg    string
	err    error
	retry  time.Duration // for Retry-After, when > 0
}

func (e *httpError) Error() string { return e.msg }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// fail answers with err as {"error": "..."}.
func (a *Adapter) fail(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: http.StatusInternalServerError, msg: "internal error"}
		a.log.Error("web chat", "err", err)
	}
	if he.retry > 0 {
		w.Header().Set("Retry-After", webserve.RetryAfter(he.retry))
	}
	webserve.WriteError(w, he.status, he.msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) { webserve.WriteJSON(w, status, v) }
