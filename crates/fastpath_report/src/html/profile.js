// The profile page: metadata, the icicle of the measured import tree, the savings table with
// its combined saving (sets of modules, as `fastpath profile --defer` computes it) and the top
// costs. DATA is described in profile/html.rs.
(function () {
  const M = DATA.modules;
  const G = DATA.graph;
  const meta = DATA.meta;
  const app = document.getElementById("app");
  const total = meta.total_us.median;
  const byName = new Map(M.map((m, i) => [m.n, i]));
  const top = (name) => name.split(".")[0];
  const originOf = (name) => { const i = byName.get(name); return i === undefined ? "other" : M[i].o; };

  // ---- Header and metadata.
  app.append(el("h1", {}, "Cold start of ", el("code", { text: meta.entry })));
  const startup = meta.startup_us;
  // Shares are of the cold start, as in the text report.
  const coldStart = (startup === null ? meta.process_us : startup) + total;
  app.append(el("div", { class: "headline" },
    startup === null
      ? el("span", {}, "imports ", el("b", { text: ms(total) }))
      : el("span", {}, "cold start = interpreter start-up + imports = ", ms(startup), " + ", ms(total),
          " = ", el("b", { text: ms(startup + total) })),
    el("span", { class: "muted", text: "  (whole process: " + ms(meta.process_us) + ")" })));
  const st = meta.stability;
  app.append(el("div", { class: "meta", id: "meta" },
    metaItem("interpreter", meta.implementation + " " + meta.version + " (" + meta.executable + ")"),
    metaItem("runs", meta.runs + " measured after " + meta.warmup + " warm-up"),
    metaItem("stability", "imports median " + ms(total) + " within ±" + (100 * st.relative_half_width).toFixed(1) +
      " % (" + Math.round(100 * st.confidence) + " % confidence), robust CV " + (100 * st.robust_cv).toFixed(1) +
      " %" + (st.converged ? "" : ", target ±" + (100 * st.target).toFixed(1) + " % not met")),
    metaItem("pinned", meta.pinned === null ? "no" : "CPU " + meta.pinned),
    metaItem("bytecode", meta.bytecode),
    metaItem("date", meta.date),
    metaItem("commit", meta.commit === null ? "not in a git repository" : meta.commit),
    metaItem("modules", String(M.length))));

  // ---- Controls.
  const search = el("input", { type: "search", id: "search", placeholder: "search modules and statements", "aria-label": "search" });
  const group = el("input", { type: "checkbox", id: "group" });
  const origins = ["project", "stdlib", "third-party", "extension", "builtin", "namespace", "other"];
  app.append(el("div", { class: "controls" }, search,
    el("label", {}, group, " group by top-level package"),
    el("div", { class: "legend" }, origins.map((o) => el("span", {}, el("span", { class: "swatch o-" + o }), o)))));

  // ---- The icicle.
  function treeNodes() {
    const root = { name: meta.entry, label: "all imports of " + meta.entry, value: total, children: [], kind: "root" };
    const nodes = M.map((m, i) => ({ name: m.n, value: m.c[0], children: [], module: i, kind: "module" }));
    M.forEach((m, i) => (m.p === null ? root : nodes[m.p]).children.push(nodes[i]));
    return root;
  }
  function groupedNodes() {
    const packages = new Map();
    M.forEach((m, i) => {
      const name = top(m.n);
      if (!packages.has(name)) packages.set(name, { name, value: 0, children: [], kind: "package" });
      const p = packages.get(name);
      p.value += m.s[0];
      p.children.push({ name: m.n, value: m.s[0], children: [], module: i, kind: "module" });
    });
    const list = [...packages.values()].sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
    list.forEach((p) => p.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1)));
    const sum = list.reduce((s, p) => s + p.value, 0);
    return { name: meta.entry, label: "all imports of " + meta.entry + ", by top-level package", value: sum, children: list, kind: "root" };
  }
  const crumbs = el("div", { class: "crumbs", id: "crumbs" });
  const icicle = el("div", { class: "icicle", id: "icicle" });
  app.append(el("h2", { text: "Import tree (width: cumulative time; click to zoom)" }), crumbs, icicle);
  let root = treeNodes();
  let focus = root;
  function link(node, parent) { node.parent = parent; node.children.forEach((c) => link(c, node)); }
  link(root, null);

  function chainOf(i) {
    const chain = [];
    const seen = new Set();
    for (let j = i; j !== null && !seen.has(j); j = M[j].i === null ? M[j].p : M[j].i) {
      seen.add(j);
      chain.unshift(j);
    }
    return chain;
  }
  function spread(stat) { return ms(stat[0]) + "  (" + ms(stat[1]) + " to " + ms(stat[2]) + ", MAD " + ms(stat[3]) + ")"; }
  function moduleTip(i) {
    const m = M[i];
    const rows = [el("div", { class: "t-name", text: m.n }),
      el("div", { class: "t-row", text: "origin: " + m.o }),
      el("div", { class: "t-row", text: "self: " + spread(m.s) }),
      el("div", { class: "t-row", text: "cumulative: " + spread(m.c) })];
    if (m.v !== null) rows.push(el("div", { class: "t-row", text: "loaded by: " + m.v }));
    const chain = chainOf(i);
    if (chain.length > 1) {
      rows.push(el("div", { class: "t-row", text: "chain from the entry:" }));
      rows.push(el("div", { class: "t-chain" }, chain.map((j) =>
        el("div", { class: "mono", text: M[j].n + (M[j].v === null ? "" : "   ← " + M[j].v) }))));
    }
    return rows;
  }
  function nodeTip(node) {
    if (node.kind === "module") return moduleTip(node.module);
    return [el("div", { class: "t-name", text: node.label || node.name }),
      el("div", { class: "t-row", text: (node.kind === "package" ? "self time of its " + node.children.length + " modules: " : "imports: ") + ms(node.value) })];
  }

  function draw() {
    const query = search.value.trim().toLowerCase();
    const cells = [];
    let depth = 0;
    function place(node, x, w, d) {
      if (w < 0.0004) return;
      depth = Math.max(depth, d);
      const origin = node.kind === "module" ? M[node.module].o : node.kind === "package" ? originOf(node.name) : "root";
      const text = (node.kind === "root" ? (node.label || node.name) : node.name) + "  " + ms(node.value);
      const cell = el("div", {
        class: "cell o-" + origin, text,
        style: { left: (100 * x) + "%", width: (100 * w) + "%", top: (22 * d) + "px" },
        dataset: { module: node.name, kind: node.kind },
        onmousemove: (e) => showTooltip(e, () => nodeTip(node)),
        onmouseleave: hideTooltip,
        onclick: () => { focus = node === focus && node.parent ? node.parent : node; hideTooltip(); draw(); },
      });
      if (query) cell.classList.add(node.name.toLowerCase().includes(query) ? "hit" : "dim");
      cells.push(cell);
      // Medians of the children can add up to more than the parent's median (each is taken
      // over runs on its own): then the children share the parent's width in proportion.
      const children = node.children.reduce((sum, c) => sum + c.value, 0);
      const basis = Math.max(node.value, children);
      const scale = basis > 0 ? w / basis : 0;
      let cursor = x;
      for (const child of node.children) {
        const cw = Math.min(child.value * scale, x + w - cursor);
        if (cw <= 0) break;
        place(child, cursor, cw, d + 1);
        cursor += cw;
      }
    }
    place(focus, 0, 1, 0);
    icicle.replaceChildren(...cells);
    icicle.style.height = (22 * (depth + 1) + 1) + "px";
    const path = [];
    for (let n = focus; n; n = n.parent) path.unshift(n);
    crumbs.replaceChildren(...path.flatMap((n, k) => [k ? " › " : "",
      k === path.length - 1 ? el("span", { text: n.kind === "root" ? "all imports" : n.name })
        : el("a", { text: n.kind === "root" ? "all imports" : n.name, onclick: () => { focus = n; draw(); } })]));
  }

  // ---- Savings: the same graph and the same pricing as `fastpath profile --defer`.
  const moduleOfGraph = G.modules.map((name) => byName.has(name) ? byName.get(name) : null);
  const out = G.modules.map(() => []);
  G.edges.forEach(([from, to, site]) => out[from].push([to, site]));
  function reachable(skip) {
    const seen = new Array(G.modules.length).fill(false);
    seen[G.root] = true;
    const queue = [G.root];
    while (queue.length) {
      const m = queue.shift();
      for (const [to, site] of out[m]) {
        if (site !== -1 && skip.has(site)) continue;
        if (!seen[to]) { seen[to] = true; queue.push(to); }
      }
    }
    return seen;
  }
  const before = reachable(new Set());
  // The graph modules that stop loading when every site in `sites` is deferred.
  function stopLoading(sites) {
    const after = reachable(new Set(sites));
    return G.modules.map((_, m) => m).filter((m) => before[m] && !after[m]);
  }
  // Median over runs of each run's summed self time over `modules` (graph indices).
  function price(modules) {
    const ids = modules.map((m) => moduleOfGraph[m]).filter((i) => i !== null);
    return median(DATA.runs.map((run) => ids.reduce((s, i) => s + (run[i] === null ? 0 : run[i]), 0))) ?? 0;
  }
  function selfMedian(m) { const i = moduleOfGraph[m]; return i === null ? 0 : M[i].s[0]; }
  function siteText(s) { const [file, line, statement] = G.sites[s]; return file + ":" + line + "  " + statement; }
  function names(modules) {
    return modules.slice().sort((a, b) => selfMedian(b) - selfMedian(a) || (G.modules[a] < G.modules[b] ? -1 : 1)).map((m) => G.modules[m]);
  }

  const ticked = new Set();
  const combined = el("div", { class: "combined", id: "combined", "aria-live": "polite" });
  function updateCombined() {
    const sites = [...ticked].map((k) => DATA.savings[k].site);
    const stop = stopLoading(sites);
    const saved = price(stop);
    const sum = [...ticked].reduce((s, k) => s + DATA.savings[k].saved_us, 0);
    combined.dataset.savedUs = String(saved);
    combined.dataset.modules = String(stop.length);
    combined.dataset.sites = String(sites.length);
    if (!sites.length) {
      combined.replaceChildren("Tick statements to see what deferring them together saves: the modules that stop loading, priced as one set.");
      return;
    }
    const list = names(stop);
    combined.replaceChildren(
      el("div", {}, "Deferring the " + sites.length + " ticked statement" + (sites.length > 1 ? "s" : "") + " together saves ",
        el("b", { id: "combined-saved", text: ms(saved) }), " (" + pct(saved, coldStart) + " of the cold start): ",
        el("b", { id: "combined-count", text: String(stop.length) }), " module" + (stop.length === 1 ? "" : "s") + " stop loading.",
        sites.length > 1 ? el("span", { class: "muted", text: "  The single savings add up to " + ms(sum) + "; the set is what really stops loading." }) : ""),
      el("div", { class: "mods mono", id: "combined-modules", text: list.slice(0, 40).join(", ") + (list.length > 40 ? ", … " + (list.length - 40) + " more" : "") }));
  }

  const savingsBody = el("tbody", {});
  const rows = DATA.savings.map((s, k) => {
    const stop = stopLoading([s.site]);
    const [file, line, statement] = G.sites[s.site];
    // A tick defers the whole line, as `--defer FILE:LINE` does (`import a, b` is two rows).
    const box = el("input", { type: "checkbox", "aria-label": "defer " + siteText(s.site),
      onchange: (e) => {
        DATA.savings.forEach((other, j) => {
          const [f, l] = G.sites[other.site];
          if (f !== file || l !== line) return;
          if (e.target.checked) ticked.add(j); else ticked.delete(j);
          rows[j].querySelector("input").checked = e.target.checked;
        });
        updateCombined();
      } });
    const row = el("tr", { dataset: { file, line: String(line), statement, savedUs: String(s.saved_us) } },
      el("td", {}, box),
      el("td", { class: "num", text: ms(s.saved_us) }),
      el("td", { class: "num", text: pct(s.saved_us, coldStart) }),
      el("td", { class: "num", text: String(s.modules) }),
      el("td", {}, el("code", { text: file + ":" + line }), "  ", el("code", { class: "muted", text: statement }),
        s.shared_modules ? el("div", { class: "muted", text: "not saved: " + s.shared_modules + " more module" + (s.shared_modules === 1 ? "" : "s") + " (" + ms(s.shared_us) + ") also load through other imports" }) : ""));
    row.searchText = (file + ":" + line + " " + statement + " " + stop.map((m) => G.modules[m]).join(" ")).toLowerCase();
    savingsBody.append(row);
    return row;
  });
  app.append(el("h2", { text: "Savings: defer import statements (tick several to combine them)" }));
  if (DATA.deferred) {
    const d = DATA.deferred;
    app.append(el("div", { class: "cli", id: "cli-deferred", dataset: { savedUs: String(d.saved_us), modules: String(d.modules.length) } },
      "On the command line, --defer " + d.sites.map(siteText).join(" and ") + " saves ", el("b", { text: ms(d.saved_us) }),
      ": " + d.modules.length + " modules stop loading."));
  }
  app.append(combined, el("table", { id: "savings" },
    el("thead", {}, el("tr", {}, el("th", { text: "defer" }), el("th", { class: "num", text: "saves" }),
      el("th", { class: "num", text: "share" }), el("th", { class: "num", text: "modules" }), el("th", { text: "statement" }))),
    savingsBody));
  if (!DATA.savings.length) savingsBody.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No statement of the project's own can be deferred." })));

  // ---- Top costs (modules, or packages when grouped).
  const costsBody = el("tbody", {});
  const costsHead = el("thead", {});
  app.append(el("h2", { id: "costs-title" }), el("table", { id: "costs" }, costsHead, costsBody));
  function drawCosts() {
    const grouped = group.checked;
    const query = search.value.trim().toLowerCase();
    document.getElementById("costs-title").textContent = grouped ? "Top packages (self time of their modules)" : "Top modules (self time)";
    costsHead.replaceChildren(el("tr", {}, el("th", { text: grouped ? "package" : "module" }), el("th", { text: "origin" }),
      el("th", { class: "num", text: "self" }), el("th", { class: "num", text: "share" }),
      el("th", { class: "num", text: grouped ? "modules" : "cumulative" }), el("th", { text: grouped ? "" : "loaded by" })));
    let items;
    if (grouped) {
      items = root.children.map((p) => [p.name, originOf(p.name), p.value, String(p.children.length), ""]);
    } else {
      items = M.map((m) => [m.n, m.o, m.s[0], ms(m.c[0]), m.v ?? ""]).sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? -1 : 1));
    }
    items = items.filter((it) => !query || it[0].toLowerCase().includes(query)).slice(0, 30);
    costsBody.replaceChildren(...items.map(([name, origin, self, fourth, via]) => el("tr", { dataset: { module: name } },
      el("td", {}, el("span", { class: "swatch o-" + origin }), el("code", { text: name })), el("td", { text: origin }),
      el("td", { class: "num", text: ms(self) }), el("td", { class: "num", text: pct(self, coldStart) }),
      el("td", { class: "num", text: fourth }), el("td", {}, el("code", { class: "muted", text: via })))));
  }

  function refresh() {
    const query = search.value.trim().toLowerCase();
    rows.forEach((row) => row.classList.toggle("hidden", query !== "" && !row.searchText.includes(query)));
    draw();
    drawCosts();
  }
  search.addEventListener("input", refresh);
  group.addEventListener("change", () => {
    root = group.checked ? groupedNodes() : treeNodes();
    link(root, null);
    focus = root;
    refresh();
  });
  updateCombined();
  refresh();
  document.body.dataset.ready = "true";
})();
