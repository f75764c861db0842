// calmbot agent desk. Plain JavaScript, no dependencies, no build step.
// Everything a customer or an agent wrote is set with textContent (or as SVG
// text nodes): nothing is ever parsed as HTML.
(function () {
  "use strict";

  var prefix = meta("desk-prefix");
  var csrf = meta("csrf-token");
  var api = prefix + "/api";
  var skew = 0;          // server clock minus browser clock, in ms
  var handlers = {};     // event kind -> [function(event)]
  var SVG = "http://www.w3.org/2000/svg";

  document.addEventListener("DOMContentLoaded", init);

  function init() {
    var page = document.body.getAttribute("data-page");
    if (page === "login") {
      return;
    }
    setupPresence();
    if (page === "account") {
      return; // no event stream: a password change ends this page's session
    }
    setupAlerts(page);
    if (page === "queue") {
      initQueue();
    } else if (page === "ticket") {
      initTicket(Number(document.body.getAttribute("data-ticket")));
    } else if (page === "dashboard") {
      initDashboard();
    } else if (page === "history") {
      initHistory();
    }
    connect();
    setInterval(tick, 1000);
  }

  // ---- helpers ----

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  }

  function $(id) { return document.getElementById(id); }

  // el makes an element; children are nodes or strings (set as text).
  function el(tag, cls, children) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    append(n, children);
    return n;
  }

  function append(n, children) {
    if (children === undefined || children === null) { return n; }
    if (!Array.isArray(children)) { children = [children]; }
    children.forEach(function (c) {
      if (c === null || c === undefined) { return; }
      n.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return n;
  }

  function svg(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = String(text); }
    return n;
  }

  function clear(n) { while (n.firstChild) { n.removeChild(n.firstChild); } }

  function now() { return Date.now() + skew; }

  function setSkew(serverNow) {
    var t = Date.parse(serverNow);
    if (!isNaN(t)) { skew = t - Date.now(); }
  }

  // storeRetries bounds how often request tries again while the server
  // answers 503 with Retry-After (its database is away).
  var storeRetries = 30;

  // request calls the API; it resolves with the JSON answer or rejects with
  // an Error carrying the server's message. A 401 is a logout: the login
  // page. A 503 with Retry-After (the database is away) is none: the
  // session stays and the request is sent again after the wait.
  function request(method, path, body, tries) {
    tries = tries || 0;
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = csrf;
    }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(api + path, opts).then(function (res) {
      if (res.status === 401) {
        location.href = prefix + "/login?next=" + encodeURIComponent(location.pathname);
        throw new Error("Signed out.");
      }
      if (res.status === 503 && res.headers.get("Retry-After") !== null && tries < storeRetries) {
        var wait = Math.min(30, Math.max(1, parseInt(res.headers.get("Retry-After"), 10) || 2));
        flash("The desk cannot reach its database; trying again in " + wait + " s. You are still signed in.", true);
        return new Promise(function (resolve) { setTimeout(resolve, wait * 1000); }).then(function () {
          return request(method, path, body, tries + 1);
        });
      }
      if (res.status === 204) { return {}; }
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) { throw new Error(data.error || ("HTTP " + res.status)); }
        return data;
      });
    });
  }

  function flash(text, isError) {
    var f = $("flash");
    if (!f) { return; }
    f.textContent = text;
    f.className = isError ? "flash error" : "flash";
    f.hidden = !text;
    clearTimeout(flash.timer);
    if (text) { flash.timer = setTimeout(function () { f.hidden = true; }, isError ? 8000 : 4000); }
  }

  function failed(err) { flash(err.message || String(err), true); }

  function on(kind, f) { (handlers[kind] = handlers[kind] || []).push(f); }

  function emit(kind, data) { (handlers[kind] || []).forEach(function (f) { f(data); }); }

  // debounce runs f once after a burst of calls.
  function debounce(f, ms) {
    var t = null;
    return function () {
      clearTimeout(t);
      t = setTimeout(f, ms || 150);
    };
  }

  function fmtDuration(sec) {
    sec = Math.max(0, Math.round(sec));
    if (sec < 60) { return sec + "s"; }
    var m = Math.floor(sec / 60), s = sec % 60;
    if (m < 60) { return m + "m " + (s < 10 ? "0" : "") + s + "s"; }
    var h = Math.floor(m / 60);
    return h + "h " + (m % 60) + "m";
  }

  // fmtTime shows a time of today as 14:03, an older one with its date
  // (5 Jan 14:03, and the year when it is not this year's).
  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return ""; }
    var t = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var today = new Date(now());
    if (d.toDateString() === today.toDateString()) { return t; }
    var opts = { day: "numeric", month: "short" };
    if (d.getFullYear() !== today.getFullYear()) { opts.year = "numeric"; }
    return d.toLocaleDateString([], opts) + " " + t;
  }

  // fmtWait says a wait as the customer is told it: in whole minutes.
  function fmtWait(ns) {
    var min = Math.max(1, Math.ceil(ns / 6e10));
    return min < 90 ? "about " + min + " min" : "about " + Math.ceil(min / 60) + " h";
  }

  // estimateText is what the customer in line was told, for the desk.
  function estimateText(e) {
    if (!e) { return ""; }
    var place = "#" + e.position;
    if (e.after_hours) { return place + " · closed until " + (isSet(e.opens) ? fmtTime(e.opens) : "?"); }
    if (e.unavailable) { return place + " · nobody online"; }
    return place + " · " + fmtWait(e.wait) + (isSet(e.due) ? " (until " + fmtTime(e.due) + ")" : "") + (e.busy ? " · busy" : "");
  }

  // statusText says a ticket's state once: "closed, given back to the bot".
  function statusText(t) {
    var outcomes = { closed: "closed by an agent", released: "given back to the bot", ended: "ended without the desk" };
    if (t.status === "queued") { return "waiting"; }
    if (t.status === "assigned") { return "with an agent"; }
    return outcomes[t.outcome] || t.status;
  }

  function signed(x) { return (x > 0 ? "+" : x < 0 ? "−" : "±") + Math.abs(x).toFixed(2); }

  // moodView shows a sentiment at a glance: a coloured mark, a word and
  // the number (no emoji: they depend on the fonts installed).
  function moodView(sentiment) {
    if (sentiment === null || sentiment === undefined) { return el("span", "mood muted", "–"); }
    var word = "calm", cls = "mood-good";
    if (sentiment <= -0.5) { word = "upset"; cls = "mood-bad"; }
    else if (sentiment < -0.15) { word = "unhappy"; cls = "mood-low"; }
    else if (sentiment <= 0.15) { word = "neutral"; cls = "mood-ok"; }
    var s = el("span", "mood " + cls, [el("span", "mark"), word + " " + signed(sentiment)]);
    s.title = "customer sentiment " + sentiment.toFixed(2) + " (−1 to +1)";
    return s;
  }

  // trendView shows a queued customer's mood: first, worst and last.
  function trendView(m) {
    if (!m) { return moodView(null); }
    if (m.turns < 2) { return moodView(m.sentiment); }
    var worst = m.worst === undefined ? Math.min(m.first, m.sentiment) : m.worst;
    var s = el("span", "trend", [moodView(m.first), " ", el("span", "muted", "worst"), " ", moodView(worst), " → ", moodView(m.sentiment)]);
    s.title = "first, worst and last of " + m.turns + " customer turns";
    return s;
  }

  function prioView(p) { return el("span", "prio prio-" + p, p); }

  // ticking makes an element that shows the time since `since` (ISO), live,
  // until `until` when set, red past targetSec.
  function ticking(since, until, targetSec) {
    var s = el("span", "ticking");
    s.setAttribute("data-since", since);
    if (until) { s.setAttribute("data-until", until); }
    if (targetSec) { s.setAttribute("data-target", String(targetSec)); }
    updateTicking(s);
    return s;
  }

  function updateTicking(s) {
    var since = Date.parse(s.getAttribute("data-since"));
    var until = s.getAttribute("data-until") ? Date.parse(s.getAttribute("data-until")) : now();
    var sec = (until - since) / 1000;
    s.textContent = fmtDuration(sec);
    var target = Number(s.getAttribute("data-target") || 0);
    s.classList.toggle("over", target > 0 && sec > target);
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".ticking"), updateTicking);
  }

  function isSet(iso) { return iso && iso.indexOf("0001-01-01") !== 0; }

  // ---- alerts: sound, the browser's notifications (opt-in), the tab title ----

  var titles = { base: document.title, alert: "" };

  function showTitle() { document.title = (titles.alert ? "● " + titles.alert + " · " : "") + titles.base; }

  function setBaseTitle(t) { titles.base = t; showTitle(); }

  function setupAlerts(page) {
    var btn = $("alerts");
    if (!btn) { return; }
    var key = "calmbot-desk-alerts";
    var enabled = false, audio = null, mine = {}, known = {};
    try { enabled = localStorage.getItem(key) === "on"; } catch (e) { /* storage off: alerts stay off */ }
    function show() {
      btn.textContent = enabled ? "Alerts on" : "Alerts off";
      btn.setAttribute("aria-pressed", enabled ? "true" : "false");
      btn.title = enabled ? "Sound and notifications for new customers and for messages on your conversations" : "Turn on sound and notifications";
    }
    show();
    btn.addEventListener("click", function () {
      enabled = !enabled;
      try { localStorage.setItem(key, enabled ? "on" : "off"); } catch (e) { /* kept for this page only */ }
      if (enabled && window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
      if (enabled) { beep(); }
      show();
    });
    function beep() {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) { return; }
      try {
        audio = audio || new AC();
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.15, audio.currentTime);
        g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
        o.connect(g);
        g.connect(audio.destination);
        o.start();
        o.stop(audio.currentTime + 0.25);
      } catch (e) { /* no sound: the title and the notification remain */ }
    }
    function raise(title, body, tag, href) {
      var n = Number(document.body.getAttribute("data-alerts") || 0) + 1;
      document.body.setAttribute("data-alerts", String(n));
      titles.alert = title;
      showTitle();
      if (!enabled) { return; }
      beep();
      if (window.Notification && Notification.permission === "granted" && document.visibilityState !== "visible") {
        var note = new Notification(title, { body: body, tag: tag });
        note.onclick = function () { window.focus(); if (href) { location.href = href; } };
      }
    }
    function calm() { if (titles.alert) { titles.alert = ""; showTitle(); } }
    window.addEventListener("focus", calm);
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { calm(); } });
    document.addEventListener("click", calm);
    function loadMine() {
      request("GET", "/mine").then(function (d) {
        mine = {};
        d.tickets.forEach(function (t) { mine[t.id] = true; });
      }).catch(function () { /* the lists say it */ });
    }
    var reloadMine = debounce(loadMine, 300);
    request("GET", "/queue").then(function (d) {
      d.tickets.forEach(function (t) { known[t.id] = true; });
    }).catch(function () { /* the lists say it */ });
    loadMine();
    on("queue", function (ev) {
      var t = ev.ticket;
      reloadMine();
      if (!t || t.status !== "queued" || known[t.id]) { return; }
      known[t.id] = true;
      raise("New customer waiting", "#" + t.id + " " + t.reason + (t.latest ? ": " + t.latest : ""), "queue-" + t.id, prefix + "/tickets/" + t.id);
    });
    on("ticket", reloadMine);
    on("message", function (ev) {
      if (!ev.message || ev.message.from !== "customer" || !mine[ev.ticket_id]) { return; }
      var here = page === "ticket" && Number(document.body.getAttribute("data-ticket")) === ev.ticket_id;
      if (here && document.visibilityState === "visible" && document.hasFocus()) { return; }
      raise("Customer wrote on #" + ev.ticket_id, ev.message.text, "ticket-" + ev.ticket_id, prefix + "/tickets/" + ev.ticket_id);
    });
  }

  // ---- presence and live updates ----

  function setupPresence() {
    var sel = $("presence");
    if (!sel) { return; }
    sel.addEventListener("change", function () {
      request("PUT", "/me/presence", { presence: sel.value }).then(function (d) {
        sel.setAttribute("data-current", d.agent.presence);
        flash("You are " + d.agent.presence + ".");
      }).catch(function (err) {
        sel.value = sel.getAttribute("data-current");
        failed(err);
      });
    });
    on("agent", function (ev) {
      if (ev.agent && ev.agent.id === document.querySelector(".presence .who").textContent) {
        sel.value = ev.agent.presence;
        sel.setAttribute("data-current", ev.agent.presence);
      }
    });
  }

  function connect() {
    var state = $("connection");
    var es = new EventSource(api + "/events");
    function setState(s, text) {
      if (state) { state.setAttribute("data-state", s); state.textContent = text; }
    }
    ["queue", "ticket", "message", "note", "agent"].forEach(function (kind) {
      es.addEventListener(kind, function (e) { emit(kind, JSON.parse(e.data)); });
    });
    es.addEventListener("hello", function (e) {
      setSkew(JSON.parse(e.data).now);
      setState("online", "Live");
      emit("resync", {}); // anything may have changed while disconnected
    });
    es.addEventListener("resync", function () { emit("resync", {}); });
    es.addEventListener("logout", function () {
      es.close();
      location.href = prefix + "/login?next=" + encodeURIComponent(location.pathname);
    });
    es.onerror = function () {
      setState("reconnecting", "Reconnecting…");
      if (es.readyState !== EventSource.CLOSED) { return; } // the browser retries
      // The server refused the stream (a 503 while its database is away,
      // or a 401): request tells which, waits out a 503, then reconnect.
      request("GET", "/me").then(connect, function () { setTimeout(connect, 5000); });
    };
  }

  // ---- queue page ----

  function initQueue() {
    var reloadQueue = debounce(loadQueue), reloadMine = debounce(loadMine);
    $("next").addEventListener("click", function () {
      if (!$("queue-empty").hidden) {
        flash("Nobody is waiting."); // the server would say so too
        return;
      }
      request("POST", "/queue/next").then(function (d) {
        location.href = prefix + "/tickets/" + d.ticket.id;
      }).catch(failed);
    });
    on("queue", function () { reloadQueue(); reloadMine(); });
    on("ticket", function () { reloadQueue(); reloadMine(); });
    on("message", function (ev) {
      if (ev.message && ev.message.from === "customer") { reloadQueue(); reloadMine(); }
    });
    on("resync", function () { reloadQueue(); reloadMine(); });
    loadQueue();
    loadMine();
    setInterval(loadQueue, 30000); // places and estimates move with time
  }

  function loadQueue() {
    request("GET", "/queue").then(function (d) {
      setSkew(d.now);
      renderTickets($("queue"), d.tickets, true);
      $("queue-count").textContent = "(" + d.tickets.length + ")";
      $("queue-empty").hidden = d.tickets.length > 0;
      setBaseTitle((d.tickets.length ? "(" + d.tickets.length + ") " : "") + "Queue · calmbot desk");
    }).catch(failed);
  }

  function loadMine() {
    request("GET", "/mine").then(function (d) {
      renderTickets($("mine"), d.tickets, false);
      $("mine-count").textContent = "(" + d.tickets.length + ")";
      $("mine-empty").hidden = d.tickets.length > 0;
    }).catch(failed);
  }

  function renderTickets(body, tickets, queued) {
    clear(body);
    var me = document.querySelector(".presence .who").textContent;
    tickets.forEach(function (t) {
      var tr = el("tr");
      if (t.waited_seconds > t.target_seconds && !isSet(t.first_response)) { tr.className = "overdue"; }
      var link = el("a", null, "#" + t.id);
      link.href = prefix + "/tickets/" + t.id;
      var place = queued ? estimateText(t.estimate) : "";
      var action;
      if (queued) {
        action = el("button", null, "Claim");
        action.type = "button";
        action.addEventListener("click", function () {
          action.disabled = true;
          request("POST", "/tickets/" + t.id + "/claim").then(function () {
            location.href = prefix + "/tickets/" + t.id;
          }).catch(function (err) { action.disabled = false; failed(err); });
        });
      } else {
        action = el("a", null, "Open");
        action.href = prefix + "/tickets/" + t.id;
      }
      [
        cell("Ticket", null, [prioView(t.priority), " ", link]),
        cell(queued ? "Waiting" : "Waited", "waited", ticking(t.created, isSet(t.first_response) ? t.first_response : null, t.target_seconds)),
        cell("Mood", null, trendView(t.mood)),
        cell("Customer", "said", said(t)),
        cell("Reason", "reason", t.reason),
        cell("Skill", null, t.skill || "any"),
        cell(queued ? "Place" : "Role", null, queued ? place : (t.owner === me ? "owner" : "invited")),
        cell("", "act", action)
      ].forEach(function (td) { tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  // cell is a table cell labelled for the narrow layout, where rows are cards.
  function cell(label, cls, children) {
    var td = el("td", cls, children);
    if (label) { td.setAttribute("data-label", label); }
    return td;
  }

  // said shows the customer's latest message with their channel and language.
  function said(t) {
    return [
      el("span", "channel", t.address.channel + (t.lang ? " · " + t.lang : "")),
      el("span", "latest", t.latest ? "“" + t.latest + "”" : "")
    ];
  }

  // ---- conversation page ----

  function initTicket(id) {
    var shown = {}; // seq -> true
    var current = null;
    var agents = [];
    var names = {}; // agent id -> the name shown
    var reload = debounce(load);

    function nameOf(id) { return names[id] || id; }

    function load() {
      return request("GET", "/tickets/" + id).then(function (d) {
        setSkew(d.now);
        if (current) { d.transcript = withLive(d.transcript || [], current.transcript || []); }
        current = d;
        renderHeader(d);
        renderSummary(d);
        renderTranscript(d.transcript);
        renderNotes(d.ticket.notes || []);
        renderStages(d.stages || []);
        renderActions(d);
      }).catch(failed);
    }

    // withLive keeps the messages that came live while a load was on its
    // way (read before they were stored): the loaded transcript, then the
    // shown entries newer than its last one. Without it a reload answered
    // after a live message wiped that message off the page.
    function withLive(loaded, before) {
      var last = loaded.length ? loaded[loaded.length - 1].seq : 0;
      return loaded.concat(before.filter(function (m) { return m.seq > last; }));
    }

    function loadAgents() {
      return request("GET", "/agents").then(function (d) {
        agents = d.agents;
        names = {};
        agents.forEach(function (a) { if (a.name) { names[a.id] = a.name; } });
        if (current) {
          renderHeader(current);
          renderTranscript(current.transcript);
          renderNotes(current.ticket.notes || []);
          renderActions(current);
        }
      }).catch(failed);
    }

    function renderHeader(d) {
      var st = $("status");
      st.textContent = statusText(d.ticket);
      st.setAttribute("data-status", d.ticket.status);
      var who = [];
      if (d.ticket.owner) { who.push("held by " + nameOf(d.ticket.owner)); }
      if (d.ticket.invited && d.ticket.invited.length) { who.push("with " + d.ticket.invited.map(nameOf).join(", ")); }
      $("holder").textContent = who.join(" ");
    }

    function renderTranscript(entries) {
      var list = $("transcript");
      clear(list);
      shown = {};
      entries.forEach(addMessage);
      list.scrollTop = list.scrollHeight;
    }

    function addMessage(m) {
      if (shown[m.seq]) { return; }
      shown[m.seq] = true;
      var list = $("transcript");
      var who = m.from === "customer" ? "Customer" : m.from === "agent" ? nameOf(m.agent || m.author) : "Bot";
      var head = el("span", "who", [who, el("time", null, fmtTime(m.at))]);
      if (m.from === "customer" && m.sentiment !== undefined && m.sentiment !== null) {
        head.appendChild(moodView(m.sentiment));
      }
      var li = el("li", "msg msg-" + m.from, [head, el("p", "text", m.text)]);
      if (m.choices && m.choices.length) {
        li.appendChild(el("ul", "choices", m.choices.map(function (c) { return el("li", null, c.label); })));
      }
      var stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      list.appendChild(li);
      if (current && m.seq === current.ticket.seq) {
        list.appendChild(el("li", "handoff-mark", "handed off to people here"));
      }
      if (stick) { list.scrollTop = list.scrollHeight; }
    }

    function renderNotes(notes) {
      var list = $("notes");
      clear(list);
      notes.forEach(addNote);
    }

    function addNote(n) {
      $("notes").appendChild(el("li", null, [el("span", "who", nameOf(n.author) + " · " + fmtTime(n.at)), el("span", "text", n.text)]));
    }

    function renderStages(stages) {
      var sel = $("release-stage");
      clear(sel);
      stages.forEach(function (s, i) {
        var label = s.state ? s.state + " (" + s.kind + ")" : "Ask what else the bot can do";
        var o = el("option", null, label + (s.say ? ": " + s.say : ""));
        o.value = String(i);
        sel.appendChild(o);
      });
      sel.stages = stages;
    }

    // Canned replies: one entry per team and title, with its language
    // versions; Insert takes the customer's language, else the version
    // for any language, else the first.
    var canned = [];

    function loadCanned() {
      return request("GET", "/canned").then(function (d) {
        var byKey = {};
        canned = [];
        d.replies.forEach(function (c) {
          var key = c.team + "\u0000" + c.title;
          if (!byKey[key]) { byKey[key] = { team: c.team, title: c.title, versions: [] }; canned.push(byKey[key]); }
          byKey[key].versions.push(c);
        });
        var pick = $("canned-pick");
        clear(pick);
        var none = el("option", null, canned.length ? "Canned replies…" : "No canned replies yet");
        none.value = "";
        pick.appendChild(none);
        canned.forEach(function (g, i) {
          var langs = g.versions.map(function (v) { return v.lang || "any"; }).join(", ");
          var o = el("option", null, g.title + (g.team ? " · " + g.team : "") + " (" + langs + ")");
          o.value = String(i);
          pick.appendChild(o);
        });
        var team = $("canned-team");
        clear(team);
        d.teams.forEach(function (t) {
          var o = el("option", null, t || "everyone");
          o.value = t;
          team.appendChild(o);
        });
      }).catch(failed);
    }

    function cannedText(g, lang) {
      var find = function (l) { return g.versions.filter(function (v) { return v.lang === l; })[0]; };
      return (find(lang) || find("") || g.versions[0]).text;
    }

    $("canned-insert").addEventListener("click", function () {
      var g = canned[Number($("canned-pick").value)];
      if ($("canned-pick").value === "" || !g) { return; }
      var box = $("reply-text"), text = cannedText(g, current ? current.ticket.lang : "");
      var at = box.selectionStart || box.value.length;
      box.value = box.value.slice(0, at) + text + box.value.slice(box.selectionEnd || at);
      box.focus();
      box.selectionStart = box.selectionEnd = at + text.length;
    });
    formSubmit("canned-form", function () {
      var text = $("reply-text").value.trim();
      if (!text) { flash("Write the reply first, then save it.", true); return; }
      request("POST", "/canned", { team: $("canned-team").value, title: $("canned-title").value, lang: $("canned-lang").value, text: text }).then(function () {
        flash("Saved as a canned reply.");
        $("canned-title").value = "";
        return loadCanned();
      }).catch(failed);
    });

    function renderActions(d) {
      var me = document.querySelector(".presence .who").textContent;
      var open = d.ticket.status !== "closed";
      var holds = d.mine && open;
      $("canned-pick").disabled = $("canned-insert").disabled = !holds;
      if (!$("canned-lang").value && d.ticket.lang) { $("canned-lang").value = d.ticket.lang; }
      $("claim").hidden = d.ticket.status !== "queued";
      $("leave").hidden = !(open && d.ticket.invited && d.ticket.invited.indexOf(me) >= 0);
      ["reply-form", "note-form", "invite-form", "transfer-form", "release-form"].forEach(function (f) {
        Array.prototype.forEach.call($(f).elements, function (x) { x.disabled = !holds; });
      });
      $("close").disabled = !holds;
      var inv = $("invite-agent"), to = $("transfer-to");
      clear(inv);
      clear(to);
      var skills = {};
      agents.forEach(function (a) {
        (a.skills || []).forEach(function (s) { if (s !== "*") { skills[s] = true; } });
        if (a.id === me || a.presence === "offline") { return; }
        var label = (a.name ? a.name + " · " + a.id : a.id) + " (" + a.presence + ", " + a.active + "/" + a.capacity + ")";
        if (!d.ticket.invited || d.ticket.invited.indexOf(a.id) < 0) {
          var o = el("option", null, label);
          o.value = a.id;
          inv.appendChild(o);
        }
        var t = el("option", null, "agent " + label);
        t.value = "agent:" + a.id;
        to.appendChild(t);
      });
      if (!inv.options.length) {
        // Nobody to invite: say so rather than show an empty list.
        var none = el("option", null, "nobody else is online");
        none.value = "";
        inv.appendChild(none);
        Array.prototype.forEach.call($("invite-form").elements, function (x) { x.disabled = true; });
      }
      var q = el("option", null, "the queue, any agent");
      q.value = "skill:";
      to.appendChild(q);
      Object.keys(skills).sort().forEach(function (s) {
        var o = el("option", null, "the queue, skill " + s);
        o.value = "skill:" + s;
        to.appendChild(o);
      });
    }

    function renderSummary(d) {
      var s = d.summary, dl = $("summary");
      clear(dl);
      function fact(label, value) {
        if (value === null || value === undefined || value === "") { return; }
        dl.appendChild(el("dt", null, label));
        dl.appendChild(el("dd", null, value));
      }
      fact("Customer", [s.channel, " · ", s.lang || "language unknown", " · ", prioView(s.priority), s.skill ? " · skill " + s.skill : ""]);
      fact("Concern", s.concern || (s.flow ? "flow " + s.flow : "not identified by the bot"));
      if (s.first_message) { fact("First wrote", "“" + s.first_message + "”"); }
      if (s.confirmation) {
        var c = s.confirmation;
        fact(c.confirmed ? "Confirmed" : "Not confirmed", [
          el("div", null, "Bot asked: “" + c.question + "”"),
          el("div", null, c.answer ? "Customer: “" + c.answer + "”" + (c.reading ? " (read as " + c.reading + ")" : "") :
            (c.asked_for_person ? "Customer asked for a person instead" : "no answer yet"))
        ]);
      }
      if (s.offered && s.offered.length) {
        fact("Offered", el("ul", null, s.offered.map(function (o) {
          var chosen = s.chosen && s.chosen.id === o.id;
          return el("li", chosen ? "chosen" : null, o.label + (chosen ? " ✓ chosen" : ""));
        })));
      }
      if (s.chosen && !(s.offered || []).some(function (o) { return o.id === s.chosen.id; })) {
        fact("Chosen", s.chosen.label);
      }
      if (s.moods && s.moods.length) {
        var first = s.moods[0], last = s.moods[s.moods.length - 1];
        var worstMood = s.moods.reduce(function (w, m) { return m.sentiment < w.sentiment ? m : w; }, first);
        fact("Sentiment", [sparkline(s.moods), moodView(first.sentiment), " → ", moodView(last.sentiment), " · worst ", moodView(worstMood.sentiment),
          " over " + s.moods.length + " turn" + (s.moods.length === 1 ? "" : "s")]);
      }
      fact("Handoff", s.reason_text + " (" + s.reason + ")");
      if (s.evidence) {
        var keys = Object.keys(s.evidence).sort();
        if (keys.length) {
          fact("Evidence", keys.map(function (k) {
            var v = s.evidence[k];
            if (typeof v === "number" && Math.round(v) !== v) { v = v.toFixed(2); }
            if (typeof v === "object") { v = JSON.stringify(v); }
            return el("div", null, k + ": " + v);
          }));
        }
      }
      var target = s.target / 1e9;
      fact("Waited", [
        ticking(s.created, isSet(d.ticket.first_response) ? d.ticket.first_response : (d.ticket.status === "closed" ? d.ticket.closed : null), target),
        " (target " + fmtDuration(target) + (s.responded ? ", answered" : ", waiting for a first reply") + ")"
      ]);
      if (d.estimate && d.ticket.status === "queued") {
        fact("In line", estimateText(d.estimate) + (isSet(d.estimate.told) ? ", told at " + fmtTime(d.estimate.told) : ""));
      }
      if (s.since && s.since.length) {
        fact("Since handoff", el("ul", null, s.since.map(function (x) { return el("li", null, "“" + x + "”"); })));
      }
      $("summary-text").textContent = d.summary_text;
    }

    // sparkline draws the sentiment of each customer turn, −1 at the bottom.
    function sparkline(moods) {
      var w = 120, h = 30, pad = 3;
      var n = moods.length;
      var x = function (i) { return n === 1 ? w / 2 : pad + i * (w - 2 * pad) / (n - 1); };
      var y = function (v) { return pad + (1 - (v + 1) / 2) * (h - 2 * pad); };
      var root = svg("svg", { viewBox: "0 0 " + w + " " + h, "class": "spark", role: "img", "aria-label": "sentiment per customer turn" });
      root.appendChild(svg("line", { x1: 0, x2: w, y1: y(0), y2: y(0) }));
      root.appendChild(svg("polyline", { points: moods.map(function (m, i) { return x(i) + "," + y(m.sentiment); }).join(" ") }));
      moods.forEach(function (m, i) {
        var c = svg("circle", { cx: x(i), cy: y(m.sentiment), r: 2.2, "class": m.sentiment < -0.15 ? "neg" : m.sentiment > 0.15 ? "pos" : "" });
        c.appendChild(svg("title", {}, signed(m.sentiment) + " “" + m.text + "”"));
        root.appendChild(c);
      });
      return root;
    }

    function act(path, body, done) {
      return request("POST", "/tickets/" + id + path, body).then(function (d) {
        if (done) { done(d); }
        return load();
      }).catch(failed);
    }

    function formSubmit(formID, f) {
      $(formID).addEventListener("submit", function (e) {
        e.preventDefault();
        f();
      });
    }

    formSubmit("reply-form", function () {
      var t = $("reply-text");
      if (!t.value.trim()) { return; }
      request("POST", "/tickets/" + id + "/reply", { text: t.value }).then(function () { t.value = ""; }).catch(failed);
    });
    // Enter sends, Shift+Enter starts a new line (as the hint says).
    $("reply-text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        $("reply-form").requestSubmit();
      }
    });
    formSubmit("note-form", function () {
      var t = $("note-text");
      if (!t.value.trim()) { return; }
      request("POST", "/tickets/" + id + "/notes", { text: t.value }).then(function () { t.value = ""; }).catch(failed);
    });
    formSubmit("invite-form", function () {
      act("/invite", { agent: $("invite-agent").value }, function () { flash("Invited."); });
    });
    formSubmit("transfer-form", function () {
      var v = $("transfer-to").value, body = { note: $("transfer-note").value };
      if (v.indexOf("agent:") === 0) { body.agent = v.slice(6); } else { body.skill = v.slice(6); }
      act("/transfer", body, function () { flash("Transferred."); $("transfer-note").value = ""; });
    });
    formSubmit("release-form", function () {
      var sel = $("release-stage"), st = (sel.stages || [])[Number(sel.value)];
      if (!st) { return; }
      act("/release", { flow: st.flow || "", state: st.state || "" }, function () { flash("Given back to the bot."); });
    });
    $("close").addEventListener("click", function () {
      if (!confirm("Close this conversation? The customer is asked to rate the help.")) { return; }
      act("/close", undefined, function () { flash("Closed."); });
    });
    $("claim").addEventListener("click", function () { act("/claim"); });
    $("leave").addEventListener("click", function () {
      act("/leave", undefined, function () { location.href = prefix + "/"; });
    });

    on("message", function (ev) {
      if (ev.ticket_id === id && ev.message) {
        if (current && !shown[ev.message.seq]) { current.transcript.push(ev.message); } // kept for a re-render
        addMessage(ev.message);
      }
    });
    on("note", function (ev) {
      if (ev.ticket_id === id && ev.note && current) {
        current.ticket.notes = (current.ticket.notes || []).concat([ev.note]);
        renderNotes(current.ticket.notes);
      }
    });
    on("ticket", function (ev) { if (ev.ticket_id === id) { reload(); } });
    on("queue", function (ev) { if (ev.ticket_id === id) { reload(); } });
    on("agent", debounce(loadAgents));
    on("resync", reload);
    load();
    loadAgents();
    loadCanned();
  }

  // ---- history ----

  function initHistory() {
    var form = $("history-form"), input = $("history-q");
    input.value = new URLSearchParams(location.search).get("q") || "";
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = input.value.trim();
      history.replaceState(null, "", location.pathname + (q ? "?q=" + encodeURIComponent(q) : ""));
      loadHistory(q);
    });
    on("ticket", debounce(function () { loadHistory(input.value.trim()); }, 1000));
    loadHistory(input.value.trim());
  }

  function loadHistory(q) {
    request("GET", "/history" + (q ? "?q=" + encodeURIComponent(q) : "")).then(function (d) {
      setSkew(d.now);
      var body = $("history");
      clear(body);
      d.tickets.forEach(function (t) {
        var link = el("a", null, "#" + t.id);
        link.href = prefix + "/tickets/" + t.id;
        var tr = el("tr");
        [
          cell("Ticket", null, [prioView(t.priority), " ", link]),
          cell("Ended", null, el("time", null, fmtTime(t.closed))),
          cell("Channel", null, t.address.channel + (t.lang ? " · " + t.lang : "")),
          cell("Reason", "reason", t.reason),
          cell("How it ended", null, statusText(t)),
          cell("Agent", null, t.owner || "–"),
          cell("Customer", "said", el("span", "latest", t.latest ? "“" + t.latest + "”" : ""))
        ].forEach(function (td) { tr.appendChild(td); });
        body.appendChild(tr);
      });
      $("history-count").textContent = "(" + d.tickets.length + ")";
      $("history-empty").hidden = d.tickets.length > 0;
      $("history-note").textContent = "Searched the latest " + d.scanned + " closed conversations" +
        (q ? " for every word of “" + q + "” in the ticket (number, channel, reason, agent, date) or what the customer wrote." : ".");
    }).catch(failed);
  }

  // ---- dashboard ----

  function initDashboard() {
    var reload = debounce(loadDashboard, 500);
    on("queue", reload);
    on("ticket", reload);
    on("agent", reload);
    on("resync", reload);
    loadDashboard();
    setInterval(loadDashboard, 15000);
  }

  function loadDashboard() {
    request("GET", "/dashboard").then(function (d) {
      setSkew(d.now);
      $("kpi-queue").textContent = String(d.queue.length);
      $("kpi-oldest").textContent = d.queue.length ? fmtDuration(d.queue.oldest_seconds) : "–";
      $("kpi-online").textContent = String(d.agents.online || 0);
      $("kpi-first").textContent = d.first_response.count ?
        Math.round(100 * d.first_response.within_target / d.first_response.count) + "%" : "–";
      if (d.containment) {
        var ended = d.containment.contained + d.containment.handed_off;
        $("kpi-containment").textContent = ended ? Math.round(100 * d.containment.rate) + "%" : "–";
        $("kpi-containment-label").textContent = "contained by the bot (" + ended + " ended)";
      } else {
        $("kpi-containment").textContent = "n/a";
        $("kpi-containment-label").textContent = "containment: no stats source";
      }
      renderNotHelped(d.not_helped);
      barsChart($("chart-reasons"), d.reasons);
      var prios = {};
      ["urgent", "high", "normal", "low"].forEach(function (p) { prios[p] = d.queue.by_priority[p] || 0; });
      barsChart($("chart-queue"), prios, true);
      timesChart($("chart-wait"), (d.tickets || []).map(function (t) {
        return { id: t.id, value: t.wait_seconds, target: t.target_seconds, open: t.status === "queued" };
      }));
      timesChart($("chart-first"), (d.tickets || []).filter(function (t) {
        return t.first_response_seconds !== undefined && t.first_response_seconds !== null;
      }).map(function (t) {
        return { id: t.id, value: t.first_response_seconds, target: t.target_seconds };
      }));
      $("dashboard-note").textContent = "Median wait " + fmtDuration(d.wait.p50_seconds) + ", 90th percentile " +
        fmtDuration(d.wait.p90_seconds) + "; median first response " + fmtDuration(d.first_response.p50_seconds) +
        " over " + d.first_response.count + (d.first_response.count === 1 ? " ticket" : " tickets") + ". From the open tickets and the " +
        "latest closed ones; updated live.";
    }).catch(failed);
  }

  // renderNotHelped lists the answers that most often did not help.
  function renderNotHelped(list) {
    var body = $("not-helped-rows");
    clear(body);
    if (!list || !list.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = 5;
      td.textContent = list ? "Every answer helped so far." : "No answer counts: no stats source.";
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    list.forEach(function (a) {
      var tr = document.createElement("tr");
      [a.answer, a.answered, a.helped, a.not_helped, Math.round(100 * a.rate) + "%"].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  // barsChart draws horizontal bars of counts by label.
  function barsChart(root, counts, keepOrder) {
    clear(root);
    var labels = Object.keys(counts || {});
    if (!keepOrder) { labels.sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); }); }
    var w = 400, row = 22, left = 140, h = Math.max(row * labels.length + 10, 40);
    root.setAttribute("viewBox", "0 0 " + w + " " + h);
    root.style.height = (h / 16) + "rem";
    if (!labels.length) {
      root.appendChild(svg("text", { x: 10, y: 24 }, "No data yet."));
      return;
    }
    var top = Math.max.apply(null, labels.map(function (l) { return counts[l]; })) || 1;
    labels.forEach(function (l, i) {
      var y = 5 + i * row, bw = (w - left - 40) * counts[l] / top;
      root.appendChild(svg("text", { x: left - 6, y: y + 14, "text-anchor": "end" }, l));
      var bar = svg("rect", { x: left, y: y + 3, width: Math.max(bw, 1), height: row - 8, "class": "bar" });
      bar.appendChild(svg("title", {}, l + ": " + counts[l]));
      root.appendChild(bar);
      root.appendChild(svg("text", { x: left + bw + 4, y: y + 14 }, counts[l]));
    });
  }

  // timesChart draws one bar per ticket (seconds) with each ticket's target
  // as a dashed line; bars over target are red, open ones pale.
  function timesChart(root, items) {
    clear(root);
    var w = 800, h = 220, left = 44, bottom = 20, topPad = 8;
    root.setAttribute("viewBox", "0 0 " + w + " " + h);
    if (!items.length) {
      root.appendChild(svg("text", { x: 10, y: 24 }, "No tickets yet."));
      return;
    }
    items = items.slice(-80);
    var top = Math.max.apply(null, items.map(function (t) { return Math.max(t.value, t.target || 0); })) || 1;
    var y = function (v) { return topPad + (h - bottom - topPad) * (1 - v / top); };
    var step = (w - left - 4) / items.length, bw = Math.max(step - 2, 1);
    [0, 0.5, 1].forEach(function (f) {
      root.appendChild(svg("line", { x1: left, x2: w, y1: y(top * f), y2: y(top * f), "class": "axis" }));
      root.appendChild(svg("text", { x: left - 4, y: y(top * f) + 4, "text-anchor": "end" }, fmtDuration(top * f)));
    });
    var targetPath = [];
    items.forEach(function (t, i) {
      var x = left + i * step + 1;
      var cls = "bar" + (t.target && t.value > t.target ? " over" : "") + (t.open ? " open" : "");
      var bar = svg("rect", { x: x, y: y(t.value), width: bw, height: Math.max(h - bottom - y(t.value), 0.5), "class": cls });
      bar.appendChild(svg("title", {}, "#" + t.id + ": " + fmtDuration(t.value) + (t.target ? " (target " + fmtDuration(t.target) + ")" : "") + (t.open ? ", still waiting" : "")));
      root.appendChild(bar);
      if (t.target) { targetPath.push((i ? "L" : "M") + x + " " + y(t.target) + " L" + (x + bw) + " " + y(t.target)); }
    });
    if (targetPath.length) { root.appendChild(svg("path", { d: targetPath.join(" "), "class": "target" })); }
    root.appendChild(svg("text", { x: left, y: h - 4 }, "oldest"));
    root.appendChild(svg("text", { x: w - 4, y: h - 4, "text-anchor": "end" }, "latest"));
  }
})();
