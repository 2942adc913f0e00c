/* Sangdam widget loader: one <script src=".../widget.js" data-key="..."> adds the
 * launcher and the chat panel. The panel is an iframe served by Sangdam, so the
 * host page's CSS and scripts can't reach into it; the launcher lives in a
 * closed shadow root for the same reason. */
(function () {
  "use strict";
  if (window.Sangdam && window.Sangdam.__loaded) return;
  var script = document.currentScript || document.querySelector("script[data-key][src*='widget.js']");
  if (!script) return;
  var key = script.getAttribute("data-key");
  var base = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") || (navigator.language || "en").slice(0, 2);
  lang = lang === "ko" ? "ko" : "en";

  var host = document.createElement("div");
  host.setAttribute("data-sangdam", "");
  var root = host.attachShadow({ mode: "closed" });
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial}",
    ".launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;",
    "background:#3b5bdb;color:#fff;font:600 26px/60px system-ui,sans-serif;cursor:pointer;",
    "box-shadow:0 6px 20px rgba(0,0,0,.25);z-index:2147483646}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;",
    "background:#e03131;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center;padding:0 5px}",
    ".badge[hidden]{display:none}",
    ".frame{position:fixed;right:20px;bottom:92px;width:380px;height:min(640px,calc(100vh - 120px));",
    "border:0;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.25);background:#fff;z-index:2147483647}",
    ".frame[hidden]{display:none}",
    "@media (max-width:480px){.frame{right:0;bottom:0;width:100vw;height:100%;border-radius:0}",
    ".launcher.open{display:none}}"
  ].join("");
  var launcher = document.createElement("button");
  launcher.className = "launcher";
  launcher.type = "button";
  launcher.setAttribute("aria-label", lang === "ko" ? "상담 채팅 열기" : "Open chat");
  launcher.textContent = "💬";
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
  function setOpen(open) {
    frame.hidden = !open;
    launcher.classList.toggle("open", open);
    post({ sangdam: "visibility", open: open });
  }
  launcher.addEventListener("click", function () { setOpen(frame.hidden); });
  window.addEventListener("message", function (event) {
    if (event.origin !== base || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.sangdam === "ready") post({ sangdam: "context", context: context(), open: !frame.hidden });
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
    close: function () { setOpen(false); }
  };
  (document.body || document.documentElement).appendChild(host);
})();
