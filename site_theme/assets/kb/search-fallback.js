// kb: search in the browser from the static index search/index.json (written by kb build, see
// generator/fallback.py) — what the search box answers from when the API cannot.
//
// Words only: a query word matches an article word that is the same, that it begins, or that
// shares its stem (kbSearch.wordMatch); title words weigh most, then aliases, headings, section
// and summary; rare words weigh more than common ones; articles that match every word of the
// query come first. A word typed in the wrong keyboard layout ("jgkfnf" for "оплата") is
// retyped when the other layout finds something and the typed one finds nothing.
(function () {
  "use strict";

  var kb = window.kbSearch;
  var WEIGHT = { title: 3, aliases: 2, headings: 1.2, section: 1, summary: 1 };
  var loading = null;

  // ---- keyboard layouts, as search.engine.analysis (ЙЦУКЕН <-> QWERTY) ------------------------------
  var EN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./";
  var RU = "ёйцукенгшщзхъфывапролджэячсмитьбю.";
  var EN_TO_RU = {}, RU_TO_EN = {};
  for (var i = 0; i < EN.length; i++) {
    EN_TO_RU[EN[i]] = RU[i];
    EN_TO_RU[EN[i].toUpperCase()] = RU[i].toUpperCase();
    if (i < EN.length - 1) {
      RU_TO_EN[RU[i]] = EN[i];
      RU_TO_EN[RU[i].toUpperCase()] = EN[i].toUpperCase();
    }
  }

  function retype(chunk, table) {
    return Array.prototype.map.call(chunk, function (c) { return table[c] || c; }).join("");
  }

  // "ru" or "en" when ``chunk`` (one word as typed) could have been meant in the other layout.
  function otherLayout(chunk) {
    var letters = Array.prototype.filter.call(chunk, function (c) { return /\p{L}/u.test(c) || ",.;'[]`".indexOf(c) !== -1; });
    if (!letters.length || letters.length < chunk.replace(/^[!?"()«»]+|[!?"()«»]+$/g, "").length) return null;
    if (letters.every(function (c) { return c in EN_TO_RU; }) && letters.some(function (c) { return /\p{L}/u.test(c); })) return "ru";
    if (letters.every(function (c) { return /[а-яё]/i.test(c); })) return "en";
    return null;
  }

  // ---- the index ---------------------------------------------------------------------------
  function build(data) {
    var f = {};
    data.fields.forEach(function (name, i) { f[name] = i; });
    var docs = [], vocab = new Map(), buckets = new Map();

    function add(word, doc, weight) {
      var postings = vocab.get(word);
      if (!postings) {
        postings = new Map();
        vocab.set(word, postings);
        var key = word.slice(0, 2);
        if (!buckets.has(key)) buckets.set(key, []);
        buckets.get(key).push(word);
      }
      if ((postings.get(doc) || 0) < weight) postings.set(doc, weight);
    }

    data.articles.forEach(function (row, doc) {
      var item = {
        id: row[f.id], url: row[f.url], title: row[f.title],
        section: data.sections[row[f.section]] || "", summary: row[f.summary] || "",
      };
      item.titleText = " " + kb.words(item.title).join(" ") + " ";
      docs.push(item);
      kb.words(item.title).forEach(function (w) { add(w, doc, WEIGHT.title); });
      String(row[f.aliases] || "").split(" ").forEach(function (w) { if (w) add(w, doc, WEIGHT.aliases); });
      String(row[f.headings] || "").split(" ").forEach(function (w) { if (w) add(w, doc, WEIGHT.headings); });
      kb.words(item.section).forEach(function (w) { add(w, doc, WEIGHT.section); });
      kb.words(item.summary).forEach(function (w) { add(w, doc, WEIGHT.summary); });
    });

    // One-word synonyms: "симка" also looks for "sim-карта" (every word of it).
    var synonyms = new Map();
    (data.synonyms || []).forEach(function (group) {
      group.forEach(function (member) {
        var own = kb.words(member);
        if (own.length !== 1) return;
        var others = group.filter(function (m) { return m !== member; }).map(kb.words);
        synonyms.set(own[0], (synonyms.get(own[0]) || []).concat(others));
      });
    });
    return { docs: docs, vocab: vocab, buckets: buckets, stop: new Set(data.stop || []), synonyms: synonyms };
  }

  function load() {
    if (!loading) {
      loading = fetch(kb.root + "search/index.json")
        .then(function (r) { if (!r.ok) throw new Error("search/index.json: " + r.status); return r.json(); })
        .then(build);
      loading.catch(function () { loading = null; });  // try again on the next query
    }
    return loading;
  }

  // doc → best score of one query word over the vocabulary.
  function matchWord(index, q) {
    var scores = new Map();
    var candidates = q.length >= 3 ? index.buckets.get(q.slice(0, 2)) || [] : (index.vocab.has(q) ? [q] : []);
    candidates.forEach(function (w) {
      var m = kb.wordMatch(q, w);
      if (!m) return;
      index.vocab.get(w).forEach(function (weight, doc) {
        var s = m * weight;
        if ((scores.get(doc) || 0) < s) scores.set(doc, s);
      });
    });
    return scores;
  }

  // The word and its synonyms; a synonym of several words counts where all of them match.
  function matchWithSynonyms(index, q) {
    var scores = matchWord(index, q);
    (index.synonyms.get(q) || []).forEach(function (phrase) {
      var parts = phrase.map(function (w) { return matchWord(index, w); });
      parts[0].forEach(function (s, doc) {
        var min = s;
        for (var i = 1; i < parts.length; i++) min = Math.min(min, parts[i].get(doc) || 0);
        if (min > (scores.get(doc) || 0)) scores.set(doc, min);
      });
    });
    return scores;
  }

  function knows(index, word) {
    return matchWord(index, word).size > 0;
  }

  // The query with words typed in the wrong layout retyped, where that finds more.
  function fixLayout(index, text) {
    var changed = false;
    var fixed = text.split(/\s+/).filter(Boolean).map(function (chunk) {
      var to = otherLayout(chunk);
      if (!to) return chunk;
      var typed = kb.words(chunk), other = retype(chunk, to === "ru" ? EN_TO_RU : RU_TO_EN);
      if (typed.some(function (w) { return knows(index, w); })) return chunk;
      var meant = kb.words(other);
      if (!meant.length || !meant.every(function (w) { return knows(index, w); })) return chunk;
      changed = true;
      return other;
    });
    return changed ? fixed.join(" ") : null;
  }

  function rank(index, text, limit) {
    var all = kb.words(text);
    var terms = all.filter(function (w) { return !index.stop.has(w); });
    if (!terms.length) terms = all;
    var n = index.docs.length, totals = new Map(), matched = new Map();
    terms.forEach(function (q) {
      var scores = matchWithSynonyms(index, q);
      var idf = Math.log(1 + n / Math.max(1, scores.size));
      scores.forEach(function (s, doc) {
        totals.set(doc, (totals.get(doc) || 0) + s * idf);
        matched.set(doc, (matched.get(doc) || 0) + 1);
      });
    });
    var phrase = " " + terms.join(" ") + " ";
    var results = [];
    totals.forEach(function (total, doc) {
      var coverage = matched.get(doc) / terms.length;
      var score = total * coverage * coverage;
      if (terms.length > 1 && index.docs[doc].titleText.indexOf(phrase) !== -1) score *= 1.5;
      results.push({ doc: doc, score: score });
    });
    results.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
    var top = results.length ? results[0].score : 0;
    return results.filter(function (r) { return r.score >= top * 0.2; }).slice(0, limit).map(function (r) {
      var d = index.docs[r.doc];
      return { id: d.id, url: d.url, title: d.title, section: d.section, summary: d.summary,
               snippet: "", score: Math.round(r.score * 1000) / 1000 };
    });
  }

  kb.fallback = function (text, limit, exact) {
    return load().then(function (index) {
      var corrected = exact ? null : fixLayout(index, text);
      return { query: text, corrected: corrected, hits: rank(index, corrected || text, limit || 10),
               query_id: null, fallback: true };
    });
  };
  kb.loadFallback = load;
})();
