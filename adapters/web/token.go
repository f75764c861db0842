package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strings"
	"sync"
)

// tokenMACLen is the length of a token's MAC in unpadded base64url.
const tokenMACLen = (sha256.Size*8 + 5) / 6

// signer signs conversation ids with the server's key. Checking a token
// (every authenticated request) allocates nothing: the HMAC states and
// their buffers are reused.
type signer struct {
	key  []byte
	macs sync.Pool // of *macState
}

// macState is one reusable HMAC and its buffers.
type macState struct {
	h        hash.Hash
	msg, sum []byte
	enc      []byte
}

func newSigner(key []byte) *signer {
	s := &signer{key: key}
	s.macs.New = func() any {
		return &macState{h: hmac.New(sha256.New, s.key), enc: make([]byte, tokenMACLen)}
	}
	return s
}

// mac writes the base64url MAC of id and lang into st.enc.
func (s *signer) mac(st *macState, id, lang string) {
	st.msg = append(append(append(append(st.msg[:0], tokenContext...), id...), 0), lang...)
	st.h.Reset()
	st.h.Write(st.msg)
	st.sum = st.h.Sum(st.sum[:0])
	base64.RawURLEncoding.Encode(st.enc, st.sum)
}

// token signs a conversation id, with the conversation's language, so
// nothing needs to be stored to check it later: the MAC, then "." and the
// language when there is one.
func (s *signer) token(id, lang string) string {
	st := s.macs.Get().(*macState)
	defer s.macs.Put(st)
	s.mac(st, id, lang)
	if lang == "" {
		return string(st.enc)
	}
	return string(st.enc) + "." + lang
}

// check reports whether tok is id's token and returns the language it holds.
func (s *signer) check(id, tok string) (lang string, ok bool) {
	mac, lang, dotted := strings.Cut(tok, ".")
	if dotted && !validLang(lang) || len(mac) != tokenMACLen {
		return "", false
	}
	st := s.macs.Get().(*macState)
	defer s.macs.Put(st)
	s.mac(st, id, lang)
	// The MAC's length is public; its bytes are compared in constant time.
	st.msg = append(st.msg[:0], mac...)
	if subtle.ConstantTimeCompare(st.msg, st.enc) != 1 {
		return "", false
	}
	return lang, true
}
