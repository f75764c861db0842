package slack

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/calmbot/calmbot/adapters/textsplit"
	"github.com/calmbot/calmbot/bot"
)

// MaxText is the most characters of one posted message, counted after
// escaping. Slack recommends at most 4,000 characters of text and a section
// block holds 3,000: every part fits a section block, so the part that
// carries buttons shows its whole text above them.
const MaxText = 3000

// Limits of Block Kit buttons.
const (
	maxButtonLabel = 75   // a button's plain_text
	maxButtonValue = 2000 // a button's value
	maxButtons     = 25   // elements of one actions block
)

// choicePrefix begins the action_id of a choice's button: "choice:<n>";
// its value is the option's id.
const choicePrefix = "choice:"

// Block ids of the blocks calmbot posts.
const (
	blockText    = "calmbot_text"
	blockChoices = "calmbot_choices"
	blockChosen  = "calmbot_chosen"
)

// Send implements bot.Sender: it posts r (chat.postMessage) escaped for
// Slack and split into parts of at most MaxText characters on word
// boundaries, with r's choices as buttons under the last part (their
// numbered list stays in the text, the fallback of clients without
// blocks). A part already delivered is not sent again when the engine
// retries r. Errors: 429 and Slack's ratelimited are a
// bot.RetryAfterError; a channel the app cannot post to (channel_not_found,
// is_archived, not_in_channel, ...) and a message Slack refuses as it is
// are a *bot.PermanentError; anything else (5xx, network) a plain error to
// retry.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) error {
	c := parseConv(r.Address.Conversation)
	if c.channel == "" {
		return &bot.PermanentError{Err: errors.New("slack: a reply without a channel")}
	}
	parts := split(text(r), MaxText)
	from := a.progress(r.OutboxID)
	for i := from; i < len(parts); i++ {
		body := escape(parts[i])
		opts := []slack.MsgOption{slack.MsgOptionText(body, false)}
		if c.thread != "" {
			opts = append(opts, slack.MsgOptionTS(c.thread))
		}
		last := i == len(parts)-1
		withButtons := last && len(r.Choices) > 0
		if withButtons {
			opts = append(opts, slack.MsgOptionBlocks(questionBlocks(body, r.Choices)...))
			// A click can arrive before the question is recorded: it
			// waits for this.
			mu := a.postingLock(c)
			mu.Lock()
			defer mu.Unlock()
		}
		_, ts, err := a.api.PostMessageContext(ctx, c.channel, opts...)
		if err != nil {
			a.setProgress(r.OutboxID, i)
			return classify("chat.postMessage", err)
		}
		if withButtons {
			a.openQuestion(ctx, c, ts, body)
		}
	}
	a.setProgress(r.OutboxID, 0)
	return nil
}

// text is what a reply says on Slack: its text and, when the text does not
// list them itself, its options numbered.
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

// escape escapes &, < and > as Slack requires in message text.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cost is how many characters r takes once escaped.
func cost(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

// questionBlocks are the blocks of a message offering cs: its (escaped)
// text and one button per choice.
func questionBlocks(body string, cs []bot.Choice) []slack.Block {
	var buttons []slack.BlockElement
	for i, c := range cs {
		if i == maxButtons {
			break
		}
		b := slack.NewButtonBlockElement(choicePrefix+strconv.Itoa(i+1), cut(c.ID, maxButtonValue),
			slack.NewTextBlockObject(slack.PlainTextType, cut(c.Label, maxButtonLabel), false, false))
		buttons = append(buttons, b)
	}
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, body, false, true), nil, nil, slack.SectionBlockOptionBlockID(blockText)),
		slack.NewActionBlock(blockChoices, buttons...),
	}
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// split cuts s into parts of at most limit characters once escaped, at
// white space (textsplit.Split).
func split(s string, limit int) []string { return textsplit.Split(s, limit, cost) }

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

// question is the message carrying a conversation's open question's
// buttons.
type question struct {
	ts   string
	text string // its escaped text, to keep when the buttons go
}

