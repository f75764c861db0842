package main

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserEmbed: a shop adds the launcher's script tag to its own page
// (another origin, allowed with --frame-ancestors); its bubble opens the
// chat in a panel, in the language the tag names and, for Italian, in the
// formal register of the Italian bot; on a 390 px phone too. A shop the
// server does not allow gets no chat in its frame.
func TestBrowserEmbed(t *testing.T) {
	browser := startBrowser(t)
	var base string
	shopPage := func(lang string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="%[2]s"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>
<body style="font-family: sans-serif; margin: 2rem"><h1>A shop</h1><p>Products, prices and a chat bubble.</p>
<script src="%[1]s/launcher.js" data-lang="%[2]s" data-label="Chat con noi" async></script></body></html>`, html.EscapeString(base), lang)
		}
	}
	shop := httptest.NewServer(shopPage("it"))
	t.Cleanup(shop.Close)
	stranger := httptest.NewServer(shopPage("it"))
	t.Cleanup(stranger.Close)
	base, _, _ = startServer(t, "--frame-ancestors", "'self' "+shop.URL)

	dirs := []string{t.TempDir()}
	if d := os.Getenv("CALMBOT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	sh := &shots{dirs: dirs, n: 20}

	for _, size := range []struct {
		name          string
		width, height int64
	}{{"shop-desktop", 1280, 800}, {"shop-phone", 390, 844}} {
		tb := newTab(t, browser, size.name, size.width, size.height, sh)
		tb.do("open the shop", chromedp.Navigate(shop.URL+"/"))
		tb.waitFor("the bubble", `!!document.querySelector("[data-calmbot-launcher] button")`)
		if label := eval[string](tb, `document.querySelector("[data-calmbot-launcher] button").getAttribute("aria-label")`); label != "Chat con noi" {
			t.Errorf("%s: the bubble is named %q", size.name, label)
		}
		tb.shot("closed")
		tb.do("open the chat", chromedp.Click(chromedp.CSS(`[data-calmbot-launcher] button`)))
		tb.waitFor("the panel", `document.querySelector("[data-calmbot-launcher] button").getAttribute("aria-expanded") === "true" && !!document.querySelector("#calmbot-panel iframe")`)
		chat := tb.frame(base + "/")
		chat.waitFor("the chat to connect", `document.getElementById("connection").getAttribute("data-state") === "online"`)
		chat.waitFor("the Italian greeting", `document.querySelector("#messages .greeting .text").textContent.indexOf("Buongiorno") === 0`)
		// The page speaks as the Italian bot does: Lei, never tu.
		ui := chat.eval(`[document.body.innerText, document.getElementById("text").placeholder, document.querySelector("label[for=text]").textContent, document.documentElement.lang].join("\n")`)
		for _, want := range []string{"Scriva il Suo messaggio", "Il Suo messaggio", "Se preferisce parlare con una persona", "entro un minuto", "\nit"} {
			if !strings.Contains(ui, want) {
				t.Errorf("%s: the Italian chat lacks %q:\n%s", size.name, want, ui)
			}
		}
		if m := regexp.MustCompile(`(?i)\b(tu|tuo|tua|ti|scrivi|seleziona|riprova|puoi)\b`).FindString(ui); m != "" {
			t.Errorf("%s: the Italian chat says %q (informal tu):\n%s", size.name, m, ui)
		}
		if w := eval[int](tb, `document.documentElement.scrollWidth`); w > int(size.width) {
			t.Errorf("%s: the shop page scrolls sideways (%d px wide)", size.name, w)
		}
		// The panel fits the viewport, the bubble stays reachable.
		fits := eval[bool](tb, `(function () {
			var p = document.getElementById("calmbot-panel").getBoundingClientRect();
			var b = document.querySelector("[data-calmbot-launcher] button").getBoundingClientRect();
			return p.left >= 0 && p.right <= innerWidth && p.top >= 0 && p.bottom <= b.top && b.bottom <= innerHeight;
		})()`)
		if !fits {
			t.Errorf("%s: the chat panel does not fit above the bubble", size.name)
		}
		tb.shot("open")
		tb.do("close with Escape", chromedp.KeyEvent("\u001b"))
		tb.waitFor("the panel to close", `document.getElementById("calmbot-panel").hidden`)
		tb.checkProblems()
	}

	// The Italian chat page on its own, on a phone.
	it := newTab(t, browser, "chat-it-phone", 390, 844, sh)
	it.do("open the chat", chromedp.Navigate(base+"/?lang=it"))
	it.waitFor("the chat to connect", `document.getElementById("connection").getAttribute("data-state") === "online"`)
	it.waitText("#messages .greeting .text", "Buongiorno")
	if w := eval[int](it, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the chat on a phone is %d px wide", w)
	}
	it.shot("greeting")
	it.checkProblems()

	// The German chat page on a desktop: Sie, as the German bot says.
	de := newTab(t, browser, "chat-de-desktop", 1280, 800, sh)
	de.do("open the chat", chromedp.Navigate(base+"/?lang=de"))
	de.waitFor("the chat to connect", `document.getElementById("connection").getAttribute("data-state") === "online"`)
	de.waitText("#messages .greeting .text", "Guten Tag")
	if ui := eval[string](de, `document.body.innerText + "\n" + document.getElementById("text").placeholder`); !strings.Contains(ui, "Ihre Nachricht") || !strings.Contains(ui, "Sie können jederzeit nach einem Menschen fragen") || regexp.MustCompile(`\b(du|dein|deine|dir|dich)\b`).MatchString(ui) {
		t.Errorf("the German chat is not in the Sie register:\n%s", ui)
	}
	de.shot("greeting")
	de.checkProblems()

	// A shop the server does not name may not show the chat.
	other := newTab(t, browser, "stranger", 1280, 800, sh)
	other.do("open the other shop", chromedp.Navigate(stranger.URL+"/"))
	other.waitFor("the bubble", `!!document.querySelector("[data-calmbot-launcher] button")`)
	other.do("open the chat", chromedp.Click(chromedp.CSS(`[data-calmbot-launcher] button`)))
	deadline := time.Now().Add(browserStep)
	for {
		f := other.childFrame()
		if f != nil && (f.UnreachableURL != "" || strings.HasPrefix(f.URL, "chrome-error:")) {
			break
		}
		if f != nil && strings.HasPrefix(f.URL, base) && other.frameReady(f.ID) {
			t.Fatalf("a shop not in --frame-ancestors shows the chat (%s)", f.URL)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refused frame never settled: %+v", f)
		}
		time.Sleep(50 * time.Millisecond) // polling the frame tree, bounded by the deadline
	}
}

// childFrame returns the first frame inside the tab's page, or nil.
func (tb *tab) childFrame() *cdp.Frame {
	tb.t.Helper()
	tree, err := chromedp.Call(tb.ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		tb.fail("frame tree: %v", err)
	}
	if tree.FrameTree == nil || len(tree.FrameTree.ChildFrames) == 0 {
		return nil
	}
	return tree.FrameTree.ChildFrames[0].Frame
}

// frameReady reports whether the chat page in frame id has loaded its script.
func (tb *tab) frameReady(id cdp.FrameID) bool {
	w, err := chromedp.Call(tb.ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: id, WorldName: "check"})
	if err != nil {
		return false
	}
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!!document.getElementById("messages")`, func(p *runtime.EvaluateParams) { p.ContextID = w.ExecutionContextID }))
	return err == nil && v
}

