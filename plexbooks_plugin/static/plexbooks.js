/* plexbooks pages: live scan progress, the connection test and library picker, the sign-in wait, small
 * helpers. Every page works without this script (forms post normally); it only avoids reloads.
 *
 * window.plexbooks.api(method, url, body?) is the one fetch helper (JSON, same-origin cookies, the
 * X-CSRFToken header); badges.js uses it too. No inline script anywhere: the pages send a strict CSP. */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function csrfToken() {
    // Plugin pages carry <meta name="csrf-token">; host pages get it on the badge_assets() script tag.
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute("content")) return meta.getAttribute("content");
    var tagged = document.querySelector("script[data-csrf-token]");
    return tagged ? tagged.getAttribute("data-csrf-token") : "";
  }

  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function count(n) {
    return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US");
  }

  function message(container, kind, text) {
    if (!container) return;
    container.innerHTML = "";
    container.appendChild(el("div", { className: "pb-alert pb-alert--" + kind, role: "status", text: text }));
  }

  /* ---------------------------------------------------------------- local times */

  function localTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime") + (/[zZ]|[+-]\d\d:?\d\d$/.test(node.getAttribute("datetime")) ? "" : "Z"));
      if (!isNaN(when)) {
        // data-pb-seconds: a time where seconds matter (the listener's next attempt, its last notification).
        var style = node.hasAttribute("data-pb-seconds") ? "medium" : "short";
        node.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: style });
        node.title = when.toISOString();
      }
    });
  }

  /* ---------------------------------------------------------------- scan panel */

  function summaryNode(run) {
    if (run.status === "failed") {
      return el("span", { className: "pb-fielderror pb-m0", text: run.error || "The scan failed." });
    }
    if (run.status === "cancelled") {
      return el("span", { className: "muted", text: (run.error || "Cancelled") + "; nothing was removed." });
    }
    if (run.status === "running") {
      var p = run.progress || {};
      return el("span", { className: "muted", text: count(p.done || 0) + (p.total ? " of " + count(p.total) : "") + " books…" });
    }
    var s = run.summary || {};
    var c = run.changes || { badges_gained: (s["new"] || 0) + (s.updated || 0), "new": s["new"] || 0, updated: s.updated || 0,
                             removed: s.removed || 0, requests_completed: s.matched || 0 };
    var wrap = el("span", {});
    var line = el("span", { className: "pb-summary", "data-pb-changes": "" });
    function plural(n, word) { return " " + word + (n === 1 ? "" : "s"); }
    line.appendChild(el("span", {}, [el("b", { text: count(c.badges_gained) }), plural(c.badges_gained, "badge") + " gained ",
      el("span", { className: "muted", text: "(" + count(c["new"]) + " new, " + count(c.updated) + " updated)" })]));
    line.appendChild(el("span", {}, [el("b", { text: count(c.requests_completed) }), plural(c.requests_completed, "request") + " completed"]));
    line.appendChild(el("span", {}, [el("b", { text: count(c.removed) }), " removed"]));
    if (s.total !== undefined && s.total !== null) line.appendChild(el("span", {}, [el("b", { text: count(s.total) }), " seen"]));
    wrap.appendChild(line);
    if (run.warning) wrap.appendChild(el("span", { className: "pb-help pb-text-warn", text: run.warning }));
    return wrap;
  }

  function seconds(value) {
    if (value === null || value === undefined || value < 0) return "";
    if (value < 10) return value.toFixed(1) + " s";
    var whole = Math.round(value), h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), sec = whole % 60;
    if (h) return h + " h " + m + " min";
    if (m) return sec ? m + " min " + sec + " s" : m + " min";
    return sec + " s";
  }

  function runRow(table, run) {
    var body = table.querySelector("tbody");
    var row = body.querySelector('tr[data-run-id="' + run.run_id + '"]');
    if (!row) {
      row = el("tr", { "data-run-id": String(run.run_id) }, [
        el("td", { "data-label": "Run", className: "nowrap", text: "#" + run.run_id }),
        el("td", { "data-label": "Kind", text: run.kind === "full" ? "Full" : "Recently added" }),
        el("td", { "data-label": "Started", className: "nowrap" }, [el("time", { datetime: run.started_at || "", text: "just now" })]),
        el("td", { "data-label": "Duration", className: "nowrap", "data-pb-run-duration": "" }),
        el("td", { "data-label": "Status", "data-pb-run-status": "" }),
        el("td", { "data-label": "What changed", "data-pb-run-result": "" })
      ]);
      body.insertBefore(row, body.firstChild);
      var wrap = table.closest(".pb-table-wrap");
      if (wrap) wrap.hidden = false;
      var empty = document.getElementById("pb-runs-empty");
      if (empty) empty.hidden = true;
    }
    var status = row.querySelector("[data-pb-run-status]");
    status.innerHTML = "";
    status.appendChild(el("span", { className: "pb-pill pb-pill--" + run.status, text: run.status }));
    var duration = row.querySelector("[data-pb-run-duration]");
    if (duration) duration.textContent = seconds(run.duration_seconds) || "—";
    var result = row.querySelector("[data-pb-run-result]");
    result.innerHTML = "";
    result.appendChild(summaryNode(run));
  }

  /* The bar's width follows aria-valuenow/aria-valuemax (set by the server on load, by show() later);
   * without a total it is indeterminate and the attributes are removed, as ARIA asks. */
  function setProgress(track, done, total) {
    var bar = track.querySelector("[data-pb-progress-bar]");
    if (total) {
      track.classList.remove("pb-progress--indeterminate");
      track.setAttribute("aria-valuemax", String(total));
      track.setAttribute("aria-valuenow", String(Math.min(done, total)));
      bar.style.width = Math.min(100, (done * 100) / total).toFixed(1) + "%";
    } else {
      track.classList.add("pb-progress--indeterminate");
      track.removeAttribute("aria-valuemax");
      track.removeAttribute("aria-valuenow");
    }
  }

  function initialProgress() {
    document.querySelectorAll('[role="progressbar"][data-pb-progress-track]').forEach(function (track) {
      var total = Number(track.getAttribute("aria-valuemax"));
      if (total) setProgress(track, Number(track.getAttribute("aria-valuenow")) || 0, total);
    });
  }

  function scanPanel() {
    var card = document.getElementById("pb-scan-card");
    if (!card) return;
    var statusUrl = card.getAttribute("data-status-url").replace(/0$/, "");
    var startUrl = card.getAttribute("data-start-url");
    var progress = document.getElementById("pb-scan-progress");
    var messages = document.getElementById("pb-scan-messages");
    var table = document.getElementById("pb-runs");
    var buttons = document.querySelectorAll("[data-pb-scan-button]");  // the scan card's and the jobs panel's
    var cancelForm = progress.querySelector("form[data-pb-cancel]");
    var timer = null;

    function setBusy(busy) {
      buttons.forEach(function (b) { b.disabled = busy; });
    }

    function show(run) {
      progress.hidden = false;
      progress.setAttribute("data-run-id", String(run.run_id));
      progress.setAttribute("data-status", run.status);
      progress.querySelector("[data-pb-progress-kind]").textContent = run.kind === "full" ? "Full scan" : "Recently-added check";
      progress.querySelector("[data-pb-progress-run]").textContent = "(run " + run.run_id + ")";
      var pill = progress.querySelector("[data-pb-progress-status]");
      pill.className = "pb-pill pb-pill--" + run.status;
      pill.textContent = run.status;
      var p = run.progress || {};
      var done = p.done || 0;
      var total = p.total;
      if (run.status === "succeeded" && run.summary && typeof run.summary.total === "number") {
        total = total || run.summary.total;
        done = Math.max(done, total);
      }
      var track = progress.querySelector("[data-pb-progress-track]");
      var finished = run.status !== "running";
      if (total) {
        setProgress(track, done, total);
      } else if (finished) {
        setProgress(track, run.status === "succeeded" ? 1 : 0, 1);
      } else {
        setProgress(track, null, null);
      }
      progress.querySelector("[data-pb-progress-text]").textContent = total
        ? count(done) + " of " + count(total) + " books"
        : count(done) + " books" + (finished ? "" : "…");
      var took = seconds(run.duration_seconds);
      var tookNode = progress.querySelector("[data-pb-progress-took]");
      var cut = run.status === "cancelled";
      var ended = (cut ? "Cancelled" : "Finished") + (took ? (cut ? " after " : " in ") + took : "") + ".";
      if (tookNode) tookNode.textContent = finished ? ended : "";
      var summary = progress.querySelector("[data-pb-progress-summary]");
      summary.innerHTML = "";
      if (finished) summary.appendChild(summaryNode(run));
      if (cancelForm) cancelForm.hidden = finished;
      if (table) runRow(table, run);
    }

    function poll(runId) {
      clearTimeout(timer);
      setBusy(true);
      api("GET", statusUrl + runId).then(function (res) {
        if (!res.ok) {
          message(messages, "bad", res.data.message || "Could not read the scan's progress (HTTP " + res.status + ").");
          setBusy(false);
          return;
        }
        show(res.data);
        if (res.data.status === "running") {
          timer = setTimeout(function () { poll(runId); }, POLL_MS);
        } else {
          var countNode = document.querySelector("[data-pb-library-count]");
          var seen = res.data.summary && res.data.summary.total;
          // After a complete full scan the mirror holds exactly what Plex listed.
          if (countNode && res.data.kind === "full" && res.data.status === "succeeded" && typeof seen === "number") {
            countNode.textContent = count(seen) + (seen === 1 ? " book" : " books");
          }
          setBusy(false);
          localTimes();
        }
      }).catch(function () {
        timer = setTimeout(function () { poll(runId); }, POLL_MS * 3);  // a blip: keep watching
      });
    }

    if (cancelForm) {
      cancelForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var runId = progress.getAttribute("data-run-id");
        var url = cancelForm.getAttribute("data-cancel-url").replace(/\/0\/cancel$/, "/" + runId + "/cancel");
        api("POST", url).then(function (res) {
          if (!res.ok) message(messages, "warn", res.data.message || "The scan could not be cancelled (HTTP " + res.status + ").");
          poll(runId);
        });
      });
    }

    document.querySelectorAll("form[data-pb-scan]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var kind = form.querySelector('input[name="kind"]').value;
        setBusy(true);
        messages.innerHTML = "";
        api("POST", startUrl, { kind: kind }).then(function (res) {
          if (res.status === 202 || res.status === 409) {
            if (res.status === 409) message(messages, "warn", "A scan is already running; showing its progress.");
            show({ run_id: res.data.run_id, kind: kind, status: "running", progress: { done: 0, total: null }, started_at: new Date().toISOString() });
            poll(res.data.run_id);
          } else {
            message(messages, "bad", res.data.message || "The scan could not start (HTTP " + res.status + ").");
            setBusy(false);
          }
        }).catch(function () {
          message(messages, "bad", "plexbooks could not be reached. Is the server running?");
          setBusy(false);
        });
      });
    });

    var running = card.getAttribute("data-running-id");
    if (running) poll(running);
  }

  /* ---------------------------------------------------------------- settings */

  function libraryPicker(libraries, current) {
    var picker = document.getElementById("pb-library-picker");
    if (!picker) return;
    picker.innerHTML = "";
    if (!libraries.length) {
      picker.appendChild(el("input", { type: "hidden", name: "library_ids", value: current.join(",") }));
      picker.appendChild(el("div", { className: "pb-alert pb-alert--warn pb-m0" }, [
        "This server has no music-type library. In Plex, add your audiobooks as a ",
        el("strong", { text: "Music" }), " library (Plex files audiobooks as albums), then test the connection again."
      ]));
      return;
    }
    var group = el("div", { className: "pb-libraries", role: "group", "aria-label": "Audiobook libraries" });
    var hints = { audiobooks: "looks like audiobooks", music: "looks like music" };
    libraries.forEach(function (lib) {
      var id = String(lib.id);
      var input = el("input", { type: "checkbox", name: "library_ids", value: id });
      if (current.indexOf(id) >= 0) input.checked = true;
      var meta = [
        el("span", { className: "pb-library__title", text: lib.title }),
        el("span", { className: "pb-library__meta", text: " · " + (lib.item_count === null || lib.item_count === undefined ? "?" : count(lib.item_count)) + " albums" })
      ];
      if (hints[lib.looks_like]) {
        meta.push(" ", el("span", { className: "pb-pill" + (lib.looks_like === "audiobooks" ? " pb-pill--ok" : ""), "data-pb-hint": lib.looks_like, text: hints[lib.looks_like] }));
      }
      meta.push(el("br"), el("span", { className: "pb-library__meta", text: (lib.locations || []).join(", ") || "no folder listed" }));
      var label = el("label", { className: "pb-library" + (input.checked ? " is-selected" : ""), "data-pb-library": id }, [
        input, el("span", {}, meta)
      ]);
      input.addEventListener("change", function () {
        label.classList.toggle("is-selected", input.checked);
      });
      group.appendChild(label);
    });
    picker.appendChild(group);
  }

  function settingsPage() {
    var form = document.getElementById("pb-settings-form");
    if (!form) return;
    var result = document.getElementById("pb-conn-result");
    var testButton = document.getElementById("pb-test-connection");
    var picker = document.getElementById("pb-library-picker");

    function currentLibrary() {
      var boxes = form.querySelectorAll('input[type="checkbox"][name="library_ids"]');
      if (boxes.length) {
        return Array.prototype.filter.call(boxes, function (b) { return b.checked; }).map(function (b) { return b.value; });
      }
      var hidden = form.querySelector('input[type="hidden"][name="library_ids"]');
      var value = hidden ? hidden.value : (picker ? picker.getAttribute("data-current") : "");
      return value ? value.split(",") : [];
    }

    testButton.addEventListener("click", function (event) {
      event.preventDefault();
      var body = {};
      var url = form.querySelector("#plex_url").value.trim();
      var token = form.querySelector("#plex_token").value.trim();
      if (url) body.url = url;
      if (token) body.token = token;
      testButton.disabled = true;
      testButton.textContent = "Testing…";
      result.innerHTML = "";
      api("POST", form.getAttribute("data-test-url"), body).then(function (res) {
        if (res.ok) {
          var d = res.data;
          var box = el("div", { className: "pb-alert pb-alert--ok pb-conn", "data-pb-conn": "ok" }, [
            el("strong", { text: "Connected." }),
            el("dl", {}, [
              el("dt", { text: "Server" }), el("dd", { text: d.server_name || "(unnamed)" }),
              el("dt", { text: "Version" }), el("dd", { text: d.version || "unknown" }),
              el("dt", { text: "Music libraries" }), el("dd", { text: String((d.music_libraries || []).length) })
            ])
          ]);
          result.appendChild(box);
          libraryPicker(d.music_libraries || [], currentLibrary());
        } else {
          result.appendChild(el("div", { className: "pb-alert pb-alert--bad pb-conn", "data-pb-conn": "error" }, [
            el("strong", { text: "Connection failed." }), " " + (res.data.message || "HTTP " + res.status)
          ]));
        }
      }).catch(function () {
        result.appendChild(el("div", { className: "pb-alert pb-alert--bad pb-conn", text: "plexbooks could not be reached." }));
      }).then(function () {
        testButton.disabled = false;
        testButton.textContent = "Test connection";
      });
    });

    // With a server already configured, list its libraries right away so the picker is ready.
    var placeholder = document.querySelector("[data-pb-library-placeholder]");
    if (placeholder && form.getAttribute("data-configured") === "true") {
      api("GET", form.getAttribute("data-libraries-url")).then(function (res) {
        if (res.ok && Array.isArray(res.data)) libraryPicker(res.data, currentLibrary());
        else placeholder.textContent = "The libraries could not be listed: " + (res.data.message || "HTTP " + res.status) + " Test the connection to try again.";
      }).catch(function () { /* the placeholder keeps its hint */ });
    }
  }

  /* ---------------------------------------------------------------- small helpers */

  function helpers() {
    document.querySelectorAll("[data-pb-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-pb-copy"));
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = "Copied";
        });
      });
    });
    document.querySelectorAll("[data-pb-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-pb-confirm"))) event.preventDefault();
      });
    });
  }

  /* ---------------------------------------------------------------- waiting for Plex (login_pending.html) */

  function pendingSignin() {
    var box = document.querySelector(".pb-auth-pending[data-status-url]");
    if (!box) return;
    var state = document.getElementById("pb-login-state");
    var tries = 0;
    function poll() {
      tries += 1;
      api("GET", box.getAttribute("data-status-url")).then(function (res) {
        var status = res.data.status;
        if (status === "approved") { window.location.href = box.getAttribute("data-callback-url"); return; }
        if (status === "expired" || status === "none") {
          state.textContent = "The sign-in expired. Start over to try again.";
          return;
        }
        if (tries < 300) window.setTimeout(poll, 2000);
      }).catch(function () { if (tries < 300) window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1500);
  }

  function start() {
    // On a host page (badge_assets) only the helper is wanted, not the plugin pages' behaviour.
    if (!document.body || !document.body.classList.contains("pb")) return;
    localTimes();
    helpers();
    initialProgress();
    scanPanel();
    settingsPage();
    pendingSignin();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.plexbooks = { api: api, csrfToken: csrfToken };
})();
