// kb: search without a user interface — where the site and its API live, the anonymous session,
// the API call with its time limit and the switch to the static fallback index, click and
// feedback events, and the text helpers (normalisation, word matching, safe highlighting) that
// search-fallback.js and search-ui.js share. No framework: window.kbSearch is the whole surface.
(function () {
  "use strict";

  var API_TIMEOUT_MS = 1500;    // slower than this and the fallback index answers instead
  var API_RETRY_MS = 30000;     // after a failure, try the API again only this much later
  var DOWN_KEY = "kb.search.api-down-until";
  var SESSION_KEY = "kb.session";

  // The site root: this script is <root>/assets/kb/search-core.js, wherever the site is mounted.
  var script = document.currentScript;
  var root = script && script.src ? new URL("../../", script.src).href : siteRootFromConfig();
  // Where the API lives: the site root, unless the site is hosted apart from the service
  // (extra.kb.api_url in mkdocs.yml; the service must list this site in cors_origins).
  var apiMeta = document.querySelector('meta[name="kb-api"]');
  var api = apiMeta && apiMeta.content ? apiMeta.content.replace(/\/?$/, "/") : root;

  function siteRootFromConfig() {
    var node = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(node.textContent).base || "."; } catch (e) { /* Material's default */ }
    return new URL(base.replace(/\/?$/, "/"), location.href).href;
  }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // blocked storage throws on access
  }

  // A random id grouping one browser's searches, clicks and votes; nothing personal in it.
  function session() {
    var store = storage("localStorage");
    var id = store && store.getItem(SESSION_KEY);
    if (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) return id;
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    try { if (store) store.setItem(SESSION_KEY, id); } catch (e) { /* private mode: one id per page */ }
    return id;
  }

  function headers(json) {
    var h = { "X-KB-Session": session() };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  function apiDown() {
    var store = storage("sessionStorage");
    return store && Number(store.getItem(DOWN_KEY) || 0) > Date.now();
  }

  // ``none``: there is no search service here at all (a static host answers 404 or a page, by
  // design), as opposed to a service that is down for now.
  function markApiDown(none) {
    var store = storage("sessionStorage");
    try {
      if (store) store.setItem(DOWN_KEY, String(Date.now() + API_RETRY_MS));
      if (store) store.setItem(DOWN_KEY + ":none", none ? "1" : "");
    } catch (e) { /* ignore */ }
  }

  function noService() {
    var store = storage("sessionStorage");
    return !!(store && store.getItem(DOWN_KEY + ":none"));
  }

  function fromApi(text, limit, exact) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, API_TIMEOUT_MS);
    var url = api + "api/search?source=site&limit=" + limit + (exact ? "&exact=1" : "") +
      "&q=" + encodeURIComponent(text);
    return fetch(url, { headers: headers(false), signal: controller.signal, cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          var error = new Error("search API: " + response.status);
          error.noService = response.status === 404 || response.status === 405 ||
            (response.ok && type.indexOf("application/json") === -1);
          throw error;
        }
        return response.json();
      })
      .then(function (data) {
        if (!data || !Array.isArray(data.hits)) throw new Error("search API: unexpected answer");
        data.fallback = false;
        return data;
      })
      .finally(function () { clearTimeout(timer); });
  }

  // The answer to ``text``: {query, corrected, hits, query_id, fallback}. The API first; when it
  // fails or is slow, the static index (and the API is left alone for a while).
  // ``exact``: the words as typed, no keyboard-layout or typo correction.
  function search(text, limit, exact) {
    limit = limit || 10;
    // result.fallback: "static" on a site without a search service (nothing to apologise
    // for), true when the service could not answer now
    var fallback = function () {
      return Promise.resolve(window.kbSearch.fallback(text, limit, exact)).then(function (result) {
        if (result && result.fallback && noService()) result.fallback = "static";
        return result;
      });
    };
    if (apiDown()) return fallback();
    return fromApi(text, limit, exact).catch(function (error) {
      markApiDown(error && error.noService);
      return fallback();
    });
  }

  // Fire and forget, and survive the navigation that usually follows (keepalive).
  // (Tried even when searches go to the fallback: a vote is worth one more request.)
  function post(path, body) {
    return fetch(api + path, {
      method: "POST", headers: headers(true), body: JSON.stringify(body), keepalive: true,
    }).then(function (r) { return r.ok; }, function () { return false; });
  }

  function click(queryId, articleId, rank) {
    if (!queryId) return Promise.resolve(false);  // a fallback answer was never recorded
    return post("api/click", { query_id: queryId, article_id: articleId, rank: rank });
  }

  function feedback(articleId, helpful, comment) {
    var body = { article_id: articleId, helpful: helpful };
    if (comment) body.comment = comment.slice(0, 2000);
    return post("api/feedback", body);
  }

  // ---- text: the browser's share of search.engine.analysis (NFKC, lower case, ё→е, words) ----------

  function normalize(text) {
    return String(text).normalize("NFKC").toLowerCase().replace(/ё/g, "е").replace(/\u2011/g, "-").replace(/\u00ad/g, "");
  }

  function words(text) {
    return normalize(text).match(/[\p{L}\p{N}]+/gu) || [];
  }

  function commonPrefix(a, b) {
    var n = Math.min(a.length, b.length), i = 0;
    while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
    return i;
  }

  // How well query word ``q`` matches word ``w`` of an article: 1 the same word, 0.8 a word it
  // begins (still typing, or an ending added), 0.7 the same stem with another ending
  // ("оплатил" ~ "оплата", "терминале" ~ "терминал"), else 0. Crude, but it needs no dictionary.
  function wordMatch(q, w) {
    if (q === w) return 1;
    if (q.length >= 3 && w.lastIndexOf(q, 0) === 0) return 0.8;
    if (q.length >= 4 && w.length >= 4) {
      var common = commonPrefix(q, w);
      if (common >= 4 && common >= Math.max(q.length, w.length) - 3) return 0.7;
    }
    return 0;
  }

  // Words a reader types that say nothing when marked: negation and the words every question
  // is wrapped in (the server marks none of them either).
  var UNMARKED = {};
  ("не нет ни и а но или в во на с со по за для от до из к ко о об у как что где когда почему " +
   "зачем какой какая какие можно ли я мне мой моя мои the a an to of in on for is are not no my i how what why")
    .split(" ").forEach(function (w) { UNMARKED[w] = true; });

  // Append ``text`` to ``node`` with the words that match ``terms`` in <mark>. DOM only, no HTML.
  function highlight(node, text, terms) {
    var re = /[\p{L}\p{N}]+/gu, last = 0, m;
    terms = terms.filter(function (t) { return !UNMARKED[t]; });
    text = String(text || "");
    while ((m = re.exec(text)) !== null) {
      var w = normalize(m[0]);
      if (!terms.some(function (t) { return wordMatch(t, w) > 0; })) continue;
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement("mark");
      mark.textContent = m[0];
      node.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  // The API's snippet is escaped HTML with <mark> around matches. Trust none of it: parse it
  // inertly and rebuild it from text nodes and MARK elements only.
  function appendSnippet(node, html) {
    var doc = new DOMParser().parseFromString("<body>" + String(html || ""), "text/html");
    (function walk(from) {
      from.childNodes.forEach(function (child) {
        if (child.nodeType === 3) {
          node.appendChild(document.createTextNode(child.nodeValue));
        } else if (child.nodeType === 1 && child.nodeName === "MARK") {
          var mark = document.createElement("mark");
          mark.textContent = child.textContent;
          node.appendChild(mark);
        } else if (child.nodeType === 1) {
          walk(child);
        }
      });
    })(doc.body);
    return node;
  }

  // A hit's URL (relative to the site root) as an absolute URL on this site; anything that is
  // not a plain relative path (another host, javascript:) is refused.
  function articleUrl(url) {
    url = String(url || "");
    if (/^[a-z][a-z0-9+.-]*:|^\/\/|^\\/i.test(url)) return root;
    return new URL(url.replace(/^\/+/, ""), root).href;
  }

  function searchPageUrl(text, exact) {
    return root + "search/?q=" + encodeURIComponent(text) + (exact ? "&exact=1" : "");
  }

  window.kbSearch = {
    root: root,
    api: api,
    search: search,
    click: click,
    feedback: feedback,
    session: session,
    normalize: normalize,
    words: words,
    wordMatch: wordMatch,
    highlight: highlight,
    appendSnippet: appendSnippet,
    articleUrl: articleUrl,
    searchPageUrl: searchPageUrl,
    fallback: function () { return Promise.reject(new Error("search-fallback.js is not loaded")); },
  };
})();
