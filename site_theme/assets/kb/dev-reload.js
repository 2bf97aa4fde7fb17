// kb serve --dev: reload the page when the site has been rebuilt; show build errors.
(function () {
  "use strict";
  // The endpoint sits at the site root: the script's own URL minus assets/kb/dev-reload.js.
  var endpoint = new URL("../../__kb/reload", document.currentScript.src).pathname;
  var version = null;
  function banner(text) {
    var box = document.getElementById("kb-dev-errors");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "kb-dev-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:40vh;overflow:auto;" +
        "margin:0;padding:1em;background:#b71c1c;color:#fff;font-size:13px;z-index:1000;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = text;
  }
  function poll() {
    fetch(endpoint + "?since=" + encodeURIComponent(version === null ? "" : version), { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        var changed = version !== null && state.version !== version;
        version = state.version;
        if (changed && !state.errors) { location.reload(); return; }
        banner(state.errors || "");
        poll();
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
