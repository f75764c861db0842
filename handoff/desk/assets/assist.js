// calmbot agent assist on the desk's conversation page: hints on the draft
// reply (from the server, which applies the one definition of the rules)
// and the flow's next steps, insertable with one click. Hints never block
// sending. Plain JavaScript; everything is set with textContent.
(function () {
  "use strict";

  var DEBOUNCE = 400; // ms after the last keystroke before asking for hints

  document.addEventListener("DOMContentLoaded", function () {
    var id = Number(document.body.getAttribute("data-ticket"));
    var form = document.getElementById("reply-form");
    var box = document.getElementById("reply-text");
    if (document.body.getAttribute("data-page") !== "ticket" || !id || !form || !box) { return; }
    var a = new Assist(id, form, box);
    a.steps();
    watchReview(id);
  });

  // watchReview shows the review of the people's part once the ticket is
  // closed (the desk's script keeps #status current).
  function watchReview(id) {
    var status = document.getElementById("status");
    var side = document.querySelector("aside.side");
    if (!status || !side) { return; }
    var shown = false;
    function check() {
      if (shown || status.getAttribute("data-status") !== "closed") { return; }
      shown = true;
      var steps = document.getElementById("assist-steps");
      if (steps) { steps.hidden = true; } // nothing left to suggest
      call("GET", "/tickets/" + id + "/review").then(function (data) {
        side.insertAdjacentElement("afterbegin", reviewCard(data.review || {}));
      }).catch(function () { shown = false; });
    }
    new MutationObserver(check).observe(status, { attributes: true, attributeFilter: ["data-status"] });
    check();
  }

  function seconds(ns) { return Math.round((ns || 0) / 1e9) + " s"; }

  function signed(v) { return (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v).toFixed(2); }

  function reviewCard(r) {
    var card = el("section", "card assist-review");
    card.id = "assist-review";
    card.appendChild(el("h2", "", "Review"));
    var dl = el("dl", "facts");
    function row(name, value) {
      dl.appendChild(el("dt", "", name));
      dl.appendChild(el("dd", "", value));
    }
    row("Stages", (r.stages && r.stages.length ? r.stages.join(", ") : "none") +
      (r.missing && r.missing.length ? " · missing: " + r.missing.join(", ") : ""));
    var ignored = Object.keys(r.ignored || {}).map(function (k) { return k + " ×" + r.ignored[k]; });
    row("Replies", (r.replies || 0) + (ignored.length ? " · sent with hints: " + ignored.join(", ") : " · no hints ignored"));
    row("First reply", r.responded ? seconds(r.first_response) + " (target " + seconds(r.target) + (r.on_target ? ", met)" : ", missed)") : "none");
    if (r.at_handoff !== undefined || r.at_end !== undefined) {
      row("Sentiment", (r.at_handoff !== undefined ? signed(r.at_handoff) : "?") + " at handoff → " +
        (r.at_end !== undefined ? signed(r.at_end) : "?") + " at the end");
    }
    card.appendChild(dl);
    return card;
  }

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function call(method, path, body) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") { opts.headers["X-CSRF-Token"] = meta("csrf-token"); }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(meta("desk-prefix") + "/api" + path, opts).then(function (res) {
      if (res.status === 204) { return {}; }
      if (!res.ok) { throw new Error("HTTP " + res.status); }
      return res.json();
    });
  }

  function Assist(id, form, box) {
    var self = this;
    this.id = id;
    this.box = box;
    this.seq = 0;
    this.shown = {};     // key -> rule of the hints shown on this draft
    this.dismissed = {}; // key -> true
    this.current = [];   // the hints on the draft now
    this.hintList = el("ul", "assist-hints");
    this.hintList.id = "assist-hints";
    this.hintList.setAttribute("aria-live", "polite");
    this.stepsBox = el("details", "assist-steps");
    this.stepsBox.id = "assist-steps";
    this.stepsBox.appendChild(el("summary", "", "Next steps from the flow"));
    this.stepList = el("ol", "assist-step-list");
    this.stepsBox.appendChild(this.stepList);
    this.stepsBox.hidden = true;
    form.insertAdjacentElement("afterend", this.stepsBox);
    form.insertAdjacentElement("afterend", this.hintList);

    box.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.check(); }, DEBOUNCE);
    });
    // The desk's own handler sends the reply; this one only counts the
    // hints sent as they were, then starts a new draft.
    form.addEventListener("submit", function () {
      self.current.forEach(function (h) {
        if (!self.dismissed[key(h)]) { self.outcome(h.rule, "ignored"); }
      });
      self.reset();
      setTimeout(function () { self.steps(); }, 1500);
    });
  }

  function key(h) { return h.rule + "\u0000" + h.text.toLowerCase(); }

  Assist.prototype.reset = function () {
    this.seq++;
    this.shown = {};
    this.dismissed = {};
    this.current = [];
    this.render();
  };

  Assist.prototype.outcome = function (rule, outcome) {
    call("POST", "/tickets/" + this.id + "/hints/outcome", { rule: rule, outcome: outcome }).catch(function () {});
  };

  Assist.prototype.check = function () {
    var self = this;
    var text = this.box.value;
    var seq = ++this.seq;
    if (!text.trim()) { this.reset(); return; }
    call("POST", "/tickets/" + this.id + "/hints", { text: text }).then(function (data) {
      if (seq !== self.seq) { return; } // a newer draft is on its way
      var hints = data.hints || [];
      var now = {};
      hints.forEach(function (h) {
        var k = key(h);
        now[k] = true;
        if (!self.shown[k]) {
          self.shown[k] = h.rule;
          self.outcome(h.rule, "shown");
        }
      });
      // A hint shown earlier and gone now: the agent changed the wording.
      Object.keys(self.shown).forEach(function (k) {
        if (!now[k] && !self.dismissed[k]) { self.outcome(self.shown[k], "acted"); }
        if (!now[k]) { delete self.shown[k]; }
      });
      self.current = hints;
      self.render();
    }).catch(function () { /* hints are a help: never in the way */ });
  };

  Assist.prototype.render = function () {
    var self = this;
    var list = this.hintList;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    this.current.forEach(function (h) {
      if (self.dismissed[key(h)]) { return; }
      var li = el("li", "assist-hint");
      li.setAttribute("data-rule", h.rule);
      var head = el("div", "assist-hint-head");
      head.appendChild(el("span", "assist-word", "“" + h.text + "”"));
      head.appendChild(el("span", "assist-why", h.why));
      var x = el("button", "assist-dismiss", "×");
      x.type = "button";
      x.title = "Dismiss this hint";
      x.setAttribute("aria-label", "Dismiss hint on " + h.text);
      x.addEventListener("click", function () {
        self.dismissed[key(h)] = true;
        self.outcome(h.rule, "dismissed");
        self.render();
      });
      head.appendChild(x);
      li.appendChild(head);
      if (h.alternatives && h.alternatives.length) {
        var alts = el("div", "assist-alts", "Try: ");
        h.alternatives.forEach(function (alt, i) {
          if (i > 0) { alts.appendChild(document.createTextNode(" · ")); }
          alts.appendChild(el("q", "", alt));
        });
        li.appendChild(alts);
      }
      list.appendChild(li);
    });
    list.hidden = !list.firstChild;
  };

  Assist.prototype.steps = function () {
    var self = this;
    var lang = (navigator.language || "en").slice(0, 2);
    call("GET", "/tickets/" + this.id + "/steps?lang=" + encodeURIComponent(lang)).then(function (data) {
      var steps = data.steps || [];
      var list = self.stepList;
      while (list.firstChild) { list.removeChild(list.firstChild); }
      steps.forEach(function (s) {
        var li = el("li", "assist-step");
        li.setAttribute("data-kind", s.kind);
        var head = el("div", "assist-step-head");
        head.appendChild(el("span", "assist-step-label", s.label));
        var ins = el("button", "assist-insert", "Insert");
        ins.type = "button";
        ins.title = "Put this text in the reply box, to edit before sending";
        ins.addEventListener("click", function () { self.insert(s.customer); });
        head.appendChild(ins);
        li.appendChild(head);
        var text = el("p", "assist-step-text", s.customer);
        text.lang = s.lang;
        li.appendChild(text);
        if (s.agent_lang !== s.lang) {
          var tr = el("p", "assist-step-agent", s.agent);
          tr.lang = s.agent_lang;
          li.appendChild(tr);
        }
        list.appendChild(li);
      });
      self.stepsBox.hidden = steps.length === 0;
      if (steps.length && !self.stepsBox.dataset.seen) {
        self.stepsBox.open = true;
        self.stepsBox.dataset.seen = "1";
      }
    }).catch(function () { self.stepsBox.hidden = true; });
  };

  Assist.prototype.insert = function (text) {
    var box = this.box;
    box.value = box.value.trim() ? box.value.replace(/\s*$/, "") + "\n" + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };
})();