// inFrame is a page shown in a frame of a tab: JavaScript evaluated in an
// isolated world of the frame (it shares the frame's DOM).
type inFrame struct {
	tb  *tab
	id  cdp.FrameID
	ctx runtime.ExecutionContextID
}

// frame waits until the tab's first child frame shows a page under url and
// returns it.
func (tb *tab) frame(url string) *inFrame {
	tb.t.Helper()
	deadline := time.Now().Add(browserStep)
	for {
		if f := tb.childFrame(); f != nil && strings.HasPrefix(f.URL, url) && f.UnreachableURL == "" {
			w, err := chromedp.Call(tb.ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: f.ID, WorldName: "test"})
			if err == nil {
				return &inFrame{tb: tb, id: f.ID, ctx: w.ExecutionContextID}
			}
		}
		if time.Now().After(deadline) {
			tb.fail("no frame showing %s within %v", url, browserStep)
		}
		time.Sleep(50 * time.Millisecond) // polling the frame tree, bounded by the deadline
	}
}

// eval evaluates a JavaScript expression of string value in the frame.
func (f *inFrame) eval(expr string) string {
	f.tb.t.Helper()
	v, err := chromedp.Run(f.tb.ctx, chromedp.Evaluate[string](expr, func(p *runtime.EvaluateParams) { p.ContextID = f.ctx }))
	if err != nil {
		f.tb.fail("evaluate in the frame %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is truthy in the frame.
func (f *inFrame) waitFor(what, expr string) {
	f.tb.t.Helper()
	deadline := time.Now().Add(browserStep)
	for {
		v, err := chromedp.Run(f.tb.ctx, chromedp.Evaluate[bool](`!!(function () { try { return `+expr+`; } catch (e) { return false; } })()`,
			func(p *runtime.EvaluateParams) { p.ContextID = f.ctx }))
		if err == nil && v {
			return
		}
		if time.Now().After(deadline) {
			f.tb.fail("timed out after %v waiting in the frame for %s (%v)", browserStep, what, err)
		}
		time.Sleep(50 * time.Millisecond) // polling the frame, bounded by the deadline
	}
}
