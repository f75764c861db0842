package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser test drives the real pages, the customer web chat and the
// agent desk, in headless Chromium against `calmbot serve`.

// browserStep bounds one wait for the pages: the bot's quiet window (2s in
// the default flows) plus the work behind it fit many times over.
const browserStep = 20 * time.Second

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is one browser tab of the test, in its own browser context (its own
// cookies and storage), with what its pages logged.
type tab struct {
	t     *testing.T
	name  string
	ctx   context.Context
	shots *shots

	mu       sync.Mutex
	problems []string // exceptions, console errors, dialogs
}

// newTab opens a tab in a fresh browser context of the browser behind
// parent, sized width x height, and records its console errors, uncaught
// exceptions and dialogs (which it dismisses).
func newTab(t *testing.T, parent context.Context, name string, width, height int64, sh *shots) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, name: name, ctx: ctx, shots: sh}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	console := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				tb.problem("console %s (%s:%d)", m, m.URL, m.Line)
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.problem("a %s dialog opened: %q", ev.Type, ev.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return tb
}

func (tb *tab) problem(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, fmt.Sprintf(format, args...))
}

// checkProblems fails the test for anything the page logged as an error.
func (tb *tab) checkProblems() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s page: %s", tb.name, p)
	}
}

// fail stops the test with what the page shows, and a screenshot of it.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	tb.shot("failed")
	body, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? location.href + "\n" + document.body.innerText : location.href`))
	tb.t.Fatalf("%s: %s\npage:\n%s", tb.name, fmt.Sprintf(format, args...), body)
}

// do runs actions, failing the test on an error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is truthy, across page
// loads, for at most browserStep.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(browserStep)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			tb.fail("timed out after %v waiting for %s", browserStep, what)
		}
		_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(left)))
		switch {
		case err == nil:
			return
		case errors.Is(err, chromedp.ErrPollingTimeout):
			tb.fail("timed out after %v waiting for %s", browserStep, what)
		case tb.ctx.Err() != nil:
			tb.fail("waiting for %s: %v", what, err)
		}
		// The page navigated under the poll: poll the new page.
	}
}

// waitText waits until an element matching sel contains text.
func (tb *tab) waitText(sel, text string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf("%q in %s", text, sel), hasText(sel, text))
}

// hasText is a JavaScript expression: some element matching sel contains text.
func hasText(sel, text string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).some(function (e) { return e.textContent.indexOf(%s) >= 0; })`, quote(sel), quote(text))
}

// shot saves a screenshot of the whole page as NN-tab-name.png.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("%s: screenshot %s: %v", tb.name, name, err)
		return
	}
	file := fmt.Sprintf("%02d-%s-%s.png", tb.shots.next(), tb.name, name)
	for _, dir := range tb.shots.dirs {
		if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
			tb.t.Errorf("save screenshot: %v", err)
		}
	}
}

// shots are where the tabs save screenshots, numbered in the order they
// were taken.
type shots struct {
	dirs []string
	mu   sync.Mutex
	n    int
}

func (s *shots) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n
}

// startBrowser starts headless Chromium for the test, or skips the test
// when there is none (fails under CI, which must provide it).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must provide Chromium: apt-get install chromium")
		}
		t.Skip("no Chromium found (chromium, chromium-browser or google-chrome): apt-get install chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return browser
}

