/* The demo host's page script: request buttons, the request list, admin actions, notifications.
 * Everything it does goes through plexbooks' public JSON API or the host's own hook endpoints. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var ACTIVE = { pending: 1, searching: 1, downloading: 1 };

  // plexbooks.js (loaded before this script by badge_assets() in the head) owns the one fetch helper:
  // JSON, same-origin cookies and the X-CSRFToken header from <meta name="csrf-token">.
  var call = window.plexbooks.api;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plexLink(url, title) {
    var link = el("a", "d-plex-link", "Open in Plex");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.setAttribute("data-open-in-plex", "");
    if (title) link.appendChild(el("span", "d-visually-hidden", ": " + title));
    return link;
  }

  /* Who asked: the request's requested_by (a name, or an object with one) when the server sends it. */
  function requester(item) {
    var who = item.requested_by;
    if (who && typeof who === "object") who = who.username || who.title || who.name || who.email || null;
    return who ? String(who) : null;
  }

  function ago(iso) {
    if (!iso) return "";
    var when = new Date(iso + (/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? "" : "Z"));
    if (isNaN(when)) return "";
    var minutes = Math.round((Date.now() - when.getTime()) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min ago";
    return when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function say(box, kind, text) {
    if (!box) return;
    box.className = box.className.replace(/\s*d-msg--\w+/g, "") + " d-msg--" + kind;
    box.textContent = text;
  }

  var requestsPanel = document.getElementById("requests");
  var prefix = requestsPanel ? requestsPanel.getAttribute("data-list-url").replace(/\/api\/requests$/, "") : "/plexbooks";
  var catalog = {};
  document.querySelectorAll(".d-book[data-request-id]").forEach(function (row) {
    catalog[row.getAttribute("data-request-id")] = row;
  });

  /* ---------------------------------------------------------------- request buttons */

  function requestBook(row, button) {
    var box = row.querySelector("[data-msg]");
    // The host (this demo's server) files the request under its own id for the signed-in user.
    button.disabled = true;
    call("POST", "/demo/requests/" + encodeURIComponent(row.getAttribute("data-request-id"))).then(function (res) {
      var d = res.data || {};
      if (res.status === 201) {
        button.textContent = "Requested";
        say(box, "ok", "Requested. The download starts now; finish it from the Requests list.");
        return call("POST", "/demo/requests/" + encodeURIComponent(d.request_id) + "/start").then(refreshRequests);
      }
      if (d.error === "already_available") {
        // Not an error: the family already owns the book. Say so kindly and point at it in Plex.
        var owned = d.book && d.book.title ? "“" + d.book.title + "”" + (d.book.author ? " by " + d.book.author : "") : "this book";
        say(box, "info", "Good news: your Plex library already has " + owned + ", so there is nothing to request. ");
        if (d.plex_web_url) box.appendChild(plexLink(d.plex_web_url, d.book && d.book.title));
        button.textContent = "In Plex";
        return;
      } else if (d.error === "already_requested") {
        say(box, "warn", "Already requested (" + (d.status || "pending") + ").");
      } else if (res.status === 401) {
        say(box, "bad", "Sign in with Plex first.");
      } else {
        say(box, "bad", d.message || "The request failed (HTTP " + res.status + ").");
      }
      button.disabled = false;
    }).catch(function () {
      say(box, "bad", "The server could not be reached.");
      button.disabled = false;
    });
  }

  document.querySelectorAll("[data-request]").forEach(function (button) {
    button.addEventListener("click", function () { requestBook(button.closest(".d-book"), button); });
  });

  /* ---------------------------------------------------------------- request list */

  var listNode = requestsPanel ? requestsPanel.querySelector("[data-requests]") : null;
  var emptyNode = requestsPanel ? requestsPanel.querySelector("[data-requests-empty]") : null;
  var busy = {};
  var lastAvailable = {};

  function hostAction(item, path, label, button) {
    var row = catalog[item.request_id];
    var box = row ? row.querySelector("[data-msg]") : null;
    busy[item.request_id] = label;
    button.disabled = true;
    call("POST", "/demo/requests/" + encodeURIComponent(item.request_id) + path).then(function (res) {
      if (!res.ok) say(box, "bad", (res.data && (res.data.message || res.data.error)) || label + " failed (HTTP " + res.status + ").");
      if (path === "/import" && res.ok) say(box, "ok", "Added to Plex; plexbooks is checking recently added…");
      if (path === "/downloaded" && res.ok) say(box, "ok", "Download finished and filed. Now add it to Plex.");
    }).then(function () {
      delete busy[item.request_id];
      refreshRequests();
    });
  }

  function renderRequests(items) {
    if (!listNode) return;
    listNode.innerHTML = "";
    if (emptyNode) emptyNode.hidden = items.length > 0;
    var becameAvailable = false;
    items.forEach(function (item) {
      var li = el("li", "d-request");
      li.setAttribute("data-request-id", item.request_id);
      li.setAttribute("data-status", item.status);
      var top = el("div", "d-request__top");
      top.appendChild(el("span", "d-request__title", item.title));
      top.appendChild(el("span", "d-pill d-pill--" + item.status, item.status));
      li.appendChild(top);
      li.appendChild(el("div", "d-request__meta", item.author || "Unknown author"));
      var who = requester(item);
      var asked = el("div", "d-request__who", (who ? "Requested by " + who : "Requested") + (item.created_at ? " · " + ago(item.created_at) : ""));
      asked.setAttribute("data-requester", who || "");
      li.appendChild(asked);
      var actions = el("div", "d-actions");
      actions.style.marginTop = "0";
      if (busy[item.request_id]) {
        actions.appendChild(el("span", "d-request__meta", busy[item.request_id] + "…"));
      } else if (ACTIVE[item.status] && catalog[item.request_id]) {
        var done = el("button", "d-btn d-btn--small", "Download completes");
        done.type = "button";
        done.addEventListener("click", function () { hostAction(item, "/downloaded", "Download completes", done); });
        actions.appendChild(done);
      } else if (item.status === "downloaded" && catalog[item.request_id]) {
        var add = el("button", "d-btn d-btn--small d-btn--primary", "Add to Plex (simulate import)");
        add.type = "button";
        add.addEventListener("click", function () { hostAction(item, "/import", "Adding to Plex", add); });
        actions.appendChild(add);
      }
      if (item.status === "available" && item.plex_web_url) actions.appendChild(plexLink(item.plex_web_url, item.title));
      if (actions.childNodes.length) li.appendChild(actions);
      listNode.appendChild(li);
      if (item.status === "available" && !lastAvailable[item.request_id]) {
        lastAvailable[item.request_id] = true;
        becameAvailable = true;
        var row = catalog[item.request_id];
        if (row) {
          say(row.querySelector("[data-msg]"), "ok", "Plex has it now: the request is available.");
          var button = row.querySelector("[data-request]");
          if (button) { button.disabled = true; button.textContent = "In Plex"; }
        }
      } else if (item.status !== "available" && catalog[item.request_id]) {
        var requested = catalog[item.request_id].querySelector("[data-request]");
        if (requested && !requested.disabled) { requested.disabled = true; requested.textContent = "Requested"; }
      }
    });
    // A request Plex now has also changes the store's badges: re-check them in one call.
    if (becameAvailable && window.plexbooksBadges) window.plexbooksBadges.refresh().catch(function () {});
  }

  function refreshRequests() {
    if (!listNode) return Promise.resolve();
    return call("GET", prefix + "/api/requests?limit=50").then(function (res) {
      if (res.ok) renderRequests(res.data.items || []);
    }).catch(function () { /* keep the last list */ });
  }

  /* ---------------------------------------------------------------- notifications */

  var eventsNode = document.getElementById("d-events");

  function refreshEvents() {
    if (!eventsNode) return Promise.resolve();
    return call("GET", eventsNode.getAttribute("data-url")).then(function (res) {
      if (!res.ok) return;
      var items = res.data.items || [];
      if (!items.length) return;
      eventsNode.innerHTML = "";
      items.forEach(function (event) {
        var when = new Date(event.at * 1000).toLocaleTimeString();
        var li = el("li", "", event.text);
        li.insertBefore(el("span", "d-muted", when + " · "), li.firstChild);
        eventsNode.appendChild(li);
      });
    }).catch(function () {});
  }

  /* ---------------------------------------------------------------- admin actions from plugin.yaml */

  var adminMsg = document.getElementById("d-admin-msg");
  document.querySelectorAll("[data-admin-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = JSON.parse(button.getAttribute("data-body") || "{}");
      button.disabled = true;
      call(button.getAttribute("data-method") || "POST", button.getAttribute("data-url"), body).then(function (res) {
        var d = res.data || {};
        adminMsg.innerHTML = "";
        if (res.status === 202 || d.error === "scan_running") {
          var text = res.status === 202 ? "Started scan run " + d.run_id + ". " : "A scan is already running (run " + d.run_id + "). ";
          adminMsg.className = "d-book__msg d-msg--ok";
          adminMsg.appendChild(document.createTextNode(text));
          var link = el("a", "", "Watch its progress");
          link.href = prefix + "/scan";
          adminMsg.appendChild(link);
        } else {
          say(adminMsg, "bad", d.message || "Failed (HTTP " + res.status + ").");
        }
      }).catch(function () {
        say(adminMsg, "bad", "The server could not be reached.");
      }).then(function () { button.disabled = false; });
    });
  });

  /* ---------------------------------------------------------------- polling */

  function tick() {
    Promise.all([refreshRequests(), refreshEvents()]).then(function () {
      setTimeout(tick, POLL_MS);
    });
  }
  if (requestsPanel && requestsPanel.getAttribute("data-signed-in") === "true") tick();
})();
