/* shequn member directory filter: an optional enhancement.
 * Without JavaScript every member is shown and the filter section links to the chapter
 * and tag pages. With it, the links give way to three selects (chapter, role, tag) that
 * hide the member cards that do not match. The choice is kept in the query string
 * (?chapter=…&role=…&tag=…) so that a filtered view can be shared. */
(function () {
  "use strict";

  var root = document.querySelector("[data-directory]");
  var box = root && root.querySelector("[data-directory-filters]");
  if (!box) return;

  var cards = Array.prototype.slice.call(root.querySelectorAll(".member-card"));
  var groups = Array.prototype.slice.call(root.querySelectorAll("[data-role-group]"));
  var status = box.querySelector("[data-filter-status]");
  var links = box.querySelector("[data-filter-links]");
  var label = function (name) { return box.getAttribute("data-label-" + name) || ""; };
  var dims = ["chapter", "role", "tag"];
  var selects = {};

  var form = document.createElement("form");
  form.className = "filter-form";
  form.setAttribute("role", "search");
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  dims.forEach(function (dim) {
    var anchors = box.querySelectorAll('[data-filter="' + dim + '"] [data-value]');
    if (!anchors.length) return;
    var id = "directory-filter-" + dim;
    var wrap = document.createElement("label");
    wrap.setAttribute("for", id);
    wrap.appendChild(document.createTextNode(label(dim)));
    var select = document.createElement("select");
    select.id = id;
    select.name = dim;
    var all = document.createElement("option");
    all.value = "";
    all.textContent = label("all");
    select.appendChild(all);
    Array.prototype.forEach.call(anchors, function (a) {
      var option = document.createElement("option");
      option.value = a.getAttribute("data-value");
      option.textContent = a.textContent;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { apply(true); });
    wrap.appendChild(select);
    form.appendChild(wrap);
    selects[dim] = select;
  });

  if (!Object.keys(selects).length) return;

  var reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = label("reset");
  reset.addEventListener("click", function () {
    dims.forEach(function (dim) { if (selects[dim]) selects[dim].value = ""; });
    apply(true);
  });
  form.appendChild(reset);

  box.insertBefore(form, links);
  if (links) links.hidden = true;

  // Start from the query string, when it names known values.
  var params = new URLSearchParams(window.location.search);
  dims.forEach(function (dim) {
    var s = selects[dim];
    var v = params.get(dim);
    if (s && v && Array.prototype.some.call(s.options, function (o) { return o.value === v; })) {
      s.value = v;
    }
  });

  function value(dim) { return selects[dim] ? selects[dim].value : ""; }

  function apply(remember) {
    var chapter = value("chapter");
    var role = value("role");
    var tag = value("tag");
    var shown = 0;

    cards.forEach(function (card) {
      var tags = (card.getAttribute("data-tags") || "").split(/\s+/);
      var ok = (!chapter || card.getAttribute("data-chapter") === chapter) &&
        (!role || card.getAttribute("data-role") === role) &&
        (!tag || tags.indexOf(tag) !== -1);
      card.hidden = !ok;
      if (ok) shown += 1;
    });

    groups.forEach(function (group) {
      group.hidden = !group.querySelector(".member-card:not([hidden])");
    });

    var filtered = chapter || role || tag;
    reset.hidden = !filtered;
    if (status) {
      if (!filtered) {
        status.textContent = "";
      } else if (shown === 0) {
        status.textContent = label("none");
      } else {
        status.textContent = label("showing")
          .replace("{shown}", String(shown))
          .replace("{total}", String(cards.length));
      }
    }

    if (remember && window.history && window.history.replaceState) {
      var q = new URLSearchParams(window.location.search);
      dims.forEach(function (dim) {
        if (value(dim)) q.set(dim, value(dim)); else q.delete(dim);
      });
      var search = q.toString();
      window.history.replaceState(null, "",
        window.location.pathname + (search ? "?" + search : "") + window.location.hash);
    }
  }

  apply(false);
})();
