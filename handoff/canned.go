package handoff

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of a canned reply.
const (
	maxCannedTitle = 80
	maxCannedText  = 4000
)

// Canned is one language version of a reply agents insert instead of
// typing it: saved for a team (a skill; "" for every agent), found by its
// title, in a language ("" for any).
type Canned struct {
	ID      int64     `json:"id"`
	Team    string    `json:"team"`
	Title   string    `json:"title"`
	Lang    string    `json:"lang"`
	Text    string    `json:"text"`
	Author  string    `json:"author,omitempty"`
	Updated time.Time `json:"updated"`
}

// Clean trims c and checks it: a title of 1-80 characters, a text of 1 to
// 4000 bytes, a team that is a skill name or "", a language code of 2-8
// letters (with "-") or "". It returns an error wrapping ErrInvalid.
func (c Canned) Clean() (Canned, error) {
	c.Title = strings.Join(strings.Fields(c.Title), " ")
	c.Text = strings.TrimSpace(c.Text)
	c.Team = strings.ToLower(strings.TrimSpace(c.Team))
	c.Lang = strings.ToLower(strings.TrimSpace(c.Lang))
	switch {
	case c.Title == "" || utf8.RuneCountInString(c.Title) > maxCannedTitle:
		return c, fmt.Errorf("canned reply: title needs 1-%d characters: %w", maxCannedTitle, ErrInvalid)
	case c.Text == "" || len(c.Text) > maxCannedText || !utf8.ValidString(c.Text):
		return c, fmt.Errorf("canned reply %q: text needs 1-%d bytes of UTF-8: %w", c.Title, maxCannedText, ErrInvalid)
	case c.Team != "" && !validName(c.Team):
		return c, fmt.Errorf("canned reply %q: team %q is no skill name: %w", c.Title, c.Team, ErrInvalid)
	case c.Lang != "" && !validLang(c.Lang):
		return c, fmt.Errorf("canned reply %q: language %q: %w", c.Title, c.Lang, ErrInvalid)
	}
	return c, nil
}

// validLang accepts 2-8 letters and hyphens, starting with a letter.
func validLang(l string) bool {
	if len(l) < 2 || len(l) > 8 || l[0] == '-' {
		return false
	}
	for _, r := range l {
		if r != '-' && (r > unicode.MaxASCII || !unicode.IsLetter(r)) {
			return false
		}
	}
	return true
}

// InTeam reports whether agent a may use and edit replies of team: every
// agent those of no team, else those with the skill (or every skill).
func (a *Agent) InTeam(team string) bool { return team == "" || a.has(team) }
