package webserve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

// Asset is an embedded file served with validators, so browsers cache it
// and check that it is still current.
type Asset struct {
	Name        string
	Body        []byte
	ContentType string
	ETag        string
}

// contentTypes fixes the types of the files web pages are made of (the
// system's MIME tables disagree about JavaScript).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// LoadAsset reads name from fsys.
func LoadAsset(fsys fs.FS, name string) (Asset, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Asset{}, fmt.Errorf("asset %s: %w", name, err)
	}
	sum := sha256.Sum256(b)
	ct := contentTypes[path.Ext(name)]
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(name))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	return Asset{Name: path.Base(name), Body: b, ContentType: ct, ETag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// ServeHTTP serves the file; it answers 304 to a request that has it.
func (a Asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("ETag", a.ETag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.Name, time.Time{}, bytes.NewReader(a.Body))
}
