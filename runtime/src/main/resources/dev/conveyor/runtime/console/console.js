// Conveyor console: keeps the admin token in sessionStorage (once per browser session), sends
// actions as POST with Authorization: Bearer (never a cookie), refreshes the page's <main> every
// 3 s. No dependencies, no build step.
(function () {
  "use strict";
  var KEY = "conveyor.adminToken";
  var REFRESH_MS = 3000;

  function token() {
    return sessionStorage.getItem(KEY) || "";
  }

  function showToken() {
    var state = document.getElementById("token-state");
    if (state) {
      state.textContent = token() ? "token set" : "no token";
      state.className = token() ? "good" : "";
    }
  }

  function flash(text, ok) {
    var f = document.getElementById("flash");
    f.textContent = text;
    f.className = ok ? "good" : "bad";
  }

  function describe(status, body) {
    if (status === 401) return "refused: admin token required or wrong (401)";
    if (status === 403) return "refused: no admin token is configured; actions only from the daemon's host (403)";
    try {
      var j = JSON.parse(body);
      if (j.error) return "refused (" + status + "): " + j.error;
      if (typeof j.replayed === "number") return "replayed " + j.replayed + ", skipped " + j.skipped;
      if (j.state) return (j.step || j.daemon || "done") + ": " + j.state;
      if (j.results) return j.results.map(function (r) { return r.node + ": " + r.status; }).join(", ");
    } catch (e) { /* not JSON */ }
    return "answer " + status;
  }

  function act(form) {
    var headers = { "Content-Type": "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch("/ui/actions/" + encodeURIComponent(form.dataset.action), {
      method: "POST",
      headers: headers,
      body: form.dataset.body,
      credentials: "omit"
    }).then(function (r) {
      return r.text().then(function (body) {
        flash(describe(r.status, body), r.ok);
        refresh(true);
      });
    }).catch(function (e) {
      flash("failed: " + e, false);
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  var refreshing = false;
  function refresh(force) {
    var active = document.activeElement;
    if (refreshing || (!force && active && active.tagName === "INPUT")) return;
    refreshing = true;
    fetch(location.href, { headers: { "X-Console-Refresh": "1" }, credentials: "omit" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var open = Array.prototype.map.call(document.querySelectorAll("main details[open]"),
          function (d) { return d.closest("tr") ? d.closest("tr").rowIndex : -1; });
        if (fresh) {
          document.querySelector("main").replaceWith(fresh);
          fresh.querySelectorAll("details").forEach(function (d) {
            var tr = d.closest("tr");
            if (tr && open.indexOf(tr.rowIndex) >= 0) d.open = true;
          });
          document.body.dataset.refreshed = String(Date.now());
        }
      })
      .catch(function () { /* the next tick tries again */ })
      .finally(function () { refreshing = false; });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id === "token-form") {
      e.preventDefault();
      var input = form.querySelector("input[name=token]");
      if (input.value) sessionStorage.setItem(KEY, input.value);
      input.value = "";
      showToken();
    } else if (form.dataset.action) {
      e.preventDefault();
      act(form);
    }
  });

  document.addEventListener("click", function (e) {
    if (e.target.id === "token-clear") {
      sessionStorage.removeItem(KEY);
      showToken();
    }
  });

  showToken();
  setInterval(refresh, REFRESH_MS);
})();
