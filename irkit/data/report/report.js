"use strict";
// irkit report. Host data is rendered with textContent only, never as markup.
(function () {
  const DATA = JSON.parse(document.getElementById("irkit-data").textContent);
  const RECORDS = DATA.records;
  const MULTI = DATA.bundles.length > 1;
  const PAGE = 200;
  // Control, C1, bidi and zero-width characters (as irkit/console.py INVISIBLE), lone surrogates.
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]|[\uD800-\uDFFF]/gu;

  function hex(code, width) { return code.toString(16).padStart(width, "0"); }

  // Control characters and lone surrogates (bytes that were not UTF-8) become visible \xNN.
  function show(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") value = Array.isArray(value) && value.every(v => typeof v !== "object")
      ? value.join(" ") : JSON.stringify(value);
    return String(value).replace(CONTROL, function (ch) {
      const code = ch.charCodeAt(0);
      if (code >= 0xdc80 && code <= 0xdcff) return "\\x" + hex(code - 0xdc00, 2);
      return code <= 0xff ? "\\x" + hex(code, 2) : "\\u" + hex(code, 4);
    });
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = show(text);
    if (cls) node.className = cls;
    return node;
  }

  function mount(name) { return document.querySelector('.mount[data-section="' + name + '"]'); }

  // A filterable, paginated table: only one page of rows is ever in the DOM.
  function pagedTable(container, columns, rows, options) {
    options = options || {};
    const wrap = el("div", null, "paged");
    const controls = el("div", null, "controls");
    const filter = el("input");
    filter.type = "search";
    filter.placeholder = "filter";
    controls.appendChild(filter);
    const status = el("span", null, "status");
    controls.appendChild(status);
    const table = el("table");
    const head = el("tr");
    columns.forEach(c => head.appendChild(el("th", c.label)));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    table.appendChild(body);
    const pager = el("div", null, "pager");
    wrap.append(controls, table, pager);
    container.appendChild(wrap);
    let haystack = null;
    let matches = rows;
    let page = 0;

    function cellText(row, c) { return c.value ? c.value(row) : row[c.key]; }

    function render() {
      body.textContent = "";
      const start = page * PAGE;
      matches.slice(start, start + PAGE).forEach(function (row) {
        const tr = el("tr");
        if (options.rowClass) { const cls = options.rowClass(row); if (cls) tr.className = cls; }
        columns.forEach(c => tr.appendChild(el("td", cellText(row, c))));
        if (options.onClick) { tr.classList.add("clickable"); tr.addEventListener("click", () => options.onClick(row, tr)); }
        body.appendChild(tr);
      });
      status.textContent = matches.length + " of " + rows.length + " rows";
      renderPager(pager, page, matches.length, p => { page = p; render(); });
    }

    function apply(text) {
      const needle = text.trim().toLowerCase();
      if (!needle) { matches = rows; } else {
        if (!haystack) haystack = rows.map(r => columns.map(c => show(cellText(r, c))).join("\u0001").toLowerCase());
        matches = rows.filter((r, i) => haystack[i].includes(needle));
      }
      page = 0;
      render();
    }
    filter.addEventListener("input", () => apply(filter.value));
    if (!rows.length) { wrap.replaceChildren(el("p", "None recorded.", "empty")); return null; }
    render();
    return { setFilter: function (text) { filter.value = text; apply(text); } };
  }

  function renderPager(pager, page, total, go) {
    pager.textContent = "";
    const pages = Math.max(1, Math.ceil(total / PAGE));
    if (pages === 1) return;
    [["« first", 0], ["‹ prev", page - 1], ["next ›", page + 1], ["last »", pages - 1]].forEach(function (b) {
      const button = el("button", b[0]);
      button.disabled = b[1] < 0 || b[1] >= pages || b[1] === page;
      button.addEventListener("click", () => go(b[1]));
      pager.appendChild(button);
    });
    pager.appendChild(el("span", "page " + (page + 1) + " of " + pages, "status"));
  }

  function recordsOf(type) {
    const rows = [];
    DATA.bundles.forEach(function (b) {
      (b.types[type] || []).forEach(i => rows.push(Object.assign({ _host: b.label }, RECORDS[i])));
    });
    return rows;
  }

  function hostColumn() { return MULTI ? [{ key: "_host", label: "host" }] : []; }

  function endpoint(address, port) {
    if (address === null || address === undefined || address === "") return port === null || port === undefined ? "" : ":" + port;
    const a = String(address).includes(":") ? "[" + address + "]" : address;
    return port === null || port === undefined ? a : a + ":" + port;
  }

  function flaggedPids() {
    const pids = new Set();
    DATA.findings.forEach(f => { if (f.pid !== null && f.pid !== undefined) pids.add(f.host + "\u0000" + f.pid); });
    return pids;
  }

  function renderIocs() {
    const rows = DATA.iocs.map(i => Object.assign({ _host: i.host }, i));
    pagedTable(mount("iocs"), hostColumn().concat([
      { label: "kind", value: r => r.kind || r.ioc_type || "" },
      { key: "value", label: "value" },
      { label: "context", value: r => r.context || r.source || r.description || "" },
      { label: "finding", value: r => r.finding || "" },
    ]), rows);
  }

  const TREE_BATCH = 2000;

  function processRow(p, depth, host, flagged) {
    const flags = (p.flags || []).slice();
    const hasFinding = flagged.has(host + "\u0000" + p.pid);
    if (hasFinding) flags.push("finding");
    const row = el("div", null, "proc" + (flags.length ? " flagged" : ""));
    row.dataset.pid = String(p.pid);
    row.dataset.host = host;
    row.style.paddingLeft = (depth * 1.4) + "em";
    row.appendChild(el("span", p.pid + " "));
    row.appendChild(el("b", (p.name || "?") + " "));
    if (flags.length) row.appendChild(el("span", "[" + flags.join(", ") + "] ", "flags"));
    row.appendChild(el("span", (p.user || p.uid) + " "));
    row.appendChild(el("span", p.cmdline && p.cmdline.length ? p.cmdline : p.exe, "cmdline"));
    row.title = show("exe " + (p.exe || "?") + "\nstarted " + (p.start_time || "?") + "\ncwd " + (p.cwd || "?")).replace(/\\x0a/g, "\n");
    return row;
  }

  function renderProcesses() {
    const container = mount("processes");
    const flagged = flaggedPids();
    let any = false;
    DATA.bundles.forEach(function (b) {
      const procs = (b.types.process || []).map(i => RECORDS[i]);
      if (!procs.length) return;
      any = true;
      if (MULTI) container.appendChild(el("h3", b.label));
      const byPid = new Map(procs.map(p => [p.pid, p]));
      const children = new Map();
      const roots = [];
      procs.forEach(function (p) {
        if (p.ppid !== p.pid && byPid.has(p.ppid)) {
          if (!children.has(p.ppid)) children.set(p.ppid, []);
          children.get(p.ppid).push(p);
        } else roots.push(p);
      });
      const order = (a, b2) => (a.pid || 0) - (b2.pid || 0);
      const stack = roots.sort(order).reverse().map(p => [p, 0]);
      const tree = el("div", null, "tree");
      container.appendChild(tree);
      const seen = new Set();
      // Big trees are drawn TREE_BATCH rows at a time, on request, to keep the page responsive.
      function more() {
        let drawn = 0;
        while (drawn < TREE_BATCH) {
          if (!stack.length) {
            // Processes in a parent cycle have no root: they are drawn as roots of their own.
            procs.filter(p => !seen.has(p)).reverse().forEach(p => stack.push([p, 0]));
            if (!stack.length) break;
          }
          const [p, depth] = stack.pop();
          if (seen.has(p)) continue;
          seen.add(p);
          drawn++;
          tree.appendChild(processRow(p, depth, b.label, flagged));
          (children.get(p.pid) || []).slice().sort(order).reverse().forEach(c => stack.push([c, depth + 1]));
        }
        if (seen.size < procs.length) {
          const button = el("button", "show more processes");
          button.addEventListener("click", () => { button.remove(); more(); });
          tree.appendChild(button);
        }
      }
      more();
    });
    if (!any) container.appendChild(el("p", "None recorded.", "empty"));
  }

  function renderSockets() {
    const flagged = flaggedPids();
    pagedTable(mount("sockets"), hostColumn().concat([
      { key: "proto", label: "proto" },
      { label: "local", value: r => endpoint(r.local_address, r.local_port) },
      { label: "remote", value: r => endpoint(r.remote_address, r.remote_port) },
      { key: "state", label: "state" },
      { key: "pid", label: "pid" },
      { key: "process_name", label: "process" },
      { key: "flags", label: "flags" },
    ]), recordsOf("socket"), {
      rowClass: r => ((r.flags && r.flags.length) || flagged.has(r._host + "\u0000" + r.pid)) ? "flagged" : "",
    });
  }

  function renderPersistence() {
    pagedTable(mount("persistence"), hostColumn().concat([
      { key: "mechanism", label: "mechanism" },
      { label: "source", value: r => r.source + (r.line !== null && r.line !== undefined ? ":" + r.line : "") },
      { key: "owner", label: "owner" },
      { key: "schedule", label: "schedule" },
      { key: "command", label: "command" },
      { key: "mtime", label: "mtime" },
      { key: "member", label: "member" },
    ]), recordsOf("persistence"));
  }

  // File modes read best in octal (0100644), as ls and stat print them.
  function column(key) {
    if (key !== "mode") return { key: key, label: key };
    return { label: key, value: r => typeof r.mode === "number" ? "0" + r.mode.toString(8) : r.mode };
  }

  const KNOWN = new Set(["process", "socket", "persistence", "finding", "ioc", "verdict"]);

  // Any other record type gets a generic table: its columns are the keys its records use.
  function renderOtherRecords() {
    const container = mount("records");
    const types = new Set();
    DATA.bundles.forEach(b => Object.keys(b.types).forEach(t => { if (!KNOWN.has(t)) types.add(t); }));
    if (!types.size) { container.appendChild(el("p", "None.", "empty")); return; }
    Array.from(types).sort().forEach(function (type) {
      const rows = recordsOf(type);
      const keys = [];
      rows.slice(0, 500).forEach(r => Object.keys(r).forEach(k => {
        if (k !== "type" && k !== "_host" && !keys.includes(k)) keys.push(k);
      }));
      container.appendChild(el("h3", type + " (" + rows.length + ")"));
      const box = el("div");
      container.appendChild(box);
      pagedTable(box, hostColumn().concat(keys.slice(0, 14).map(column)), rows, {
        onClick: r => showDetail(r),
      });
    });
  }

  let detailRow = null;
  function showDetail(record, tr) {
    const detail = document.getElementById("tl-detail");
    const clean = Object.assign({}, record);
    delete clean._host;
    detail.textContent = show(JSON.stringify(clean, null, 2)).replace(/\\x0a/g, "\n");
    detail.hidden = false;
    if (detailRow) detailRow.classList.remove("selected");
    if (tr) { tr.classList.add("selected"); detailRow = tr; }
  }

  function renderLog() {
    const rows = [];
    DATA.bundles.forEach(b => b.log.forEach(i => rows.push(Object.assign({ _host: b.label }, RECORDS[i]))));
    pagedTable(mount("log"), hostColumn().concat([
      { key: "time", label: "time" },
      { key: "collector", label: "collector" },
      { key: "step", label: "step" },
      { key: "outcome", label: "outcome" },
      { key: "error", label: "error" },
      { key: "detail", label: "detail" },
    ]), rows, { rowClass: r => (r.outcome === "error" || r.outcome === "interrupted") ? "flagged" : "" });
  }

  let membersTable = null;
  function renderMembers() {
    const rows = [];
    DATA.bundles.forEach(b => b.members.forEach(m => rows.push(Object.assign({ _host: b.label }, m))));
    membersTable = pagedTable(mount("members"), hostColumn().concat([
      { key: "name", label: "member" },
      { key: "sha256", label: "sha256" },
      { key: "size", label: "size" },
      { key: "source", label: "source" },
      { key: "collector", label: "collector" },
      { key: "acquired", label: "acquired" },
      { label: "partial", value: r => r.partial ? "PARTIAL" : "" },
    ]), rows);
  }

  // The timeline: filters run over all events, only one page of matching rows is rendered.
  function renderTimeline() {
    const tl = DATA.timeline;
    const events = tl.events;
    const container = mount("timeline");
    const text = document.getElementById("tl-text");
    const type = document.getElementById("tl-type");
    const from = document.getElementById("tl-from");
    const to = document.getElementById("tl-to");
    const status = document.getElementById("tl-status");
    tl.types.forEach(function (t, i) {
      const option = el("option", t);
      option.value = String(i);
      type.appendChild(option);
    });
    const table = el("table");
    const head = el("tr");
    ["time (UTC)"].concat(MULTI ? ["host"] : []).concat(["type", "description", "message", "source"])
      .forEach(h => head.appendChild(el("th", h)));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    table.appendChild(body);
    const pager = el("div", null, "pager");
    container.append(table, pager);
    let haystack = null;
    let matches = events;
    let page = 0;

    function iso(ts) {
      const ms = Math.floor(ts / 1000);
      const micro = ((ts % 1000) + 1000) % 1000;
      return new Date(ms).toISOString().slice(0, 23) + String(micro).padStart(3, "0") + "Z";
    }

    function parseBound(input, end) {
      const value = input.value.trim();
      input.classList.remove("invalid");
      if (!value) return null;
      let normal = value.replace(" ", "T");
      if (/^\d{4}-\d{2}-\d{2}$/.test(normal)) normal += end ? "T23:59:59.999" : "T00:00:00";
      if (!/(Z|[+-]\d{2}:?\d{2})$/.test(normal)) normal += "Z";
      const ms = Date.parse(normal);
      if (isNaN(ms)) { input.classList.add("invalid"); return null; }
      return ms * 1000 + (end ? 999 : 0);
    }

    function render() {
      body.textContent = "";
      const start = page * PAGE;
      matches.slice(start, start + PAGE).forEach(function (e) {
        const tr = el("tr", null, "clickable");
        tr.appendChild(el("td", iso(e[0])));
        if (MULTI) tr.appendChild(el("td", tl.hosts[e[4]]));
        tr.appendChild(el("td", tl.types[e[1]]));
        tr.appendChild(el("td", tl.descs[e[2]]));
        tr.appendChild(el("td", e[3]));
        tr.appendChild(el("td", tl.members[e[5]]));
        tr.addEventListener("click", () => showDetail(RECORDS[e[6]], tr));
        body.appendChild(tr);
      });
      status.textContent = matches.length + " of " + events.length + " events";
      renderPager(pager, page, matches.length, p => { page = p; render(); });
    }

    function apply() {
      const needle = text.value.trim().toLowerCase();
      const kind = type.value === "" ? -1 : Number(type.value);
      const lo = parseBound(from, false);
      const hi = parseBound(to, true);
      if (needle && !haystack) {
        haystack = events.map(e => (e[3] + "\u0001" + tl.types[e[1]] + "\u0001" + tl.descs[e[2]] + "\u0001" +
          tl.hosts[e[4]] + "\u0001" + tl.members[e[5]]).toLowerCase());
      }
      matches = events.filter((e, i) => (kind < 0 || e[1] === kind) &&
        (lo === null || e[0] >= lo) && (hi === null || e[0] <= hi) &&
        (!needle || haystack[i].includes(needle)));
      page = 0;
      render();
    }

    if (events.length) {
      from.placeholder = iso(events[0][0]);
      to.placeholder = iso(events[events.length - 1][0]);
    }
    [text, type, from, to].forEach(input => input.addEventListener("input", apply));
    type.addEventListener("change", apply);
    render();
  }

  function wireLinks() {
    document.querySelectorAll("a.member-link").forEach(function (a) {
      a.addEventListener("click", function () {
        const name = a.dataset.member.split("#")[0];
        if (membersTable) membersTable.setFilter(name);
      });
    });
    document.querySelectorAll("a.pid-link").forEach(function (a) {
      a.addEventListener("click", function () {
        document.querySelectorAll(".proc.target").forEach(n => n.classList.remove("target"));
        document.querySelectorAll(".proc").forEach(function (n) {
          if (n.dataset.pid === a.dataset.pid && n.dataset.host === a.dataset.host) {
            n.classList.add("target");
            n.scrollIntoView({ block: "center" });
          }
        });
      });
    });
  }

  renderIocs();
  renderProcesses();
  renderSockets();
  renderPersistence();
  renderOtherRecords();
  renderTimeline();
  renderLog();
  renderMembers();
  wireLinks();
  document.body.dataset.ready = "1";
})();
