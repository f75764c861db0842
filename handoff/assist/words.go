package assist

// The word lists of the rules that are the assist's own; the negative,
// apology and channel words are the linter's (package flows). The syntax
// is the linter's: lower-case words, * for any letters, plus "..." for a
// few words of the same sentence.

// positive are phrases with a negative-looking word that read as positive:
// a negative word inside one is not flagged.
var positive = map[string][]string{
	"en": {"no problem*", "not a problem", "never a problem", "problem-free", "can't wait", "cannot wait",
		"can't thank you enough", "won't be charged", "won't have to", "won't need to", "won't take long",
		"won't pay", "won't cost"},
	"it": {"nessun problema", "non è un problema", "non c'è problema", "non c'è nessun problema", "senza problemi",
		"non può che", "non posso che", "non possiamo che"},
	"de": {"kein problem", "keine probleme", "kein problem", "ohne probleme", "null problem"},
	"fi": {"ei ongelmaa", "ei mikään ongelma", "ei ongelmia", "ei ole ongelma", "ei ole mikään ongelma",
		"ilman ongelm*", "ongelmitta", "ei haittaa"},
}

// blame are phrases that blame the customer.
var blame = map[string][]string{
	"en": {"you should have", "you shouldn't have", "you should've", "as i already said", "as i said",
		"as i already told you", "as i told you", "as i already mentioned", "as i mentioned before",
		"as already mentioned", "as previously stated", "as i already explained", "as explained before",
		"like i said", "like i already said", "i already told you", "your fault", "your own fault",
		"you failed to", "you forgot to", "you didn't read", "you did not read", "if you had read",
		"if you had followed", "you were supposed to", "you didn't follow", "you did not follow"},
	"it": {"avresti dovuto", "avrebbe dovuto leggere", "avrebbe dovuto controllare", "avrebbe dovuto verificare",
		"avrebbe dovuto inserire", "avrebbe dovuto segnalarlo", "avrebbe dovuto segnalare", "avrebbe dovuto seguire",
		"avrebbe dovuto contattarci", "avrebbe dovuto scriverci", "avrebbe dovuto fare", "come ho già detto",
		"come già detto", "come le ho già detto", "come ti ho già detto", "come già spiegato",
		"come le ho già spiegato", "come ho già scritto", "come le ho già scritto", "colpa sua", "colpa tua",
		"non ha letto", "non hai letto", "si è dimenticato", "si è dimenticata", "se avesse letto",
		"se avesse seguito", "se avesse controllato"},
	"de": {"sie hätten ... sollen", "hätten sie ... sollen", "du hättest ... sollen", "sie hätten ... müssen",
		"hätten sie ... müssen", "wie ich bereits sagte", "wie ich schon sagte", "wie bereits gesagt",
		"wie schon gesagt", "wie bereits erwähnt", "wie schon erwähnt", "wie ich bereits erwähnt",
		"wie ich ihnen bereits", "wie ich ihnen schon", "ihre schuld", "ihr fehler", "ihr eigener fehler",
		"sie haben ... vergessen", "sie haben ... nicht gelesen", "haben sie ... nicht gelesen",
		"wenn sie ... gelesen hätten"},
	"fi": {"sinun olisi pitänyt", "teidän olisi pitänyt", "olisit voinut", "olisitte voineet", "kuten jo sanoin",
		"kuten sanoin", "kuten jo kerroin", "kuten kerroin", "kuten jo mainitsin", "kuten mainitsin",
		"kuten aiemmin mainittiin", "kuten jo todettiin", "oma vikasi", "sinun vikasi", "teidän vikanne",
		"unohdit", "unohditte", "et lukenut", "ette lukeneet", "jos olisit lukenut", "jos olisitte lukeneet"},
}

