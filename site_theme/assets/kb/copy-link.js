// kb: copy links people can send — the article's short link, and the link to any heading
// (clicking a heading's ¶ copies its full URL as well as jumping to it).
(function () {
  "use strict";
  var live = document.createElement("div");
  live.className = "kb-copy-status";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);
  var timer = null;

  function say(text) {
    live.textContent = text;
    live.classList.add("kb-copy-status--shown");
    clearTimeout(timer);
    timer = setTimeout(function () { live.classList.remove("kb-copy-status--shown"); }, 2500);
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { say("Ссылка скопирована"); },
        function () { say("Не удалось скопировать: " + text); });
    }
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); say("Ссылка скопирована"); } finally { area.remove(); }
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest("[data-kb-copy-href]");
    if (button) {
      copy(new URL(button.getAttribute("data-kb-copy-href"), location.href).href);
      return;
    }
    var anchor = target.closest("a.headerlink");
    if (anchor) {
      copy(new URL(anchor.getAttribute("href"), location.href).href);
    }
  });
})();
