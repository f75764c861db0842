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
	// expectations are words that are neutral alone and negative when
	// negated: "doesn't work", "nobody answers", "kommt nicht", "ei toimi".
	// They are matched by stem.
	expectations string
	// accented are "word=valence" items of words that fold to a neutral
	// word (German schön and schon): the valence applies when the text has
	// the accented form.
	accented string
	// complaints are words that mark a complaint (late, Wartezeit,
	// ritardo, myöhässä), negative alone, matched by stem. A complaint word,
	// a waiting time, a negated expectation or a negative idiom makes the
	// text a complaint, in which praise is sarcasm ("great service, two
	// weeks late") and thanks are not positive.
	complaints string
	// numbers are the number words that make a time unit a waiting time
	// ("two weeks", "drei Wochen"); digits count too.
	numbers string
	// units are the time units of a waiting time, as written (folded, not
	// stemmed); since are the words that make one a duration ("for days",
	// "seit einem Monat"), articles those that count as "one" after them.
	units    string
	since    string
	articles string
	// ahead are the words that make a number and unit a time ahead or a
	// frequency, not a wait: "in two minutes", "every 10 minutes",
	// "innerhalb von 3 Tagen" is not "three days".
	ahead string
	// concord marks negative concord: several negators in a row are one
	// negation (Italian "non è mai arrivato"), not a double negation.
	concord bool
	// postNegation makes a clause-final negator negate the words before
	// it (German "das gefällt mir nicht").
	postNegation bool
	// compounds enables matching lexicon words as the head or the first part
	// of an unknown long word (German, Finnish).
	compounds bool
	// boundPrefixes are the verb prefixes that make a derived word, not a
	// compound, of a lexicon word after them: German "ungefähr" is not a
	// danger (Gefahr), "erwarten" not waiting, "aufgefallen" not liking.
	// A head is not matched after a run of them.
	boundPrefixes string
	// reversing are derivational endings that turn a word into its
	// opposite, so that the word does not lend its stem to the root's
	// forms: Finnish -ton/-tön, "sydämetön" (heartless) is not sydämeni
	// (my heart), "tahaton" (unintended) not "kuka tahansa" (anyone).
	reversing string
	// lemmaEndings are the endings of a lexicon word's base form (Finnish
	// -nen, -nut, -ta, -a); the root left (at least minRoot letters) is
	// matched as the start of an inflected form the stemmer does not bring
	// back to it: pettyneitä (pettynyt), tuskallista (tuskallinen),
	// surkeasti (surkea).
	lemmaEndings string
	// negScope is how many words after a negator it flips (0: the
	// package's negScope). Finnish puts the verb and often a subject
	// between them: "ei se ole ollenkaan huono", "ei ollut tällä kertaa
	// myöhässä".
	negScope int
	// negFirst makes a negator flip only the first sentiment word after
	// it, the verb or predicate it negates: Finnish "en halua ongelmia" (I
	// don't want trouble) is not positive, "en halua kuolla" not a wish.
	negFirst bool
	// polarityEndings are the endings of forms that only occur under a
	// negator and are not reversed by it: Finnish -kaan/-kään, "ei
	// paskaakaan" (not a damn thing) is not praise.
	polarityEndings string
	// alone are rule words (negators, boosters) with a valence of their
	// own when no sentiment word follows in their scope, "word=valence"
	// items: a prohibition ("älkää soittako minulle enää"), an excess
	// ("liian hidas" is scored by hidas, "liian pitkään" by liian), Finnish
	// hyvin "very" or "well" ("toimii hyvin"). A positive one after a
	// negator in its clause does not count ("ei toimi hyvin"). An idiom
	// ("älä huoli") reads as itself.
	alone string
	// accentedNegators are negators that fold to another word (Finnish
	// älkää "don't" and alkaa "begins", älä and ala): in a text that is
	// written with accents but not with the negator's, the word is the
	// other one ("alkaa ärsyttää" is not negated).
	accentedNegators string
	// pluralStems are "base:stem" items: a lexicon word ending in base
	// has the plural (and -is/-us word's) stem that ends in stem instead
	// (Finnish hyvä -> hyviä, surkea -> surkeita, kaunis -> kauniita),
	// followed by one of pluralEndings.
	pluralStems string
	// pluralEndings are the case endings read after a plural stem.
	pluralEndings string
}

