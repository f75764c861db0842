package sentiment

// rules are the words that change the valence of the words around them in
// one language. Words are written as customers write them; they are folded
// when a Scorer is built.
type rules struct {
	// negators flip the valence of the next words of the clause.
	negators string
	// negatorPrefixes are prefixes of negating words (German kein-).
	negatorPrefixes string
	// boosters strengthen, dampeners weaken the next word.
	boosters  string
	dampeners string
	// contrast words ("but") weigh the clause after them more than the one before.
	contrast string
	// courtesy words ("thanks") stay polite under a negator: "no thanks"
	// is a polite refusal, neutral, not the opposite of thanks.
	courtesy string
	// idioms are fixed phrases scored as a whole, "phrase=valence" items
	// separated by commas: "no problem" is mildly positive, whatever
	// "problem" means alone.
	idioms string
	// compounds enables matching lexicon words as the head or the first part
	// of an unknown long word (German, Finnish).
	compounds bool
}

// languageRules are the rules per language.
var languageRules = map[string]rules{
	"en": {
		courtesy:  "thanks thank thx ty cheers",
		idioms:    "no thanks=0, no thank you=0, no problem=1.2, no problem at all=1.5, no worries=1.2, not a problem=1.2, no harm done=1",
		negators:  "not never no nobody nothing none neither nor cannot without aint ain't nowhere hardly barely",
		boosters:  "very really so too extremely absolutely completely totally utterly incredibly highly super most such so much fucking freaking damn deeply entirely especially exceptionally fully hugely particularly quite remarkably seriously terribly thoroughly truly",
		dampeners: "slightly somewhat little bit kinda sorta barely hardly partly marginally occasionally almost",
		contrast:  "but however although though yet",
	},
	"it": {
		courtesy:  "grazie",
		idioms:    "no grazie=0, nessun problema=1.2, non c'è problema=1.2, non ce problema=1.2, non fa niente=0.8, non c'è di che=1",
		negators:  "non mai nessuno nessuna nessun niente nulla né neanche nemmeno neppure senza",
		boosters:  "molto tanto troppo veramente davvero proprio assolutamente completamente totalmente estremamente super così cosi sempre particolarmente",
		dampeners: "poco abbastanza leggermente quasi piuttosto",
		contrast:  "ma però pero tuttavia invece eppure",
	},
	"de": {
		courtesy:        "danke dank dankeschön",
		idioms:          "nein danke=0, kein problem=1.2, keine sorge=1, kein thema=1, macht nichts=0.8, nichts zu danken=1",
		negators:        "nicht nie niemals nichts niemand ohne weder kaum",
		negatorPrefixes: "kein",
		boosters:        "sehr so total extrem absolut völlig komplett wirklich echt richtig besonders ziemlich unglaublich äußerst höchst mega voll zu wahnsinnig",
		dampeners:       "etwas bisschen wenig leicht fast eher einigermaßen",
		contrast:        "aber jedoch doch allerdings trotzdem sondern",
		compounds:       true,
	},
	"fi": {
		courtesy:  "kiitos kiitti kiitoksia",
		idioms:    "ei kiitos=0, ei hätää=1.2, ei se mitään=1, ei ongelmaa=1.2, ei haittaa=0.8",
		negators:  "ei en et emme ette eivät älä älkää ilman eikä enkä",
		boosters:  "todella tosi erittäin aivan ihan täysin hyvin niin liian aika tosissaan kauhean hirveän superi super",
		dampeners: "melko hieman vähän jonkin verran hiukan lähes",
		contrast:  "mutta kuitenkin silti vaikka",
		compounds: true,
	},
	"fr": {
		courtesy: "merci",
		negators: "ne pas jamais rien personne aucun aucune sans ni",
		boosters: "très tres vraiment trop tellement absolument complètement totalement super",
		contrast: "mais pourtant cependant",
	},
	"es": {
		courtesy: "gracias",
		negators: "no nunca nada nadie ningún ninguno ninguna sin ni tampoco",
		boosters: "muy realmente demasiado totalmente absolutamente super tan",
		contrast: "pero sin embargo",
	},
	"da": {
		courtesy:  "tak",
		negators:  "ikke aldrig ingen intet uden",
		boosters:  "meget virkelig helt totalt utrolig",
		contrast:  "men",
		compounds: true,
	},
	"sv": {
		courtesy:  "tack",
		negators:  "inte aldrig ingen inget inga utan",
		boosters:  "mycket verkligen helt totalt otroligt",
		contrast:  "men",
		compounds: true,
	},
	"pl": {
		courtesy: "dziękuję dzięki",
		negators: "nie nigdy nic nikt bez żaden",
		boosters: "bardzo naprawdę totalnie zupełnie",
		contrast: "ale jednak",
	},
	"tr": {
		courtesy: "teşekkürler teşekkür sağol",
		negators: "değil yok hiç asla",
		boosters: "çok gerçekten tamamen",
		contrast: "ama fakat ancak",
	},
}

// emoticonValence scores emoji and the emoticons not in a language lexicon,
// in every language (-4..4).
var emoticonValence = map[string]float64{
	"😡": -3, "😠": -2.8, "🤬": -3.4, "😤": -2.2, "😞": -2, "😔": -1.8, "😟": -1.6, "😢": -2.2, "😭": -2.4,
	"😩": -2.2, "😫": -2.2, "😒": -1.8, "🙄": -1.6, "😑": -1, "😐": -0.4, "😕": -1.4, "🙁": -1.8, "☹": -1.8,
	"👎": -2.2, "💩": -2.4, "🤮": -2.8, "🤦": -1.8, "💔": -2.4, "😱": -1.6,
	"🙂": 1.4, "😊": 2.2, "😀": 2.2, "😃": 2.4, "😄": 2.4, "😁": 2.2, "😉": 1.4, "😍": 3, "🥰": 3, "😘": 2.4,
	"👍": 2, "👌": 1.8, "🙏": 1.6, "❤": 2.8, "💕": 2.8, "💖": 2.8, "🎉": 2.6, "🥳": 2.8, "✅": 1.4, "⭐": 1.6,
	"🤩": 3, "😎": 1.6, "💯": 2, "👏": 2.2, "😂": 1.2, "🤣": 1.2,
	":)": 2, ":-)": 2, ":))": 2.4, ":-))": 2.4, ":)))": 2.8, ":-)))": 2.8, ":D": 2.6, ":-D": 2.6, ";)": 1.6, ";-)": 1.6,
	"=)": 1.8, "^_^": 2, ":P": 1, ":-P": 1, ":p": 1, ":-p": 1, "<3": 2.8,
	":(": -2, ":-(": -2, ":((": -2.4, ":-((": -2.4, ":'(": -2.4, ":'-(": -2.4, ">:(": -2.8, ">:-(": -2.8, "=(": -1.8,
	":/": -1.2, ":-/": -1.2, ":|": -0.6, ":-|": -0.6, "-_-": -1.2, "</3": -2.4, ":@": -2.6,
}
