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

  const LONG = 48;

  // A button after `value` that copies its text as shown (escapes visible).
  function copyButton(value) {
    const button = el("button", "copy", "copy-button");
    button.type = "button";
    button.title = "copy this value";
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      copyText(value, button);
    });
    value.after(button);
  }

  function copyText(value, button) {
    function selected() {
      const range = document.createRange();
      range.selectNodeContents(value);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { return document.execCommand("copy"); } catch (e) { return false; }
    }
    function done(ok) { button.textContent = ok ? "copied" : "selected"; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value.textContent).then(() => done(true), () => done(selected()));
    } else done(selected());
  }

  // A table cell; a long value wraps inside it and gets a copy button, a short one never breaks.
  function valueCell(text, cls) {
    const shown = show(text);
    if (shown.length <= LONG) return el("td", shown, cls);
    const td = el("td", null, "long" + (cls ? " " + cls : ""));
    const value = el("span", shown, "value");
    td.appendChild(value);
    copyButton(value);
    return td;
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
    const scroll = el("div", null, "scroll");
    scroll.appendChild(table);
    wrap.append(controls, scroll, pager);
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
        columns.forEach(c => tr.appendChild(valueCell(cellText(row, c))));
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

  const SVG = "http://www.w3.org/2000/svg";
  const BINS = 160;

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(k => node.setAttribute(k, String(attrs[k])));
    return node;
  }

  // An event-density strip: one bar per bin over [lo, hi], log-scaled so one event still shows;
  // the incident window and the shown window are bands over it. Dragging picks a span.
  function densityStrip(container, events, onPick) {
    const W = 1000;
    const H = 56;
    const strip = { lo: 0, hi: 0, bins: [] };
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", role: "img" });
    const axis = el("div", null, "axis");
    const left = el("span");
    const right = el("span");
    axis.append(left, right);
    container.append(svg, axis);
    const x = t => strip.hi > strip.lo ? (t - strip.lo) / (strip.hi - strip.lo) * W : W / 2;
    const t = px => strip.lo + Math.max(0, Math.min(W, px)) / W * (strip.hi - strip.lo);
    function band(lo, hi, cls) {
      if (lo === null || hi === null || hi < strip.lo || lo > strip.hi) return;
      const a = Math.max(0, x(lo));
      const b = Math.min(W, x(hi));
      const width = Math.max(3, b - a);
      svg.appendChild(svgEl("rect", { x: Math.min(a, W - width), y: 0, width: width, height: H, class: cls }));
    }
    strip.draw = function (lo, hi, bands) {
      strip.lo = lo;
      strip.hi = hi;
      svg.textContent = "";
      const counts = new Array(BINS).fill(0);
      const span = hi - lo;
      let first = lowerBound(events, lo);
      for (let i = first; i < events.length && events[i][0] <= hi; i++) {
        const bin = span > 0 ? Math.min(BINS - 1, Math.floor((events[i][0] - lo) / span * BINS)) : 0;
        counts[bin]++;
      }
      strip.bins = counts;
      bands.forEach(b => band(b[0], b[1], b[2]));
      const top = Math.log1p(Math.max(1, ...counts));
      const barW = W / BINS;
      counts.forEach(function (n, i) {
        if (!n) return;
        const h = Math.max(2, Math.log1p(n) / top * (H - 4));
        const bar = svgEl("rect", { x: i * barW + 0.5, y: H - h, width: Math.max(1, barW - 1), height: h, class: "bar" });
        bar.appendChild(svgEl("title", {})).textContent = n + " event(s) from " + iso(lo + span * i / BINS);
        svg.appendChild(bar);
      });
      left.textContent = iso(lo);
      right.textContent = iso(hi);
    };
    let down = null;
    let brush = null;
    function px(event) {
      const box = svg.getBoundingClientRect();
      return box.width ? (event.clientX - box.left) / box.width * W : 0;
    }
    svg.addEventListener("pointerdown", function (event) {
      down = px(event);
      brush = svgEl("rect", { x: down, y: 0, width: 0, height: H, class: "brush" });
      svg.appendChild(brush);
      if (svg.setPointerCapture) svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", function (event) {
      if (down === null) return;
      const now = px(event);
      brush.setAttribute("x", String(Math.min(down, now)));
      brush.setAttribute("width", String(Math.abs(now - down)));
    });
    svg.addEventListener("pointerup", function (event) {
      if (down === null) return;
      const now = px(event);
      const start = down;
      down = null;
      if (Math.abs(now - start) < 4) {
        // A click opens the bin under it.
        const bin = Math.floor(Math.max(0, Math.min(W - 1, now)) / (W / BINS));
        const size = (strip.hi - strip.lo) / BINS;
        onPick(strip.lo + bin * size, strip.lo + (bin + 1) * size);
      } else {
        onPick(t(Math.min(start, now)), t(Math.max(start, now)));
      }
    });
    return strip;
  }

  // Index of the first event at or after `time` (events are sorted by time).
  function lowerBound(events, time) {
    let a = 0;
    let b = events.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (events[mid][0] < time) a = mid + 1; else b = mid;
    }
    return a;
  }

  function iso(ts) {
    const ms = Math.floor(ts / 1000);
    const micro = ((Math.round(ts) % 1000) + 1000) % 1000;
    const date = new Date(ms);
    if (isNaN(date.getTime())) return String(ts);
    return date.toISOString().slice(0, 23) + String(micro).padStart(3, "0") + "Z";
  }

  // The timeline: it opens on the incident window, newest first. Filters run over all events;
  // only one page of matching rows is rendered.
  function renderTimeline() {
    const tl = DATA.timeline;
    const events = tl.events;
    const container = mount("timeline");
    const text = document.getElementById("tl-text");
    const type = document.getElementById("tl-type");
    const from = document.getElementById("tl-from");
    const to = document.getElementById("tl-to");
    const newest = document.getElementById("tl-newest");
    const status = document.getElementById("tl-status");
    tl.types.forEach(function (t, i) {
      const option = el("option", t);
      option.value = String(i);
      type.appendChild(option);
    });
    const table = el("table", null, "timeline");
    const head = el("tr");
    [["time (UTC)", "c-time"]].concat(MULTI ? [["host", "c-host"]] : [])
      .concat([["type", "c-type"], ["description", "c-desc"], ["message", "c-msg"], ["source", "c-src"]])
      .forEach(h => head.appendChild(el("th", h[0], h[1])));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    table.appendChild(body);
    const pager = el("div", null, "pager");
    container.append(table, pager);
    const first = events.length ? events[0][0] : 0;
    const last = events.length ? events[events.length - 1][0] : 0;
    const incident = DATA.incident_window;
    let haystack = null;
    let matches = events;
    let page = 0;
    let lo = null;
    let hi = null;

    function parseBound(input, end) {
      const value = input.value.trim();
      input.classList.remove("invalid");
      if (!value) return null;
      let normal = value.replace(" ", "T");
      if (/^\d{4}-\d{2}-\d{2}$/.test(normal)) normal += end ? "T23:59:59.999" : "T00:00:00";
      if (!/(Z|[+-]\d{2}:?\d{2})$/.test(normal)) normal += "Z";
      const fraction = /\.(\d{4,6})/.exec(normal);
      const ms = Date.parse(normal);
      if (isNaN(ms)) { input.classList.add("invalid"); return null; }
      // Date.parse keeps milliseconds: the microseconds are added back from the text.
      const micro = fraction ? Number(fraction[1].slice(3).padEnd(3, "0")) : (end ? 999 : 0);
      return ms * 1000 + micro;
    }

    const overview = densityStrip(document.getElementById("tl-overview"), events, setWindow);
    const zoom = densityStrip(document.getElementById("tl-zoom"), events, setWindow);

    // The zoomed strip spans at least MIN_SPAN around the shown window, so a window of one
    // instant (a process that started and was flagged at once) is drawn in the middle.
    const MIN_SPAN = 2000000;
    function drawStrips() {
      const shownLo = lo === null ? first : lo;
      const shownHi = hi === null ? last : hi;
      const pad = Math.max(0, (MIN_SPAN - (shownHi - shownLo)) / 2);
      const bands = incident ? [[incident[0], incident[1], "incident"]] : [];
      overview.draw(first, last, bands.concat([[shownLo, shownHi, "view"]]));
      zoom.draw(shownLo - pad, shownHi + pad, bands.concat(pad ? [[shownLo, shownHi, "view"]] : []));
    }

    function setWindow(a, b) {
      from.value = a === null ? "" : iso(Math.floor(a));
      to.value = b === null ? "" : iso(Math.ceil(b));
      apply();
    }

    function cell(tr, value, cls) {
      const td = el("td", value, cls);
      tr.appendChild(td);
      return td;
    }

    function render() {
      body.textContent = "";
      const start = page * PAGE;
      const count = Math.min(PAGE, matches.length - start);
      for (let k = 0; k < count; k++) {
        const index = newest.checked ? matches.length - 1 - start - k : start + k;
        const e = matches[index];
        const tr = el("tr", null, "clickable");
        cell(tr, iso(e[0]), "c-time");
        if (MULTI) cell(tr, tl.hosts[e[4]], "c-host");
        cell(tr, tl.types[e[1]], "c-type");
        cell(tr, tl.descs[e[2]], "c-desc");
        tr.appendChild(valueCell(e[3], "c-msg"));
        cell(tr, tl.members[e[5]], "c-src");
        tr.addEventListener("click", () => showDetail(RECORDS[e[6]], tr));
        body.appendChild(tr);
      }
      status.textContent = matches.length + " of " + events.length + " events" +
        (lo !== null || hi !== null ? " in the window shown" : "");
      renderPager(pager, page, matches.length, p => { page = p; render(); });
    }

    function apply() {
      const needle = text.value.trim().toLowerCase();
      const kind = type.value === "" ? -1 : Number(type.value);
      lo = parseBound(from, false);
      hi = parseBound(to, true);
      if (needle && !haystack) {
        haystack = events.map(e => (e[3] + "\u0001" + tl.types[e[1]] + "\u0001" + tl.descs[e[2]] + "\u0001" +
          tl.hosts[e[4]] + "\u0001" + tl.members[e[5]]).toLowerCase());
      }
      const startAt = lo === null ? 0 : lowerBound(events, lo);
      matches = [];
      for (let i = startAt; i < events.length; i++) {
        const e = events[i];
        if (hi !== null && e[0] > hi) break;
        if ((kind < 0 || e[1] === kind) && (!needle || haystack[i].includes(needle))) matches.push(e);
      }
      page = 0;
      drawStrips();
      render();
    }

    if (events.length) {
      from.placeholder = iso(first);
      to.placeholder = iso(last);
    }
    [text, type, from, to, newest].forEach(input => input.addEventListener("input", apply));
    [type, newest].forEach(input => input.addEventListener("change", apply));
    document.getElementById("tl-incident").disabled = !incident;
    document.getElementById("tl-incident").addEventListener("click", () => setWindow(incident[0], incident[1]));
    document.getElementById("tl-all").addEventListener("click", () => setWindow(null, null));
    document.getElementById("tl-zoomout").addEventListener("click", function () {
      const a = lo === null ? first : lo;
      const b = hi === null ? last : hi;
      const half = Math.max(b - a, 1000000);
      const wideLo = Math.max(first, a - half);
      const wideHi = Math.min(last, b + half);
      setWindow(wideLo <= first ? null : wideLo, wideHi >= last ? null : wideHi);
    });
    if (incident) setWindow(incident[0], incident[1]); else apply();
  }

  // Reference sections are drawn the first time they are opened: the page opens on the incident.
  const lazy = new Map();
  function section(id, draw) {
    const details = document.getElementById(id);
    lazy.set(details, draw);
    details.addEventListener("toggle", function () { if (details.open) openSection(details); });
  }
  function openSection(details) {
    const draw = lazy.get(details);
    if (draw) { lazy.delete(details); draw(); }
    details.open = true;
    return details;
  }

  function addCopyButtons(root) {
    root.querySelectorAll(".copy").forEach(v => { if (v.textContent.length >= 24) copyButton(v); });
  }

  function wireLinks() {
    document.querySelectorAll("a.member-link").forEach(function (a) {
      a.addEventListener("click", function () {
        openSection(document.getElementById("members"));
        const name = a.dataset.member.split("#")[0];
        if (membersTable) membersTable.setFilter(name);
      });
    });
    document.querySelectorAll("a.pid-link").forEach(function (a) {
      a.addEventListener("click", function (event) {
        document.querySelectorAll(".target").forEach(n => n.classList.remove("target"));
        const same = n => n.dataset.pid === a.dataset.pid && n.dataset.host === a.dataset.host;
        let found = Array.from(document.querySelectorAll("#lineage li.node")).filter(same)
          .map(n => n.querySelector(".node-box"));
        if (!found.length) {
          openSection(document.getElementById("processes"));
          found = Array.from(document.querySelectorAll(".proc")).filter(same);
        }
        found.forEach(n => n.classList.add("target"));
        if (found.length) { event.preventDefault(); found[0].scrollIntoView({ block: "center" }); }
      });
    });
    // An in-page link opens every folded section around its target (and draws it) first.
    document.querySelectorAll('a[href^="#"]').forEach(function (a) {
      a.addEventListener("click", function () {
        let node = document.getElementById(a.getAttribute("href").slice(1));
        for (; node; node = node.parentElement) {
          if (node.tagName === "DETAILS") openSection(node);
        }
      });
    });
  }

  renderTimeline();
  renderIocs();
  section("processes", renderProcesses);
  section("sockets", renderSockets);
  section("persistence", renderPersistence);
  section("records", renderOtherRecords);
  section("log", renderLog);
  section("members", renderMembers);
  addCopyButtons(document);
  wireLinks();
  document.body.dataset.ready = "1";
})();
