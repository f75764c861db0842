// calmbot chat launcher: a shop adds
//   <script src="https://chat.example.com/launcher.js" async></script>
// to its pages and gets a chat bubble that opens the chat page in a panel
// (an iframe). The chat's server must allow the shop's origin with
// --frame-ancestors. Options, as attributes of the script tag:
//   data-label     the bubble's and the panel's name ("Chat with us")
//   data-lang      the chat's language (else the browser's)
//   data-color     the bubble's colour (#1f5fbf)
//   data-position  "right" (default) or "left"
// Plain JavaScript, no dependencies; it builds elements, never HTML, and
// styles them through the CSSOM, so it works under a shop's own CSP.
(function () {
  "use strict";

  var me = document.currentScript;
  if (!me || document.querySelector("[data-calmbot-launcher]")) {
    return; // loaded twice
  }
  var chat = new URL("./", me.src);
  if (me.getAttribute("data-lang")) {
    chat.searchParams.set("lang", me.getAttribute("data-lang"));
  }
  var label = me.getAttribute("data-label") || "Chat with us";
  var color = me.getAttribute("data-color") || "#1f5fbf";
  var side = me.getAttribute("data-position") === "left" ? "left" : "right";
  var svgNS = "http://www.w3.org/2000/svg";

  var root = document.createElement("div");
  root.setAttribute("data-calmbot-launcher", "");

  var panel = document.createElement("div");
  panel.id = "calmbot-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);
  panel.hidden = true;
  css(panel, {
    position: "fixed", bottom: "88px", zIndex: "2147483000",
    width: "min(380px, calc(100vw - 32px))", height: "min(620px, calc(100vh - 112px))",
    borderRadius: "14px", overflow: "hidden", background: "#fff",
    boxShadow: "0 8px 32px rgba(0, 0, 0, 0.28)"
  });
  panel.style[side] = "16px";

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-controls", panel.id);
  button.setAttribute("aria-expanded", "false");
  button.title = label;
  css(button, {
    position: "fixed", bottom: "16px", zIndex: "2147483001",
    width: "60px", height: "60px", borderRadius: "50%", border: "0", padding: "0",
    background: color, color: "#fff", cursor: "pointer",
    boxShadow: "0 4px 16px rgba(0, 0, 0, 0.3)",
    display: "flex", alignItems: "center", justifyContent: "center"
  });
  button.style[side] = "16px";
  var bubble = icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  var cross = icon("M6 6l12 12M18 6L6 18");
  cross.style.display = "none";
  button.appendChild(bubble);
  button.appendChild(cross);

  var frame = null; // made on the first open, so a page view costs nothing
  button.addEventListener("click", function () { toggle(panel.hidden); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) {
      toggle(false);
      button.focus();
    }
  });
  // Escape inside the chat: the chat page asks its parent to close it.
  window.addEventListener("message", function (e) {
    if (e.origin === chat.origin && e.data === "calmbot:close" && !panel.hidden) {
      toggle(false);
      button.focus();
    }
  });

  root.appendChild(panel);
  root.appendChild(button);
  (document.body || document.documentElement).appendChild(root);
  fit();
  window.addEventListener("resize", fit);

  function toggle(open) {
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = chat.href;
      frame.title = label;
      css(frame, { border: "0", width: "100%", height: "100%", display: "block" });
      panel.appendChild(frame);
    }
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    bubble.style.display = open ? "none" : "";
    cross.style.display = open ? "" : "none";
    if (open) {
      frame.focus();
    }
  }

  // fit lets the panel take the whole width of a phone, above the button.
  function fit() {
    var narrow = window.innerWidth < 480;
    css(panel, narrow
      ? { left: "0", right: "0", top: "0", bottom: "88px", width: "auto", height: "auto", borderRadius: "0" }
      : { top: "auto", bottom: "88px", width: "min(380px, calc(100vw - 32px))", height: "min(620px, calc(100vh - 112px))", borderRadius: "14px" });
    if (!narrow) {
      panel.style.left = side === "left" ? "16px" : "auto";
      panel.style.right = side === "right" ? "16px" : "auto";
    }
  }

  function icon(d) {
    var svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    var path = document.createElementNS(svgNS, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  function css(node, props) {
    for (var k in props) {
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        node.style[k] = props[k];
      }
    }
  }
})();
