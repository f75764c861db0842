package console

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// maxLine is the longest input line read; longer lines are an error event
// in JSON-lines mode and cut in text mode.
const maxLine = 1 << 20

// inputLine is one JSON-lines input object.
type inputLine struct {
	Text   string `json:"text"`
	ID     string `json:"id,omitempty"`
	Locale string `json:"lang,omitempty"`
}

// Run reads the input until EOF or ctx is done. Each line is one customer
// message; after each, Run waits until the bot's replies to it are written,
// so output follows input in order. Bad input lines are reported and
// skipped. It returns nil at the end of the input.
func (a *Adapter) Run(ctx context.Context, e Engine) error {
	sc := bufio.NewScanner(a.in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	if err := a.announce(); err != nil {
		return err
	}
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line++
		m, ok := a.parse(line, sc.Text())
		if !ok {
			continue
		}
		a.mu.Lock()
		before := a.replies
		a.mu.Unlock()
		if err := e.Handle(ctx, m); errors.Is(err, bot.ErrEmptyText) || errors.Is(err, bot.ErrConflict) {
			// Like a blank line: skipped, and reported in JSON lines mode.
			if a.jsonl {
				_ = a.event(map[string]any{"type": "error", "line": line, "error": "bad input: " + err.Error()})
			}
			continue
		} else if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := e.Flush(ctx, a.addr); err != nil {
			return err
		}
		if _, flushes := e.(noFlush); !flushes {
			if err := a.stillWaiting(before); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", line+1, maxLine)
		}
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

// parse turns an input line into a message; ok is false for lines to skip.
func (a *Adapter) parse(line int, s string) (m bot.Message, ok bool) {
	a.seq++
	m.Address = a.addr
	m.ID = "l" + strconv.Itoa(a.seq) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	m.Locale = a.locale
	if !a.jsonl {
		if strings.TrimSpace(s) == "" {
			return m, false
		}
		m.Text = s
		return m, true
	}
	if strings.TrimSpace(s) == "" {
		return m, false
	}
	var in inputLine
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		a.event(map[string]any{"type": "error", "line": line, "error": "bad input: " + err.Error() + `; want {"text": "..."}`})
		return m, false
	}
	m.Text = in.Text
	if in.ID != "" {
		m.ID = in.ID
	}
	if in.Locale != "" {
		m.Locale = in.Locale
	}
	return m, true
}
