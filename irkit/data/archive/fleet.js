"use strict";
// irkit fleet report. Host data is rendered with textContent only, never as markup.
(function () {
  const DATA = JSON.parse(document.getElementById("irkit-fleet-data").textContent);
  // Control, C1, bidi and zero-width characters (as irkit/console.py INVISIBLE), lone surrogates.
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]|[\uD800-\uDFFF]/gu;

  function show(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) value = value.map(show).join(", ");
    return String(value).replace(CONTROL, function (ch) {
      const code = ch.charCodeAt(0);
      return code <= 0xff ? "\\x" + code.toString(16).padStart(2, "0")
        : "\\u" + code.toString(16).padStart(4, "0");
    });
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = show(text);
    if (cls) node.className = cls;
    return node;
  }

  function mount(name) { return document.querySelector('.mount[data-section="' + name + '"]'); }

  function table(columns, rows, makeRow) {
    if (!rows.length) return el("p", "nothing matches", "empty");
    const t = el("table");
    const head = t.createTHead().insertRow();
    for (const c of columns) head.appendChild(el("th", c));
    const body = t.createTBody();
    for (const row of rows) body.appendChild(makeRow(row));
    return t;
  }

  function row(cells, cls) {
    const tr = el("tr", null, cls);
    for (const cell of cells) tr.appendChild(cell instanceof Node ? cell : el("td", cell));
    return tr;
  }

  const iocsByHost = new Map();
  for (const ioc of DATA.iocs) {
    for (const host of ioc.host_list) {
      if (!iocsByHost.has(host)) iocsByHost.set(host, []);
      iocsByHost.get(host).push(ioc);
    }
  }
  const untrusted = h => !h.intact || !h.complete;

  const text = document.getElementById("f-text");
  const verdict = document.getElementById("f-verdict");
  const onlyUntrusted = document.getElementById("f-untrusted");
  const status = document.getElementById("f-status");

  function visibleHosts() {
    const needle = text.value.trim().toLowerCase();
    return DATA.hosts.filter(h =>
      (!verdict.value || h.verdict === verdict.value)
      && (!onlyUntrusted.checked || untrusted(h))
      && (!needle || String(h.host).toLowerCase().includes(needle)
          || (iocsByHost.get(h.host) || []).some(i => String(i.value).toLowerCase().includes(needle))));
  }

  function render() {
    const hosts = visibleHosts();
    const shown = new Set(hosts.map(h => h.host));
    status.textContent = hosts.length + " of " + DATA.hosts.length + " hosts";

    mount("hosts").replaceChildren(table(
      ["host", "verdict", "reason", "bundles", "intact", "complete", "last collected", "first sign"],
      hosts, h => {
        const tr = row([h.host, el("td", h.verdict, "verdict-" + h.verdict), h.reason, h.bundles,
          h.intact ? "yes" : "NO", h.complete ? "yes" : "NO", h.last_collected, h.first_sign],
          untrusted(h) ? "untrusted" : "");
        tr.dataset.host = show(h.host);
        return tr;
      }));

    const shared = DATA.iocs
      .map(i => ({ioc: i, hosts: i.host_list.filter(h => shown.has(h))}))
      .filter(s => s.ioc.hosts > 1 && s.hosts.length);
    const cut = DATA.shared_total > shared.length && !text.value && !verdict.value
      && !onlyUntrusted.checked;
    mount("shared").replaceChildren(table(
      ["type", "value", "hosts", "carried by (shown)", "all rows from intact bundles"], shared,
      s => row([s.ioc.ioc_type, el("td", s.ioc.value, "mono"), s.ioc.hosts, s.hosts,
        s.ioc.trusted ? "yes" : "NO"], s.ioc.trusted ? "" : "untrusted")));
    if (cut) mount("shared").appendChild(el("p", "the " + shared.length + " most widespread of "
      + DATA.shared_total + " shared IOCs; irkit archive prevalence --min-hosts 2 lists them all", "empty"));

    const columns = DATA.iocs.slice(0, DATA.matrix_iocs).filter(i => i.host_list.some(h => shown.has(h)));
    const carriers = hosts.filter(h => (iocsByHost.get(h.host) || []).length);
    const wrap = el("div", null, "matrix-wrap");
    if (!columns.length) wrap.appendChild(el("p", "nothing matches", "empty"));
    else {
      const t = el("table");
      const head = t.createTHead().insertRow();
      head.appendChild(el("th", "host"));
      for (const i of columns) {
        const th = el("th", i.value, "ioc");
        th.title = show(i.ioc_type + ": " + i.value);
        head.appendChild(th);
      }
      const body = t.createTBody();
      for (const h of carriers) {
        const carried = new Set(iocsByHost.get(h.host));
        const tr = body.insertRow();
        tr.dataset.host = show(h.host);
        tr.appendChild(el("th", h.host));
        for (const i of columns) tr.appendChild(carried.has(i) ? el("td", "●", "hit") : el("td", ""));
      }
      wrap.appendChild(t);
    }
    mount("matrix").replaceChildren(wrap);
    if (DATA.iocs_total > DATA.matrix_iocs) wrap.appendChild(el("p", "the " + DATA.matrix_iocs
      + " most widespread of " + DATA.iocs_total + " IOCs", "empty"));

    const signs = hosts.filter(h => h.first_sign)
      .sort((a, b) => a.first_sign < b.first_sign ? -1 : a.first_sign > b.first_sign ? 1 : 0);
    mount("signs").replaceChildren(table(["first sign", "host", "what", "verdict"], signs,
      h => row([el("td", h.first_sign, "mono"), h.host, h.first_sign_what,
        el("td", h.verdict, "verdict-" + h.verdict)])));
  }

  for (const control of [text, verdict, onlyUntrusted]) {
    control.addEventListener("input", render);
    control.addEventListener("change", render);
  }
  document.getElementById("filters").addEventListener("submit", e => e.preventDefault());
  if (DATA.not_intact) {
    const note = document.getElementById("integrity-note");
    note.textContent = DATA.not_intact + " bundle(s) are NOT INTACT: their rows are marked and may have been altered after collection.";
    note.hidden = false;
  }
  render();
  document.body.dataset.ready = "1";
})();
