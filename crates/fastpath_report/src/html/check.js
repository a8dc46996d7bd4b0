// The check page: the findings with their chains; a search box and a filter by rule code.
(function () {
  const app = document.getElementById("app");
  const F = DATA.findings;
  app.append(el("h1", { text: "fastpath check" }),
    el("div", { class: "headline", id: "summary" }, el("b", { text: DATA.summary })),
    el("div", { class: "meta" }, metaItem("rules", DATA.measured ? "static and measured" : "static only (--static)")));
  const search = el("input", { type: "search", id: "search", placeholder: "search findings", "aria-label": "search" });
  const codes = [...new Set(F.map((f) => f.code))].sort();
  const filter = el("select", { id: "code", "aria-label": "rule" }, el("option", { value: "", text: "every rule" }),
    codes.map((c) => el("option", { value: c, text: c + " (" + F.filter((f) => f.code === c).length + ")" })));
  app.append(el("div", { class: "controls" }, search, filter));
  const list = el("div", { id: "findings" });
  app.append(list);
  const cards = F.map((f) => {
    const where = f.file === null ? "in the project as a whole" : f.file + ":" + f.line + ":" + f.column;
    const card = el("div", { class: "finding", dataset: { code: f.code } },
      el("div", {}, el("span", { class: "code", text: f.code }), el("span", { text: f.message })),
      el("div", { class: "where mono", text: "--> " + where + "   (" + f.name + ")" }),
      f.source === null ? "" : el("pre", { class: "mono", text: f.source }),
      f.chain.length ? el("div", {}, "import chain:",
        el("ol", { class: "chain" }, f.chain.map((l) => el("li", { class: "mono", text: l.file + ":" + l.line + ": " + l.statement })))) : "",
      f.notes.map((n) => el("div", { class: "note", text: "note: " + n })),
      f.help === null ? "" : el("div", { class: "help", text: "help: " + f.help }));
    card.searchText = [f.code, f.name, f.message, where, f.source || "", ...f.chain.map((l) => l.file + ":" + l.line + " " + l.statement), ...f.notes, f.help || ""].join(" ").toLowerCase();
    list.append(card);
    return card;
  });
  if (!F.length) list.append(el("div", { class: "finding clean", text: "No problems found." }));
  function refresh() {
    const q = search.value.trim().toLowerCase();
    cards.forEach((card, k) => {
      const show = (!q || card.searchText.includes(q)) && (!filter.value || F[k].code === filter.value);
      card.style.display = show ? "" : "none";
    });
  }
  search.addEventListener("input", refresh);
  filter.addEventListener("change", refresh);
  document.body.dataset.ready = "true";
})();
