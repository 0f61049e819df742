// The contract manager's portfolio: committed against delivered by theme and over quarters, RAG
// counts, open alerts by age, late returns, suppliers ranked, every contract with its standing,
// and the exports.
//
// Built from the services' APIs: contracts (commitments), the portfolio reports and each
// contract's progress (reporting) and the alerts inbox (measurement). The reporting service's
// rules hold: delivered means accepted returns (returns not yet accepted are shown apart, as
// awaiting review), and units of different measures are never added together.

import { download, get, getOrNull, offers, pool, routeName } from "../api.js";
import { chart, COLOURS } from "../charts.js";
import * as periods from "../periods.js";
import {
  add, button, day, h, heading, link, money, notice, pct, problemNotice, qty, replace, table, tag, unavailable, words,
} from "../ui.js";

const RAG_ORDER = { red: 0, amber: 1, green: 2 };
const AGE_BUCKETS = [
  ["0 to 30 days", 0, 30],
  ["31 to 60 days", 31, 60],
  ["61 to 90 days", 61, 90],
  ["Over 90 days", 91, Infinity],
];

/** The worst RAG status among `statuses` (red before amber before green); null if none. */
export function worst(statuses) {
  const known = statuses.filter((s) => s in RAG_ORDER);
  if (!known.length) return null;
  return known.sort((a, b) => RAG_ORDER[a] - RAG_ORDER[b])[0];
}

function mean(values) {
  const known = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
}

function share(part, whole) {
  const w = Number(whole);
  return w > 0 ? Number(part) / w : null;
}

const BREAKDOWN = ["GET", "/portfolio/by/{dimension}"];

export async function render(view) {
  replace(view, heading("Portfolio dashboard", "Contract management"), h("p", { class: "muted", role: "status" }, "Loading the portfolio…"));
  if (!offers("commitments", "GET", "/contracts")) {
    replace(view, heading("Portfolio dashboard"), unavailable("The portfolio", routeName("commitments", "GET", "/contracts")));
    return;
  }
  const optional = (service, path, query) => (offers(service, "GET", path.replace(/\?.*$/, "")) ? getOrNull(service, path, query) : Promise.resolve(null));
  const contracts = await get("commitments", "/contracts", { limit: 500 });
  const progressOffered = offers("reporting", "GET", "/contracts/{contract_id}/progress");
  const [progress, inbox, portfolio, byTheme, byQuarter, late, league] = await Promise.all([
    progressOffered ? pool(contracts, 6, (c) => getOrNull("reporting", `/contracts/${c.contract_id}/progress`)) : contracts.map(() => null),
    offers("measurement", "GET", "/alerts") ? get("measurement", "/alerts", { limit: 500 }) : null,
    optional("reporting", "/portfolio"),
    offers("reporting", ...BREAKDOWN) ? getOrNull("reporting", "/portfolio/by/theme") : null,
    offers("reporting", ...BREAKDOWN) ? getOrNull("reporting", "/portfolio/by/quarter") : null,
    optional("reporting", "/returns/late"),
    optional("reporting", "/portfolio/league-table"),
  ]);
  const unresolved = (inbox || []).filter((a) => a.status !== "resolved");
  const obligations = contracts.flatMap((c, i) => {
    const reported = new Map((progress[i]?.obligations || []).map((o) => [o.obligation_id, o]));
    return c.obligations.map((ob) => ({ contract: c, ob, reported: reported.get(ob.obligation_id) || null }));
  });

  replace(view, heading("Portfolio dashboard", "Contract management"));
  add(view, 
    h(
      "p",
      { class: "lede" },
      `${contracts.length} contract${contracts.length === 1 ? "" : "s"} your organisation let or delivers, with ${obligations.length} social value obligation${obligations.length === 1 ? "" : "s"}.`,
      portfolio ? ` As reported on ${day(portfolio.as_of)}.` : "",
    ),
  );
  if (!contracts.length) {
    add(view, notice("info", "No contracts yet", "Contracts appear here once they are awarded through a tender or registered through the commitments API."), h("p", {}, link("#/tenders", "Go to tenders")));
    return;
  }
  add(view, 
    progressOffered ? ragTiles(obligations, unresolved, inbox !== null) : unavailable("RAG status", routeName("reporting", "GET", "/contracts/{contract_id}/progress")),
    h("h2", {}, "Committed against delivered"),
    h("p", {}, "Delivered counts accepted returns; returns not yet accepted are shown apart as awaiting review. Each measure keeps its own unit: figures are shown as a share of what was committed."),
    offers("reporting", ...BREAKDOWN)
      ? h("div", { class: "grid" }, byThemeChart(byTheme), overQuartersChart(byQuarter))
      : unavailable("Committed against delivered by theme and quarter", routeName("reporting", ...BREAKDOWN)),
    portfolio?.totals?.obligations_valued ? gbpSummary(portfolio.totals) : null,
    h("h2", {}, "Open alerts by age"),
    inbox !== null ? alertsByAge(unresolved, contracts) : unavailable("Open alerts", routeName("measurement", "GET", "/alerts")),
    h("h2", {}, "Contracts"),
    contractsTable(contracts, progress, unresolved, portfolio),
    late ? [h("h2", {}, "Late and overdue returns"), lateTable(late)] : null,
    league ? [h("h2", {}, "Suppliers ranked by delivery"), leagueTable(league)] : null,
    h("h2", {}, "Exports"),
    exportsSection(),
  );
}

