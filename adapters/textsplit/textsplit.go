// Package textsplit cuts a reply into the parts a chat platform takes: at
// most a limit each, measured the platform's way, cut at white space.
package textsplit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split cuts s into parts whose runes cost at most limit in all (cost
// measures a rune the platform's way: UTF-16 units, escaped length), at
// white space: the last line break in the part's second half, else the last
// space, else any line break before the limit. A word longer than a whole
// part is cut where the limit falls, never inside a character; a limit
// below one character sends it whole. The white space at a cut is dropped.
func Split(s string, limit int, cost func(rune) int) []string {
	s = strings.TrimSpace(s)
	var parts []string
	for s != "" {
		end, units := 0, 0 // bytes of s that fit, and their cost
		lastNL, lastSpace := -1, -1
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			n := cost(r)
			if units+n > limit {
				break
			}
			switch {
			case r == '\n':
				lastNL = end
			case unicode.IsSpace(r):
				lastSpace = end
			}
			units += n
			end += size
		}
		if end == 0 {
			_, end = utf8.DecodeRuneInString(s)
		}
		if end >= len(s) {
			parts = append(parts, s)
			break
		}
		next, _ := utf8.DecodeRuneInString(s[end:])
		cut := end
		switch {
		case unicode.IsSpace(next):
		case lastNL > end/2:
			cut = lastNL
		case lastSpace > 0:
			cut = lastSpace
		case lastNL > 0:
			cut = lastNL
		}
		part := strings.TrimRightFunc(s[:cut], unicode.IsSpace)
		if part == "" {
			part, cut = s[:end], end
		}
		parts = append(parts, part)
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
	}
	return parts
}
