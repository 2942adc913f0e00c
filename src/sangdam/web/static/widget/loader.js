/* Sangdam widget loader: one <script src=".../widget.js" data-key="..."> adds the
 * launcher and the chat panel. The panel is an iframe served by Sangdam, so the
 * host page's CSS and scripts can't reach into it; the launcher lives in a
 * shadow root for the same reason. */
(function () {
  "use strict";
  if (window.Sangdam && window.Sangdam.__loaded) return;
  // Calls made before this script loaded: window.Sangdam = {q: [["boot", {...}], ["track", "x"]]}.
  var early = (window.Sangdam && window.Sangdam.q) || [];
  var script = document.currentScript || document.querySelector("script[data-key][src*='widget.js']");
  if (!script) return;
  var key = script.getAttribute("data-key");
  var base = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") || (navigator.language || "en").slice(0, 2);
  lang = lang === "ko" ? "ko" : "en";

  var host = document.createElement("div");
  host.setAttribute("data-sangdam", "");
  var root = host.attachShadow({ mode: "open" });
  // A stylesheet from Sangdam's origin, not inline CSS, so strict CSPs need only allow it.
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = base + "/static/widget/launcher.css";
  var launcher = document.createElement("button");
  launcher.className = "launcher";
  launcher.type = "button";
  launcher.setAttribute("aria-label", lang === "ko" ? "상담 채팅 열기" : "Open chat");
  var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "28");
  var bubble = document.createElementNS("http://www.w3.org/2000/svg", "path");
  bubble.setAttribute("fill", "currentColor");
  bubble.setAttribute("d", "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.5 6.1L4.6 21l4.2-2.3c1 .2 2.1.3 3.2.3 5.5 0 10-3.6 10-8s-4.5-8-10-8z");
  svg.appendChild(bubble);
  launcher.appendChild(svg);
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  launcher.appendChild(badge);
  var frame = document.createElement("iframe");
  frame.className = "frame";
  frame.hidden = true;
  frame.title = lang === "ko" ? "상담 채팅" : "Chat";
  frame.setAttribute("allow", "clipboard-write");
  frame.src = base + "/widget/frame?key=" + encodeURIComponent(key) + "&lang=" + lang;
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(frame);

  function context() {
    return {
      url: location.href,
      title: document.title,
      referrer: document.referrer || null,
      locale: navigator.language || null,
      timezone: (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || null
    };
  }
  function post(message) {
    if (frame.contentWindow) frame.contentWindow.postMessage(message, base);
  }
  // The member identity of the last Sangdam.boot, sent again whenever the frame (re)loads.
  var identity = null;
  var frameReady = false;
  var tracked = [];
  function plain(value) {
    // Only data crosses into the frame (functions or DOM nodes would make postMessage throw).
    try { return JSON.parse(JSON.stringify(value === undefined ? null : value)); } catch (e) { return null; }
  }
  function boot(options) {
    options = options || {};
    identity = plain({
      memberId: options.memberId == null ? null : String(options.memberId),
      memberHash: options.memberHash || null,
      memberToken: options.memberToken || null,
      name: options.name || null,
      email: options.email || null,
      profile: options.profile || {}
    });
    if (frameReady) post({ sangdam: "boot", identity: identity });
  }
  function track(event, props) {
    var message = { sangdam: "track", event: String(event), props: plain(props || {}), context: context() };
    if (frameReady) post(message);
    else if (tracked.length < 50) tracked.push(message);
  }
  function shutdown() {
    // The member signed out: forget them in this browser, start over as a visitor.
    identity = null;
    post({ sangdam: "shutdown" });
  }
  function setOpen(open) {
    frame.hidden = !open;
    launcher.classList.toggle("open", open);
    post({ sangdam: "visibility", open: open });
  }
  launcher.addEventListener("click", function () { setOpen(frame.hidden); });
  window.addEventListener("message", function (event) {
    if (event.origin !== base || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.sangdam === "ready") {
      frameReady = true;
      post({ sangdam: "context", context: context(), open: !frame.hidden, identity: identity });
      while (tracked.length) post(tracked.shift());
    }
    if (data.sangdam === "close") setOpen(false);
    if (data.sangdam === "open") setOpen(true);
    if (data.sangdam === "unread") {
      badge.hidden = !data.count;
      badge.textContent = data.count > 9 ? "9+" : String(data.count || "");
    }
  });
  // Single-page apps change the URL without reloading: report each page.
  var lastUrl = location.href;
  function pageChanged() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    post({ sangdam: "context", context: context() });
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      setTimeout(pageChanged, 0);
      return result;
    };
  });
  window.addEventListener("popstate", pageChanged);

  window.Sangdam = {
    __loaded: true,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    boot: boot,
    track: track,
    shutdown: shutdown
  };
  early.forEach(function (call) {
    var fn = call && window.Sangdam[call[0]];
    if (typeof fn === "function") fn.apply(null, Array.prototype.slice.call(call, 1));
  });
  (document.body || document.documentElement).appendChild(host);
})();
