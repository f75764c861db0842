package language

import "strings"

// profile is what identifies a language in text: its most frequent short
// words, character n-grams typical of it ('_' marks a word boundary) and the
// letters only (or mostly) it uses. The tables are written with accents; they
// are folded when a Detector is built.
type profile struct {
	stopwords string
	ngrams    string
	letters   string
}

// profiles are the languages a Detector knows.
var profiles = map[string]profile{
	"en": {
		stopwords: `the a an and or but of to in on at for with from by about as into is are was were be been being am
			i me my mine you your yours he him his she her it its we us our they them their this that these those
			what which who whom whose where when why how there here not no nor don't doesn't didn't isn't aren't wasn't
			can't won't haven't hasn't i'm it's i've you're that's there's do does did have has had will would shall
			should can could may might must just very so too also only any some all my yet still again please thanks
			thank yes yeah hi hello hey if than then because while up out off over after before get got want need
			know like one still ever never since`,
		ngrams: `_th the he_ ing ng_ _wh tion ion_ _yo you ou_ _an and nd_ ed_ _is_ _wa ght _be _ha _it er_ ly_ _of of_ _to_
			ay_ ey_ oo ee ea ow_ _i_ 's_ n't`,
		letters: ``,
	},
	"it": {
		stopwords: `il lo la i gli le un uno una l' un' dell' all' nell' sull' dall' dell della dello degli delle del al allo
			alla ai agli alle dal dalla dai nel nella nei negli nelle sul sulla sui e ed o ma che chi cui non più piu
			di da in con su per tra fra come dove quando perché perche anche ancora già gia mai sempre molto poco
			tutto tutti questo questa questi queste quello quella sono sei è siamo siete hanno ho hai ha abbiamo avete
			era erano stato stata essere avere mio mia miei mie tuo tua suo sua nostro vostro loro mi ti ci vi si ne
			lo gli me te se io tu lui lei noi voi sì si no grazie ciao buongiorno salve prego vorrei voglio posso
			può puo devo c'è dov'è cosa niente nulla nessuno qualcosa ecco allora però pero quindi oppure
			perchè dopo prima adesso ora oggi ieri domani qui là`,
		ngrams: `zion ione ion_ _che che_ _del ell gli_ _gli lla_ tto_ ato_ ata_ are_ ere_ ire_ _sono ono_ nno_ _non
			_per _di_ _un_ _il_ cch ggi zz tt_ _qu eri_ ità_ sse ssi_ nte_ ndo_ _ci_ amo_ ete_ i_ o_`,
		letters: `àèìòù`,
	},
	"de": {
		stopwords: `der die das den dem des ein eine einen einem einer eines und oder aber nicht kein keine keinen keinem
			ist sind war waren bin bist sein hat habe haben hatte hatten wird werden wurde wurden kann können konnte
			will wollen muss müssen soll sollte ich du er sie es wir ihr mich mir dich dir uns euch ihn ihm ihnen
			mein meine meinen meinem meiner dein sein ihr unser euer mit von zu zum zur bei nach aus für auf an
			in im am über unter vor hinter durch gegen ohne um wie was wer wo wann warum weil dass wenn als auch noch
			schon nur sehr so ja nein doch mal denn dann hier da jetzt immer nie bitte danke hallo gibt gern gerne
			mehr diese dieser dieses man sich etwas nichts alles alle heute bis seit wieder`,
		ngrams: `sch ich_ cht ein_ _ein ung_ ung eit_ _ge _be _ver _zu _da en_ _und und_ _der der_ _die die_ _das ie
			ei _ich ach _nich ber_ lich _ni nn_ st_ tz ck kt_ _au`,
		letters: `äöüß`,
	},
	"fi": {
		stopwords: `ja on ei en et emme ette eivät ole olen olet olemme ovat oli olin olisi se ne tämä tuo nämä ne minä
			mä sinä sä hän me te he minun minulla minulle minua sinun sinulla meidän teidän heidän mun sun mitä mikä
			miksi miten missä milloin kuka kun jos että mutta tai vai kuin myös vielä jo nyt sitten vain ihan aivan
			todella tosi kiitos kiitti moi hei terve joo juu kyllä niin no eikä mitään ketään jotain kanssa
			ilman takia vuoksi jälkeen ennen asti saakka minulla onko oliko voi voisin haluan halusin pitää
			pitäisi täytyy tänään eilen huomenna täällä siellä tässä siinä pitkä paljon yhtään enää`,
		ngrams: `ssa_ ssä_ sta_ stä_ lla_ llä_ lta_ ltä_ lle_ ksi_ nen_ ise ist_ aa ää ii uu yy kk tt pp
			_ei_ _on_ _ja_ ään_ aan_ sti_ tta_ ttä_ ais äis _mi _ku _yh nsa_ mme_ kin_ han_ hän_ ko_ kö_ uk yk`,
		letters: `äö`,
	},
	"fr": {
		stopwords: `le la les un une des du de d' l' et ou mais ne pas plus je tu il elle nous vous ils elles me te se
			moi toi lui leur mon ma mes ton ta tes son sa ses notre votre ce cette ces qui que quoi où quand
			comment pourquoi est sont suis es était avoir être ai as avons avez ont fait pour par avec sans sur dans
			en au aux très bien oui non merci bonjour salut c'est j'ai n'est qu'il`,
		ngrams:  `_le_ _les es_ ent_ _de_ _qu que eau aux_ oi ou_ _et_ ez_ ais_ ait_ ion_ _pa eu`,
		letters: `éèêçàùœ`,
	},
	"es": {
		stopwords: `el la los las un una unos unas y o pero no sí de del al en con por para sin sobre entre que qué quien
			como cómo donde dónde cuando cuándo porque yo tú él ella nosotros vosotros ellos ellas me te se nos os
			mi mis tu tus su sus es son soy eres está están estoy hay tengo tiene tienen ha he han muy más ya también
			gracias hola bueno esto esta este eso`,
		ngrams:  `_el_ _los _las os_ as_ ción ión_ _que ado_ ada_ _es_ _de_ ll _y_ ar_ ñ`,
		letters: `ñáéíóú¿¡`,
	},
	"nl": {
		stopwords: `de het een en of maar niet geen is zijn was waren ben bent heb hebt heeft hebben ik jij je u hij zij
			wij we jullie ze mij mijn jouw uw zijn haar ons onze van in op aan met voor naar bij uit over om door
			dat die dit deze wat wie waar wanneer waarom hoe ook nog al wel zeer heel ja nee dank bedankt hallo`,
		ngrams:  `ij _ee aa oo uu _de_ _het en_ sch _ge ijk lijk oe`,
		letters: ``,
	},
	"da": {
		stopwords: `og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om vi min havde
			ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil blev kunne
			ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under have dig anden
			hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver hendes været
			thi jer sådan tak hej ja nej`,
		ngrams:  `_og_ er_ _de _ik ikk ige _hv ær ø æ`,
		letters: `æøå`,
	},
	"sv": {
		stopwords: `och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så
			kan man när år säger hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns vara
			hade alla andra mycket än här då sedan över bara in blir upp även vad få två vill ha många hur mer
			går sverige kronor detta nya procent skriver tack hej ja nej`,
		ngrams:  `_och och_ att_ _att _det ör _ä ä_ ng_ _sk _hv`,
		letters: `åäö`,
	},
	"pl": {
		stopwords: `i w na z że się nie do to jest jak o co ale po tak od za jego jej ich przez dla jestem jesteś są był
			była było mnie mi ja ty on ona my wy oni ten ta te tego tej już czy tylko bardzo może także dziękuję
			cześć dzień dobry proszę tak nie`,
		ngrams:  `rz sz cz ie_ _pr _prz owa ego_ ych_ ść ąc`,
		letters: `łąęśżźćń`,
	},
	"tr": {
		stopwords: `ve bir bu da de için ile ne mi mı mu mü çok daha gibi ama ben sen o biz siz onlar var yok değil
			olarak olan kadar sonra şey her ya evet hayır teşekkür teşekkürler merhaba lütfen`,
		ngrams:  `ler lar _bi yor ın_ in_ dır dir _ve_ lı_ li_`,
		letters: `ğşı`,
	},
}

// Stopwords returns the folded frequent words of lang (articles, pronouns,
// auxiliaries, particles), or nil for a language without tables.
func Stopwords(lang string) []string {
	p, ok := profiles[lang]
	if !ok {
		return nil
	}
	words := strings.Fields(p.stopwords)
	for i, w := range words {
		words[i] = Fold(w)
	}
	return words
}
