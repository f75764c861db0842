package web

import (
	"net/http"

	"github.com/calmbot/calmbot/webserve"
)

// contentSecurityPolicy lets the page load nothing but its own files and
// talk to nothing but its own server; webserve.Policy adds who may frame it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"

// loadAssets reads the embedded page files.
func loadAssets() map[string]webserve.Asset {
	files := map[string]webserve.Asset{}
	for _, name := range []string{"index.html", "chat.js", "chat.css", "launcher.js"} {
		f, err := webserve.LoadAsset(assets, "assets/"+name)
		if err != nil {
			panic("web: embedded asset missing: " + name) // a build mistake
		}
		files[name] = f
	}
	return files
}

// serveAsset serves an embedded file, with validators so browsers can
// cache it and must check it is still current.
func (a *Adapter) serveAsset(name string) http.HandlerFunc { return a.files[name].ServeHTTP }