function ragTiles(obligations, unresolved, alertsKnown) {
  const counts = { red: 0, amber: 0, green: 0, none: 0 };
  for (const { reported } of obligations) {
    const status = reported?.status;
    counts[status in counts ? status : "none"] += 1;
  }
  const tile = (tone, figure, label) =>
    h("li", { class: `tile tile--${tone}` }, h("span", { class: "tile__figure" }, String(figure)), h("span", { class: "tile__label" }, label));
  return h(
    "section",
    { "aria-labelledby": "rag-heading" },
    h("h2", { id: "rag-heading" }, "Obligations by RAG status"),
    h(
      "ul",
      { class: "tiles", "aria-label": "Obligations by RAG status, and open alerts" },
      tile("red", counts.red, `Red: ${counts.red === 1 ? "obligation" : "obligations"} behind`),
      tile("amber", counts.amber, `Amber: ${counts.amber === 1 ? "obligation" : "obligations"} at risk`),
      tile("green", counts.green, "Green: on track"),
      tile("grey", counts.none, "Not yet assessed"),
      alertsKnown ? tile("red", unresolved.length, `Open ${unresolved.length === 1 ? "alert" : "alerts"} to act on`) : null,
    ),
  );
}

/** Measure lines of a breakdown, each with its group's key. */
function lines(breakdown) {
  return (breakdown?.groups || []).flatMap((g) => g.measures.map((m) => ({ key: g.key, ...m })));
}

function byThemeChart(breakdown) {
  if (!breakdown) return notice("info", "By theme", "The reporting service has no figures for your organisation yet.");
  const rows = lines(breakdown).filter((r) => Number(r.committed) > 0);
  const x = [rows.map((r) => r.key), rows.map((r) => `${r.measure} (${r.unit})`)];
  const due = rows.map((r) => share(r.due_to_date, r.committed));
  const delivered = rows.map((r) => share(r.delivered, r.committed));
  const awaiting = rows.map((r) => share(r.awaiting_review, r.committed));
  const hover = "%{x}: %{y:.0%} of the commitment<extra>%{fullData.name}</extra>";
  const traces = [
    { type: "bar", name: "Due to date", x, y: due, offsetgroup: "due", marker: { color: COLOURS.committed }, hovertemplate: hover },
    { type: "bar", name: "Delivered (accepted)", x, y: delivered, offsetgroup: "delivered", marker: { color: COLOURS.delivered }, hovertemplate: hover },
    {
      type: "bar",
      name: "Awaiting review",
      x,
      y: awaiting,
      base: delivered,
      offsetgroup: "delivered",
      marker: { color: "#9cc3e5", line: { color: COLOURS.delivered, width: 1.5 } },
      hovertemplate: hover,
    },
  ];
  const layout = {
    barmode: "group",
    yaxis: { title: { text: "Share of the commitment" }, tickformat: ".0%", range: [0, 1.05], gridcolor: "#dcdcdc", zerolinecolor: "#0b0c0c" },
    xaxis: { type: "multicategory", automargin: true },
  };
  const said = rows.map((r) => `${r.measure}: ${qty(r.due_to_date, r.unit)} due of ${qty(r.committed, r.unit)} committed, ${qty(r.delivered, r.unit)} delivered, ${qty(r.awaiting_review, r.unit)} awaiting review`);
  return chart({
    title: "By theme and measure",
    summary: rows.length ? `${said.join("; ")}.` : "No obligation has a commitment yet.",
    traces,
    layout,
    tableColumns: [
      { label: "Measure", value: (r) => `${r.measure} (${r.key})` },
      { label: "Committed", value: (r) => qty(r.committed, r.unit), numeric: true },
      { label: "Due to date", value: (r) => qty(r.due_to_date, r.unit), numeric: true },
      { label: "Delivered (accepted)", value: (r) => qty(r.delivered, r.unit), numeric: true },
      { label: "Awaiting review", value: (r) => qty(r.awaiting_review, r.unit), numeric: true },
      { label: "Delivered ÷ due", value: (r) => pct(r.delivery_ratio), numeric: true },
    ],
    tableRows: rows,
  });
}