// languageRules are the rules per language.
var languageRules = map[string]rules{
	"en": {
		courtesy: "thanks thank thx ty cheers",
		idioms: "no thanks=0, no thank you=0, no problem=1.2, no problem at all=1.5, no worries=1.2, not a problem=1.2, no harm done=1," +
			"still waiting=-2.2, still haven't=-2, still hasn't=-2, still didn't=-2, still don't=-1.6, still doesn't=-1.8," +
			"third time=-2, fourth time=-2.2, second time=-1.2, how many times=-2.2, again and again=-2, over and over=-1.8, yet again=-1.6," +
			"nobody answers=-2.4, nobody answered=-2.4, nobody replies=-2.4, nobody replied=-2.4, nobody responds=-2.4, nobody helps=-2.4, nobody cares=-2.6," +
			"no one answers=-2.4, no one answered=-2.4, no one replies=-2.4, no one replied=-2.4, no one responds=-2.4, no one helps=-2.4, no one cares=-2.6," +
			"no answer=-1.8, no reply=-1.8, no response=-1.8, no help=-1.8, no refund=-1.8," +
			"waste of time=-2.6, waste of money=-2.6, fed up=-2.6, sick of=-2.4, sick and tired=-2.8, had enough=-2.2, enough is enough=-2.6," +
			"not acceptable=-2.4, what a joke=-2.4, rip off=-2.8, ripped off=-2.8, money back=-1.2, give up=-1.4, let down=-2, sort it out=-1," +
			"you people=-1.6, are you kidding=-2.2, you kidding me=-2.2, are you serious=-1.8, for god's sake=-2.4, for crying out loud=-2.4," +
			"still no=-2, no word=-1.6, not a word=-1.8, no update=-1.6, no news=-1.2, no idea where=-1.6," +
			"thanks for nothing=-2.8, thank you for nothing=-2.8, thanks a lot for nothing=-3, thanks for absolutely nothing=-3, just great=-1.6, oh great=-1.4, oh wonderful=-1.4, oh perfect=-1.4, oh brilliant=-1.4, yeah right=-1.4, great job guys=-0.5",
		expectations: "work working worked works arrive arrived arrives arriving come came answer answered answers respond responded responds reply replied " +
			"help helped helps fix fixed solve solved resolve resolved refund refunded deliver delivered load loads loading call called " +
			"get got receive received turn turned open opened charge tell tells told inform informs informed update updates updated explain explains explained contact contacted log login",
		complaints: "late delayed delay delays overdue missing lost wrong broken damaged crushed cracked crack twice",
		numbers:    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty few several many couple",
		since:      "for since",
		articles:   "a an one",
		ahead:      "in within every per each",
		units:      "minute minutes hour hours day days week weeks month months year years",
		negators:   "not never no nobody nothing none neither nor cannot without aint ain't nowhere hardly barely",
		boosters:   "very really so too extremely absolutely completely totally utterly incredibly highly super most such so much fucking freaking damn deeply entirely especially exceptionally fully hugely particularly quite remarkably seriously terribly thoroughly truly",
		dampeners:  "slightly somewhat little bit kinda sorta barely hardly partly marginally occasionally almost",
		contrast:   "but however although though yet",
	},
	"it": {
		courtesy: "grazie",
		idioms: "no grazie=0, nessun problema=1.2, non c'è problema=1.2, non ce problema=1.2, non fa niente=0.8, non c'è di che=1," +
			"sono stufo=-2.8, sono stufa=-2.8, sono stanco=-2, sono stanca=-2, ne ho abbastanza=-2.6, non ne posso più=-2.8, non ne posso piu=-2.8, basta così=-1.6," +
			"ancora niente=-2.2, ancora nulla=-2.2, ancora nessuna=-1.8, ancora nessun=-1.8, ancora in attesa=-2.2, sto ancora aspettando=-2.2, aspetto ancora=-2.2," +
			"terza volta=-2, quarta volta=-2.2, seconda volta=-1.2, per l'ennesima volta=-2.4, ennesima volta=-2.4, ogni volta=-0.8, quante volte=-2," +
			"nessuno risponde=-2.4, nessuno mi risponde=-2.6, nessuno ha risposto=-2.4, nessuno mi ha risposto=-2.6, nessuna risposta=-2, nessun aiuto=-2," +
			"presa in giro=-2.8, prendete in giro=-2.8, perdita di tempo=-2.6, tempo perso=-2.2, non è accettabile=-2.6, non e accettabile=-2.6, soldi indietro=-1.4," +
			"che schifo=-3.2, che vergogna=-3, che palle=-2.4, mi fa schifo=-3, fa schifo=-3, va bene=1, tutto bene=1.4," +
			"grazie per niente=-2.6, grazie per nulla=-2.6, grazie di niente=-2.2, grazie tante per niente=-3, ma bravi=-1.6, bravi bravi=-1.4, ancora no=-1.8, nessuna notizia=-1.8, nessun aggiornamento=-1.8, nessuno mi ha ancora=-2.4, nessuno ha ancora=-2.2, non ho ancora ricevuto=-2.2",
		expectations: "funziona funzionare funzionano funzionato arriva arrivare arrivato arrivata risponde rispondere rispondono risposto " +
			"aiuta aiutare aiutato risolve risolvere risolto consegnato consegna rimborsato rimborsare richiamato richiama carica caricare attivato " +
			"dice dicono detto informa informato informano aggiorna aggiornato spiega spiegato contatta contattato ricevuto ricevere riesco accedere carica",
		complaints: "ritardo ritardi ritardata ritardato attesa sparito sparita perso persa smarrito smarrita mancante manca mancano sbagliato sbagliata sbagliati rotto rotta rotti danneggiato danneggiata crepa bloccata bloccato addebitato",
		numbers:    "due tre quattro cinque sei sette otto nove dieci quindici venti trenta qualche parecchi parecchie molti molte",
		since:      "da",
		articles:   "un uno una",
		ahead:      "tra fra entro ogni",
		units:      "minuto minuti ora ore giorno giorni settimana settimane mese mesi anno anni",
		negators:   "non mai nessuno nessuna nessun niente nulla né neanche nemmeno neppure senza",
		boosters:   "molto tanto troppo veramente davvero proprio assolutamente completamente totalmente estremamente super così cosi sempre particolarmente",
		dampeners:  "poco abbastanza leggermente quasi piuttosto",
		contrast:   "ma però pero tuttavia invece eppure",
		concord:    true,
	},
	"de": {
		courtesy: "danke dank dankeschön",
		idioms: "nein danke=0, kein problem=1.2, keine sorge=1, kein thema=1, macht nichts=0.8, nichts zu danken=1, guten tag=0, guten abend=0, guten morgen=0.4," +
			"immer noch nicht=-2.4, immer noch kein=-2.2, immer noch keine=-2.2, noch immer nicht=-2.4, noch immer kein=-2.2, noch immer keine=-2.2, warte immer noch=-2.4, warten immer noch=-2.4," +
			"schon wieder=-1.6, mal wieder=-1.4, wieder mal=-1.4, zum dritten mal=-2.2, zum zweiten mal=-1.2, zum x-ten mal=-2.4, zum x ten mal=-2.4, zum wiederholten mal=-2.4, wie oft noch=-2.4, jedes mal=-1," +
			"niemand antwortet=-2.4, niemand meldet sich=-2.4, niemand hilft=-2.4, keine antwort=-2, keine rückmeldung=-2, keine reaktion=-2, keine hilfe=-2, keine ahnung=-0.8," +
			"es reicht=-2.4, mir reicht's=-2.6, mir reicht es=-2.6, die nase voll=-2.8, nicht akzeptabel=-2.6, nicht hinnehmbar=-2.6, geht gar nicht=-2.6, das geht nicht=-1.8," +
			"zu spät=-1.8, zu spat=-1.8, fällt aus=-1.8, fallt aus=-1.8, fiel aus=-1.8, fallen aus=-1.8, außer betrieb=-1.8, ausser betrieb=-1.8, geld zurück=-1.2, wo bleibt=-1.4, wo bleibst=-1.4, keine manieren=-2, keine klimaanlage=-1.8, ohne klimaanlage=-1.8, klimaanlage ausgefallen=-2.2, in den arsch=-2.6, im arsch=-2.8, für'n arsch=-2.8," +
			"danke für gar nichts=-2.8, danke für nichts=-2.6, vielen dank für nichts=-2.8, na super=-1.6, na toll=-1.6, na klasse=-1.6, na prima=-1.6, na bravo=-1.6, vielen dank auch=-1.4, ganz toll gemacht=-1.2, immer noch=-1.2, noch keine=-1.4, noch kein=-1.4",
		expectations: "funktioniert funktionieren funktionierte klappt klappen geklappt kommt kommen gekommen angekommen antwortet antworten geantwortet meldet gemeldet " +
			"hilft helfen geholfen erstattet gelöst löst fährt fahren gefahren erreicht erreichbar reagiert reagieren geht gehen läuft lauft möglich stimmt stimmen funzt " +
			"sagt sagen gesagt informiert informieren erklärt erklären bekommen erhalten zugestellt geliefert einloggen anmelden lädt",
		complaints:      "verspätung verspätungen verspätet wartezeit wartezeiten verschwunden verloren fehlt fehlen überfällig ausgefallen ausfall gestrichen verpasst falsch falsche falschen kaputt beschädigt defekt riss zweimal doppelt abgestürzt abgebucht",
		numbers:         "zwei drei vier fünf sechs sieben acht neun zehn elf zwölf fünfzehn zwanzig dreißig paar mehrere vielen",
		since:           "seit",
		articles:        "ein eine einen einem einer",
		ahead:           "in innerhalb binnen alle pro je",
		units:           "minute minuten stunde stunden tag tage tagen woche wochen monat monate monaten jahr jahre jahren",
		postNegation:    true,
		accented:        "schön=2.2",
		negators:        "nicht nie niemals nichts niemand ohne weder kaum",
		negatorPrefixes: "kein",
		boosters:        "sehr so total extrem absolut völlig komplett wirklich echt richtig besonders ziemlich unglaublich äußerst höchst mega voll zu wahnsinnig",
		dampeners:       "etwas bisschen wenig leicht fast eher einigermaßen",
		contrast:        "aber jedoch doch allerdings trotzdem sondern",
		compounds:       true,
		boundPrefixes:   "ab an auf aus be bei da dar ein ent er ge her hin los mit nach um un ver vor weg zer zu zurück über unter",
	},
	"fi": {
		courtesy: "kiitos kiitti kiitoksia",
		idioms: "ei kiitos=0, ei hätää=1.2, ei se mitään=1, ei ongelmaa=1.2, ei haittaa=0.8," +
			"vieläkään ei=-2.4, ei vieläkään=-2.4, ei vielakaan=-2.4, vielakaan ei=-2.4, ei edelleenkään=-2.4, edelleen ei=-2, vieläkin odotan=-2.2, odotan edelleen=-2.2, odotan vieläkin=-2.2, edelleen odotan=-2.2," +
			"kolmas kerta=-2, kolmatta kertaa=-2, neljättä kertaa=-2.2, taas kerran=-1.6, jo toista kertaa=-1.6, monta kertaa=-1.2," +
			"kukaan ei vastaa=-2.4, ei kukaan vastaa=-2.4, kukaan ei ole vastannut=-2.4, ei vastausta=-2, ei mitään vastausta=-2.2, ei apua=-2," +
			"ei hyväksyttävää=-2.6, ei ole hyväksyttävää=-2.6, ei käy=-1.8, en hyväksy=-2, riittää jo=-2.4, nyt riittää=-2.4, ajan haaskausta=-2.6, rahat takaisin=-1.4," +
			"kiitos tyhjästä=-2.6, kiitti tyhjästä=-2.6, kiitos ei mistään=-2.4, no kiitos vaan=-1.4, no kiitti=-1.4, no hienoa=-1.4, no loistavaa=-1.4, no mahtavaa=-1.4, ei mitään tietoa=-1.8, ei tietoa=-1.4," +
			"en pidä=-1.6, emme pidä=-1.6, mikä vitsi=-2.2, täysi vitsi=-2.2, en tilaa enää=-2.4, en ikinä enää=-2.2, ei enää koskaan=-2, ei ikinä enää=-2," +
			"montako kertaa=-2.2, kuinka monta kertaa=-2.2, monesko kerta=-2, saanut tarpeekseni=-2.4, saanut tarpeeksi=-2, rahani takaisin=-1.4," +
			"ei ole sitä mitä tilasin=-1.8, ei ole se mitä tilasin=-1.8, ihan sama=-1.2, aivan sama=-1.2, ei kiinnosta=-1.6, mitä helvettiä=-2.6, mitä hittoa=-2.2, mitä ihmettä=-1.4," +
			"sattuuhan sitä=0, sattuuhan sitä kaikille=0," +
			"hyvä jumala=-1.4, hyvä luoja=-1.4, voi jumala=-1.4, voi luoja=-1.4, herran tähden=-1.6, jumalan tähden=-1.6, taivaan tähden=-1.6, luojan tähden=-1.6, voi ei=-1.4," +
			"ole hiljaa=-2, olkaa hiljaa=-2, turpa kiinni=-3, suu kiinni=-2.4, pidä turpasi kiinni=-3, haista paska=-3.6, haista vittu=-3.8," +
			"hyvä on=0, no hyvä on=0, hyvää päivää=0, hyvää huomenta=0, hyvää iltaa=0, hyvää yötä=0," +
			"liian kauan=-1.6, liian myöhään=-1.8, liian myöhä=-1.8, liian kallis=-1.8, liian kallista=-1.8, liian paljon=-1.2, liian vähän=-1.2," +
			"ei huolta=1.2, älä huoli=1.2, älkää huoliko=1.2, älä huolehdi=1.2, ei mitään hätää=1.2," +
			"ulos täältä=-2.2, pois täältä=-2, mene pois=-1.8, menkää pois=-1.8, päästä irti=-1.6, pysy poissa=-1.8, pysykää poissa=-1.8, anna olla=-1, jätä minut rauhaan=-2.2, jätä rauhaan=-2," +
			"ole kiltti=0, olkaa kiltti=0, olkaa kilttejä=0, olisitko kiltti=0, tai muuten=-1.8, mikä sinua riivaa=-1.8, irti minusta=-2.2, lähde täältä=-2, lähtekää täältä=-2, pidä huolta=1.4, pitäkää huolta=1.4, pidämme huolen=1.2, pidän huolen=1.2, jo vuosia=-1.6, jo tunteja=-1.4, jo viikkoja=-1.6, jo päiviä=-1.4, jo kuukausia=-1.8, viikkokausia=-1.6, kuukausikaupalla=-1.8, viikkotolkulla=-1.6",
		expectations: "toimi toimii toimia toiminut tule tullut tullu saapunut saapui vastaa vastannut vastaus vastata auta auttanut auttaa " +
			"onnistu onnistunut korjattu korjaa palauta palautettu soittanut soita näy lataudu kerro kertonut kerrota ilmoita ilmoittanut ilmoiteta " +
			"lataa toimitettu toimita saanut saa saatu palauttaneet pääse päässyt päivittynyt lämmitä " +
			"ymmärrä ymmärrät ymmärtänyt ymmärretä kuuntele kuuntelet kuunnellut kuunnella välitä välität välittänyt välitetä jaksa jaksanut kestä kestänyt luota luotan luottaa pysty pystynyt",
		complaints:       "myöhässä myöhästynyt myöhästyi viivästynyt viivästyy viivästys viive odotusaika kadonnut kadoksissa hukassa hukkasitte väärä väärän väärää rikki vaurioitunut vaurioituneena halkeama puuttuu puuttuvat kahdesti kastui kaatui veloititte veloitettiin",
		numbers:          "kaksi kahden kolme kolmen neljä neljän viisi viiden kuusi kuuden seitsemän kahdeksan yhdeksän kymmenen muutama muutaman monta useita usean",
		units:            "minuutti minuuttia minuutin tunti tuntia tunnin päivä päivää päivän päivään viikko viikkoa viikon viikkoon kuukausi kuukautta kuukauden vuosi vuotta vuoden",
		negators:         "ei en et emme ette eivät älä älkää ilman eikä enkä etkä emmekä ettekä eivätkä emmä etten ettet ettei ettemme ettette etteivät ellen ellet ellei ellemme ellette elleivät mikset miksei miksen miksemme miksette",
		boosters:         "todella tosi erittäin aivan ihan täysin hyvin niin liian aika tosissaan kauhean hirveän superi super älyttömän järjettömän uskomattoman äärimmäisen ollenkaan yhtään lainkaan",
		dampeners:        "melko hieman vähän jonkin verran hiukan lähes",
		contrast:         "mutta kuitenkin silti vaikka",
		compounds:        true,
		reversing:        "ton tön",
		lemmaEndings:     "nen nut nyt ta tä da dä a ä i e o u y ö",
		negScope:         5,
		negFirst:         true,
		polarityEndings:  "kaan kään",
		pluralStems:      "a:i ä:i is:ii",
		alone:            "älä=-0.8, älkää=-0.8, liian=-0.8, hyvin=1.2",
		accentedNegators: "älä älkää",
		pluralEndings:    "n a ä ta tä en den tten in hin ssa ssä sta stä lla llä lta ltä lle ksi na nä ne nsa nsä",
	},
	"fr": {
		courtesy: "merci",
		negators: "ne pas jamais rien personne aucun aucune sans ni",
		boosters: "très tres vraiment trop tellement absolument complètement totalement super",
		contrast: "mais pourtant cependant",
		concord:  true,
	},
	"es": {
		courtesy: "gracias",
		negators: "no nunca nada nadie ningún ninguno ninguna sin ni tampoco",
		boosters: "muy realmente demasiado totalmente absolutamente super tan",
		contrast: "pero sin embargo",
		concord:  true,
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
		concord:  true,
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
	"^^": 1.8, ":-*": 2.2, ":*": 2.2, ":')": 2, ":'D": 2.4, ":-[": -1.8, ":[": -1.8, ";(": -1.8, ";-(": -1.8, "-.-": -1.4,
	"😅": 0.8, "😆": 2, "😜": 1.4, "😋": 2, "😇": 2, "🤗": 2.2, "💪": 1.8, "✨": 1.4, "💙": 2.6, "💚": 2.6, "💛": 2.6,
	"💜": 2.6, "🧡": 2.6, "♥": 2.6, "😚": 2, "😙": 2, "🌞": 1.4, "☀": 1.2, "🙌": 2.2, "😻": 2.6,
	"😬": -1, "😓": -1.6, "😥": -1.8, "😰": -2, "😨": -2, "😖": -2.2, "😣": -2, "🤢": -2.4, "😪": -1.2, "🖕": -3, "😾": -2,
	":/": -1.2, ":-/": -1.2, ":|": -0.6, ":-|": -0.6, "-_-": -1.2, "</3": -2.4, ":@": -2.6,
}
