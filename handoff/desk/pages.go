package desk

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/webserve"
)

//go:embed assets
var assets embed.FS

// assetNames are the embedded files served under <prefix>/assets/.
var assetNames = []string{"desk.js", "desk.css", "assist.js", "assist.css"}

// contentSecurityPolicy lets the pages load nothing but their own files and
// talk to nothing but their own server; webserve.Policy adds that no page
// may frame them.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"

// pages are the parsed templates and the static files.
type pages struct {
	tmpl  *template.Template
	files map[string]webserve.Asset
}

func loadPages() *pages {
	p := &pages{files: map[string]webserve.Asset{}}
	p.tmpl = template.Must(template.ParseFS(assets, "assets/*.html")) // a build mistake panics here
	for _, name := range assetNames {
		f, err := webserve.LoadAsset(assets, "assets/"+name)
		if err != nil {
			panic("desk: embedded asset missing: " + name) // a build mistake
		}
		p.files[name] = f
	}
	return p
}

// serveAsset serves an embedded file with validators.
func (d *Desk) serveAsset(name string) http.HandlerFunc { return d.pages.files[name].ServeHTTP }

// pageData is what the templates see.
type pageData struct {
	Prefix string
	Page   string // login, queue, ticket, dashboard
	Title  string
	Agent  *handoff.Agent
	CSRF   string
	// Login page.
	Next  string
	Error string
	Name  string
	// Ticket page.
	Ticket      *handoff.Ticket
	SummaryText string
	// Account page.
	Notice, NameNotice, NameError string
	MinPassword, MaxPassword      int
}

// render writes a page.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, data pageData) {
	data.Prefix = d.prefix
	var buf bytes.Buffer
	if err := d.pages.tmpl.ExecuteTemplate(&buf, data.Page+".html", data); err != nil {
		d.log.ErrorContext(r.Context(), "desk: render page", "page", data.Page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // the security headers are set by webserve.Policy
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// loginPage is GET /login.
func (d *Desk) loginPage(w http.ResponseWriter, r *http.Request) {
	next := d.safeNext(r.URL.Query().Get("next"))
	if _, err := d.session(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, pageData{Page: "login", Title: "Sign in", CSRF: d.loginToken(w, r), Next: next})
}

// loginForm is POST /login (name, password, csrf, next).
func (d *Desk) loginForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	next := d.safeNext(r.PostFormValue("next"))
	name := r.PostFormValue("name")
	data := pageData{Page: "login", Title: "Sign in", Next: next, Name: name}
	if !d.checkLoginToken(r) {
		data.CSRF, data.Error = d.loginToken(w, r), "The form expired. Please sign in again."
		d.render(w, r, http.StatusForbidden, data)
		return
	}
	_, _, wait, err := d.login(w, r, name, r.PostFormValue("password"))
	switch {
	case errors.Is(err, errRateLimited):
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		data.CSRF, data.Error = d.loginToken(w, r), "Too many failed sign-ins. Please wait a little and try again."
		d.render(w, r, http.StatusTooManyRequests, data)
	case err != nil:
		data.CSRF, data.Error = d.loginToken(w, r), "Wrong name or password."
		d.render(w, r, http.StatusUnauthorized, data)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// safeNext returns where to go after login: a path of the desk, else its start.
func (d *Desk) safeNext(next string) string {
	home := d.prefix + "/"
	if !strings.HasPrefix(next, home) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return home
	}
	return next
}

// logoutForm is POST /logout (csrf).
func (d *Desk) logoutForm(w http.ResponseWriter, r *http.Request, s *session) {
	d.logout(w, r, s)
	http.Redirect(w, r, d.prefix+"/login", http.StatusSeeOther)
}

// queuePage is GET /: the queue and the agent's conversations.
func (d *Desk) queuePage(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, r, http.StatusOK, pageData{Page: "queue", Title: "Queue", Agent: &s.agent, CSRF: s.csrf})
}

// dashboardPage is GET /dashboard.
func (d *Desk) dashboardPage(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, r, http.StatusOK, pageData{Page: "dashboard", Title: "Dashboard", Agent: &s.agent, CSRF: s.csrf})
}

