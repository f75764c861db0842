package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"time"
)

// contentSecurityPolicy lets the page load nothing but its own files and
// talk to nothing but its own server.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"

// asset is an embedded file of the page.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes of the page's files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// loadAssets reads the embedded page files.
func loadAssets() map[string]asset {
	files := map[string]asset{}
	for _, name := range []string{"index.html", "chat.js", "chat.css"} {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic("web: embedded asset missing: " + name) // a build mistake
		}
		sum := sha256.Sum256(b)
		files[name] = asset{body: b, contentType: contentTypes[path.Ext(name)], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return files
}

// serveAsset serves an embedded file, with validators so browsers can
// cache it and must check it is still current.
func (a *Adapter) serveAsset(name string) http.HandlerFunc {
	f := a.files[name]
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if path.Ext(name) == ".html" {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
	}
}
