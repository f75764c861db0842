// calmbot customer chat. Plain JavaScript, no dependencies, no build step.
// Everything shown is set with textContent: nothing a customer, an agent or
// a flow writes is ever parsed as HTML.
(function () {
  "use strict";

  var STORE_KEY = "calmbot.web.conversation";
  var UI = {
    en: {
      title: "Customer service", label: "Your message", placeholder: "Type your message…", send: "Send",
      connecting: "Connecting…", reconnecting: "Connection lost. Reconnecting…", online: "Online",
      bot: "Assistant", agent: "Customer service", you: "You", typing: "Writing…",
      sending: "Sending…", failed: "Not sent. Select to try again.", retry: "Try again",
      human: "A person from our team will answer you here.",
      ended: "This conversation has ended. Write again any time."
    },
    it: {
      title: "Servizio clienti", label: "Il tuo messaggio", placeholder: "Scrivi il tuo messaggio…", send: "Invia",
      connecting: "Connessione…", reconnecting: "Connessione persa. Riconnessione…", online: "Online",
      bot: "Assistente", agent: "Servizio clienti", you: "Tu", typing: "Sta scrivendo…",
      sending: "Invio…", failed: "Non inviato. Seleziona per riprovare.", retry: "Riprova",
      human: "Una persona del nostro team Le risponderà qui.",
      ended: "La conversazione è terminata. Può scriverci di nuovo quando vuole."
    },
    de: {
      title: "Kundenservice", label: "Ihre Nachricht", placeholder: "Nachricht schreiben…", send: "Senden",
      connecting: "Verbindung wird hergestellt…", reconnecting: "Verbindung unterbrochen. Neuer Versuch…", online: "Online",
      bot: "Assistent", agent: "Kundenservice", you: "Sie", typing: "Schreibt…",
      sending: "Wird gesendet…", failed: "Nicht gesendet. Zum Wiederholen auswählen.", retry: "Erneut versuchen",
      human: "Eine Person aus unserem Team antwortet Ihnen hier.",
      ended: "Das Gespräch ist beendet. Schreiben Sie uns jederzeit wieder."
    },
    fi: {
      title: "Asiakaspalvelu", label: "Viestisi", placeholder: "Kirjoita viesti…", send: "Lähetä",
      connecting: "Yhdistetään…", reconnecting: "Yhteys katkesi. Yhdistetään uudelleen…", online: "Paikalla",
      bot: "Avustaja", agent: "Asiakaspalvelu", you: "Sinä", typing: "Kirjoittaa…",
      sending: "Lähetetään…", failed: "Ei lähetetty. Valitse yrittääksesi uudelleen.", retry: "Yritä uudelleen",
      human: "Tiimimme henkilö vastaa sinulle tässä.",
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
  var sending = Promise.resolve(); // posts go out one at a time, in order
  var restartDelay = 1000;

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
    start();
  }

  // browserLanguage is the browser's language as a tag the server accepts.
  function browserLanguage() {
    var l = (navigator.language || "").trim();
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
    events.onopen = function () { connection("online"); };
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
      own[m.id].classList.remove("pending", "failed");
      delete own[m.id];
      return;
    }
    render(m);
  }

  function render(m) {
    // Options are answered by what follows them: once anything more is
    // said, also in a transcript shown again after a reload, they go stale.
    disableChoices();
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
      var name = m.name || (m.author || "").replace(/^agent:/, "");
      return name ? t.agent + " · " + name : t.agent;
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

  // send shows the message at once and posts it; a failed post can be
  // tried again with the same id, which the server stores only once. A
  // button press sends the option's id as the choice, its label as the text.
  function send(text, choice) {
    if (!conv) {
      return;
    }
    disableChoices();
    var id = newID();
    var li = render({ from: "customer", text: text });
    li.classList.add("pending");
    li.title = t.sending;
    own[id] = li;
    var msg = { text: text, id: id };
    if (choice) {
      msg.choice = choice;
    }
    post(msg, li, 0);
  }

  function post(msg, li, attempt) {
    sending = sending.then(function () {
      return api("POST", convURL("/messages"), msg, conv.token);
    }).then(function (res) {
      if (res.status === 202) {
        li.classList.remove("pending");
        li.removeAttribute("title");
        return;
      }
      if (res.status >= 500 && attempt < 5) {
        retryLater(msg, li, attempt);
        return;
      }
      failed(msg, li, res.body && res.body.error);
    }, function () {
      retryLater(msg, li, attempt);
    });
  }

  function retryLater(msg, li, attempt) {
    if (attempt >= 5) {
      failed(msg, li, null);
      return;
    }
    setTimeout(function () { post(msg, li, attempt + 1); }, 500 * Math.pow(2, attempt));
  }

  function failed(msg, li, why) {
    li.classList.remove("pending");
    li.classList.add("failed");
    li.title = why || t.failed;
    if (li.querySelector("button.retry")) {
      return;
    }
    var b = document.createElement("button");
    b.type = "button";
    b.className = "retry";
    b.textContent = t.retry;
    b.addEventListener("click", function () {
      b.remove();
      li.classList.remove("failed");
      li.classList.add("pending");
      post(msg, li, 0);
    });
    li.appendChild(b);
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
