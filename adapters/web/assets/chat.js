// calmbot customer chat. Plain JavaScript, no dependencies, no build step.
// Everything shown is set with textContent: nothing a customer, an agent or
// a flow writes is ever parsed as HTML.
(function () {
  "use strict";

  var STORE_KEY = "calmbot.web.conversation";
  // The page speaks to the customer in the register its bot uses: formal
  // Lei in Italian and Sie in German, as the flows do; sinä in Finnish.
  // {name} is an agent's name, {wait} a duration from wait below.
  var UI = {
    en: {
      title: "Customer service", label: "Your message", placeholder: "Type your message…", send: "Send",
      connecting: "Connecting…", reconnecting: "Connection lost. Reconnecting…", online: "Online",
      bot: "Virtual assistant", person: "{name} · our team", someone: "Our team", you: "You", typing: "Writing…",
      about: "You are chatting with our virtual assistant. You can ask for a person at any time: someone from our team usually replies within {wait}.",
      minute: "a minute", minutes: "{n} minutes",
      joined: "{name} from our team has joined the chat.", left: "{name} has left the chat.",
      back: "The virtual assistant is helping you again.",
      sending: "Sending…", queued: "Not sent yet: it goes out as soon as the connection is back.",
      failed: "Not sent.", retry: "Try again",
      human: "A person from our team will answer you here.",
      ended: "This conversation has ended. Write again any time."
    },
    it: {
      title: "Servizio clienti", label: "Il Suo messaggio", placeholder: "Scriva il Suo messaggio…", send: "Invia",
      connecting: "Connessione in corso…", reconnecting: "Connessione persa. Nuovo tentativo in corso…", online: "Online",
      bot: "Assistente virtuale", person: "{name} · il nostro team", someone: "Il nostro team", you: "Lei", typing: "Sta scrivendo…",
      about: "Sta parlando con il nostro assistente virtuale. Se preferisce parlare con una persona, basta chiederlo: di solito qualcuno del nostro team risponde entro {wait}.",
      minute: "un minuto", minutes: "{n} minuti",
      joined: "{name} del nostro team partecipa ora alla chat.", left: "{name} ha lasciato la chat.",
      back: "L'assistente virtuale è di nuovo a Sua disposizione.",
      sending: "Invio in corso…", queued: "Non ancora inviato: partirà appena la connessione sarà di nuovo disponibile.",
      failed: "Non inviato.", retry: "Riprovi",
      human: "Una persona del nostro team Le risponderà qui.",
      ended: "La conversazione è terminata. Può scriverci di nuovo quando vuole."
    },
    de: {
      title: "Kundenservice", label: "Ihre Nachricht", placeholder: "Ihre Nachricht…", send: "Senden",
      connecting: "Verbindung wird hergestellt…", reconnecting: "Verbindung unterbrochen. Neuer Versuch…", online: "Online",
      bot: "Virtueller Assistent", person: "{name} · unser Team", someone: "Unser Team", you: "Sie", typing: "Schreibt…",
      about: "Sie chatten mit unserem virtuellen Assistenten. Sie können jederzeit nach einem Menschen fragen: Jemand aus unserem Team antwortet in der Regel innerhalb von {wait}.",
      minute: "einer Minute", minutes: "{n} Minuten",
      joined: "{name} aus unserem Team ist jetzt im Chat.", left: "{name} hat den Chat verlassen.",
      back: "Der virtuelle Assistent ist wieder für Sie da.",
      sending: "Wird gesendet…", queued: "Noch nicht gesendet: Die Nachricht geht raus, sobald die Verbindung wieder steht.",
      failed: "Nicht gesendet.", retry: "Erneut senden",
      human: "Eine Person aus unserem Team antwortet Ihnen hier.",
      ended: "Das Gespräch ist beendet. Schreiben Sie uns gern wieder."
    },
    fi: {
      title: "Asiakaspalvelu", label: "Viestisi", placeholder: "Kirjoita viesti…", send: "Lähetä",
      connecting: "Yhdistetään…", reconnecting: "Yhteys katkesi. Yhdistetään uudelleen…", online: "Paikalla",
      bot: "Virtuaaliavustaja", person: "{name} · tiimimme", someone: "Tiimimme", you: "Sinä", typing: "Kirjoittaa…",
      about: "Keskustelet virtuaaliavustajamme kanssa. Voit milloin tahansa pyytää ihmistä: tiimimme jäsen vastaa yleensä {wait} kuluessa.",
      minute: "minuutin", minutes: "{n} minuutin",
      joined: "{name} tiimistämme liittyi keskusteluun.", left: "{name} poistui keskustelusta.",
      back: "Virtuaaliavustaja auttaa sinua taas.",
      sending: "Lähetetään…", queued: "Ei vielä lähetetty: viesti lähtee heti, kun yhteys palaa.",
      failed: "Ei lähetetty.", retry: "Yritä uudelleen",
      human: "Tiimimme jäsen vastaa sinulle tässä.",
      ended: "Keskustelu on päättynyt. Voit kirjoittaa uudelleen milloin vain."
    }
  };

  var lang = browserLanguage();
  var t = UI[lang.split("-")[0].toLowerCase()] || UI.en;

  var el = {};
  var conv = null;        // {id, token}
  var lastSeq = 0;        // seq of the last transcript entry shown
  var own = {};           // client message id -> its element, until the server echoes it
  var events = null;      // the EventSource
  // outbox holds the customer's messages not yet stored, oldest first
  // ({msg, li, attempt}); pump posts them one at a time, in order. Each
  // keeps its id, so posting it again after a lost answer stores it once.
  var outbox = [];
  var pumping = false;
  var restartDelay = 1000;
  var agents = {};        // agents who wrote since the assistant last did

  document.addEventListener("DOMContentLoaded", init);

  function init() {
    ["connection", "notice", "messages", "typing", "composer", "text", "send"].forEach(function (id) {
      el[id] = document.getElementById(id);
    });
    document.documentElement.lang = t === UI.en ? "en" : lang.split("-")[0].toLowerCase();
    document.title = t.title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (n) {
      n.textContent = t[n.getAttribute("data-text")];
    });
    el.text.placeholder = t.placeholder;
    el.composer.addEventListener("submit", function (e) {
      e.preventDefault();
      submit();
    });
    el.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    el.text.addEventListener("input", grow);
    window.addEventListener("online", function () {
      if (events && events.readyState === EventSource.OPEN) {
        connection("online");
      }
      pump();
    });
    window.addEventListener("offline", function () { connection("reconnecting"); });
    if (window.parent !== window) {
      // In the launcher's panel: Escape closes it (launcher.js listens).
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape") {
          window.parent.postMessage("calmbot:close", "*");
        }
      });
    }
    start();
  }

  // browserLanguage is the browser's language as a tag the server accepts.
  // A page that embeds the chat can name the language with ?lang=.
  function browserLanguage() {
    var l = (new URLSearchParams(location.search).get("lang") || navigator.language || "").trim();
    return /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(l) && l.length <= 35 ? l : "";
  }

  // start finds or creates the conversation, shows it and follows it.
  function start() {
    connection("connecting");
    conv = stored();
    var ready = conv ? showTranscript() : Promise.resolve(false);
    ready.then(function (ok) {
      if (ok) {
        return true;
      }
      return create().then(showTranscript);
    }).then(function (ok) {
      if (!ok) {
        throw new Error("no conversation");
      }
      restartDelay = 1000;
      follow();
    }).catch(function () {
      connection("reconnecting");
      setTimeout(start, restartDelay);
      restartDelay = Math.min(restartDelay * 2, 30000);
    });
  }

  function stored() {
    try {
      var c = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
      return c && typeof c.id === "string" && typeof c.token === "string" ? c : null;
    } catch (e) {
      return null;
    }
  }

  function create() {
    return api("POST", "api/conversations", lang ? { lang: lang } : {}, null).then(function (res) {
      if (res.status !== 201) {
        throw new Error("create: " + res.status);
      }
      conv = { id: res.body.id, token: res.body.token };
      try {
        localStorage.setItem(STORE_KEY, JSON.stringify(conv));
      } catch (e) { /* private mode: the chat lasts as long as the page */ }
    });
  }

  // showTranscript shows what the conversation holds; false when the server
  // no longer knows the stored conversation.
  function showTranscript() {
    return api("GET", convURL("/transcript"), null, conv.token).then(function (res) {
      if (res.status === 401 || res.status === 404) {
        try { localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
        conv = null;
        return false;
      }
      if (res.status !== 200) {
        throw new Error("transcript: " + res.status);
      }
      greet(res.body.greeting);
      res.body.messages.forEach(show);
      status(res.body.status || "bot");
      return true;
    });
  }

  // follow streams new messages; EventSource reconnects by itself and
  // sends Last-Event-ID, so the server replays what was missed.
  function follow() {
    if (events) {
      events.close();
    }
    events = new EventSource(convURL("/events") + "?token=" + encodeURIComponent(conv.token) + "&after=" + lastSeq);
    events.onopen = function () {
      connection("online");
      pump(); // what was written while offline goes out now
    };
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) {
        // Refused for good (a wrong token, the server restarted with a new key): start over.
        events = null;
        connection("reconnecting");
        setTimeout(start, restartDelay);
        return;
      }
      connection("reconnecting");
    };
    events.addEventListener("reply", onEntry);
    events.addEventListener("message", onEntry);
    events.addEventListener("status", function (e) { status(JSON.parse(e.data).status); });
    events.addEventListener("typing", function (e) { typing(JSON.parse(e.data).typing); });
  }

  function onEntry(e) {
    var m = JSON.parse(e.data);
    show(m);
    if (m.from !== "customer") {
      typing(false);
    }
  }

  // show adds a transcript entry, once.
  function show(m) {
    if (m.seq <= lastSeq) {
      return;
    }
    lastSeq = m.seq;
    if (m.from === "customer" && m.id && own[m.id]) {
      mark(own[m.id], "");
      delete own[m.id];
      return;
    }
    render(m);
  }

  // greet shows the flows' welcome at the top, with who answers and how
  // soon a person does; it is not part of the transcript.
  function greet(g) {
    if (!g || !g.text || el.messages.querySelector(".greeting")) {
      return;
    }
    var li = document.createElement("li");
    li.className = "msg msg-bot greeting";
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = t.bot;
    var p = document.createElement("p");
    p.className = "text";
    p.textContent = g.text;
    var about = document.createElement("p");
    about.className = "about";
    about.textContent = t.about.replace("{wait}", wait(g.reply_within_seconds));
    li.appendChild(who);
    li.appendChild(p);
    li.appendChild(about);
    el.messages.insertBefore(li, el.messages.firstChild);
  }

  // wait says a number of seconds in whole minutes.
  function wait(secs) {
    var n = Math.max(1, Math.ceil((secs || 60) / 60));
    return n === 1 ? t.minute : t.minutes.replace("{n}", String(n));
  }

  // system adds a line that says who is in the conversation.
  function system(text) {
    var li = document.createElement("li");
    li.className = "system";
    li.textContent = text;
    keepEnd(function () { el.messages.appendChild(li); });
  }

  // people adds the lines before a transcript entry: an agent joins with
  // their first message; when the assistant writes after them they have
  // left, and it helps again once the conversation is the bot's.
  function people(m) {
    if (m.from === "agent") {
      var name = agentName(m);
      if (!agents[name]) {
        agents[name] = true;
        system(t.joined.replace("{name}", name));
      }
      return;
    }
    if (m.from !== "bot") {
      return;
    }
    var names = Object.keys(agents);
    if (!names.length) {
      return;
    }
    names.forEach(function (n) { system(t.left.replace("{name}", n)); });
    agents = {};
    if (m.status === "bot") {
      system(t.back);
    }
  }

  function agentName(m) {
    // The display name the agent chose, else their login.
    return m.name || (m.author || "").replace(/^agent:/, "") || t.someone;
  }

  function render(m) {
    // Options are answered by what follows them: once anything more is
    // said, also in a transcript shown again after a reload, they go stale.
    disableChoices();
    if (m.seq) {
      people(m);
    }
    var li = document.createElement("li");
    li.className = "msg msg-" + (m.from === "customer" ? "customer" : m.from === "agent" ? "agent" : "bot");
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = author(m);
    li.appendChild(who);
    var p = document.createElement("p");
    p.className = "text";
    if (m.from === "customer") {
      p.textContent = m.text;
    } else {
      linkify(p, m.text);
    }
    li.appendChild(p);
    if (m.choices && m.choices.length) {
      var box = document.createElement("div");
      box.className = "choices";
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", m.text);
      m.choices.forEach(function (c) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "choice";
        b.textContent = c.label;
        b.addEventListener("click", function () { send(c.label, c.id); });
        box.appendChild(b);
      });
      li.appendChild(box);
    }
    keepEnd(function () { el.messages.appendChild(li); }, m.from === "customer");
    return li;
  }

  function author(m) {
    if (m.from === "customer") {
      return t.you;
    }
    if (m.from === "agent") {
      return m.author ? t.person.replace("{name}", agentName(m)) : t.someone;
    }
    return t.bot;
  }

  // linkify sets p's text, with web addresses as links (built as elements,
  // never as HTML).
  function linkify(p, text) {
    var re = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g;
    var at = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var url;
      try {
        url = new URL(m[0]);
      } catch (e) {
        continue;
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") {
        continue;
      }
      p.appendChild(document.createTextNode(text.slice(at, m.index)));
      var a = document.createElement("a");
      a.href = url.href;
      a.textContent = m[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      p.appendChild(a);
      at = m.index + m[0].length;
    }
    p.appendChild(document.createTextNode(text.slice(at)));
  }

  function disableChoices() {
    Array.prototype.forEach.call(el.messages.querySelectorAll("button.choice"), function (b) {
      b.disabled = true;
    });
  }

  function submit() {
    var text = el.text.value.trim();
    if (!text || !conv) {
      return;
    }
    el.text.value = "";
    grow();
    send(text);
    el.text.focus();
  }

  // send shows the message at once and queues it; a message that fails
  // can be tried again with the same id, which the server stores only
  // once. A button press sends the option's id as the choice, its label as
  // the text.
  function send(text, choice) {
    if (!conv) {
      return;
    }
    disableChoices();
    var id = newID();
    var li = render({ from: "customer", text: text });
    own[id] = li;
    var msg = { text: text, id: id };
    if (choice) {
      msg.choice = choice;
    }
    mark(li, "pending");
    outbox.push({ msg: msg, li: li, attempt: 0 });
    pump();
  }

  // pump posts the oldest message of the outbox, then the next. Offline,
  // or when the server cannot be reached, the messages stay, labelled "not
  // sent yet", until the connection is back (the browser's online event or
  // the event stream reconnecting call pump again). A server error is
  // tried a few times; a refusal is shown with a button to try again.
  function pump() {
    if (pumping || !outbox.length || !conv) {
      return;
    }
    if (navigator.onLine === false) {
      outbox.forEach(function (it) { mark(it.li, "queued"); });
      return;
    }
    pumping = true;
    var item = outbox[0];
    api("POST", convURL("/messages"), item.msg, conv.token).then(function (res) {
      if (res.status === 202) {
        outbox.shift();
        if (own[item.msg.id]) {
          mark(item.li, "");
        }
        pumping = false;
        pump();
        return;
      }
      if (res.status >= 500 && item.attempt < 5) {
        item.attempt++;
        setTimeout(function () { pumping = false; pump(); }, 500 * Math.pow(2, item.attempt));
        return;
      }
      outbox.shift();
      failed(item, res.body && res.body.error);
      pumping = false;
      pump();
    }, function () {
      outbox.forEach(function (it) { mark(it.li, "queued"); });
      // The stream's reconnect calls pump; this covers a lost post on a
      // stream that stayed up.
      setTimeout(function () { pumping = false; pump(); }, 5000);
    });
  }

  // mark shows a customer message's delivery: "pending" (dimmed, being
  // sent), "queued" or "failed" (with a visible label), or "" (stored).
  function mark(li, state, why) {
    li.classList.remove("pending", "queued", "failed");
    var label = li.querySelector(".state");
    if (!state) {
      li.removeAttribute("title");
      if (label) {
        label.remove();
      }
      return;
    }
    li.classList.add(state);
    li.title = state === "pending" ? t.sending : why || t[state];
    if (state === "pending") {
      if (label) {
        label.remove();
      }
      return;
    }
    var text = state === "failed" && why ? t.failed + " " + why : t[state];
    keepEnd(function () {
      if (!label) {
        label = document.createElement("span");
        label.className = "state";
        li.appendChild(label);
      }
      label.textContent = text;
    });
  }

  function failed(item, why) {
    var li = item.li;
    mark(li, "failed", why);
    if (li.querySelector("button.retry")) {
      return;
    }
    var b = document.createElement("button");
    b.type = "button";
    b.className = "retry";
    b.textContent = t.retry;
    b.addEventListener("click", function () {
      b.remove();
      mark(li, "pending");
      item.attempt = 0;
      outbox.push(item);
      pump();
    });
    keepEnd(function () { li.appendChild(b); });
  }

  function connection(state) {
    el.connection.setAttribute("data-state", state);
    el.connection.textContent = t[state];
  }

  function status(s) {
    var text = s === "human" ? t.human : s === "ended" ? t.ended : "";
    keepEnd(function () {
      el.notice.textContent = text;
      el.notice.hidden = !text;
    });
  }

  function typing(on) {
    keepEnd(function () { el.typing.hidden = !on; });
  }

  function grow() {
    keepEnd(function () {
      el.text.style.height = "auto";
      el.text.style.height = Math.min(el.text.scrollHeight, 160) + "px";
    });
  }

  // keepEnd runs change (which adds a message or resizes what surrounds
  // the list) and keeps the newest message in view when the reader was
  // following the end of the conversation, or when always is set. The
  // notice, the typing line and the composer take their room from the
  // list, so every one of their changes goes through here.
  function keepEnd(change, always) {
    var m = el.messages;
    var follow = always || m.scrollHeight - m.scrollTop - m.clientHeight < 40;
    change();
    if (follow) {
      m.scrollTop = m.scrollHeight;
    }
  }

  function convURL(rest) {
    return "api/conversations/" + encodeURIComponent(conv.id) + rest;
  }

  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "b-" + Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  // api calls the chat API; it resolves to {status, body} for any answer
  // and rejects only when the server could not be reached.
  function api(method, url, body, token) {
    var headers = { "Accept": "application/json" };
    if (body !== null) {
      headers["Content-Type"] = "application/json";
    }
    if (token) {
      headers["Authorization"] = "Bearer " + token;
    }
    return fetch(url, {
      method: method,
      headers: headers,
      body: body === null ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    }).then(function (res) {
      return res.json().then(function (b) {
        return { status: res.status, body: b };
      }, function () {
        return { status: res.status, body: null };
      });
    });
  }
})();