// TestBrowser is issue 4's scenario in real pages: an angry customer asks
// for a person in the web chat, an agent signs in to the desk, claims the
// ticket, reads the summary and replies, the customer sees the reply as a
// person's, the agent gives the conversation back to the bot at "close" and
// the bot finishes it. Everything the customer wrote stays text.
func TestBrowser(t *testing.T) {
	started := time.Now()
	browser := startBrowser(t)
	base, stderr, _ := startServer(t)
	m := regexp.MustCompile(`name=admin password=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no first agent in the startup log:\n%s", stderr.String())
	}
	password := m[1]
	dirs := []string{t.TempDir()}
	if d := os.Getenv("CALMBOT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	t.Logf("screenshots in %s", strings.Join(dirs, " and "))

	sh := &shots{dirs: dirs}
	customer := newTab(t, browser, "customer", 480, 820, sh)
	agent := newTab(t, browser, "agent", 1280, 900, sh)

	// The customer gets angry and confirms what the bot understood.
	customer.do("open the chat", chromedp.Navigate(base+"/"))
	customer.waitFor("the chat to connect", `document.getElementById("connection").getAttribute("data-state") === "online"`)
	// The chat opens with the flows' welcome, says who answers and how
	// soon a person does.
	customer.waitText("#messages .greeting .text", "Hello, and thank you for reaching out!")
	customer.waitText("#messages .greeting .about", "You are chatting with our virtual assistant.")
	customer.waitText("#messages .greeting .about", "usually replies within a minute")
	customer.shot("greeting")
	say := func(text string) {
		t.Helper()
		customer.do("write "+text, chromedp.SendKeys(chromedp.ID("text"), text), chromedp.Click(chromedp.ID("send")))
		customer.waitText("#messages .msg-customer .text", text)
	}
	// The first message goes with the Enter key, the others with the button.
	customer.do("write the first message", chromedp.SendKeys(chromedp.ID("text"), "my parcel still hasn't arrived, this is ridiculous\r"))
	customer.waitText("#messages .msg-customer .text", "my parcel still hasn't arrived")
	customer.waitText("#messages .msg-bot .text", "Just to be sure")
	if who := eval[string](customer, `document.querySelector("#messages .msg-bot:not(.greeting) .who").textContent`); who != "Virtual assistant" {
		t.Errorf("the bot's message is signed %q, want Virtual assistant", who)
	}
	say("yes")
	customer.waitFor("the options as buttons", `document.querySelectorAll("#messages button.choice").length >= 3`)
	customer.waitFor("the newest message in view", lastInView)
	customer.shot("options")

	// Meanwhile an agent signs in; nobody is waiting yet.
	agent.do("open the desk", chromedp.Navigate(base+"/desk/"))
	agent.waitFor("the sign-in page", `document.body && document.body.getAttribute("data-page") === "login"`)
	agent.do("sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
	agent.waitFor("the queue page", `document.body && document.body.getAttribute("data-page") === "queue"`)
	agent.waitFor("the live connection", `document.getElementById("connection").getAttribute("data-state") === "online"`)
	agent.waitFor("the empty queue", `!document.getElementById("queue-empty").hidden`)
	// "Take next" with nobody waiting says so; the agent turns alerts on.
	agent.do("take next from the empty queue", chromedp.Click(chromedp.ID("next")))
	agent.waitText("#flash", "Nobody is waiting.")
	agent.do("turn alerts on", chromedp.Click(chromedp.ID("alerts")))
	agent.waitFor("alerts on", `document.getElementById("alerts").getAttribute("aria-pressed") === "true"`)
	// admin gives the name customers see, with a space in it.
	agent.do("open the account page", chromedp.Navigate(base+"/desk/account"))
	agent.do("set the name", chromedp.SetValue(chromedp.ID("display-name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`form[action$="/account/name"] button`)))
	agent.waitText(".notice", "Customers now see you as Ada Lovelace.")
	agent.waitText(".presence .name", "Ada Lovelace")
	agent.do("back to the queue", chromedp.Navigate(base+"/desk/"))
	agent.waitFor("the live connection again", `document.getElementById("connection").getAttribute("data-state") === "online"`)

	// The customer asks for a person; the ticket shows up in the queue live.
	say("I want to talk to a real person")
	customer.waitText("#messages .msg-bot .text", "bringing in a colleague")
	customer.waitFor("the notice that a person will answer", noticeSays("A person"))
	customer.shot("handed-off")
	agent.waitText("#queue tr", "customer_request")
	// The row shows what the customer wrote last and where, the wait they
	// were told, and a mood mark that needs no emoji font; the tab title
	// and the alert count say a customer is waiting.
	agent.waitText("#queue td.said .latest", "I want to talk to a real person")
	agent.waitText("#queue td.said .channel", "web")
	agent.waitFor("the place and the wait told", `/#1 · about \d+ min \(until /.test(document.querySelector("#queue tr").textContent)`)
	agent.waitFor("the new-customer alert", `Number(document.body.getAttribute("data-alerts")) >= 1 && document.title.indexOf("New customer waiting") >= 0`)
	// The mood: the first, the worst and the latest of the customer's turns.
	if n := eval[int](agent, `document.querySelectorAll("#queue .mood .mark").length`); n != 3 {
		t.Errorf("%d mood marks in the queue row, want 3 (first, worst, last)", n)
	}
	if got := eval[string](agent, `document.getElementById("queue").textContent`); emoji.MatchString(got) {
		t.Errorf("the queue shows emoji: %q", got)
	}
	agent.shot("queue")

	// A reload keeps the conversation: the same messages, once each.
	before := eval[int](customer, `document.querySelectorAll("#messages li").length`)
	customer.do("reload the chat", chromedp.Reload())
	customer.waitFor("the chat to connect again", `document.getElementById("connection").getAttribute("data-state") === "online"`)
	customer.waitText("#messages .msg-bot .text", "bringing in a colleague")
	customer.waitFor("the notice after the reload", noticeSays("A person"))
	if after := eval[int](customer, `document.querySelectorAll("#messages li").length`); after != before {
		t.Errorf("after a reload the chat shows %d messages, before it %d", after, before)
	}
	if n := eval[int](customer, `document.querySelectorAll("#messages button.choice:enabled").length`); n != 0 {
		t.Errorf("after a reload %d of the answered options can still be chosen", n)
	}

	// The agent claims the ticket, which opens it, and reads the summary.
	agent.do("claim", chromedp.Click(chromedp.CSS(`#queue tr button`)))
	agent.waitFor("the ticket page", `document.body && document.body.getAttribute("data-page") === "ticket"`)
	ticketID := eval[string](agent, `document.body.getAttribute("data-ticket")`)
	agent.waitText("#summary dd", "customer_request")
	agent.waitText("#summary dd", "my parcel still hasn't arrived")
	summary := eval[string](agent, `document.getElementById("summary").innerText`)
	for _, want := range []string{"Concern", "parcel has not arrived", "Handoff", "asked for a person", "customer_request", "Sentiment"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	agent.waitText("#transcript .msg-customer .text", "I want to talk to a real person")
	agent.waitFor("the reply box to be usable", `!document.getElementById("reply-text").disabled`)
	agent.waitText("#invite-agent option", "nobody else is online")

	// The customer writes markup: both pages show it as text.
	const markup = `<img src=x onerror=alert(1)>`
	say(markup)
	agent.waitText("#transcript .msg-customer .text", markup)
	for _, tb := range []*tab{customer, agent} {
		if n := eval[int](tb, `document.querySelectorAll("img").length`); n != 0 {
			t.Errorf("%s page: the customer's markup made %d <img> elements", tb.name, n)
		}
	}

	// An internal note stays on the desk.
	const note = "Carrier says the parcel is in the depot."
	agent.do("add a note", chromedp.SendKeys(chromedp.ID("note-text"), note), chromedp.Click(chromedp.CSS(`#note-form button[type="submit"]`)))
	agent.waitText("#notes li", note)

	assistInBrowser(agent)

	// The agent replies; the customer sees it as a person's message.
	const reply = "Hello, I am sorry about the wait. I have asked the carrier and your parcel goes out today."
	// A canned reply in two languages: Insert takes the customer's (English).
	agent.do("open the canned reply form", chromedp.Click(chromedp.CSS(`#canned-save summary`)))
	for _, v := range []struct{ lang, text string }{
		{"en", "Hello, I am here to help."},
		{"it", "Buongiorno, sono qui per aiutarLa."},
	} {
		agent.do("save a canned reply in "+v.lang,
			chromedp.SetValue(chromedp.ID("reply-text"), v.text),
			chromedp.SetValue(chromedp.ID("canned-title"), "Greeting"),
			chromedp.SetValue(chromedp.ID("canned-lang"), v.lang),
			chromedp.Click(chromedp.CSS(`#canned-form button[type="submit"]`)))
		agent.waitText("#flash", "Saved as a canned reply.")
		agent.waitText("#canned-pick option", "Greeting")
	}
	agent.waitText("#canned-pick option", "Greeting (en, it)")
	if got := eval[string](agent, `(function () { document.getElementById("reply-text").value = ""; var p = document.getElementById("canned-pick"); p.selectedIndex = 1; return p.value; })()`); got != "0" {
		t.Errorf("picked canned reply %q", got)
	}
	agent.do("insert the canned reply", chromedp.Click(chromedp.ID("canned-insert")))
	if got := eval[string](agent, `document.getElementById("reply-text").value`); got != "Hello, I am here to help." {
		t.Errorf("the inserted canned reply is %q, want the English version", got)
	}
	eval[bool](agent, `(document.getElementById("reply-text").value = "") === ""`) // empty the reply box

	// Shift+Enter makes a new line, Enter sends (the hint says so).
	agent.waitText("#reply-hint", "Enter sends")
	const second = "Anything else, just write here."
	agent.do("reply", chromedp.SendKeys(chromedp.ID("reply-text"), reply), chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := eval[string](agent, `document.getElementById("reply-text").value`); got != reply+"\n" {
		t.Errorf("after Shift+Enter the reply box holds %q, want the text and a new line", got)
	}
	agent.do("send with Enter", chromedp.SendKeys(chromedp.ID("reply-text"), second+"\r"))
	agent.waitText("#transcript .msg-agent .text", reply+"\n"+second)
	agent.waitFor("the reply box emptied", `document.getElementById("reply-text").value === ""`)
	agent.waitText("#summary dd", "answered")
	agent.shot("ticket")
	customer.waitText("#messages .msg-agent .text", reply)
	who := eval[string](customer, `document.querySelector("#messages .msg-agent .who").textContent`)
	if who != "Ada Lovelace · our team" {
		t.Errorf("the agent's message is signed %q, want a person by the name they gave (Ada Lovelace · our team)", who)
	}
	// A system line says the person joined, just before their first message.
	customer.waitText("#messages .system", "Ada Lovelace from our team has joined the chat.")
	if before := eval[string](customer, `document.querySelector("#messages .msg-agent").previousElementSibling.textContent`); before != "Ada Lovelace from our team has joined the chat." {
		t.Errorf("before the agent's first message: %q, want the line that they joined", before)
	}
	agent.waitText("#transcript .msg-agent .who", "Ada Lovelace")
	customer.waitFor("the agent's reply in view", lastInView)
	customer.shot("agent-reply")

	// The agent gives the conversation back to the bot at "close".
	agent.waitFor("the stages to give back at", `Array.from(document.querySelectorAll("#release-stage option")).some(function (o) { return o.textContent.indexOf("close (close)") === 0; })`)
	stage := eval[string](agent, `Array.from(document.querySelectorAll("#release-stage option")).filter(function (o) { return o.textContent.indexOf("close (close)") === 0; })[0].value`)
	agent.do("release to the bot",
		chromedp.SetValue(chromedp.ID("release-stage"), stage),
		chromedp.Click(chromedp.CSS(`#release-form button[type="submit"]`)),
	)
	agent.waitFor("the ticket to leave the agent", `document.getElementById("status").getAttribute("data-status") !== "assigned"`)
	reviewInBrowser(agent)

	// The bot asks its close question, after the lines that the person left
	// and the assistant is back.
	customer.waitText("#messages .msg-bot .text", "anything else")
	customer.waitText("#messages .system", "Ada Lovelace has left the chat.")
	customer.waitText("#messages .system", "The virtual assistant is helping you again.")
	customer.waitFor("the notice to go", `document.getElementById("notice").hidden`)
	customer.shot("assistant-back")

	// Offline, the customer's "no" waits in the page, labelled; back online
	// it is sent (once: its id makes a second post harmless) and ends the
	// conversation.
	customer.network(false)
	customer.waitFor("the page to know it is offline", `navigator.onLine === false`)
	customer.do("write offline", chromedp.SendKeys(chromedp.ID("text"), "no"), chromedp.Click(chromedp.ID("send")))
	customer.waitText("#messages .msg-customer.queued .state", "Not sent yet")
	customer.shot("offline-queued")
	customer.network(true)
	customer.waitFor("the queued message to be sent", `!document.querySelector("#messages .msg-customer.queued, #messages .msg-customer .state")`)
	customer.waitText("#messages .msg-bot .text", "It was a pleasure to help")
	if n := storedTimes(t, base, customer, "no"); n != 1 {
		t.Errorf("the message written offline is stored %d times, want once", n)
	}
	// A person helped: the customer is asked once for a rating, with the
	// scores 1 to 5 as buttons.
	customer.waitText("#messages .msg-bot .text", "how would you rate the help")
	customer.waitFor("the scores as buttons", `Array.from(document.querySelectorAll("#messages button.choice:enabled")).map(function (b) { return b.textContent; }).join(",") === "1,2,3,4,5"`)
	customer.waitFor("the rating in view", lastInView)
	customer.shot("rating")
	customer.do("tap 5", chromedp.Click(chromedp.CSS(`#messages button.choice:enabled:last-of-type`)))
	customer.waitText("#messages .msg-bot .text", "anything we could do better")
	if n := eval[int](customer, `document.querySelectorAll("#messages .msg-bot .text").length - Array.from(document.querySelectorAll("#messages .msg-bot .text")).filter(function (p) { return p.textContent.indexOf("how would you rate") < 0; }).length`); n != 1 {
		t.Errorf("the rating was asked %d times", n)
	}
	say("All good, thank you")
	customer.waitText("#messages .msg-bot .text", "Thank you for your feedback")
	customer.waitFor("the notice that the conversation ended", noticeSays("ended"))
	customer.waitFor("the farewell in view", lastInView)
	customer.shot("farewell")
	if got := eval[string](customer, `document.getElementById("messages").textContent`); strings.Contains(got, note) {
		t.Error("the customer sees the agent's internal note")
	}

	// The dashboard counts the handoff.
	agent.do("open the dashboard", chromedp.Navigate(base+"/desk/dashboard"))
	agent.waitText("#chart-reasons text", "customer_request")
	agent.shot("dashboard")

	// The history lists the released conversation; a search finds it by
	// what the customer wrote and by its number, and it opens.
	agent.do("open the history", chromedp.Navigate(base+"/desk/history"))
	agent.waitText("#history tr", "#"+ticketID)
	agent.waitText("#history tr", "given back to the bot")
	for _, q := range []string{"real PERSON", "#" + ticketID, "web customer_request admin"} {
		agent.do("search "+q, chromedp.SetValue(chromedp.ID("history-q"), q), chromedp.Click(chromedp.CSS(`#history-form button`)))
		agent.waitFor("the search for "+q, fmt.Sprintf(`document.getElementById("history-note").textContent.indexOf(%s) >= 0 && document.querySelectorAll("#history tr").length === 1`, quote(q)))
	}
	agent.do("search what nobody wrote", chromedp.SetValue(chromedp.ID("history-q"), "zebra"), chromedp.Click(chromedp.CSS(`#history-form button`)))
	agent.waitFor("no match", `!document.getElementById("history-empty").hidden && document.querySelectorAll("#history tr").length === 0`)
	agent.shot("history")
	agent.do("search again", chromedp.SetValue(chromedp.ID("history-q"), "real person"), chromedp.Click(chromedp.CSS(`#history-form button`)))
	agent.waitText("#history tr", "#"+ticketID)
	agent.do("open the closed ticket", chromedp.Click(chromedp.CSS(`#history tr a`)))
	agent.waitFor("the closed ticket", `document.body && document.body.getAttribute("data-page") === "ticket"`)
	agent.waitText("#status", "given back to the bot")
	if got := eval[string](agent, `document.getElementById("status").textContent`); strings.Contains(got, "(") {
		t.Errorf("the status says %q", got)
	}
	agent.waitText("#transcript .msg-customer .text", "I want to talk to a real person")

	// On a phone (390 px wide) no page scrolls sideways, Sign out stays in
	// view and the side panel goes below the conversation.
	agent.do("a phone's width", chromedp.EmulateViewport(390, 844))
	for _, pg := range []string{"/desk/", "/desk/tickets/" + ticketID, "/desk/history", "/desk/dashboard"} {
		agent.do("open "+pg+" on a phone", chromedp.Navigate(base+pg))
		agent.waitFor("the live connection on "+pg, `document.getElementById("connection").getAttribute("data-state") === "online"`)
		if pg == "/desk/tickets/"+ticketID {
			agent.waitText("#transcript .msg-customer .text", "I want to talk to a real person")
			if !eval[bool](agent, `document.querySelector(".side").getBoundingClientRect().top >= document.querySelector(".conversation").getBoundingClientRect().bottom`) {
				t.Errorf("on a phone the side panel is not below the conversation")
			}
		}
		if w := eval[int](agent, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s on a phone is %d px wide", pg, w)
		}
		if !eval[bool](agent, `(function () { var r = document.querySelector(".logout button").getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; })()`) {
			t.Errorf("%s on a phone: Sign out is out of view", pg)
		}
		agent.shot("phone-" + strings.Trim(strings.ReplaceAll(pg, "/", "-"), "-"))
	}
	agent.do("back to a desktop's width", chromedp.EmulateViewport(1280, 900))

	// Two days later the conversation's messages show their date too
	// (the page's clock follows the server's, so the server's time is
	// what moves here).
	if _, err := chromedp.Call(agent.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `(function () { var p = Date.parse; Date.parse = function (s) { return p(s) + 2 * 864e5; }; })();`,
	}); err != nil {
		t.Fatalf("move the page's clock on: %v", err)
	}
	agent.do("open the ticket two days later", chromedp.Navigate(base+"/desk/tickets/"+ticketID))
	agent.waitFor("dates on the older messages", `(function () { var t = document.querySelector("#transcript .msg-customer time"); return !!t && /[A-Z][a-z]{2} \d{1,2}|\d{1,2} [A-Z][a-z]{2}/.test(t.textContent); })()`)

	customer.checkProblems()
	agent.checkProblems()
	t.Logf("browser scenario took %v", time.Since(started).Round(time.Millisecond))
}

// emoji matches pictographs (the faces the mood marks used to be).
var emoji = regexp.MustCompile(`[\x{1F300}-\x{1FAFF}\x{2600}-\x{27BF}]`)

// network turns the tab's network on or off (requests fail, and
// navigator.onLine and the online/offline events follow).
func (tb *tab) network(on bool) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		tb.fail("network.enable: %v", err)
	}
	cond := &network.Conditions{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}
	if _, err := chromedp.Call(tb.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{cond}}); err != nil {
		tb.fail("emulate the network: %v", err)
	}
	if _, err := chromedp.Call(tb.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		tb.fail("override the network state: %v", err)
	}
}

