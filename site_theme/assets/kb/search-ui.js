// kb: the search box and the results page.
//
// - form[data-kb-search="dropdown"] (the header box, the home page hero, the 404 page): results
//   as the customer types, in an ARIA combobox (arrows, Enter, Escape), matched words in <mark>.
// - form[data-kb-search="page"] with [data-kb-results] (search/?q=…): the full list, updated as
//   the query changes, with the zero-results state (popular articles, support) from the template.
// Everything shown is built with createElement/textContent: the query and the API's answer are
// data, never markup. The work (API, fallback, events) is in search-core.js.
(function () {
  "use strict";

  var kb = window.kbSearch;
  var DEBOUNCE_MS = 200;
  var DROPDOWN_LIMIT = 6;
  var PAGE_LIMIT = 20;
  var FIRST_SHOWN = 8;  // the rest behind "Показать ещё": 20 results are ~3,600 px on a phone
  var MIN_CHARS = 2;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(n, one, few, many) {
    var n10 = n % 10, n100 = n % 100;
    if (n10 === 1 && n100 !== 11) return one;
    if (n10 >= 2 && n10 <= 4 && (n100 < 10 || n100 >= 20)) return few;
    return many;
  }

  function terms(result) {
    return kb.words(result.corrected || result.query);
  }

  function safeLink(url) {
    return /^(https?:|mailto:|tel:|\/|\.\.?\/)/i.test(url || "") ? url : "";
  }

  // One hit: the title with matched words marked, the section, then the server's snippet (only
  // text and <mark> kept) or the summary with matched words marked.
  // The title also gets the words the server marked in this hit's snippet (synonyms, corrected
  // words: "симка" marks "SIM-карту").
  function hitBody(link, hit, words) {
    var text = el("span", "kb-hit__text");
    if (hit.snippet) {
      kb.appendSnippet(text, hit.snippet);
      words = words.slice();
      text.querySelectorAll("mark").forEach(function (m) { words.push.apply(words, kb.words(m.textContent)); });
    } else {
      kb.highlight(text, hit.summary || "", words);
    }
    kb.highlight(link.appendChild(el("span", "kb-hit__title")), hit.title, words);
    if (hit.section) link.appendChild(el("span", "kb-hit__section", hit.section));
    if (text.textContent.trim()) link.appendChild(text);
    return link;
  }

  function recordClick(result, hit, rank) {
    kb.click(result.query_id, hit.id, rank);
  }

  // ---- the dropdown -------------------------------------------------------------------------

  var dropdowns = 0;

  function Dropdown(form) {
    var id = "kb-dd-" + (++dropdowns);
    var input = form.querySelector("input[name=q]");
    var self = this;
    this.form = form;
    this.input = input;
    this.id = id;
    this.seq = 0;
    this.active = -1;
    this.result = null;
    this.timer = 0;

    var box = this.box = el("div", "kb-dropdown");
    box.hidden = true;
    this.corrected = box.appendChild(el("p", "kb-dropdown__corrected"));
    this.list = box.appendChild(el("ul", "kb-dropdown__list"));
    this.list.id = id + "-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Подходящие статьи");
    this.empty = box.appendChild(el("div", "kb-dropdown__empty"));
    var foot = this.foot = box.appendChild(el("div", "kb-dropdown__foot"));
    this.all = foot.appendChild(el("a", "kb-dropdown__all"));
    this.note = foot.appendChild(el("span", "kb-search-note", "Упрощённый поиск: результаты могут быть менее точными"));
    this.status = el("div", "kb-visually-hidden");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    form.appendChild(box);
    form.appendChild(this.status);
    form.classList.add("kb-has-dropdown");

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);

    input.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.run(); }, DEBOUNCE_MS);
    });
    input.addEventListener("focus", function () { if (self.result && input.value.trim()) self.open(); });
    input.addEventListener("keydown", function (e) { self.key(e); });
    form.addEventListener("submit", function (e) {
      if (!input.value.trim()) { e.preventDefault(); input.focus(); }
    });
    form.addEventListener("focusout", function (e) {
      if (!e.relatedTarget || !form.contains(e.relatedTarget)) self.close();
    });
    document.addEventListener("pointerdown", function (e) {
      if (!form.contains(e.target)) self.close();
    });
    // Keep the focus in the input while an option is pressed, so the list does not close first.
    this.list.addEventListener("mousedown", function (e) { e.preventDefault(); });
  }

  Dropdown.prototype.run = function () {
    var self = this, text = this.input.value.trim(), seq = ++this.seq;
    if (text.length < MIN_CHARS) {
      this.result = null;
      this.close();
      return;
    }
    kb.search(text, DROPDOWN_LIMIT).then(function (result) {
      if (seq === self.seq) self.render(result);
    }, function () {
      if (seq === self.seq) self.render({ query: text, corrected: null, hits: [], query_id: null, fallback: true, failed: true });
    });
  };

  Dropdown.prototype.render = function (result) {
    var self = this, words = terms(result);
    this.result = result;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.list.replaceChildren();
    result.hits.forEach(function (hit, i) {
      // the link itself is the option (a link inside an option would be a control in a control)
      var item = el("li", "kb-dropdown__option");
      item.setAttribute("role", "none");
      var link = hitBody(el("a", "kb-hit"), hit, words);
      link.id = self.id + "-opt-" + i;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      link.href = kb.articleUrl(hit.url);
      link.tabIndex = -1;
      link.addEventListener("click", function () { recordClick(result, hit, i + 1); });
      item.appendChild(link);
      self.list.appendChild(item);
    });

    this.corrected.replaceChildren();
    this.corrected.hidden = !result.corrected;
    if (result.corrected) {
      // the results are already for the corrected words: say so, and offer what was typed
      this.corrected.appendChild(document.createTextNode("Показаны результаты для «"));
      this.corrected.appendChild(el("strong", "", result.corrected));
      this.corrected.appendChild(document.createTextNode("». "));
      var typed = this.corrected.appendChild(el("a", "kb-dropdown__typed", "Искать «" + result.query + "»"));
      typed.href = kb.searchPageUrl(result.query, true);
    }

    var none = !result.hits.length;
    this.empty.replaceChildren();
    this.empty.hidden = !none;
    if (none) {
      this.empty.appendChild(el("p", "", result.failed
        ? "Поиск сейчас недоступен. Попробуйте позже или напишите нам."
        : "По запросу «" + result.query + "» ничего не нашлось. Попробуйте другие слова или напишите нам."));
      var contact = safeLink(this.form.getAttribute("data-kb-contact"));
      if (contact) {
        var a = this.empty.appendChild(el("a", "kb-support-link", "Написать в поддержку"));
        a.href = contact;
      }
    }
    this.note.hidden = !result.fallback || result.fallback === "static" || result.failed;
    this.all.href = kb.searchPageUrl(result.query);
    this.all.textContent = none ? "Популярные статьи →" : "Все результаты →";
    this.foot.hidden = !!result.failed;
    this.status.textContent = none ? "Ничего не найдено"
      : "Найдено " + result.hits.length + " " + plural(result.hits.length, "статья", "статьи", "статей")
        + ". Стрелки вверх и вниз — выбор, Enter — открыть.";
    this.open();
  };

  Dropdown.prototype.open = function () {
    this.box.hidden = false;
    this.input.setAttribute("aria-expanded", String(this.list.children.length > 0));
  };

  Dropdown.prototype.close = function () {
    this.box.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.select(-1);
  };

  Dropdown.prototype.select = function (index) {
    var options = this.list.querySelectorAll("[role=option]");
    if (this.active >= 0 && options[this.active]) options[this.active].setAttribute("aria-selected", "false");
    this.active = index;
    if (index < 0) { this.input.removeAttribute("aria-activedescendant"); return; }
    options[index].setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  };

  Dropdown.prototype.key = function (e) {
    var count = this.list.children.length, isOpen = !this.box.hidden;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!count) return;
      e.preventDefault();
      if (!isOpen) this.open();
      var step = e.key === "ArrowDown" ? 1 : -1;
      var next = this.active + step;
      this.select(next >= count ? -1 : next < -1 ? count - 1 : next);
    } else if (e.key === "Enter" && isOpen && this.active >= 0) {
      e.preventDefault();
      var hit = this.result.hits[this.active];
      recordClick(this.result, hit, this.active + 1);
      location.href = kb.articleUrl(hit.url);
    } else if (e.key === "Escape" && isOpen) {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    }
  };

  // ---- the results page ---------------------------------------------------------------------

  function ResultsPage(form, root) {
    var self = this;
    this.input = form.querySelector("input[name=q]");
    this.root = root;
    this.status = root.querySelector(".kb-results__status");
    this.corrected = root.querySelector(".kb-results__corrected");
    this.list = root.querySelector(".kb-results__list");
    this.note = root.querySelector(".kb-results__note");
    this.none = root.querySelector(".kb-results__none");
    this.more = root.querySelector(".kb-results__more");
    this.next = root.querySelector(".kb-results__next");
    this.seq = 0;
    this.timer = 0;
    this.baseTitle = root.getAttribute("data-kb-title") || document.title;  // the server may have named a query

    form.addEventListener("submit", function (e) { e.preventDefault(); self.run(); });
    this.input.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.run(); }, DEBOUNCE_MS);
    });
    this.more.addEventListener("click", function () {
      var first = self.list.querySelector("li[hidden]");
      self.list.querySelectorAll("li[hidden]").forEach(function (li) { li.hidden = false; });
      self.more.hidden = true;
      if (first) first.querySelector("a").focus();  // the keyboard goes on where the list did
    });
    this.corrected.querySelector("a").addEventListener("click", function (e) {
      e.preventDefault();  // search the words as typed, without correction
      self.input.value = self.typed;
      self.exact = true;
      self.run();
    });
    var params = new URLSearchParams(location.search);
    this.input.value = params.get("q") || "";
    this.exact = params.get("exact") === "1";
    this.input.addEventListener("input", function () { self.exact = false; });
    if (this.input.value.trim()) this.run();
    else this.status.textContent = "Опишите вопрос своими словами — например, «не пришли деньги».";
  }

  ResultsPage.prototype.run = function () {
    var self = this, text = this.input.value.trim(), seq = ++this.seq;
    clearTimeout(this.timer);
    history.replaceState(null, "", text ? "?q=" + encodeURIComponent(text) + (this.exact ? "&exact=1" : "")
      : location.pathname);
    if (!text) { this.clear(); return; }
    kb.search(text, PAGE_LIMIT, this.exact).then(function (result) {
      if (seq === self.seq) self.render(result);
    }, function () {
      if (seq === self.seq) {
        self.clear();
        self.status.textContent = "Поиск сейчас недоступен. Попробуйте позже.";
      }
    });
  };

  ResultsPage.prototype.clear = function () {
    this.list.replaceChildren();
    this.corrected.hidden = this.note.hidden = this.none.hidden = this.more.hidden = this.next.hidden = true;
    this.root.classList.remove("kb-results--none");
    this.status.textContent = "";
    document.title = this.baseTitle;
  };

  ResultsPage.prototype.render = function (result) {
    var words = terms(result), n = result.hits.length;
    this.list.replaceChildren();
    result.hits.forEach(function (hit, i) {
      var item = el("li", "kb-results__item");
      var link = hitBody(el("a", "kb-hit"), hit, words);
      link.href = kb.articleUrl(hit.url);
      link.addEventListener("click", function () { recordClick(result, hit, i + 1); });
      item.appendChild(link);
      item.hidden = i >= FIRST_SHOWN;
      this.list.appendChild(item);
    }, this);
    var rest = Math.max(0, n - FIRST_SHOWN);
    this.more.hidden = !rest;
    this.more.textContent = "Показать ещё " + rest;
    this.next.hidden = !n || !this.next.querySelector(".kb-contact");
    this.status.textContent = (n ? "Найдено " + n + " " + plural(n, "статья", "статьи", "статей") + " по запросу «"
      : "По запросу «") + (result.corrected || result.query) + (n ? "»" : "» ничего не нашлось.");
    this.corrected.hidden = !result.corrected;
    this.typed = result.query;
    this.corrected.querySelector("strong").textContent = result.corrected || "";
    this.corrected.querySelector("a").textContent = "Искать «" + result.query + "»";
    this.corrected.querySelector("a").href = kb.searchPageUrl(result.query, true);
    this.note.hidden = !result.fallback || result.fallback === "static";
    this.none.hidden = n > 0;
    this.root.classList.toggle("kb-results--none", !n);
    document.title = "«" + result.query + "» — " + this.baseTitle;
  };

  // ---- the header box -----------------------------------------------------------------------

  // Material's header has no block for it: move the box (rendered after the header) into the bar,
  // before the palette switch. On phones the magnifier opens it over the header.
  function mountHeader(box) {
    var bar = document.querySelector(".md-header__inner");
    if (!bar) return;
    bar.insertBefore(box, bar.querySelector("[data-md-component=palette], .md-header__source"));
    box.hidden = false;
    var opener = box.querySelector(".kb-qs__open"), closer = box.querySelector(".kb-qs__close");
    var input = box.querySelector("input[name=q]");
    function setOpen(open) {
      box.classList.toggle("kb-qs--open", open);
      opener.setAttribute("aria-expanded", String(open));
      if (open) input.focus();
      else opener.focus();
    }
    opener.addEventListener("click", function () { setOpen(true); });
    closer.addEventListener("click", function () { setOpen(false); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && box.classList.contains("kb-qs--open")) setOpen(false);
    });
    // "/" or Ctrl+K from anywhere on the page goes to the search box, as on most sites.
    document.addEventListener("keydown", function (e) {
      var t = e.target, typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
      if ((e.key === "/" && !typing) || (e.key === "k" && (e.ctrlKey || e.metaKey))) {
        e.preventDefault();
        if (getComputedStyle(opener).display !== "none") setOpen(true);
        else input.focus();
      }
    });
  }

  function init() {
    var header = document.querySelector("[data-kb-qs]");
    if (header) mountHeader(header);
    document.querySelectorAll("form[data-kb-search=dropdown]").forEach(function (form) { new Dropdown(form); });
    var page = document.querySelector("form[data-kb-search=page]"), results = document.querySelector("[data-kb-results]");
    if (page && results) new ResultsPage(page, results);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
