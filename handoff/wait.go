package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// How the queue estimates waits before it has seen any: an agent with room
// picks a ticket up in about half a minute, and a conversation with a
// person lasts about five minutes. Each claim and each closed ticket moves
// these averages (an exponential moving average over about the last
// statsWindow tickets).
const (
	defaultPickup = 30 * time.Second
	defaultHandle = 5 * time.Minute
	statsWindow   = 50
	statsAlpha    = 2.0 / (statsWindow + 1)
)

// The waiting customer is told again when the wait they were told has
// passed, when the estimate grew by more than half and by more than
// growMin, and when they write after askedGap since they were last told.
const (
	growMin  = time.Minute
	askedGap = 30 * time.Second
	// busyFactor: a place in line over busyFactor times the usual length
	// of the queue (at least 1) counts as busy.
	busyFactor = 2
)

// stats are the moving averages of recent handling. Guarded by Service.mu.
type stats struct {
	pickup, handle time.Duration
	picks, handles int
	// line is the usual length of the queue a new ticket joins (itself
	// included), lines how many were seen.
	line  float64
	lines int
}

// joined records the length of the queue a new ticket joined.
func (st *stats) joined(n int) {
	if st.lines == 0 {
		st.line = float64(n)
	} else {
		st.line += statsAlpha * (float64(n) - st.line)
	}
	st.lines++
}

// usualLine is the usual queue length, at least 1.
func (st *stats) usualLine() float64 {
	if st.lines == 0 {
		return 1
	}
	return max(st.line, 1)
}

func ewma(avg time.Duration, n int, d time.Duration) time.Duration {
	if n == 0 {
		return d
	}
	return time.Duration(float64(avg) + statsAlpha*float64(d-avg))
}

// picked records the time from a handoff to an agent taking the ticket.
func (st *stats) picked(d time.Duration) {
	st.pickup = ewma(st.pickup, st.picks, max(d, 0))
	st.picks++
}

// handled records how long an agent held a ticket.
func (st *stats) handled(d time.Duration) {
	st.handle = ewma(st.handle, st.handles, max(d, 0))
	st.handles++
}

// seed starts the averages from recently closed tickets, latest first.
func (st *stats) seed(recent []*Ticket) {
	for i := len(recent) - 1; i >= 0; i-- {
		t := recent[i]
		if !t.Claimed.IsZero() {
			st.picked(t.Claimed.Sub(t.Created))
		}
		if !t.Assigned.IsZero() && !t.Closed.IsZero() {
			st.handled(t.Closed.Sub(t.Assigned))
		}
	}
}

func (st *stats) averages() (pickup, handle time.Duration) {
	pickup, handle = defaultPickup, defaultHandle
	if st.picks > 0 {
		pickup = st.pickup
	}
	if st.handles > 0 {
		handle = st.handle
	}
	return pickup, handle
}

// Estimate is what a waiting customer is told, and what the agents see of
// it: the same numbers.
type Estimate struct {
	// Position is the ticket's place among the queued tickets competing
	// for the same agents; 1 is next.
	Position int `json:"position"`
	// Wait is the expected time from Told until an agent takes the
	// ticket, rounded up to whole minutes (hours past 89 minutes): never
	// shorter than the customer has already waited at Told, as waits run
	// long. When Unavailable it is only a guess the customer is not told
	// (unless the flows have no texts.unavailable).
	Wait time.Duration `json:"wait"`
	// Told is when the customer was told Wait, or now when they are about
	// to be (the promise passed, the wait grew, they were not told yet);
	// Due is Told + Wait, when the promise runs out.
	Told time.Time `json:"told"`
	Due  time.Time `json:"due"`
	// Waited is how long the customer has waited so far.
	Waited time.Duration `json:"waited"`
	// Busy is set when the ticket's place in line is well over the usual
	// length of the queue.
	Busy bool `json:"busy"`
	// Unavailable is set when no agent who could take the ticket is
	// online: the customer is told so, not a wait.
	Unavailable bool `json:"unavailable,omitempty"`
	// Online counts the online agents who could take the ticket and Free
	// their free places.
	Online int `json:"online"`
	Free   int `json:"free"`
	// AfterHours is set outside the service hours; Opens is when they start.
	AfterHours bool      `json:"after_hours,omitempty"`
	Opens      time.Time `json:"opens,omitzero"`
}