// blameFine are phrases that look like blame and are not: an expectation
// ("you should have received it by now") rather than a reproach.
var blameFine = map[string][]string{
	"en": {"you should have received", "you should have got", "you should have gotten", "you should have it",
		"you should have an", "you should have a", "you should have the", "you should have them",
		"you should have now"},
	"it": {},
	"de": {"sie hätten ... erhalten sollen", "hätten sie ... erhalten sollen", "sie hätten ... bekommen sollen"},
	"fi": {"sinun olisi pitänyt saada", "teidän olisi pitänyt saada"},
}

// subjects × verbs makes the promise and offer phrases.
func cross(subjects, verbs []string) []string {
	out := make([]string, 0, len(subjects)*len(verbs))
	for _, s := range subjects {
		for _, v := range verbs {
			out = append(out, s+" ... "+v)
		}
	}
	return out
}

// promises are phrases that promise an action.
var promises = map[string][]string{
	"en": append(cross([]string{"we'll", "i'll", "we will", "i will", "we're going to", "we are going to",
		"i'm going to", "i am going to"},
		[]string{"fix*", "sort", "resolv*", "solve", "refund", "send", "ship", "replac*", "deliver", "credit",
			"reimburs*", "repair", "get back", "look into", "take care", "contact", "update you", "let you know",
			"investigat*", "process", "arrange", "make sure", "follow up", "cancel", "correct", "handle"}),
		"you'll get", "you will get", "you'll receive", "you will receive", "you'll hear", "you will hear"),
	"it": {"risolverem*", "risolverò", "sistemerem*", "sistemerò", "rimborserem*", "rimborserò", "invierem*",
		"invierò", "spedirem*", "spedirò", "provvederem*", "provvederò", "contatterem*", "contatterò",
		"ricontatterem*", "ricontatterò", "verificherem*", "verificherò", "controllerem*", "controllerò",
		"sostituirem*", "sostituirò", "farò sapere", "faremo sapere", "ci occuperemo", "me ne occuperò",
		"ci penseremo", "riceverà", "le arriverà", "correggerem*", "correggerò", "annullerem*", "annullerò"},
	"de": {"wir werden", "ich werde", "wir kümmern uns", "ich kümmere mich", "wir melden uns", "ich melde mich",
		"wir erstatten", "ich erstatte", "wir schicken", "ich schicke", "wir senden", "ich sende", "wir beheben",
		"ich behebe", "wir lösen", "ich löse", "wir ersetzen", "ich sorge dafür", "wir sorgen dafür",
		"wir klären", "ich kläre", "sie erhalten", "sie bekommen", "wir korrigieren", "ich korrigiere",
		"wir stornieren", "ich storniere"},
	"fi": {"korjaamme", "korjaan", "hoidamme", "hoidan", "palautamme", "selvitämme", "selvitän",
		"lähetämme", "lähetän", "otamme yhteyttä", "otan yhteyttä", "palaamme asiaan", "palaan asiaan",
		"hyvitämme", "hyvitän", "vaihdamme", "ilmoitamme", "ilmoitan",
		"saat", "saatte", "peruutamme", "peruutan"},
}

