package intent

// elsewhere are, per language, customer-service questions about matters no
// concern flow is about: accounts, invoices, addresses, shop information.
// The classifier learns them as one more class, the background: a turn
// likelier to be one of them than any intent is out of scope, however many
// words it shares with an intent's examples ("can I change my delivery
// address?" shares "delivery" with late deliveries). A flow file's own
// intents are learnt beside them, so a file with an intent for one of these
// matters still reads it: its examples outweigh one background phrasing.
var elsewhere = map[string][]string{
	"en": {
		"can I change my delivery address?", "how do I update my billing address", "where is my invoice?",
		"can you send me a copy of the invoice", "I need a receipt for my purchase", "my password reset email never came",
		"I can't log in to my account", "the login page shows an error", "my verification code never arrives",
		"how do I unsubscribe from the newsletter", "are you hiring?", "can I add an item to my order",
		"how do I create an account", "do you have a loyalty program", "can I pick up my order in the shop",
		"how long is the warranty", "I want to update my phone number", "where are the assembly instructions",
		"how do I wash this sweater", "can the invoice be made out to my company", "is there an app for iphone",
		"do you offer student discounts", "how do I write a product review", "my order confirmation email went to spam",
	},
	"it": {
		"vorrei cambiare l'indirizzo di consegna", "come aggiorno l'indirizzo di fatturazione", "dov'è la mia fattura?",
		"mi potete mandare una copia della fattura", "mi serve una ricevuta dell'acquisto", "non mi è mai arrivata l'email per reimpostare la password",
		"non riesco ad accedere al mio account", "la pagina di login dà un errore", "il codice di verifica non arriva mai",
		"come mi disiscrivo dalla newsletter", "state assumendo?", "posso aggiungere un articolo al mio ordine",
		"come creo un account", "avete una carta fedeltà", "posso ritirare l'ordine in negozio",
		"quanto dura la garanzia", "vorrei aggiornare il mio numero di telefono", "dove trovo le istruzioni di montaggio",
		"come si lava questo maglione", "la fattura può essere intestata alla mia azienda", "c'è un'app per iphone",
		"fate sconti per studenti", "come scrivo una recensione", "l'email di conferma dell'ordine è finita nello spam",
	},
	"de": {
		"kann ich meine Lieferadresse ändern?", "wie aktualisiere ich meine Rechnungsadresse", "wo ist meine Rechnung?",
		"können Sie mir eine Kopie der Rechnung schicken", "ich brauche eine Quittung für meinen Kauf", "die E-Mail zum Zurücksetzen des Passworts kam nie an",
		"ich kann mich nicht in mein Konto einloggen", "die Anmeldeseite zeigt einen Fehler", "der Bestätigungscode kommt nie an",
		"wie melde ich mich vom Newsletter ab", "stellen Sie ein?", "kann ich noch einen Artikel zu meiner Bestellung hinzufügen",
		"wie erstelle ich ein Kundenkonto", "haben Sie ein Treueprogramm", "kann ich die Bestellung im Laden abholen",
		"wie lange gilt die Garantie", "ich möchte meine Telefonnummer aktualisieren", "wo finde ich die Aufbauanleitung",
		"wie wasche ich diesen Pullover", "kann die Rechnung auf meine Firma ausgestellt werden", "gibt es eine App fürs iPhone",
		"gibt es Rabatt für Studenten", "wie schreibe ich eine Bewertung", "die Bestellbestätigung ist im Spam gelandet",
	},
	"fi": {
		"voinko vaihtaa toimitusosoitteen?", "miten päivitän laskutusosoitteeni", "missä on laskuni?",
		"voitteko lähettää kopion laskusta", "tarvitsen kuitin ostoksesta", "salasanan palautusviesti ei koskaan tullut",
		"en pääse kirjautumaan tililleni", "kirjautumissivu näyttää virheen", "vahvistuskoodi ei tule koskaan",
		"miten peruutan uutiskirjeen tilauksen", "onko teillä avoimia työpaikkoja?", "voinko lisätä tuotteen tilaukseeni",
		"miten luon asiakastilin", "onko teillä kanta-asiakasohjelmaa", "voinko noutaa tilauksen myymälästä",
		"kuinka pitkä takuu on", "haluan päivittää puhelinnumeroni", "mistä löydän kokoamisohjeet",
		"miten tämä villapaita pestään", "voiko laskun tehdä yritykseni nimiin", "onko iphonelle sovellusta",
		"onko teillä opiskelija-alennusta", "miten kirjoitan arvostelun", "tilausvahvistus meni roskapostiin",
	},
}