// Estimate returns the position and the expected wait of queued ticket id:
// what the customer was told, or is about to be told in the next round.
func (s *informer) Estimate(id int64) (Estimate, error) {
	var f *flows.File
	if eng, err := s.engine(); err == nil {
		f = eng.Flows()
	}
	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tickets[id]
	if t == nil {
		return Estimate{}, fmt.Errorf("ticket %d: %w", id, ErrNotFound)
	}
	if t.Status != StatusQueued {
		return Estimate{}, nil
	}
	e, _ := s.currentLocked(t, s.activeAll(), now, f != nil && len(f.Texts.Unavailable) > 0)
	if f != nil {
		if h, err := parseHours(f.Service.Hours); err == nil && h != nil && !h.isOpen(now) {
			e.AfterHours, e.Opens = true, h.next(now)
		}
	}
	return e, nil
}

// competes reports whether tickets a and b wait for the same agents.
func competes(a, b *Ticket) bool { return a.Skill == b.Skill || a.Skill == "" || b.Skill == "" }

// roundWait rounds a wait up as customers are told it: to whole minutes,
// at least one, and to whole hours past 89 minutes.
func roundWait(d time.Duration) time.Duration {
	mins := (d + time.Minute - 1) / time.Minute
	switch {
	case mins <= 1:
		return time.Minute
	case mins < 90:
		return mins * time.Minute
	}
	return (d + time.Hour - 1) / time.Hour * time.Hour
}

// estimateLocked estimates queued ticket t's wait from now: an agent with
// room takes it after the average pickup time; otherwise it waits for as
// many conversations to end as there are tickets ahead beyond the free
// places, spread over the online agents' places. A customer who has waited
// longer than that already is told at least as long again. s.mu is held.
func (s *informer) estimateLocked(t *Ticket, active map[string]int, now time.Time) Estimate {
	e := Estimate{Position: 1, Told: now, Waited: max(now.Sub(t.Created), 0)}
	for _, o := range s.tickets {
		if o != t && o.Status == StatusQueued && competes(o, t) && ahead(o, t) {
			e.Position++
		}
	}
	places := 0
	for _, acc := range s.agents {
		if acc.Presence != PresenceOnline || !s.canTake(&acc.Agent, t) {
			continue
		}
		e.Online++
		places += acc.Capacity
		e.Free += max(acc.Capacity-active[acc.ID], 0)
	}
	pickup, handle := s.stats.averages()
	var wait time.Duration
	switch {
	case places == 0:
		wait, e.Unavailable = pickup+time.Duration(e.Position)*handle, true
	case e.Free >= e.Position:
		wait = pickup
	default:
		rounds := (e.Position - e.Free + places - 1) / places
		wait = pickup + time.Duration(rounds)*handle
	}
	e.Wait = roundWait(max(wait, e.Waited))
	e.Due = now.Add(e.Wait)
	e.Busy = !e.Unavailable && float64(e.Position) > busyFactor*s.stats.usualLine()
	return e
}

// currentLocked returns what queued ticket t's customer knows: the wait
// they were told while it holds, else a new estimate, with news set when
// they are to be told it (not told yet, or told something else since: the
// service hours, nobody available; the promise passed; the wait grew
// notably). Without words for nobody being available (plain false) such a
// customer is told the guess of the wait instead. s.mu is held.
func (s *informer) currentLocked(t *Ticket, active map[string]int, now time.Time, plain bool) (Estimate, bool) {
	e := s.estimateLocked(t, active, now)
	w := t.Waiting
	told := !w.Told.IsZero() && !w.AfterHours
	switch {
	case e.Unavailable && plain:
		if told && w.Unavailable {
			e.Told, e.Due = w.Told, time.Time{}
			return e, false
		}
		return e, true
	case !told || w.Unavailable:
		return e, true
	}
	due := w.Told.Add(w.Estimate)
	if !now.Before(due) {
		// The promise passed: the next one is at least twice as long, so
		// that the customer is not told "a minute" minute after minute.
		e.Wait = roundWait(max(e.Wait, 2*w.Estimate))
		e.Due = now.Add(e.Wait)
		return e, true
	}
	if e.Wait > w.Estimate*3/2 && e.Wait-w.Estimate > growMin {
		return e, true
	}
	e.Wait, e.Told, e.Due, e.Busy = w.Estimate, w.Told, due, w.Busy
	return e, false
}

// job is a text to tell a waiting customer and what it changes on the ticket.
type job struct {
	id    int64
	addr  bot.Address
	text  func(*flows.Texts) flows.Text
	vars  map[string]string
	apply func(t *Ticket)
}

