package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	dg "github.com/bwmarrin/discordgo"

	"github.com/calmbot/calmbot/bot"
)

// MaxMessageLen is Discord's limit on a message's content, in characters.
const MaxMessageLen = 2000

// Limits of message components.
const (
	maxButtonsPerRow = 5
	maxRows          = 5
	maxLabelLen      = 80
	maxCustomIDLen   = 100
)

// Discord's JSON error codes that retrying cannot fix.
const (
	codeUnknownChannel  = 10003
	codeCannotMessage   = 50007 // the user closed their DMs or blocked the bot
	codeMissingAccess   = 50001
	codeMissingPerms    = 50013
	codeThreadArchived  = 50083
	codeUnknownMessage  = 10008
	codeUnknownUser     = 10013
	codeUnknownWebhook  = 10015
	codeUnknownInteract = 10062
)

// noMentions allows no mention at all: no @everyone, no role or user pings.
func noMentions() *dg.MessageAllowedMentions {
	return &dg.MessageAllowedMentions{Parse: []dg.AllowedMentionType{}}
}

// Send implements bot.Sender: the reply's text, escaped and split into
// messages of at most MaxMessageLen characters, the last carrying the
// offered choices as buttons. The buttons of the conversation's previous
// question are disabled first. A reply split in parts that failed halfway
// resumes after the parts already sent.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) error {
	s, _ := a.session()
	if s == nil {
		return errors.New("discord: adapter not started")
	}
	channel := r.Address.Conversation
	if prev, err := a.state.Get(ctx, buttonsKey+channel); err == nil && prev != "" {
		if err := a.disableButtons(ctx, s, channel, prev); err != nil {
			a.log.Warn("discord: buttons of the previous question not disabled", "err", err)
		}
	}
	parts := split(escape(text(r)), MaxMessageLen)
	done := 0
	if r.OutboxID != 0 {
		a.partsMu.Lock()
		done = a.parts[r.OutboxID]
		a.partsMu.Unlock()
	}
	for i := done; i < len(parts); i++ {
		m := &dg.MessageSend{Content: parts[i], AllowedMentions: noMentions()}
		last := i == len(parts)-1
		if last && len(r.Choices) > 0 {
			m.Components = components(r.Choices, false)
		}
		sent, err := s.ChannelMessageSendComplex(channel, m, dg.WithContext(ctx))
		if err != nil {
			return mapErr(err)
		}
		if r.OutboxID != 0 {
			a.partsMu.Lock()
			if last {
				delete(a.parts, r.OutboxID)
			} else {
				a.parts[r.OutboxID] = i + 1
			}
			a.partsMu.Unlock()
		}
		if last && len(r.Choices) > 0 {
			if err := a.state.Set(ctx, buttonsKey+channel, sent.ID); err != nil {
				a.log.Warn("discord: open buttons not recorded", "err", err)
			}
		}
	}
	return nil
}

// text is what a reply says on Discord: its text and, when the text does
// not list them itself, its options numbered (what a customer may answer
// in words, and what shows once the buttons are disabled).
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

// disableButtons edits message id of channel so that its buttons can no
// longer be pressed, and forgets it as the open question.
func (a *Adapter) disableButtons(ctx context.Context, s *dg.Session, channel, id string) error {
	m, err := s.ChannelMessage(channel, id, dg.WithContext(ctx))
	if err == nil {
		comps := disabled(m.Components)
		_, err = s.ChannelMessageEditComplex(&dg.MessageEdit{ID: id, Channel: channel, Components: &comps, AllowedMentions: noMentions()}, dg.WithContext(ctx))
	}
	var perm *bot.PermanentError
	if err != nil && !errors.As(mapErr(err), &perm) {
		return err
	}
	if cur, gerr := a.state.Get(ctx, buttonsKey+channel); gerr == nil && cur == id {
		return a.state.Set(ctx, buttonsKey+channel, "")
	}
	return nil
}

// disabled returns rows with every button disabled.
func disabled(rows []dg.MessageComponent) []dg.MessageComponent {
	out := make([]dg.MessageComponent, 0, len(rows))
	for _, c := range rows {
		row, ok := c.(*dg.ActionsRow)
		if !ok {
			continue
		}
		nr := dg.ActionsRow{}
		for _, x := range row.Components {
			if b, ok := x.(*dg.Button); ok {
				nb := *b
				nb.Disabled = true
				nr.Components = append(nr.Components, nb)
			}
		}
		out = append(out, nr)
	}
	return out
}