// postingLock is the lock Send holds while it posts and records c's
// question.
func (a *Adapter) postingLock(c conv) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(c.key()))
	return &a.posting[h.Sum32()%uint32(len(a.posting))]
}

// question returns c's open question; a zero question for none.
func (a *Adapter) question(ctx context.Context, c conv) question {
	s, err := a.state.Get(ctx, questionKey+c.key())
	if err != nil {
		a.log.Warn("slack: read question state", "conversation", c.key(), "err", err)
		return question{}
	}
	ts, text, _ := strings.Cut(s, "\n")
	return question{ts: ts, text: text}
}

// openQuestion remembers that message ts carries c's buttons now; an older
// question's buttons are removed.
func (a *Adapter) openQuestion(ctx context.Context, c conv, ts, body string) {
	a.qMu.Lock()
	old := a.question(ctx, c)
	err := a.state.Set(ctx, questionKey+c.key(), ts+"\n"+body)
	a.qMu.Unlock()
	if err != nil {
		a.log.Warn("slack: save question state", "conversation", c.key(), "err", err)
	}
	if old.ts != "" && old.ts != ts {
		a.replaceButtons(ctx, c.channel, old.ts, old.text, "")
	}
}

// closeQuestion replaces the buttons of c's question on message ts, if it
// is still the open one, by the choice made (none when label is ""): it
// was answered.
func (a *Adapter) closeQuestion(ctx context.Context, c conv, ts, label string) {
	if ts == "" {
		return
	}
	a.qMu.Lock()
	q := a.question(ctx, c)
	if q.ts != ts {
		a.qMu.Unlock()
		return
	}
	err := a.state.Set(ctx, questionKey+c.key(), "")
	a.qMu.Unlock()
	if err != nil {
		a.log.Warn("slack: save question state", "conversation", c.key(), "err", err)
	}
	a.replaceButtons(ctx, c.channel, q.ts, q.text, label)
}

// replaceButtons edits message ts (chat.update) to its text without
// buttons and, when label is not "", a line saying which was chosen. Best
// effort: the message may be gone.
func (a *Adapter) replaceButtons(ctx context.Context, channel, ts, body, label string) {
	if ts == "" {
		return
	}
	blocks := []slack.Block{}
	if body != "" {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, body, false, true), nil, nil, slack.SectionBlockOptionBlockID(blockText)))
	}
	if label != "" {
		blocks = append(blocks, slack.NewContextBlock(blockChosen,
			slack.NewTextBlockObject(slack.MarkdownType, "✓ "+escape(label), false, true)))
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...)}
	if body != "" {
		opts = append(opts, slack.MsgOptionText(body, false))
	}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, opts...); err != nil && ctx.Err() == nil {
		a.log.Warn("slack: buttons not replaced", "channel", channel, "ts", ts, "err", err)
	}
}

// retryAfterError is a 429: Slack asks to wait before the next call.
type retryAfterError struct {
	d   time.Duration
	err error
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.d }

var _ bot.RetryAfterError = (*retryAfterError)(nil)

// permanent are the Web API errors retrying cannot fix: the app cannot post
// to the channel, or the message is refused as it is.
var permanent = map[string]bool{
	"channel_not_found": true, "is_archived": true, "not_in_channel": true, "cannot_dm_bot": true,
	"user_not_found": true, "user_disabled": true, "restricted_action": true, "msg_too_long": true,
	"no_text": true, "invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
	"messages_tab_disabled": true, "team_access_not_granted": true, "invalid_auth": true,
	"not_authed": true, "token_revoked": true, "account_inactive": true, "missing_scope": true,
}

// classify maps a Web API error to what the engine's outbox does with it.
func classify(method string, err error) error {
	werr := fmt.Errorf("slack: %s: %w", method, err)
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return &retryAfterError{d: max(rl.RetryAfter, time.Second), err: werr}
	case errors.As(err, &se) && se.Err == "ratelimited":
		return &retryAfterError{d: time.Second, err: werr}
	case errors.As(err, &se) && permanent[se.Err]:
		return &bot.PermanentError{Err: werr}
	}
	return werr
}