function overQuartersChart(breakdown) {
  if (!breakdown) return notice("info", "Over quarters", "The reporting service has no figures for your organisation yet.");
  const now = periods.current();
  const groups = (breakdown.groups || []).filter((g) => g.key <= now).sort((a, b) => periods.compare(a.key, b.key));
  const perQuarter = groups.map((g) => {
    const measured = g.measures.filter((m) => Number(m.committed) > 0);
    return {
      quarter: g.key,
      delivered: mean(measured.map((m) => Math.min(share(m.delivered, m.committed), 1))),
      reported: mean(measured.map((m) => Math.min(share(Number(m.delivered) + Number(m.awaiting_review), m.committed), 1))),
      measures: measured,
    };
  });
  const x = perQuarter.map((q) => periods.short(q.quarter));
  const hover = "%{x}: %{y:.0%}<extra>%{fullData.name}</extra>";
  const traces = [
    { type: "scatter", mode: "lines", name: "Target (100%)", x, y: x.map(() => 1), line: { color: COLOURS.committed, dash: "dash", width: 2 }, hoverinfo: "skip" },
    { type: "scatter", mode: "lines+markers", name: "Delivered (accepted)", x, y: perQuarter.map((q) => q.delivered), line: { color: COLOURS.delivered, width: 3 }, marker: { size: 9 }, hovertemplate: hover },
    { type: "scatter", mode: "lines+markers", name: "Including returns awaiting review", x, y: perQuarter.map((q) => q.reported), line: { color: "#0b0c0c", width: 2, dash: "dot" }, marker: { size: 9, symbol: "diamond" }, hovertemplate: hover },
  ];
  const layout = {
    yaxis: { title: { text: "Delivered ÷ the quarter's target" }, tickformat: ".0%", range: [0, 1.1], gridcolor: "#dcdcdc", zerolinecolor: "#0b0c0c" },
    xaxis: { type: "category", automargin: true },
  };
  return chart({
    title: "Over quarters",
    summary: perQuarter.length
      ? `Each quarter's delivery against its own target, averaged over measures: ${perQuarter.map((q) => `${periods.short(q.quarter)} ${pct(q.delivered)} accepted, ${pct(q.reported)} with returns awaiting review`).join("; ")}.`
      : "No quarter has started yet.",
    traces,
    layout,
    tableColumns: [
      { label: "Quarter", value: (q) => periods.label(q.quarter) },
      { label: "Targets", value: (q) => q.measures.map((m) => `${m.measure} ${qty(m.committed, m.unit)}`).join(", ") || "–" },
      { label: "Delivered (accepted)", value: (q) => q.measures.map((m) => `${m.measure} ${qty(m.delivered, m.unit)}`).join(", ") || "–" },
      { label: "Awaiting review", value: (q) => q.measures.map((m) => `${m.measure} ${qty(m.awaiting_review, m.unit)}`).join(", ") || "–" },
      { label: "Delivered ÷ target", value: (q) => pct(q.delivered), numeric: true },
    ],
    tableRows: perQuarter,
  });
}