// inform tells waiting customers their position and wait when they were
// not told yet, when the wait they were told passed or grew notably, or
// when they wrote again; that nobody is available while nobody is; the
// incentive once past service.incentive_after; and outside the service
// hours, once, when people answer again.
func (s *informer) inform(ctx context.Context, eng Engine) error {
	f := eng.Flows()
	now := s.clock.Now()
	h, err := parseHours(f.Service.Hours)
	if err != nil {
		s.log.WarnContext(ctx, "service hours ignored", "err", err)
		h = nil
	}
	open := h == nil || h.isOpen(now)
	texts := &f.Texts
	say := s.sayer(f)
	var jobs []job

	s.mu.Lock()
	active := s.activeAll()
	for _, t := range s.tickets {
		if t.Status != StatusQueued {
			continue
		}
		id, lang := t.ID, t.Lang
		if !open {
			if t.Waiting.AfterHours {
				continue
			}
			opens := h.next(now)
			j := job{id: id, addr: t.Address, vars: map[string]string{"opens": say.opens(lang, opens, now)},
				text: func(x *flows.Texts) flows.Text { return x.AfterHours },
				apply: func(t *Ticket) {
					t.Waiting.AfterHours, t.Waiting.Told, t.Waiting.Estimate = true, now, opens.Sub(now)
				}}
			if len(texts.AfterHours) == 0 {
				// No words for it: the waiting text, with the wait until opening.
				j.text = func(x *flows.Texts) flows.Text { return x.Waiting }
				j.vars["position"] = "1"
				j.vars["wait"] = say.wait(lang, opens.Sub(now))
			}
			jobs = append(jobs, j)
			continue
		}
		w := t.Waiting
		plain := len(texts.Unavailable) > 0
		e, news := s.currentLocked(t, active, now, plain)
		asked := s.asked[id] && now.Sub(w.Told) >= askedGap
		if asked && !news {
			e = s.estimateLocked(t, active, now)
		}
		if news || asked {
			delete(s.asked, id)
			j := job{id: id, addr: t.Address,
				vars: map[string]string{"position": strconv.Itoa(e.Position), "wait": say.wait(lang, e.Wait)},
				text: func(x *flows.Texts) flows.Text { return x.Waiting },
				apply: func(t *Ticket) {
					t.Waiting.Told, t.Waiting.Estimate, t.Waiting.Busy, t.Waiting.AfterHours = now, e.Wait, e.Busy, false
					t.Waiting.Unavailable = e.Unavailable && plain
				}}
			switch {
			case e.Unavailable && plain:
				j.text, j.vars = func(x *flows.Texts) flows.Text { return x.Unavailable }, nil
			case e.Busy && len(texts.Busy) > 0:
				j.text = func(x *flows.Texts) flows.Text { return x.Busy }
			}
			jobs = append(jobs, j)
		}
		if after := time.Duration(f.Service.IncentiveAfter); after > 0 && !w.Incentive && len(texts.Incentive) > 0 && now.Sub(t.Created) >= after {
			jobs = append(jobs, job{id: id, addr: t.Address,
				text:  func(x *flows.Texts) flows.Text { return x.Incentive },
				apply: func(t *Ticket) { t.Waiting.Incentive = true }})
		}
	}
	s.mu.Unlock()

	var errs []error
	for _, j := range jobs {
		if err := eng.Tell(ctx, j.addr, j.text, j.vars); err != nil {
			if !errors.Is(err, bot.ErrClosed) {
				errs = append(errs, fmt.Errorf("tell ticket %d: %w", j.id, err))
			}
			continue
		}
		c, err := s.change(j.id, func(t *Ticket) error {
			if t.Status != StatusQueued {
				return ErrTaken
			}
			j.apply(t)
			return nil
		})
		if err != nil {
			continue // taken or closed meanwhile: nothing more to record
		}
		errs = append(errs, s.commit(ctx, c, UpdateTicket))
	}
	return errors.Join(errs...)
}

// hours are parsed service hours.
type hours struct {
	loc         *time.Location
	days        [7]bool
	open, close int // minutes after midnight
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseHours reads flows' service hours; nil means always open.
func parseHours(fh *flows.Hours) (*hours, error) {
	if fh == nil {
		return nil, nil
	}
	h := &hours{loc: time.UTC}
	if fh.Timezone != "" {
		loc, err := time.LoadLocation(fh.Timezone)
		if err != nil {
			return nil, fmt.Errorf("service hours: %w", err)
		}
		h.loc = loc
	}
	if len(fh.Days) == 0 {
		h.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range fh.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return nil, fmt.Errorf("service hours: day %q", d)
		}
		h.days[wd] = true
	}
	var err error
	if h.open, err = clockMinutes(fh.Open); err != nil {
		return nil, err
	}
	if h.close, err = clockMinutes(fh.Close); err != nil {
		return nil, err
	}
	return h, nil
}

