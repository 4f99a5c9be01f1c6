// Search for the default theme: queries the index that `shequn build` writes under
// search/index/, fetching only the parts a query needs (meta.json, the term shards of
// its words, long posting lists, the document shards of the results shown). The lookup
// mirrors `lookup` in shequn's src/search/lookup.rs: the same normalising (NFKC, lower
// case, Traditional → Simplified from t2s.txt), plural stemming, shard hash and posting
// format; Han text is matched by the longest indexed word at each character. Index data
// is put into the page with textContent only, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-query");
  var statusLine = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var base = form.getAttribute("data-index");
  var PAGE = 10;
  var cache = {};

  function fetchFile(name, json) {
    if (!cache[name]) {
      cache[name] = fetch(base + name).then(function (r) {
        if (!r.ok) throw new Error(name + ": " + r.status);
        return json ? r.json() : r.text();
      });
    }
    return cache[name];
  }

  function isHan(c) {
    var n = c.codePointAt(0);
    return (n >= 0x3400 && n <= 0x4dbf) || (n >= 0x4e00 && n <= 0x9fff) ||
      (n >= 0xf900 && n <= 0xfaff) || (n >= 0x20000 && n <= 0x2fa1f);
  }
  var WORDY = /[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]/u;

  function stem(w) {
    if (w.length <= 3 || !/^[a-z]+$/.test(w)) return w;
    if (w.length > 4 && /ies$/.test(w)) return w.slice(0, -3) + "y";
    if (/sses$/.test(w)) return w.slice(0, -2);
    if (/(xes|ches|shes|zzes)$/.test(w)) return w.slice(0, -2);
    if (/(ss|us|is)$/.test(w)) return w;
    return /s$/.test(w) ? w.slice(0, -1) : w;
  }

  // Traditional → Simplified, from the index's t2s.txt (character, Simplified form, ...).
  function loadT2s() {
    return fetchFile("t2s.txt", false).then(function (pairs) {
      var map = new Map(), chars = Array.from(pairs);
      for (var i = 0; i + 1 < chars.length; i += 2) map.set(chars[i], chars[i + 1]);
      return map;
    });
  }

  // [{han: bool, text}] of the normalised query.
  function runs(text, t2s) {
    var out = [], current = "", currentHan = false;
    Array.from(text.normalize("NFKC").toLowerCase()).forEach(function (c) {
      var han = isHan(c), wordy = han || WORDY.test(c);
      if (current && (!wordy || han !== currentHan)) {
        out.push({ han: currentHan, text: currentHan ? current : stem(current) });
        current = "";
      }
      if (wordy) { current += han ? (t2s.get(c) || c) : c; currentHan = han; }
    });
    if (current) out.push({ han: currentHan, text: currentHan ? current : stem(current) });
    return out;
  }

  // FNV-1a of the first character of a Han term, else of the whole term.
  function shardOf(term, shards) {
    var first = Array.from(term)[0] || "";
    var key = first && isHan(first) ? first : term;
    var hash = 0x811c9dc5;
    new TextEncoder().encode(key).forEach(function (b) {
      hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
    });
    return hash % shards;
  }

  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var VALUE = {};
  for (var d = 0; d < DIGITS.length; d++) VALUE[DIGITS.charCodeAt(d)] = d;

  // Map document → weight of a posting list: gaps and weights in base64 digits, a digit
  // of 32 or more carrying 5 bits of a number that goes on.
  function decode(postings) {
    var out = new Map(), doc = 0, i = 0;
    while (i < postings.length) {
      var gap = 0, scale = 1, v;
      do {
        v = VALUE[postings.charCodeAt(i++)];
        gap += (v & 31) * scale;
        scale *= 32;
      } while (v >= 32 && i < postings.length);
      doc += gap;
      if (i >= postings.length) break;
      out.set(doc, VALUE[postings.charCodeAt(i++)]);
    }
    return out;
  }

  async function terms(query, meta, t2s) {
    var shard = function (t) { return fetchFile("t" + shardOf(t, meta.term_shards) + ".json", true); };
    var out = [];
    for (var run of runs(query, t2s)) {
      if (!run.han) { out.push(run.text); continue; }
      var chars = Array.from(run.text), i = 0;
      while (i < chars.length) {
        var rest = chars.slice(i).join("");
        var known = await shard(rest);
        var best = chars[i];
        for (var t in known) {
          if (rest.startsWith(t) && Array.from(t).length > Array.from(best).length) best = t;
        }
        i += Array.from(best).length;
        out.push(best);
      }
    }
    return out.filter(function (t, k) { return out.indexOf(t) === k; });
  }

  async function postings(term, meta) {
    var shard = await fetchFile("t" + shardOf(term, meta.term_shards) + ".json", true);
    if (!Object.prototype.hasOwnProperty.call(shard, term)) return new Map();
    var entry = shard[term];
    return decode(typeof entry === "number" ? await fetchFile("p" + entry + ".txt", false) : entry);
  }

  // The ranked documents of a query: every word must match.
  async function lookup(query) {
    var hasHan = Array.from(query).some(isHan);
    var loaded = await Promise.all([fetchFile("meta.json", true), hasHan ? loadT2s() : new Map()]);
    var meta = loaded[0], t2s = loaded[1];
    var wanted = await terms(query, meta, t2s);
    if (!wanted.length) return { terms: [], ranked: [], meta: meta, t2s: t2s };
    var lists = await Promise.all(wanted.map(function (t) { return postings(t, meta); }));
    var scores = null;
    lists.forEach(function (list) {
      var idf = Math.log(1 + meta.documents / Math.max(1, list.size));
      var these = new Map();
      list.forEach(function (w, doc) { these.set(doc, w * idf); });
      if (scores === null) { scores = these; return; }
      var both = new Map();
      scores.forEach(function (s, doc) { if (these.has(doc)) both.set(doc, s + these.get(doc)); });
      scores = both;
    });
    var ranked = Array.from(scores.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return { terms: wanted, ranked: ranked.map(function (e) { return e[0]; }), meta: meta, t2s: t2s };
  }

  function documentsOf(ids, meta) {
    return Promise.all(ids.map(async function (doc) {
      var rows = await fetchFile("d" + (doc % meta.doc_shards) + ".json", true);
      var row = rows[Math.floor(doc / meta.doc_shards)];
      return { kind: row[0], title: row[1], url: row[2], text: row[3] };
    }));
  }

  // [start, end) ranges of `text` that match a term: a whole word whose stem is a term,
  // or a Han term anywhere (compared in Simplified form).
  function matches(text, result) {
    var ranges = [], wordTerms = new Set(), hanTerms = [];
    result.terms.forEach(function (t) {
      if (isHan(Array.from(t)[0])) hanTerms.push(t); else wordTerms.add(t);
    });
    var word = /[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]+/gu, m;
    while ((m = word.exec(text))) {
      var w = m[0];
      if (Array.from(w).some(isHan)) continue;
      if (wordTerms.has(stem(w.normalize("NFKC").toLowerCase()))) ranges.push([m.index, m.index + w.length]);
    }
    if (hanTerms.length) {
      // Han characters keep their length in UTF-16 when mapped, so indexes agree.
      var simple = text.replace(/[\u3400-\u9fff]/g, function (c) { return result.t2s.get(c) || c; });
      hanTerms.forEach(function (t) {
        for (var at = simple.indexOf(t); at >= 0; at = simple.indexOf(t, at + t.length)) ranges.push([at, at + t.length]);
      });
    }
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    return ranges;
  }

  // Appends the text around the first match to `into`, each match in a <mark>.
  function snippet(text, result, into) {
    var ranges = matches(text, result);
    var first = ranges.length ? ranges[0][0] : 0;
    var start = Math.max(0, first - 60), end = Math.min(text.length, start + 220);
    if (start > 0) into.appendChild(document.createTextNode("…"));
    var i = start;
    ranges.forEach(function (r) {
      if (r[0] < i || r[1] > end) return;
      if (r[0] > i) into.appendChild(document.createTextNode(text.slice(i, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      into.appendChild(mark);
      i = r[1];
    });
    if (i < end) into.appendChild(document.createTextNode(text.slice(i, end)));
    if (end < text.length) into.appendChild(document.createTextNode("…"));
  }

  function item(hit, result) {
    var li = document.createElement("li");
    li.className = "card search-result";
    var heading = document.createElement("h2");
    heading.className = "card-title";
    var link = document.createElement("a");
    link.href = hit.url;
    link.textContent = hit.title;
    heading.appendChild(link);
    var kind = document.createElement("p");
    kind.className = "card-meta";
    kind.textContent = form.getAttribute("data-kind-" + hit.kind) || hit.kind;
    var text = document.createElement("p");
    text.className = "card-summary";
    snippet(hit.text, result, text);
    li.append(heading, kind, text);
    return li;
  }

  var latest = 0, current = null, shown = 0;

  // Shows the next page of results; resolves to the first new link.
  async function showMore(ticket) {
    var ids = current.ranked.slice(shown, shown + PAGE);
    var hits = await documentsOf(ids, current.meta);
    if (ticket !== latest) return null;
    var first = null;
    hits.forEach(function (hit) {
      var li = item(hit, current);
      list.appendChild(li);
      first = first || li.querySelector("a");
    });
    shown += ids.length;
    more.hidden = shown >= current.ranked.length;
    return first;
  }

  function fail(ticket) {
    if (ticket === latest) statusLine.textContent = form.getAttribute("data-failed");
  }

  function run(query) {
    var ticket = ++latest;
    if (!query.trim()) {
      list.replaceChildren();
      statusLine.textContent = "";
      more.hidden = true;
      return;
    }
    lookup(query).then(function (result) {
      if (ticket !== latest) return;
      current = result;
      shown = 0;
      list.replaceChildren();
      var n = result.ranked.length;
      var template = form.getAttribute(n === 0 ? "data-no-results" : n === 1 ? "data-results-one" : "data-results");
      statusLine.textContent = template.replace("{n}", String(n));
      more.hidden = true;
      if (n) return showMore(ticket);
    }).catch(function () { fail(ticket); });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run(input.value);
  });
  more.addEventListener("click", function () {
    var ticket = latest;
    showMore(ticket).then(function (link) { if (link) link.focus(); }, function () { fail(ticket); });
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) { input.value = initial; run(initial); }
})();
