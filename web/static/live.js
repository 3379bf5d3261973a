// live.js: live updates of Strongroom's dashboards and kiosk wall screens.
//
// A page loads it from 'self' (no inline script, no eval):
//
//   <script src="/static/live.js" data-live-endpoint="/t/acme/live" defer></script>
//
// and marks what may change:
//
//   <section data-live-topic="tenant/acme/dashboard/12">
//     <div id="panel-31" data-live-target>…</div>
//   </section>
//
// It opens one WebSocket to wss:// on the page's own host, subscribes to
// every data-live-topic on the page, and on each message
// {"topic", "target", "html"} replaces the content of the element whose id
// is target — only if that element is marked data-live-target and sits
// inside the data-live-topic element of the message's topic. The html is
// a fragment the server rendered with html/template, which escaped every
// value in it, for this viewer's access; it is the only thing ever written
// with innerHTML.
//
// When the server closes the socket with 4401 (access ended: signed out,
// session ended, kiosk link revoked or expired, access withdrawn) the page
// reloads, so the server decides what to show instead. Any other close is
// answered by reconnecting after a growing, jittered delay. Without
// JavaScript the page's <noscript><meta http-equiv="refresh"> reloads it.
(function () {
  "use strict";

  var ACCESS_ENDED = 4401;
  var MIN_DELAY = 1000, MAX_DELAY = 60000;
  var RELOAD_GUARD = "strongroom.live.reloaded";

  var script = document.currentScript;
  var endpoint = (script && script.getAttribute("data-live-endpoint")) || "/live";
  // Only a path on this host: never another origin, whatever the page says.
  if (endpoint.charAt(0) !== "/" || endpoint.charAt(1) === "/" || endpoint.charAt(1) === "\\") {
    return;
  }

  var delay = MIN_DELAY;
  var socket = null;

  function topics() {
    var seen = {}, list = [];
    var els = document.querySelectorAll("[data-live-topic]");
    for (var i = 0; i < els.length; i++) {
      var t = els[i].getAttribute("data-live-topic");
      if (t && !seen[t]) {
        seen[t] = true;
        list.push(t);
      }
    }
    return list;
  }

  // target returns the element a message may replace, or null.
  function target(msg) {
    if (typeof msg.target !== "string" || typeof msg.html !== "string") {
      return null;
    }
    var el = document.getElementById(msg.target);
    if (!el || !el.hasAttribute("data-live-target")) {
      return null;
    }
    var region = el.closest("[data-live-topic]");
    if (!region || region.getAttribute("data-live-topic") !== msg.topic) {
      return null;
    }
    return el;
  }

  function onMessage(ev) {
    var msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (!msg || typeof msg.topic !== "string" || msg.status) {
      return; // "subscribed" and "refused" need no action
    }
    var el = target(msg);
    if (el) {
      el.innerHTML = msg.html; // server-rendered, escaped by html/template
      el.setAttribute("data-live-updated", String(Date.now()));
    }
  }

  // leaving is set once the page is on its way elsewhere (a link, a form
  // such as sign-out, which itself ends the socket's access): a reload
  // then would cancel that navigation.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pagehide", function () { leaving = true; });
  document.addEventListener("submit", function () { leaving = true; });

  function onClose(ev) {
    socket = null;
    document.documentElement.setAttribute("data-live-state", "closed");
    if (leaving) {
      return;
    }
    if (ev.code === ACCESS_ENDED) {
      reload();
      return;
    }
    var wait = delay / 2 + Math.random() * delay / 2;
    delay = Math.min(delay * 2, MAX_DELAY);
    window.setTimeout(connect, wait);
  }

  // reload lets the server answer for the page. A page that reloads into
  // another access-ended close within a minute stops instead of looping.
  function reload() {
    var now = Date.now(), last = 0;
    try {
      last = Number(window.sessionStorage.getItem(RELOAD_GUARD)) || 0;
      window.sessionStorage.setItem(RELOAD_GUARD, String(now));
    } catch (e) { /* storage refused: reload anyway */ }
    if (now - last < 60000) {
      document.documentElement.setAttribute("data-live-state", "ended");
      return;
    }
    window.location.reload();
  }

  function connect() {
    var list = topics();
    if (list.length === 0 || socket) {
      return;
    }
    try {
      socket = new WebSocket("wss://" + window.location.host + endpoint);
    } catch (e) {
      socket = null;
    }
    if (!socket || socket.readyState === WebSocket.CLOSED) {
      // Refused by the page's Content-Security-Policy (connect-src):
      // Chromium hands back a socket closed already, with no close event
      // to come, others throw. Retrying would be refused alike.
      socket = null;
      document.documentElement.setAttribute("data-live-state", "blocked");
      return;
    }
    socket.onopen = function () {
      delay = MIN_DELAY;
      document.documentElement.setAttribute("data-live-state", "open");
      for (var i = 0; i < list.length; i++) {
        socket.send(JSON.stringify({subscribe: list[i]}));
      }
    };
    socket.onmessage = onMessage;
    socket.onclose = onClose;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
