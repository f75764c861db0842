package intent

// lexicon is the per-language wording the Analyzer recognises besides the
// flow file's own examples: yes and no, ordinals, requests for a person.
// Entries are written as customers write them and folded when an Analyzer
// is built; several words on one line of a list are one phrase only where
// the list says so.
type lexicon struct {
	// yes, no and unsure are phrases, one per comma-separated item. The
	// longest phrase at a position wins, so "no problem" (yes) beats "no".
	yes, no, unsure string
	// leadOnly are words that also work as adverbs and adjectives
	// ("absolutely useless", "the address is right"): a phrase they open
	// answers only when it leads the reply, or opens a clause of a short one.
	leadOnly string
	// negators turn a following yes into a no ("not right") and stop a
	// request for a person ("I'm not asking for a human").
	negators string
	// fillers may open a reply before the answer ("well, yes").
	fillers string
	// ordinals name choices by position: the first item is 1. The last
	// word of each item is the cardinal ("one"), which counts only alone or
	// after an option word ("option one"), not in "the second one".
	ordinals []string
	// optionWords introduce a choice number ("option 2").
	optionWords string
	// noise are words that never carry an intent ("question", "help").
	noise string
	// weak are frequent words that carry an intent only together with
	// others ("same", "again", "else"); the words of yes, no and unsure
	// phrases, fillers and ordinals are weak too.
	weak string
	// complaints are words that say how the customer feels about any
	// concern ("ridiculous", "Frechheit"), not which one it is.
	complaints string
	// humanStrong name a person to talk to; they request one after a cue
	// or alone in a short message. humanWeak ("someone") need a talk cue.
	humanStrong, humanWeak string
	// cues ask for something; talkCues ask to talk.
	cues, talkCues string
	// bots name the bot: refusing it ("I don't want a bot", "keinen Bot
	// bitte") or scorning it ("useless bot") asks for a person.
	bots string
	// refuse are words that turn the bot away ("stop", "useless").
	refuse string
	// trailing are talk cues only after a person word (German separable
	// verbs: "stellen Sie mich zum Kundenservice durch").
	trailing string
	// urgent are words that may go with a person word alone ("agent, now").
	urgent string
	// thanks and goodbyes are words that thank or take leave; with the
	// words of answers and fillers they make a turn of chatter, which
	// names no concern ("no, thanks", "ok bye").
	thanks, goodbyes string
	// joiners join chatter ("thanks and goodbye") but are none alone.
	joiners string
}

