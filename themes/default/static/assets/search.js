// Search for the default theme: queries the index that `shequn build` writes under
// search/index/, fetching only the shards a query needs. The lookup mirrors
// `lookup` in shequn's src/search.rs: the same normalising, plural stemming and shard
// hash; Han text is matched by the longest indexed word at each character. Index data is
// put into the page with textContent only, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-query");
  var statusLine = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var base = form.getAttribute("data-index");
  var SHOWN = 30;
  var cache = {};

  function fetchJson(name) {
    if (!cache[name]) {
      cache[name] = fetch(base + name).then(function (r) {
        if (!r.ok) throw new Error(name + ": " + r.status);
        return r.json();
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

  // [{han: bool, text}] of the normalised query.
  function runs(text) {
    var out = [], current = "", currentHan = false;
    Array.from(text.normalize("NFKC").toLowerCase()).forEach(function (c) {
      var han = isHan(c), wordy = han || WORDY.test(c);
      if (current && (!wordy || han !== currentHan)) {
        out.push({ han: currentHan, text: currentHan ? current : stem(current) });
        current = "";
      }
      if (wordy) { current += c; currentHan = han; }
    });
    if (current) out.push({ han: currentHan, text: currentHan ? current : stem(current) });
    return out;
  }

  function shardOf(term, shards) {
    var chars = Array.from(term);
    var key = chars.length && isHan(chars[0]) ? chars[0] : chars.slice(0, 2).join("");
    var hash = 0x811c9dc5;
    new TextEncoder().encode(key).forEach(function (b) {
      hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
    });
    return hash % shards;
  }

  async function terms(query, meta) {
    var shard = function (t) { return fetchJson("t" + shardOf(t, meta.term_shards) + ".json"); };
    var out = [];
    for (var run of runs(query)) {
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
    return out;
  }

  async function lookup(query) {
    var meta = await fetchJson("meta.json");
    var wanted = await terms(query, meta);
    if (!wanted.length) return { terms: [], hits: [] };
    var scores = null;
    for (var term of wanted) {
      var shard = await fetchJson("t" + shardOf(term, meta.term_shards) + ".json");
      var postings = Object.prototype.hasOwnProperty.call(shard, term) ? shard[term] : [];
      var idf = Math.log(1 + meta.documents / Math.max(1, postings.length / 2));
      var these = new Map(), doc = 0;
      for (var k = 0; k < postings.length; k += 2) {
        doc += postings[k];
        these.set(doc, postings[k + 1] * idf);
      }
      if (scores === null) { scores = these; continue; }
      var both = new Map();
      scores.forEach(function (s, d) { if (these.has(d)) both.set(d, s + these.get(d)); });
      scores = both;
    }
    var ranked = Array.from(scores.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    var shown = ranked.slice(0, SHOWN);
    var hits = await Promise.all(shown.map(async function (entry) {
      var d = entry[0];
      var rows = await fetchJson("d" + (d % meta.doc_shards) + ".json");
      var row = rows[Math.floor(d / meta.doc_shards)];
      return { kind: row[0], title: row[1], url: row[2], text: row[3] };
    }));
    return { terms: wanted, hits: hits, total: ranked.length };
  }

  // Lower case that keeps every index in place, for finding matches in the text.
  function lowerInPlace(text) {
    return Array.from(text).map(function (c) {
      var l = c.toLowerCase();
      return Array.from(l).length === 1 && l.length === c.length ? l : c;
    }).join("");
  }

  // Appends the text around the first match to `into`, each match in a <mark>.
  function snippet(text, words, into) {
    var lower = lowerInPlace(text);
    var first = -1;
    words.forEach(function (w) {
      var at = lower.indexOf(w);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    });
    var start = Math.max(0, first - 60);
    var end = Math.min(text.length, Math.max(first, 0) + 160);
    if (start > 0) into.appendChild(document.createTextNode("…"));
    var i = start;
    while (i < end) {
      var next = -1, len = 0;
      words.forEach(function (w) {
        var at = lower.indexOf(w, i);
        if (at >= 0 && at < end && (next < 0 || at < next)) { next = at; len = w.length; }
      });
      if (next < 0) { into.appendChild(document.createTextNode(text.slice(i, end))); break; }
      if (next > i) into.appendChild(document.createTextNode(text.slice(i, next)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(next, next + len);
      into.appendChild(mark);
      i = next + len;
    }
    if (end < text.length) into.appendChild(document.createTextNode("…"));
  }

  function show(result) {
    list.replaceChildren();
    var n = result.total || 0;
    if (!n) {
      statusLine.textContent = form.getAttribute("data-no-results");
      return;
    }
    var template = form.getAttribute(n === 1 ? "data-results-one" : "data-results");
    statusLine.textContent = template.replace("{n}", String(n));
    result.hits.forEach(function (hit) {
      var item = document.createElement("li");
      item.className = "card search-result";
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
      snippet(hit.text, result.terms, text);
      item.append(heading, kind, text);
      list.appendChild(item);
    });
  }

  var latest = 0;
  function run(query) {
    var ticket = ++latest;
    if (!query.trim()) { list.replaceChildren(); statusLine.textContent = ""; return; }
    lookup(query).then(function (result) {
      if (ticket === latest) show(result);
    }, function () {
      if (ticket === latest) statusLine.textContent = form.getAttribute("data-failed");
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run(input.value);
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) { input.value = initial; run(initial); }
})();