function gbpSummary(totals) {
  return h(
    "p",
    {},
    `In proxy value: ${money(totals.committed_gbp)} committed, ${money(totals.due_to_date_gbp)} due to date, ` +
      `${money(totals.delivered_gbp)} delivered and ${money(totals.awaiting_review_gbp)} awaiting review` +
      (totals.fully_valued ? "." : ` (${totals.obligations_valued} of ${totals.obligations} obligations have a proxy value).`),
  );
}

function alertsByAge(unresolved, contracts) {
  const severities = ["high", "medium", "low"];
  const counts = AGE_BUCKETS.map(([, lo, hi]) =>
    Object.fromEntries(severities.map((s) => [s, unresolved.filter((a) => a.severity === s && a.age_days >= lo && a.age_days <= hi).length])),
  );
  const x = AGE_BUCKETS.map(([name]) => name);
  const traces = severities.map((s) => ({
    type: "bar",
    name: `${words(s)} severity`,
    x,
    y: counts.map((c) => c[s]),
    marker: { color: { high: COLOURS.red, medium: COLOURS.amber, low: COLOURS.delivered }[s] },
    hovertemplate: "%{x}: %{y}<extra>%{fullData.name}</extra>",
  }));
  const byId = new Map(contracts.map((c) => [c.contract_id, c]));
  const oldest = [...unresolved].sort((a, b) => b.age_days - a.age_days).slice(0, 10);
  return h(
    "div",
    { class: "grid" },
    chart({
      title: "Alerts not yet resolved, by how long ago they were raised",
      summary: `${unresolved.length} alert${unresolved.length === 1 ? "" : "s"} not yet resolved: ${AGE_BUCKETS.map(([name], i) => `${name} ${severities.reduce((n, s) => n + counts[i][s], 0)}`).join(", ")}.`,
      traces,
      layout: {
        barmode: "stack",
        yaxis: { title: { text: "Alerts" }, dtick: 1, rangemode: "tozero", gridcolor: "#dcdcdc" },
        xaxis: { type: "category" },
      },
      height: 300,
    }),
    h(
      "div",
      {},
      h("h3", {}, "Oldest first"),
      table({
        caption: "Oldest alerts not yet resolved",
        captionHidden: true,
        empty: "No open alerts.",
        columns: [
          { label: "Alert", value: (a) => link(`#/alerts/${a.alert_id}`, `${words(a.kind)}: ${a.measure || "return"}, ${periods.short(a.period)}`) },
          { label: "Contract", value: (a) => byId.get(a.contract_id)?.reference || "–" },
          { label: "Age", value: (a) => `${a.age_days} days`, numeric: true },
          { label: "Status", value: (a) => tag(a.status, words(a.status)) },
        ],
        rows: oldest,
      }),
      h("p", {}, link("#/alerts", "Go to the alerts inbox")),
    ),
  );
}

function contractsTable(contracts, progress, unresolved, portfolio) {
  const alertCount = new Map();
  for (const a of unresolved) alertCount.set(a.contract_id, (alertCount.get(a.contract_id) || 0) + 1);
  const summaries = new Map((portfolio?.contracts || []).map((s) => [s.contract_id, s]));
  const standing = new Map(contracts.map((c, i) => [c.contract_id, worst((progress[i]?.obligations || []).map((o) => o.status))]));
  return table({
    caption: "Contracts and their standing",
    captionHidden: true,
    columns: [
      { label: "Contract", value: (c) => link(`#/contracts/${c.contract_id}`, `${c.reference}: ${c.title}`) },
      { label: "Supplier", value: (c) => c.supplier },
      { label: "Runs", value: (c) => `${day(c.starts_on)} to ${day(c.ends_on)}` },
      { label: "Standing", value: (c) => tag(standing.get(c.contract_id)) },
      { label: "Obligations on track", value: (c) => (summaries.has(c.contract_id) ? `${summaries.get(c.contract_id).obligations_on_track} of ${summaries.get(c.contract_id).obligations_assessed} due` : String(c.obligations.length)), numeric: true },
      { label: "Delivered ÷ due (accepted)", value: (c) => pct(summaries.get(c.contract_id)?.delivery_ratio), numeric: true },
      { label: "Open alerts", value: (c) => String(alertCount.get(c.contract_id) || 0), numeric: true },
    ],
    rows: contracts,
  });
}