// components lays choices out as rows of buttons.
func components(choices []bot.Choice, off bool) []dg.MessageComponent {
	var rows []dg.MessageComponent
	var row dg.ActionsRow
	for i, c := range choices {
		if i >= maxButtonsPerRow*maxRows {
			break
		}
		label := c.Label
		if utf8.RuneCountInString(label) > maxLabelLen {
			label = string([]rune(label)[:maxLabelLen-1]) + "…"
		}
		row.Components = append(row.Components, dg.Button{Label: label, Style: dg.SecondaryButton, CustomID: customID(c.ID), Disabled: off})
		if len(row.Components) == maxButtonsPerRow {
			rows = append(rows, row)
			row = dg.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// customID is the custom_id of option id's button: the prefix and the id,
// or, for an id too long for Discord's 100 characters, the id cut with a
// hash of the whole (then the press reaches the engine as its label).
func customID(id string) string {
	c := choicePrefix + id
	if len(c) <= maxCustomIDLen {
		return c
	}
	sum := sha256.Sum256([]byte(id))
	h := "#" + hex.EncodeToString(sum[:8])
	cut := id[:maxCustomIDLen-len(choicePrefix)-len(h)]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return choicePrefix + cut + h
}

// markdown is what Discord's markdown reads as formatting.
const markdown = "\\*_~`|>#-[]<@"

// escape makes text show as written on Discord: markdown characters
// backslash-escaped (so are "@" and "<", so no mention is formed even
// before allowed_mentions applies).
func escape(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		if strings.ContainsRune(markdown, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unescape is the inverse of escape (what a Discord client shows).
func unescape(text string) string {
	var b strings.Builder
	esc := false
	for _, r := range text {
		if !esc && r == '\\' {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

// split cuts escaped text into parts of at most max characters, at the
// last line break or space of each part where there is one, and never
// between a backslash and the character it escapes.
func split(text string, max int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return []string{""}
	}
	var parts []string
	for utf8.RuneCountInString(text) > max {
		rs := []rune(text)
		cut := max
		if n := escapedRun(rs[:cut]); n%2 == 1 {
			cut-- // keep an escape with what it escapes
		}
		at := -1
		for i := cut - 1; i > cut/2; i-- {
			if rs[i] == '\n' {
				at = i
				break
			}
		}
		if at < 0 {
			for i := cut - 1; i > cut/2; i-- {
				if unicode.IsSpace(rs[i]) {
					at = i
					break
				}
			}
		}
		if at < 0 {
			at = cut
		}
		part := strings.TrimSpace(string(rs[:at]))
		if part != "" {
			parts = append(parts, part)
		}
		text = strings.TrimSpace(string(rs[at:]))
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}

// escapedRun is the number of backslashes ending rs.
func escapedRun(rs []rune) int {
	n := 0
	for i := len(rs) - 1; i >= 0 && rs[i] == '\\'; i-- {
		n++
	}
	return n
}

// retryAfter is a 429 from Discord: try again after d.
type retryAfter struct {
	d   time.Duration
	err error
}

func (e *retryAfter) Error() string {
	return fmt.Sprintf("discord: rate limited, retry after %s: %v", e.d, e.err)
}
func (e *retryAfter) Unwrap() error             { return e.err }
func (e *retryAfter) RetryAfter() time.Duration { return e.d }

var _ bot.RetryAfterError = (*retryAfter)(nil)

// mapErr turns discordgo's errors into the outbox's: a 429 into a
// bot.RetryAfterError, a deleted channel, a closed DM or a lost permission
// into a *bot.PermanentError.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var rl *dg.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		d := rl.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		return &retryAfter{d: d, err: err}
	}
	var re *dg.RESTError
	if errors.As(err, &re) && re.Response != nil {
		code := 0
		if re.Message != nil {
			code = re.Message.Code
		}
		switch code {
		case codeUnknownChannel, codeCannotMessage, codeMissingAccess, codeMissingPerms, codeThreadArchived,
			codeUnknownMessage, codeUnknownUser, codeUnknownWebhook, codeUnknownInteract:
			return &bot.PermanentError{Err: fmt.Errorf("discord: %w", err)}
		}
		switch re.Response.StatusCode {
		case http.StatusForbidden, http.StatusNotFound:
			return &bot.PermanentError{Err: fmt.Errorf("discord: %w", err)}
		case http.StatusTooManyRequests:
			return &retryAfter{d: time.Second, err: err}
		}
	}
	return fmt.Errorf("discord: %w", err)
}

// isStatus says whether err is a REST answer with HTTP status code.
func isStatus(err error, code int) bool {
	var re *dg.RESTError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == code
}
