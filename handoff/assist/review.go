package assist

import (
	"slices"
	"strings"

	"github.com/calmbot/calmbot/flows"
)

// stageWords mark a reply as covering a stage, per language, beside the
// flow's own texts.
var stageWords = map[flows.Kind]map[string][]string{
	flows.KindAcknowledge: {
		"en": {"thank you for", "thanks for", "i understand", "i hear you", "you are right", "you're right"},
		"it": {"grazie per", "grazie di", "la capisco", "capisco", "ha ragione"},
		"de": {"danke für", "danke, dass", "ich verstehe", "verstehe", "sie haben recht"},
		"fi": {"kiitos", "ymmärrän", "olet oikeassa"},
	},
	flows.KindConfirm: {
		"en": {"just to be sure", "to confirm", "let me confirm", "is it", "did i get"},
		"it": {"per essere sicuri", "per conferma", "confermo", "si tratta di"},
		"de": {"damit ich", "nur zur sicherheit", "zur sicherheit", "geht es um"},
		"fi": {"varmistan", "varmistetaan", "koskeeko"},
	},
	flows.KindClose: {
		"en": {"anything else", "something else"},
		"it": {"qualcos'altro", "altro in cui"},
		"de": {"sonst noch", "noch etwas"},
		"fi": {"jossain muussa", "muuta asiaa", "vielä jotain"},
	},
}

// agreeWords state a solution in the present ("we send", "it arrives"):
// with a time frame, the reply repeats an agreement.
var agreeWords = map[string][]string{
	"en": {"we send", "we refund", "we replace", "we open", "we ship", "i send", "i open", "it arrives", "you get", "you receive"},
	"it": {"spediamo", "inviamo", "rimborsiamo", "apriamo", "sostituiamo", "arriva", "riceve"},
	"de": {"wir senden", "wir schicken", "wir erstatten", "wir beauftragen", "kommt", "erhalten sie", "sie erhalten"},
	"fi": {"lähetämme", "hyvitämme", "teemme", "saat", "perillä"},
}

// Covered returns the stages of a de-escalating reply that reply covers,
// in stage order: a confirming question, several options, an agreement
// with its time frame, the close; the acknowledgement by its words. The
// flow's own texts (as NextSteps suggests them) count as their stage
// even when the agent edited them a little.
func Covered(f *flows.File, p Progress, reply string) []flows.Kind {
	lang := p.Lang
	if f != nil {
		lang = f.Language(p.Lang)
	}
	toks := tokenize(reply)
	has := func(list []string) bool { return len(findAll(toks, list)) > 0 }
	var out []flows.Kind
	add := func(k flows.Kind) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if has(stageWords[flows.KindAcknowledge][lang]) {
		add(flows.KindAcknowledge)
	}
	if strings.Contains(reply, "?") && has(stageWords[flows.KindConfirm][lang]) {
		add(flows.KindConfirm)
	}
	if numbered(reply) || has(offerWords[lang]) && has(alternativeWords[lang]) {
		add(flows.KindChoices)
	}
	if (has(promises[lang]) || has(agreeWords[lang])) && (has(timeWords[lang]) || hasNumber(toks)) {
		add(flows.KindAgree)
	}
	if strings.Contains(reply, "?") && has(stageWords[flows.KindClose][lang]) {
		add(flows.KindClose)
	}
	for _, s := range NextSteps(f, Progress{Flow: p.Flow, State: "", Chosen: p.Chosen, Lang: lang, AgentLang: lang, Channel: p.Channel}) {
		if similar(s.Customer, reply) {
			add(s.Kind)
		}
	}
	slices.SortFunc(out, func(a, b flows.Kind) int { return slices.Index(flows.Stages, a) - slices.Index(flows.Stages, b) })
	return out
}

// similar reports whether most words of a suggested text are in reply.
func similar(suggested, reply string) bool {
	want := tokenize(suggested)
	if len(want) == 0 {
		return false
	}
	got := map[string]bool{}
	for _, t := range tokenize(reply) {
		got[t.word] = true
	}
	n := 0
	for _, t := range want {
		if got[t.word] {
			n++
		}
	}
	return float64(n) >= 0.7*float64(len(want))
}
