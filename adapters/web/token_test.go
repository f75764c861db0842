package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// refToken and refCheck are the tokens as they were first written (one
// HMAC and string per call): the reused HMAC states must sign and check
// exactly as they do, so tokens given out before stay valid.
func refToken(key []byte, id, lang string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(tokenContext + id + "\x00" + lang))
	t := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if lang != "" {
		t += "." + lang
	}
	return t
}

func refCheck(key []byte, id, tok string) (string, bool) {
	_, lang, _ := strings.Cut(tok, ".")
	if lang != "" && !validLang(lang) {
		return "", false
	}
	return lang, hmac.Equal([]byte(tok), []byte(refToken(key, id, lang)))
}

func FuzzCheckToken(f *testing.F) {
	key := []byte("fuzz key")
	id := "AAAAAAAAAAAAAAAAAAAAAA"
	good := refToken(key, id, "")
	f.Add(id, good)
	f.Add(id, refToken(key, id, "de"))
	f.Add(id, refToken(key, id, "pt-BR"))
	f.Add(id, good+".")
	f.Add(id, good+".not a tag")
	f.Add(id, good[:len(good)-1])
	f.Add(id, strings.ToUpper(good))
	f.Add("BBBBBBBBBBBBBBBBBBBBBB", good)
	f.Add(id, "")
	f.Add(id, ".en")
	s := newSigner(key)
	f.Fuzz(func(t *testing.T, id, tok string) {
		lang, ok := s.check(id, tok)
		wantLang, wantOK := refCheck(key, id, tok)
		if ok != wantOK || ok && lang != wantLang {
			t.Errorf("check(%q, %q) = %q, %v; want %q, %v", id, tok, lang, ok, wantLang, wantOK)
		}
		if _, lang, _ := strings.Cut(tok, "."); lang == "" || validLang(lang) {
			if got, want := s.token(id, lang), refToken(key, id, lang); got != want {
				t.Errorf("token(%q, %q) = %q, want %q", id, lang, got, want)
			}
		}
	})
}

func TestCheckTokenAllocatesNothing(t *testing.T) {
	s := newSigner([]byte("k"))
	id := randomID(idBytes)
	tok := s.token(id, "en")
	if _, ok := s.check(id, tok); !ok {
		t.Fatal("its own token refused")
	}
	if raceEnabled {
		t.Skip("allocations are not counted with the race detector")
	}
	if n := testing.AllocsPerRun(100, func() { s.check(id, tok) }); n != 0 {
		t.Errorf("check allocates %v times, want 0", n)
	}
}

func FuzzQueryValue(f *testing.F) {
	for _, q := range []string{"", "wait=1", "wait=1&wait=0", "a=b&wait=true", "wait", "wait=", "wait=%31", "w%61it=1",
		"wait=1;x=2", "x=1&&wait=0", "wait=a+b", "token=abc&after=3"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		u := &url.URL{RawQuery: q}
		for _, name := range []string{"wait", "token", "after"} {
			if got, want := queryValue(u, name), u.Query().Get(name); got != want {
				t.Errorf("queryValue(%q, %q) = %q, want %q", q, name, got, want)
			}
		}
	})
}