// timeWords give the promises of a draft their time frame ("today",
// "within", "3 days"); a number does too. "Soon" and "as soon as possible" do not.
var timeWords = map[string][]string{
	"en": {"today", "tonight", "tomorrow", "now", "immediately", "right away", "within", "minute*", "hour*",
		"day", "days", "week*", "month*", "monday", "tuesday", "wednesday", "thursday", "friday",
		"saturday", "sunday", "this morning", "this afternoon", "this evening", "end of", "by noon",
		"by the time", "before", "until"},
	"it": {"oggi", "stasera", "stamattina", "domani", "subito", "ora", "adesso", "entro", "minut*", "ore",
		"giorn*", "settiman*", "mese", "mesi", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì",
		"sabato", "domenica", "in giornata", "prima di", "fino a"},
	"de": {"heute", "morgen", "sofort", "gleich", "jetzt", "innerhalb", "binnen", "bis", "minute*",
		"stunde*", "tage", "tagen", "werktag*", "arbeitstag*", "woche*", "monat*", "montag", "dienstag",
		"mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "umgehend", "noch heute", "vor"},
	"fi": {"tänään", "huomenna", "heti", "nyt", "kuluessa", "mennessä", "minuu*", "tunn*", "päiv*",
		"arkipäiv*", "viiko*", "viikon", "kuukau*", "maanantai*", "tiistai*", "keskiviikko*", "torstai*",
		"perjantai*", "lauantai*", "sunnuntai*", "illalla", "aamulla", "ennen", "saakka", "asti", "parhaillaan"},
}

// offerWords propose a solution.
var offerWords = map[string][]string{
	"en": append(cross([]string{"i can", "we can", "i could", "we could", "i'll", "we'll", "let me", "i will", "we will"},
		[]string{"send", "refund", "replac*", "offer", "ship", "give you", "arrange", "cancel", "trace", "reorder",
			"credit", "exchange", "repair", "open a", "resend"}),
		"i suggest", "i'd suggest", "i propose", "i recommend", "the only option", "the only thing",
		"all i can do", "the solution is", "the best solution is"),
	"it": append(cross([]string{"posso", "possiamo", "potrei", "potremmo"},
		[]string{"inviar*", "spedir*", "rimborsar*", "sostituir*", "offrir*", "aprire", "annullar*", "rintracciar*",
			"proporl*", "cambiar*", "accreditar*", "rispedir*"}),
		"invierò", "invieremo", "spedirò", "spediremo", "rimborserò", "rimborseremo", "sostituiremo",
		"le propongo", "ti propongo", "le consiglio", "l'unica soluzione", "l'unica cosa", "la soluzione è",
		"unica soluzione", "unica possibilità"),
	"de": append(cross([]string{"ich kann", "wir können", "ich könnte", "wir könnten", "kann ich", "können wir"},
		[]string{"senden", "schicken", "erstatten", "ersetzen", "anbieten", "veranlassen", "stornieren",
			"suchen", "zurückerstatten", "gutschreiben", "umtauschen", "reparieren", "versenden"}),
		"wir senden", "wir schicken", "wir erstatten", "ich schlage vor", "ich empfehle", "die einzige",
		"einzige lösung", "einzige möglichkeit"),
	"fi": append(cross([]string{"voin", "voimme", "voisin", "voisimme"},
		[]string{"lähettää", "hyvittää", "palauttaa", "vaihtaa", "tarjota", "peruuttaa", "jäljittää",
			"korvata", "korjata", "toimittaa"}),
		"lähetämme", "hyvitämme", "ehdotan", "suosittelen", "ainoa vaihtoehto", "ainoa ratkaisu", "ainoa tapa"),
}

// alternativeWords show that a draft offers a choice.
var alternativeWords = map[string][]string{
	"en": {"or", "either", "alternatively", "options", "another option", "other option", "choose", "prefer",
		"which would you", "which do you", "which one"},
	"it": {"oppure", "o", "in alternativa", "altrimenti", "opzioni", "preferisce", "preferisci", "scegliere",
		"quale", "alternativa"},
	"de": {"oder", "alternativ", "entweder", "optionen", "möglichkeiten", "lieber", "wählen", "welche",
		"was ist ihnen lieber"},
	"fi": {"tai", "vai", "vaihtoehtoisesti", "vaihtoehdo*", "vaihtoehtoja", "mieluummin", "valita", "kumpi",
		"mikä näistä"},
}

// negativeAlternative are positive phrasings for the negative words that
// match one of words.
type negativeAlternative struct {
	words []string
	say   []string
}

var negativeAlternatives = map[string][]negativeAlternative{
	"en": {
		{[]string{"problem*"}, []string{"question", "situation", "this"}},
		{[]string{"unfortunately"}, []string{"Here is what I can do:", "The good news is"}},
		{[]string{"can't", "cannot", "can not", "unable"}, []string{"What I can do is …", "I can … as soon as …"}},
		{[]string{"won't"}, []string{"will … once …", "What will happen is …"}},
		{[]string{"impossible"}, []string{"What is possible is …"}},
	},
	"it": {
		{[]string{"purtroppo"}, []string{"Ecco cosa posso fare:", "La buona notizia è che"}},
		{[]string{"problem*"}, []string{"questione", "situazione", "richiesta"}},
		{[]string{"non"}, []string{"Quello che posso fare è …", "Possiamo … appena …"}},
		{[]string{"impossibile"}, []string{"Quello che è possibile è …"}},
	},
	"de": {
		{[]string{"leider"}, []string{"Das kann ich für Sie tun:", "Die gute Nachricht ist:"}},
		{[]string{"problem*"}, []string{"Anliegen", "Frage", "Situation"}},
		{[]string{"unmöglich", "nicht möglich"}, []string{"Möglich ist …"}},
		{[]string{"kann", "können"}, []string{"Was ich tun kann, ist …", "Sobald …, kann ich …"}},
	},
	"fi": {
		{[]string{"ongelm*"}, []string{"asia", "tilanne", "kysymys"}},
		{[]string{"valitettavasti"}, []string{"Voin tehdä näin:", "Hyvä uutinen on, että"}},
		{[]string{"mahdoton*"}, []string{"Mahdollista on …"}},
		{[]string{"ei", "emme", "en", "eivät"}, []string{"Voin auttaa näin: …", "Heti kun …, voimme …"}},
	},
}

var apologyAlternatives = map[string][]string{
	"en": {"Thank you for your patience.", "I understand.", "Here is what I can do:"},
	"it": {"Grazie per la pazienza.", "La capisco.", "Ecco cosa posso fare:"},
	"de": {"Danke für Ihre Geduld.", "Ich verstehe Sie.", "Das kann ich für Sie tun:"},
	"fi": {"Kiitos kärsivällisyydestäsi.", "Ymmärrän.", "Voin tehdä näin:"},
}

var blameAlternatives = map[string][]string{
	"en": {"Thank you for telling us.", "To make it easy next time: …", "Let me go through it once more: …"},
	"it": {"Grazie di avercelo detto.", "Per la prossima volta, il modo più semplice è …", "Riprendo i passaggi: …"},
	"de": {"Danke für den Hinweis.", "Für das nächste Mal am einfachsten: …", "Ich fasse es noch einmal zusammen: …"},
	"fi": {"Kiitos, että kerroit.", "Ensi kerralla helpointa on …", "Käydään se vielä läpi: …"},
}

var promiseAlternatives = map[string][]string{
	"en": {"… within 2 working days", "… by tomorrow at 18:00", "… today, and I'll write to you here when it's done"},
	"it": {"… entro 2 giorni lavorativi", "… entro domani alle 18", "… oggi, e Le scrivo qui appena fatto"},
	"de": {"… innerhalb von 2 Werktagen", "… bis morgen um 18 Uhr", "… noch heute, und ich schreibe Ihnen hier, sobald es erledigt ist"},
	"fi": {"… 2 arkipäivän kuluessa", "… huomenna klo 18 mennessä", "… tänään, ja kirjoitan tänne, kun se on tehty"},
}

var channelAlternatives = map[string][]string{
	"en": {"I'll take care of it right here in this chat.", "You can stay in this chat while I …"},
	"it": {"Me ne occupo qui in chat.", "Può restare in questa chat mentre io …"},
	"de": {"Ich kümmere mich direkt hier im Chat darum.", "Bleiben Sie gern hier im Chat, während ich …"},
	"fi": {"Hoidan asian tässä chatissa.", "Voit pysyä tässä chatissa sillä aikaa, kun …"},
}

var optionAlternatives = map[string][]string{
	"en": {"You can choose: … or …", "Here are your options: 1. … 2. …"},
	"it": {"Può scegliere: … oppure …", "Ecco le opzioni: 1. … 2. …"},
	"de": {"Sie können wählen: … oder …", "Ihre Möglichkeiten: 1. … 2. …"},
	"fi": {"Voit valita: … tai …", "Vaihtoehdot ovat: 1. … 2. …"},
}