function lateTable(late) {
  return table({
    caption: "Late and overdue returns, most overdue first",
    captionHidden: true,
    empty: "No return is late or overdue.",
    columns: [
      { label: "Contract", value: (r) => link(`#/contracts/${r.contract_id}`, r.reference) },
      { label: "Supplier", value: (r) => r.supplier },
      { label: "Quarter", value: (r) => periods.label(r.period) },
      { label: "Due", value: (r) => day(r.due_on) },
      { label: "State", value: (r) => tag(r.state, words(r.state)) },
      { label: "Days", value: (r) => String(r.days), numeric: true },
    ],
    rows: late.returns,
  });
}

function leagueTable(league) {
  return table({
    caption: "Suppliers ranked by delivery ratio",
    captionHidden: true,
    empty: "No supplier has anything due yet.",
    columns: [
      { label: "Rank", value: (s) => String(s.rank), numeric: true },
      { label: "Supplier", value: (s) => s.supplier },
      { label: "Contracts", value: (s) => String(s.contracts), numeric: true },
      { label: "Obligations on track", value: (s) => `${s.obligations_on_track} of ${s.obligations_assessed} due`, numeric: true },
      { label: "Delivered ÷ due", value: (s) => pct(s.delivery_ratio), numeric: true },
    ],
    rows: league.suppliers,
  });
}

// The reports the reporting service publishes, each as CSV or XLSX (and OCDS as JSON).
const EXPORTS = [
  ["Portfolio: each contract, committed against delivered", "/portfolio", "/portfolio", "portfolio"],
  ["By theme", "/portfolio/by/{dimension}", "/portfolio/by/theme", "portfolio-by-theme"],
  ["By quarter", "/portfolio/by/{dimension}", "/portfolio/by/quarter", "portfolio-by-quarter"],
  ["By supplier", "/portfolio/by/{dimension}", "/portfolio/by/supplier", "portfolio-by-supplier"],
  ["By place", "/portfolio/by/{dimension}", "/portfolio/by/place", "portfolio-by-place"],
  ["Procurement Act KPI ratings", "/portfolio/kpi-ratings", "/portfolio/kpi-ratings", "kpi-ratings"],
  ["Suppliers ranked", "/portfolio/league-table", "/portfolio/league-table", "league-table"],
  ["Late and overdue returns", "/returns/late", "/returns/late", "late-returns"],
  ["Stories and case studies", "/stories", "/stories", "stories"],
];

/** Download buttons for a report: CSV and XLSX. */
export function exportButtons(label, path, name, status) {
  const fetchAs = (format) => async () => {
    replace(status);
    try {
      await download("reporting", `${path}${path.includes("?") ? "&" : "?"}format=${format}`, `${name}.${format}`);
    } catch (error) {
      replace(status, problemNotice(error));
    }
  };
  return h(
    "li",
    {},
    h("span", { class: "export-label" }, label, " "),
    button("CSV", fetchAs("csv"), { kind: "secondary", class: "button button--secondary button--small", "aria-label": `${label}: download as CSV` }),
    button("XLSX", fetchAs("xlsx"), { kind: "secondary", class: "button button--secondary button--small", "aria-label": `${label}: download as XLSX` }),
  );
}

function exportsSection() {
  const status = h("div");
  const offered = EXPORTS.filter(([, route]) => offers("reporting", "GET", route));
  const ocds = offers("reporting", "GET", "/portfolio/ocds");
  if (!offered.length && !ocds) {
    return unavailable("Portfolio exports (spreadsheets and OCDS)", routeName("reporting", "GET", "/portfolio"));
  }
  return h(
    "div",
    {},
    h("p", {}, "The reports as the reporting service publishes them: spreadsheets for your own analysis, and Open Contracting Data Standard (OCDS 1.1) for publication."),
    h(
      "ul",
      { class: "exports" },
      offered.map(([label, , path, name]) => exportButtons(label, path, name, status)),
      ocds
        ? h(
            "li",
            {},
            h("span", { class: "export-label" }, "Portfolio as an OCDS release package "),
            button("JSON", async () => {
              replace(status);
              try {
                await download("reporting", "/portfolio/ocds", "portfolio-ocds.json");
              } catch (error) {
                replace(status, problemNotice(error));
              }
            }, { kind: "secondary", class: "button button--secondary button--small", "aria-label": "Portfolio as an OCDS release package: download as JSON" }),
          )
        : null,
    ),
    status,
  );
}
