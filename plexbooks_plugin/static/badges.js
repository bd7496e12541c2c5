/* plexbooks badges for host pages: re-checks every [data-plexbooks-title] badge of the page with
 * one POST /api/availability call per 500 books, and shows or hides each badge.
 *
 * Loaded by the badge_assets() macro after plexbooks.js (whose window.plexbooks.api sends the request
 * with the CSRF token) and with data-availability-url and data-csrf-token on this script tag. window.plexbooksBadges.refresh(root?) re-checks after the host changed its list;
 * it resolves to the availability results in badge order.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var BATCH = 500;

  function setting(name, fallback) {
    var value = script && script.getAttribute(name);
    return value || fallback;
  }

  function question(badge) {
    var book = {
      title: badge.getAttribute("data-plexbooks-title") || "",
      author: badge.getAttribute("data-plexbooks-author") || null
    };
    var asin = badge.getAttribute("data-plexbooks-asin");
    var narrator = badge.getAttribute("data-plexbooks-narrator");
    if (asin) book.asin = asin;
    if (narrator) book.narrator = narrator;
    return book;
  }

  function ask(url, books) {
    return window.plexbooks.api("POST", url, { books: books }).then(function (res) {
      if (!res.ok) throw new Error("plexbooks availability answered " + res.status);
      return res.data.results || [];
    });
  }

  function apply(badge, result) {
    var available = !!(result && result.available);
    badge.hidden = !available;
    badge.setAttribute("data-plexbooks-rating-key", available && result.rating_key ? result.rating_key : "");
    badge.dispatchEvent(new CustomEvent("plexbooks:availability", { bubbles: true, detail: result || null }));
  }

  function refresh(root) {
    var url = setting("data-availability-url", "/plexbooks/api/availability");
    var badges = Array.prototype.slice.call((root || document).querySelectorAll("[data-plexbooks-title]"));
    badges = badges.filter(function (b) { return b.getAttribute("data-plexbooks-title"); });
    var batches = [];
    for (var i = 0; i < badges.length; i += BATCH) batches.push(badges.slice(i, i + BATCH));
    return Promise.all(batches.map(function (group) {
      return ask(url, group.map(question)).then(function (results) {
        group.forEach(function (badge, n) { apply(badge, results[n]); });
        return results;
      });
    })).then(function (parts) { return [].concat.apply([], parts); });
  }

  window.plexbooksBadges = { refresh: refresh };

  // Badges are already decided on the server; data-auto="true" re-checks once the page has loaded.
  if (setting("data-auto", "false") === "true") {
    var start = function () {
      refresh().catch(function (err) {
        // The server-rendered badges stay as they are; a console note is enough for the host's developer.
        if (window.console) console.warn(err);
      });
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