// clockMinutes reads "HH:MM".
func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("service hours: time %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// isOpen reports whether people answer at now. Hours whose close is not
// after their open run past midnight into the next day.
func (h *hours) isOpen(now time.Time) bool {
	l := now.In(h.loc)
	m, wd := l.Hour()*60+l.Minute(), l.Weekday()
	switch {
	case h.open == h.close:
		return h.days[wd]
	case h.open < h.close:
		return h.days[wd] && m >= h.open && m < h.close
	default:
		return h.days[wd] && m >= h.open || h.days[(wd+6)%7] && m < h.close
	}
}

// next returns when people answer next: now when open, else the next
// opening; the zero time when no day is open.
func (h *hours) next(now time.Time) time.Time {
	if h.isOpen(now) {
		return now
	}
	l := now.In(h.loc)
	for i := range 8 {
		d := time.Date(l.Year(), l.Month(), l.Day()+i, h.open/60, h.open%60, 0, 0, h.loc)
		if h.days[d.Weekday()] && d.After(l) {
			return d
		}
	}
	return time.Time{}
}

// defaultWords are the wait words of the default flows (calmbot's
// flows.yaml), read the first time a flow file lacks one.
type defaultWords struct {
	once  sync.Once
	words flows.WaitWords
	lang  string
}

// get returns the default wait words and their default language.
func (d *defaultWords) get(log *slog.Logger) (*flows.WaitWords, string) {
	d.once.Do(func() {
		f, err := flows.Parse("(built-in flows.yaml)", calmbot.DefaultFlows())
		if err != nil {
			log.Error("built-in flows: wait words", "err", err)
			return
		}
		d.words, d.lang = f.Texts.WaitWords, f.DefaultLanguage
	})
	return &d.words, d.lang
}

// sayer says waits and opening times with a flow file's wait words,
// taking each word the file lacks in a language from the default flows
// (in that language, else in their default language).
type sayer struct {
	own      *flows.WaitWords
	defaults func() (*flows.WaitWords, string)
}

// sayer returns the sayer of flow file f.
func (s *informer) sayer(f *flows.File) sayer {
	return sayer{own: &f.Texts.WaitWords, defaults: func() (*flows.WaitWords, string) { return s.defaults.get(s.log) }}
}

// word says the wait word pick chooses in lang, with its placeholders
// (name, value pairs) filled in.
func (w sayer) word(lang string, pick func(*flows.WaitWords) flows.Text, vars ...string) string {
	t, ok := pick(w.own).Get(lang, "")
	if !ok {
		def, defLang := w.defaults()
		if t, ok = pick(def).Get(lang, ""); !ok {
			t, _ = pick(def).Get(defLang, "")
		}
	}
	for i := 0; i+1 < len(vars); i += 2 {
		t = strings.ReplaceAll(t, "{"+vars[i]+"}", vars[i+1])
	}
	return t
}

// wait says d in lang, rounded up to minutes (or to hours past 89
// minutes): an estimate errs on the long side.
func (w sayer) wait(lang string, d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	switch {
	case mins <= 1:
		return w.word(lang, func(x *flows.WaitWords) flows.Text { return x.Minute })
	case mins < 90:
		return w.word(lang, func(x *flows.WaitWords) flows.Text { return x.Minutes }, "minutes", strconv.Itoa(mins))
	}
	return w.word(lang, func(x *flows.WaitWords) flows.Text { return x.Hours }, "hours", strconv.Itoa((mins+59)/60))
}

// opens says when the service opens: the time with the time zone, and
// the weekday when it is not today.
func (w sayer) opens(lang string, at, now time.Time) string {
	if at.IsZero() {
		return "?"
	}
	clock := at.Format("15:04 MST")
	l := now.In(at.Location())
	if y, m, d := at.Date(); y == l.Year() && m == l.Month() && d == l.Day() {
		return w.word(lang, func(x *flows.WaitWords) flows.Text { return x.OpensToday }, "time", clock)
	}
	day := w.word(lang, func(x *flows.WaitWords) flows.Text { return x.Days.Day(at.Weekday()) })
	return w.word(lang, func(x *flows.WaitWords) flows.Text { return x.OpensLater }, "day", day, "time", clock)
}

// informer keeps waiting customers informed: their position and expected
// wait (told again when it passed), that nobody is available, the service
// hours, the busy and incentive texts.
type informer struct {
	*core
	defaults defaultWords
}