// lexicons are the per-language tables.
var lexicons = map[string]lexicon{
	"en": {
		thanks:   `thanks thank thx ty cheers appreciated appreciate much many lot a so very please pls you`,
		joiners:  `and`,
		goodbyes: `bye goodbye byebye cya see later soon farewell have nice day lovely weekend take care`,
		yes: `yes, yeah, yep, yup, ya, yes please, sure, sure thing, of course, ok, okay, k, kk, alright, all right, right, that's right,
			that is right, thats right, correct, that's correct, exactly, absolutely, definitely, indeed, sounds good, sounds great,
			that works, works for me, that's fine, fine, fine by me, good, great, perfect, go ahead, please do, do it, let's do it,
			i agree, agreed, deal, affirmative, yes it is, true, no problem, no worries, why not, that would be great`,
		no: `no, nope, nah, no way, not really, not quite, not at all, that's wrong, that is wrong, wrong, incorrect, that's not it,
			not that, nothing else, nothing, no thanks, no thank you, that's all, that is all, that's it, thats all, i'm good, i'm fine,
			all good, none, none of these, none of them, neither, neither of them, not interested, i don't think so, never, negative,
			no it isn't, no it's not, that's not right`,
		unsure:   `not sure, i'm not sure, maybe, perhaps, i don't know, dunno, no idea, not yet, good morning, good afternoon, good evening, good day`,
		leadOnly: `absolutely definitely certainly sure indeed exactly right correct fine good great perfect true wrong incorrect never`,
		negators: `not no never isn't wasn't don't doesn't didn't ain't hardly`,
		fillers:  `well oh ah um uhm hmm so uh er`,
		ordinals: []string{
			"first 1st one", "second 2nd two", "third 3rd three", "fourth 4th four", "fifth 5th five", "sixth 6th six",
		},
		optionWords: `option options number no nr choice`,
		noise:       `question questions help hello hi hey please thanks thank want wanted would like need needs needed ask asking good morning afternoon evening day something problem issue way`,
		weak:        `same other others else all again still new different thing things stuff anything everything got get getting just now even ever really already`,
		complaints:  `ridiculous unacceptable outrageous disgrace disgraceful shame joke terrible awful horrible useless pathetic scandal unbelievable seriously`,
		humanStrong: `human humans person persons agent agents operator operators representative representatives rep reps manager supervisor employee staff member advisor consultant
			humna huamn humen persn agnet opertor operater represenative reprisentative`,
		humanWeak: `someone somebody anyone anybody people real live actual service support desk team`,
		cues: `want wanna need talk speak connect transfer get give put chat reach contact like prefer request ask asking escalate let can could may
			send pass switch find bring`,
		talkCues: `talk speak chat connect transfer put reach contact send pass switch tlak spek call`,
		urgent:   `now immediately asap right away straight quickly`,
		bots:     `bot bots robot robots chatbot machine automated computer ai`,
		refuse:   `stop enough hate sick tired done useless stupid dumb pointless dont doesnt cant wont refuse`,
	},
	"it": {
		thanks:   `grazie mille tante molte infinite davvero gentile gentilissimo gentilissima per favore prego`,
		joiners:  `e`,
		goodbyes: `arrivederci arrivederla ciao addio buona buon giornata serata proseguimento alla prossima presto`,
		yes: `sì, si, sì grazie, si grazie, certo, certamente, certo che sì, va bene, va benissimo, ok, okay, esatto, esattamente,
			giusto, corretto, d'accordo, daccordo, perfetto, ottimo, benissimo, proprio così, è così, confermo, assolutamente,
			volentieri, procedi, procediamo, facciamo così, mi va bene, mi sta bene, nessun problema, non c'è problema`,
		no: `no, no grazie, niente, niente altro, nient'altro, nient altro, nulla, nulla altro, nient'altro grazie, basta così,
			è tutto, tutto qui, non proprio, sbagliato, non è così, nessuna, nessuna di queste, nessuno, nessuno dei due, nessuna delle due,
			neanche, per niente, assolutamente no, macché, non è giusto, tutto a posto, a posto così, tutto bene, tutto ok`,
		unsure:   `non so, non lo so, forse, boh, non sono sicuro, non sono sicura`,
		leadOnly: `assolutamente certamente certo esattamente esatto giusto corretto perfetto ottimo benissimo sbagliato mai`,
		negators: `non mai`,
		fillers:  `beh be allora mah ah oh ehm mmm`,
		ordinals: []string{
			"primo prima uno", "secondo seconda due", "terzo terza tre", "quarto quarta quattro", "quinto quinta cinque", "sesto sesta sei",
		},
		optionWords: `opzione numero scelta`,
		noise:       `domanda domande aiuto ciao salve buongiorno buonasera grazie prego vorrei voglio volevo avrei bisogno serve sapere problema favore qualcosa`,
		weak:        `stesso stessa stessi stesse altro altra altri altre tutto tutti tutte ancora nuovo nuova nuovi cosa cose roba sempre adesso ora già gia solo proprio quanto quanta quanti quante`,
		complaints:  `assurdo assurda ridicolo ridicola inaccettabile vergogna vergognoso schifo scandalo pazzesco incredibile vergognosa`,
		humanStrong: `operatore operatrice operatori persona persone umano umana addetto addetta responsabile consulente impiegato dipendente
			opertore operatre oparatore perosna`,
		humanWeak: `qualcuno reale vera vero assistenza servizio`,
		cues: `voglio vorrei volevo parlare parlarne passare passami passarmi passi passate passatemi passa mettere mettermi metta mettetemi chiedo serve bisogno
			contattare avere posso potrei collegare collegami collegatemi chiamare trovare datemi dammi`,
		talkCues: `parlare passare passami passarmi passi passa passate passatemi mettermi metta mettetemi contattare collegare collegami collegatemi chiamare parlre`,
		urgent:   `subito ora adesso immediatamente`,
		bots:     `bot robot chatbot macchina automatico risponditore computer`,
		refuse:   `basta odio stufo stufa inutile stupido smettila niente nessun rifiuto`,
	},
	"de": {
		thanks:   `danke dank dankeschön vielen herzlichen schön bitte sehr`,
		joiners:  `und`,
		goodbyes: `tschüss tschüs tschuss tschau ciao wiedersehen auf bis bald dann später schönen tag noch wochenende`,
		yes: `ja, ja bitte, ja gerne, jawohl, jep, jo, genau, richtig, stimmt, das stimmt, korrekt, passt, passt so, das passt,
			gerne, gern, einverstanden, ok, okay, in ordnung, alles klar, klar, sicher, natürlich, selbstverständlich, perfekt, super,
			gut, sehr gut, machen sie das, machen wir so, auf jeden fall, kein problem, klingt gut, hört sich gut an`,
		no: `nein, nö, nee, ne, nein danke, nichts, nichts mehr, nichts weiter, sonst nichts, das wars, das war's, das war es, das ist alles,
			falsch, stimmt nicht, das stimmt nicht, nicht richtig, auf keinen fall, keine davon, keins davon, keines davon, keine, keiner, weder noch,
			nicht wirklich, eher nicht, gar nicht, nicht so`,
		unsure:   `weiß nicht, weiss nicht, ich weiß nicht, keine ahnung, vielleicht, mal sehen, bin nicht sicher`,
		leadOnly: `absolut sicher natürlich selbstverständlich genau richtig korrekt gut super perfekt klar falsch gern gerne`,
		negators: `nicht nie kein keine keinen keinem keiner`,
		fillers:  `also naja na ach oh äh ähm hm`,
		ordinals: []string{
			"erste erster erstes ersten eins", "zweite zweiter zweites zweiten zwei", "dritte dritter drittes dritten drei",
			"vierte vierter viertes vierten vier", "fünfte fünfter fünftes fünften fünf", "sechste sechster sechstes sechsten sechs",
		},
		optionWords: `option nummer nr variante möglichkeit`,
		noise:       `frage fragen hilfe hallo guten tag morgen abend servus moin danke bitte möchte möchten hätte würde brauche brauchen wissen problem etwas`,
		weak:        `gleiche gleichen gleicher gleiches selbe selben dieselbe derselbe dasselbe andere anderen anderer anderes anderem alles alle noch wieder neu neue neuen neuer sache sachen ding dinge immer jetzt schon nur einfach bekommen geht gehen ging`,
		complaints:  `frechheit unverschämt unverschämtheit unmöglich zumutung skandal lächerlich inakzeptabel katastrophe unglaublich`,
		humanStrong: `mensch menschen person personen mitarbeiter mitarbeiterin mitarbeitern kundenberater berater beraterin sachbearbeiter
			agent operator vorgesetzten vorgesetzter chef servicemitarbeiter kundendienstmitarbeiter mitarbeier ansprechpartner ansprechpartnerin`,
		humanWeak: `jemand jemandem jemanden echten echter echte richtigen kundenservice kundendienst support hotline service`,
		cues: `will möchte möchten moechte mochte wollen sprechen reden verbinden brauche brauchen hätte haette gern gerne durchstellen weiterleiten kann könnte
			koennte darf schreiben geben gib holen hole`,
		talkCues: `sprechen reden verbinden durchstellen weiterleiten schreiben spechen anrufen zurückrufen`,
		trailing: `durch weiter`,
		urgent:   `sofort jetzt gleich schnell bitte`,
		bots:     `bot bots roboter chatbot maschine automat computer ki`,
		refuse:   `genug hasse satt nutzlos dumm blöd blöder sinnlos schluss weigere`,
	},
	"fi": {
		thanks:   `kiitos kiitti kiitoksia kiitokset suuret avusta paljon tosi`,
		joiners:  `ja`,
		goodbyes: `heippa hei moi moikka näkemiin nakemiin nähdään nahdaan hyvää hyvaa päivänjatkoa paivanjatkoa jatkoa päivää`,
		yes: `kyllä, kyl, kylä, joo, juu, jep, jees, niin, selvä, selvä juttu, sopii, se sopii, käy, se käy, käy hyvin, ok, okei,
			oikein, aivan, just, juuri niin, totta, pitää paikkansa, kiitos kyllä, hyvä, hienoa, mahtavaa, tehdään niin, mielelläni,
			ilman muuta, tietysti, tottakai, totta kai, ei hätää, ei ongelmaa`,
		no: `ei, en, ei kiitos, ei muuta, ei mitään, ei mitään muuta, ei tarvitse, ei tarvii, ei oikein, väärin, ei pidä paikkaansa,
			ei ole, ei se ole, ei käy, ei sovi, ei mikään, ei mikään näistä, kumpikaan, ei kumpikaan, en halua, ei todellakaan, tämä oli tässä,
			siinä kaikki, ei muuta kiitos`,
		unsure:   `en tiedä, en ole varma, ehkä, kenties, katsotaan`,
		leadOnly: `aivan just oikein totta hyvä hienoa mahtavaa tietysti tottakai väärin ilman`,
		negators: `ei en et emme ette eivät`,
		fillers:  `no tota öö hmm ai aa`,
		ordinals: []string{
			"ensimmäinen ensimmäistä eka ekaa ykkönen yksi", "toinen toista toka tokaa kakkonen kaksi", "kolmas kolmatta kolmonen kolme",
			"neljäs neljättä nelonen neljä", "viides viidettä vitonen viisi", "kuudes kuudetta kutonen kuusi",
		},
		optionWords: `vaihtoehto vaihtoehtoa numero nro`,
		noise:       `kysymys kysyä kysyisin apua auttaa hei moi terve huomenta päivää iltaa kiitos haluaisin haluan tarvitsen voisitteko ongelma jotain`,
		weak:        `sama saman samaa samat muu muuta muut muita toinen toisen toista kaikki kaiken kaikkea taas uudestaan uusi uuden uutta asia asiaa asian juttu jutun nyt jo aina vielä vain saada sain`,
		complaints:  `naurettavaa naurettava hyväksyttävää hyväksyttävä törkeää törkeä skandaali uskomatonta uskomaton järkyttävää järkyttävä`,
		humanStrong: `ihminen ihmisen ihmistä ihmiselle ihmisten ihmisiä asiakaspalvelija asiakaspalvelijan asiakaspalvelijalle asiakaspalvelijaa
			henkilö henkilön henkilölle henkilöä työntekijä työntekijän työntekijälle virkailija virkailijan virkailijalle asiantuntija
			asiantuntijan asiantuntijalle esimies esimiehen esimiehelle operaattori`,
		humanWeak: `joku jonkun jollekin jonkin oikea oikean oikealle oikeaa asiakaspalvelu asiakaspalveluun asiakaspalvelua asiakaspalvelusta
			asiakaspalvelulle asiakaspalveluun tuki tukeen tuelle`,
		cues: `haluan haluaisin halusin puhua puhumaan puhuisin yhdistä yhdista yhdistäkää yhdistäisittekö saisinko saanko voinko tarvitsen pyydän kiitos
			antakaa anna
			ohjaa ohjatkaa siirrä siirtäkää`,
		talkCues: `puhua puhumaan puhuisin yhdistä yhdista yhdistäkää yhdistäisittekö kanssa ohjaa ohjatkaa siirrä siirtäkää soittaa soittakaa`,
		urgent:   `heti nyt nopeasti kiitos`,
		bots:     `botti botin bottia botille botilla botteja botit robotti robotin robottia robotille chatbotti kone koneen koneelle koneen tekoäly tekoälyn tekoalya`,
		refuse:   `lopeta riittää riittaa vihaan turha tyhmä tyhma hyödytön kieltäydyn`,
	},
}

// neutral answers read the same in every language.
const (
	neutralYes = `👍, 👌, ✅, 🆗, ok, okay, k`
	neutralNo  = `👎, ❌, 🚫`
)
