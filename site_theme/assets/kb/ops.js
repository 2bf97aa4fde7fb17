// kb: the operators' page. Results as you type from /api/link; the keyboard does everything:
// arrows choose, Enter copies "title — short link", Shift+Enter copies the link and the summary.
(function () {
  "use strict";
  var box = document.querySelector("[data-kb-ops]");
  if (!box) return;
  var input = box.querySelector(".kb-ops__input");
  var list = box.querySelector(".kb-ops__results");
  var status = box.querySelector(".kb-ops__status");
  var root = new URL("../../", document.currentScript.src).href;
  var apiMeta = document.querySelector('meta[name="kb-api"]');
  var api = apiMeta && apiMeta.content ? apiMeta.content.replace(/\/?$/, "/") : root;
  var hits = [];
  var active = -1;
  var timer = null;
  var sequence = 0;
  var queryId = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function absolute(url) {
    return new URL(url, root).href;  // the API answers absolute URLs when site_url is set
  }

  function date(iso) {
    if (!iso) return "";
    var parts = iso.split("-");
    return parts.length === 3 ? parts[2] + "." + parts[1] + "." + parts[0] : iso;
  }

  function render() {
    list.replaceChildren();
    hits.forEach(function (hit, i) {
      var item = el("li", "kb-ops__item" + (i === active ? " kb-ops__item--active" : ""));
      item.id = "kb-ops-hit-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", i === active ? "true" : "false");
      item.appendChild(el("span", "kb-ops__title", hit.title));
      item.appendChild(el("span", "kb-ops__link", absolute(hit.short_url)));
      if (hit.summary) item.appendChild(el("span", "kb-ops__summary", hit.summary));
      var votes = hit.feedback || { yes: 0, no: 0 };
      var meta = [];
      if (hit.updated) meta.push("обновлено " + date(hit.updated));
      if (votes.yes + votes.no) meta.push("помогла " + votes.yes + " из " + (votes.yes + votes.no));
      if (meta.length) item.appendChild(el("span", "kb-ops__meta", meta.join(" · ")));
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); copy(event.shiftKey); });
      list.appendChild(item);
    });
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", "kb-ops-hit-" + active);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(i) {
    active = Math.max(0, Math.min(hits.length - 1, i));
    render();
    var node = document.getElementById("kb-ops-hit-" + active);
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  function search() {
    var text = input.value.trim();
    var mine = ++sequence;
    if (!text) { hits = []; active = -1; render(); status.textContent = ""; return; }
    fetch(api + "api/link?limit=8&q=" + encodeURIComponent(text), { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        if (mine !== sequence) return;  // an older answer arriving late
        hits = data.hits || [];
        queryId = data.query_id || null;
        active = hits.length ? 0 : -1;
        render();
        status.textContent = hits.length ? "Найдено статей: " + hits.length : "Ничего не найдено";
      })
      .catch(function () {
        if (mine !== sequence) return;
        status.textContent = "Сервис поиска недоступен — попробуйте ещё раз через минуту.";
      });
  }

  function copy(withSummary) {
    var hit = hits[active];
    if (!hit) return;
    var text = hit.title + " — " + absolute(hit.short_url);
    if (withSummary && hit.summary) text = hit.summary + "\n" + absolute(hit.short_url);
    var rank = active + 1;
    var done = function () {
      status.textContent = "Скопировано: " + hit.title;
      // the copied link answers the question typed: search learns from the pair
      if (queryId && window.kbSearch) window.kbSearch.click(queryId, hit.id, rank);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { status.textContent = "Не удалось скопировать"; });
    } else {
      var area = el("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } finally { area.remove(); input.focus(); }
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); choose(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); choose(active - 1); }
    else if (event.key === "Enter") { event.preventDefault(); copy(event.shiftKey); }
    else if (event.key === "Escape") { input.value = ""; search(); }
  });
})();