// ticketPage is GET /tickets/{id}: the conversation view; the summary is
// rendered here, the rest by the script from the API.
func (d *Desk) ticketPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := ticketID(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	t, err := d.svc.Ticket(r.Context(), id)
	if errors.Is(err, handoff.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		d.log.ErrorContext(r.Context(), "desk: ticket page", "ticket", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	data := pageData{Page: "ticket", Title: "Ticket #" + itoa(int(id)), Agent: &s.agent, CSRF: s.csrf, Ticket: t}
	if sum, err := d.svc.Summary(r.Context(), id); err == nil {
		data.SummaryText = sum.Text()
	} else {
		d.log.WarnContext(r.Context(), "desk: summary", "ticket", id, "err", err)
	}
	d.render(w, r, http.StatusOK, data)
}

// accountPage is GET /account: the form to change one's password.
func (d *Desk) accountPage(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, r, http.StatusOK, d.accountData(s, s.csrf))
}

func (d *Desk) accountData(s *session, csrf string) pageData {
	a := s.agent
	if cur, err := d.svc.Agent(a.ID); err == nil {
		a = cur
	}
	return pageData{Page: "account", Title: "Account", Agent: &a, CSRF: csrf,
		MinPassword: handoff.MinPassword, MaxPassword: handoff.MaxPassword}
}

// nameForm is POST /account/name (csrf, display): the agent's name as
// customers and colleagues see it.
func (d *Desk) nameForm(w http.ResponseWriter, r *http.Request, s *session) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	a, err := d.svc.SetName(r.Context(), s.agent.ID, r.PostFormValue("display"))
	status := http.StatusOK
	data := d.accountData(s, s.csrf)
	switch {
	case errors.Is(err, handoff.ErrInvalid):
		status, data.NameError = http.StatusBadRequest, "A name has at most 64 characters, and no control characters."
	case err != nil:
		d.log.ErrorContext(r.Context(), "desk: set name", "agent", s.agent.ID, "err", err)
		status, data.NameError = http.StatusInternalServerError, "The name could not be saved. Please try again."
	default:
		data.Agent = &a
		data.NameNotice = "Customers now see you as " + a.Display() + "."
	}
	d.render(w, r, status, data)
}

// accountForm is POST /account (csrf, current, password, confirm): the
// agent changes their password; their other sessions end, this browser
// stays signed in.
func (d *Desk) accountForm(w http.ResponseWriter, r *http.Request, s *session) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	data := d.accountData(s, s.csrf)
	password := r.PostFormValue("password")
	var err error
	if password != r.PostFormValue("confirm") {
		err = errPasswordMismatch
	} else {
		var csrf string
		if csrf, err = d.changePassword(w, r, s, r.PostFormValue("current"), password); err == nil {
			data.CSRF = csrf
			data.Notice = "Your password is changed. You were signed out everywhere else."
			d.render(w, r, http.StatusOK, data)
			return
		}
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, errPasswordMismatch):
		data.Error = "The two new passwords differ."
	case errors.Is(err, handoff.ErrBadCredentials):
		status, data.Error = http.StatusForbidden, "The current password is wrong."
	case errors.Is(err, handoff.ErrInvalid):
		data.Error = "The new password needs " + itoa(handoff.MinPassword) + " to " + itoa(handoff.MaxPassword) + " characters."
	default:
		d.log.ErrorContext(r.Context(), "desk: change password", "agent", s.agent.ID, "err", err)
		status, data.Error = http.StatusInternalServerError, "The password could not be changed. Please try again."
	}
	d.render(w, r, status, data)
}

func itoa(n int) string { return strconv.Itoa(n) }