// storedTimes counts the customer messages with text in the transcript of
// the conversation the chat in tb keeps in localStorage.
func storedTimes(t *testing.T, base string, tb *tab, text string) int {
	t.Helper()
	var conv struct{ ID, Token string }
	if err := json.Unmarshal([]byte(eval[string](tb, `localStorage.getItem("calmbot.web.conversation")`)), &conv); err != nil {
		t.Fatalf("the chat's stored conversation: %v", err)
	}
	req, _ := http.NewRequest("GET", base+"/api/conversations/"+conv.ID+"/transcript", nil)
	req.Header.Set("Authorization", "Bearer "+conv.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tr struct {
		Messages []struct{ From, Text string }
	}
	if err := json.NewDecoder(res.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range tr.Messages {
		if m.From == "customer" && m.Text == text {
			n++
		}
	}
	return n
}

// lastInView is a JavaScript expression: the chat's newest message is
// scrolled into view, above the composer.
const lastInView = `(function () {
	var list = document.getElementById("messages"), last = list.lastElementChild;
	if (!last) { return false; }
	var box = list.getBoundingClientRect(), r = last.getBoundingClientRect();
	return r.bottom <= box.bottom + 1 && r.top >= box.top - 1;
})()`

// noticeSays is a JavaScript expression: the chat's notice is shown and
// contains text.
func noticeSays(text string) string {
	return fmt.Sprintf(`!document.getElementById("notice").hidden && document.getElementById("notice").textContent.indexOf(%s) >= 0`, quote(text))
}
