// The supplier's side: what is due when, its own standing and alerts; and, per contract, submitting
// a quarterly return by form or by CSV/XLSX upload (every bad row named), answering queries by
// amending, and correcting accepted returns.

import { call, get, getOrNull, offers, pool, routeName } from "../api.js";
import { session } from "../auth.js";
import { measureGuidance, returnGuidance } from "../guidance.js";
import * as periods from "../periods.js";
import {
  add, busy, button, clearErrors, day, disclosure, field, flash, h, heading, humanise, link, notice, pct, problemNotice, qty, reload, replace, showProblem, summary, table, tag, unavailable, values, words,
} from "../ui.js";
import { historyList } from "./contract.js";
import { worst } from "./dashboard.js";

export async function renderHome(view) {
  replace(view, heading("Your returns", "Supplier"));
  const [due, contracts, alerts] = await Promise.all([
    offers("measurement", "GET", "/due") ? get("measurement", "/due") : null,
    offers("commitments", "GET", "/contracts") ? get("commitments", "/contracts", { limit: 500 }) : null,
    offers("measurement", "GET", "/alerts") ? get("measurement", "/alerts", { limit: 500 }) : null,
  ]);
  const progress = contracts && offers("reporting", "GET", "/contracts/{contract_id}/progress")
    ? await pool(contracts, 6, (c) => getOrNull("reporting", `/contracts/${c.contract_id}/progress`))
    : [];
  const organisation = session()?.organisation;
  const [standing, record] = await Promise.all([
    offers("reporting", "GET", "/suppliers/{supplier}/standing")
      ? getOrNull("reporting", `/suppliers/${encodeURIComponent(organisation)}/standing`).catch(() => null)
      : null,
    offers("commitments", ...TRACK_RECORD)
      ? get("commitments", `/suppliers/${encodeURIComponent(organisation)}/track-record`).catch((error) => ({ error }))
      : null,
  ]);

  add(view, h("h2", {}, "What is due when"));
  add(view, 
    due === null
      ? unavailable("What is due", routeName("measurement", "GET", "/due"))
      : table({
          caption: "Returns you owe, soonest first",
          captionHidden: true,
          empty: "Nothing is due: every return so far is in.",
          columns: [
            { label: "Quarter", value: (d) => link(`#/returns/${d.contract_id}`, `${d.reference}: ${periods.label(d.period)}`) },
            { label: "For", value: (d) => d.buyer },
            { label: "Due", value: (d) => day(d.due_on) },
            { label: "Status", value: (d) => tag(d.status, words(d.status)) },
          ],
          rows: due,
        }),
  );

  add(view, h("h2", {}, "Your standing"));
  if (standing) {
    const s = standing.standing;
    add(view, 
      h(
        "ul",
        { class: "tiles", "aria-label": "Your standing" },
        h("li", { class: "tile" }, h("span", { class: "tile__figure" }, pct(s.delivery_ratio)), h("span", { class: "tile__label" }, "Delivered ÷ due, from accepted returns")),
        h("li", { class: "tile" }, h("span", { class: "tile__figure" }, `${s.obligations_on_track} of ${s.obligations_assessed}`), h("span", { class: "tile__label" }, "Obligations due that are on track")),
        h("li", { class: "tile" }, h("span", { class: "tile__figure" }, String(s.contracts)), h("span", { class: "tile__label" }, s.contracts === 1 ? "Contract" : "Contracts")),
      ),
    );
  }
  add(view, 
    contracts === null
      ? unavailable("Your contracts", routeName("commitments", "GET", "/contracts"))
      : table({
          caption: "Your contracts and how each stands",
          captionHidden: true,
          empty: "You have no contracts yet.",
          columns: [
            { label: "Contract", value: (c) => link(`#/returns/${c.contract_id}`, `${c.reference}: ${c.title}`) },
            { label: "For", value: (c) => c.buyer },
            { label: "Standing", value: (c, i = contracts.indexOf(c)) => tag(worst((progress[i]?.obligations || []).map((o) => o.status))) },
            { label: "Obligations on track", value: (c, i = contracts.indexOf(c)) => onTrack(progress[i]), numeric: true },
            { label: "Details", value: (c) => link(`#/contracts/${c.contract_id}`, `Figures for ${c.reference}`) },
          ],
          rows: contracts,
        }),
  );

  add(view, h("h3", { id: "track-record" }, "Your track record"), trackRecord(record));

  add(view, h("h2", {}, "Your alerts"));
  const open = (alerts || []).filter((a) => a.status !== "resolved");
  add(view, 
    alerts === null
      ? unavailable("Your alerts", routeName("measurement", "GET", "/alerts"))
      : table({
          caption: "Alerts on your contracts not yet resolved",
          captionHidden: true,
          empty: "No open alerts on your contracts.",
          columns: [
            { label: "Alert", value: (a) => link(`#/alerts/${a.alert_id}`, `${words(a.kind)}: ${a.measure || "return"}, ${periods.short(a.period)}`) },
            { label: "Severity", value: (a) => tag(a.severity, words(a.severity)) },
            { label: "Raised", value: (a) => day(a.raised_on) },
            { label: "Status", value: (a) => tag(a.status, words(a.status)) },
          ],
          rows: open,
        }),
  );
}

const TRACK_RECORD = ["GET", "/suppliers/{supplier}/track-record"];

/** What buyers see beside your bids: delivery against commitments, best quarters, timeliness. */
function trackRecord(record) {
  if (record === null) return unavailable("Your track record", routeName("commitments", ...TRACK_RECORD));
  if (record.error) return problemNotice(record.error);
  if (record.new_supplier) {
    return notice(
      "info",
      "New supplier, no record yet",
      "You have no contract on record here yet. Buyers reading your bids see you as a new supplier: that is never held against you.",
    );
  }
  return h(
    "div",
    {},
    h("p", {}, "What buyers see beside your bids. Delivered counts accepted returns only; a commitment in a new bid well above your best delivered quarter on its measure (by default, more than 1.5 times it) is flagged to the buyer."),
    summary([
      ["Contracts on record", String(record.contracts)],
      ["Delivered ÷ committed to date", `${pct(record.overall_delivery_ratio)} (the mean over measures, each capped at 100%)`],
      ["Returns on time", record.returns.due ? `${record.returns.on_time} of ${record.returns.due} (${record.returns.late} late, ${record.returns.missing} missing)` : "None due yet"],
      ["Alerts", `${record.alerts.open} open, ${record.alerts.resolved} resolved`],
    ]),
    table({
      caption: "Your record on each measure",
      captionHidden: true,
      empty: "No measure on record yet.",
      columns: [
        { label: "Measure", value: (m) => m.measure },
        { label: "Contracts", value: (m) => String(m.contracts), numeric: true },
        { label: "Committed to date", value: (m) => qty(m.committed_to_date, m.unit), numeric: true },
        { label: "Delivered to date", value: (m) => qty(m.delivered_to_date, m.unit), numeric: true },
        { label: "Delivered ÷ committed", value: (m) => pct(m.delivery_ratio), numeric: true },
        { label: "Best quarter", value: (m) => (m.best_quarter ? `${qty(m.best_delivered_per_quarter, m.unit)} (${m.best_quarter.reference}, ${periods.short(m.best_quarter.period)})` : "None accepted yet") },
      ],
      rows: record.measures,
    }),
  );
}

function onTrack(progress) {
  if (!progress) return "–";
  const assessed = progress.obligations.filter((o) => o.status);
  return `${assessed.filter((o) => o.status === "green").length} of ${assessed.length} assessed`;
}

// ---- one contract ----------------------------------------------------------------------------

function started(period, today = new Date()) {
  const p = periods.parse(period);
  if (!p) return false;
  const month = { 1: 3, 2: 6, 3: 9, 4: 0 }[p.quarter];
  const year = p.quarter === 4 ? p.year + 1 : p.year;
  return new Date(Date.UTC(year, month, 1)) <= today;
}

export async function renderContract(view, { id }) {
  if (!offers("measurement", "GET", "/contracts/{contract_id}/schedule")) {
    replace(view, heading("Returns"), unavailable("Returns", routeName("measurement", "GET", "/contracts/{contract_id}/schedule")));
    return;
  }
  const [schedule, contract] = await Promise.all([
    get("measurement", `/contracts/${id}/schedule`),
    offers("commitments", "GET", "/contracts/{contract_id}") ? getOrNull("commitments", `/contracts/${id}`) : null,
  ]);
  const obligations = schedule.obligations.map((ob) => ({
    ...ob,
    ...(contract?.obligations.find((o) => o.obligation_id === ob.obligation_id) || {}),
  }));
  const withReturns = schedule.periods.filter((p) => p.return_version !== null);
  const returns = await pool(withReturns, 4, async (p) => {
    const found = await call("measurement", "GET", `/contracts/${id}/returns/${p.period}`);
    return { ...found.data, etag: found.etag };
  });
  const open = schedule.periods.filter((p) => p.return_version === null && started(p.period) && p.status !== "cancelled");
  const current = periods.current();

  replace(
    view,
    h("p", { class: "breadcrumbs" }, link("#/returns", "Your returns"), " · ", link(`#/contracts/${id}`, "Figures and alerts for this contract")),
    heading(`Returns for ${schedule.reference}`, contract ? contract.title : "Contract"),
    summary([
      ["For", schedule.buyer],
      ["Reporting", `${schedule.periods.length} quarters; ${withReturns.length} returned`],
      schedule.closed ? ["Closed", words(schedule.closed)] : null,
    ]),
  );
  const layout = h("div", { class: "columns" });
  const mainColumn = h("div", {});
  add(layout, mainColumn, returnGuidance());
  add(view, layout);

  add(mainColumn, 
    h("h2", {}, "Quarters"),
    table({
      caption: "Each quarter of the contract",
      captionHidden: true,
      columns: [
        { label: "Quarter", value: (p) => periods.label(p.period) },
        { label: "Due", value: (p) => day(p.due_on) },
        { label: "Status", value: (p) => tag(p.status, words(p.status)) },
      ],
      rows: schedule.periods,
    }),
    h("h2", {}, "Your obligations"),
    table({
      caption: "What you committed to, and how it stands",
      captionHidden: true,
      columns: [
        { label: "Measure", value: (ob) => `${ob.measure}: ${ob.description || ob.outcome || ""}` },
        { label: "Total over the contract", value: (ob) => qty(ob.total, ob.unit), numeric: true },
        { label: `Target for ${periods.short(current)}`, value: (ob) => qty(ob.targets?.[current], ob.unit), numeric: true },
        { label: "Latest assessment", value: (ob) => (ob.latest ? `${periods.short(ob.latest.period)}: ${pct(ob.latest.ratio)} of due` : "Not yet assessed") },
        { label: "Status", value: (ob) => tag(ob.latest?.status) },
      ],
      rows: obligations,
    }),
    h("h3", {}, "What counts under each of your measures"),
    obligations.map((ob) => measureGuidance({ code: ob.measure, theme: ob.theme, unit: ob.unit, wording: ob.outcome })),
  );

  const queried = returns.filter((r) => r.status === "queried");
  if (queried.length) {
    add(mainColumn, h("h2", {}, "Queries to answer"));
    for (const ret of queried) {
      const query = [...(ret.history || [])].reverse().find((e) => e.type === "ReturnQueried");
      add(mainColumn, 
        notice("info", `The contract manager queried ${periods.label(ret.period)}`, query?.comment || "", "Answer by amending the return below: say what changed in the reason."),
        amendForm(id, ret, obligations, "amend"),
      );
    }
  }

  add(mainColumn, h("h2", { id: "submit" }, "Submit a return"));
  if (!open.length) {
    add(mainColumn, h("p", {}, "There is no quarter to report on right now: every quarter that has started has a return."));
  } else {
    add(mainColumn, 
      offers("measurement", "POST", "/contracts/{contract_id}/returns")
        ? disclosureOpen("Fill in the form", returnForm(id, open, obligations))
        : unavailable("Submitting returns", routeName("measurement", "POST", "/contracts/{contract_id}/returns")),
      offers("measurement", "POST", "/contracts/{contract_id}/returns/upload")
        ? disclosureOpen("Or upload a CSV or XLSX file", uploadForm(id, open, obligations), false)
        : unavailable("Uploading returns", routeName("measurement", "POST", "/contracts/{contract_id}/returns/upload")),
    );
  }

  const amendable = returns.filter((r) => r.status !== "queried");
  if (amendable.length) {
    add(mainColumn, h("h2", {}, "Returns you sent"));
    for (const ret of amendable) {
      add(mainColumn, 
        h(
          "section",
          { class: "card", style: "margin-bottom:1rem" },
          h("h3", {}, periods.label(ret.period)),
          summary([
            ["Status", tag(ret.status, words(ret.status))],
            ["Version", String(ret.version)],
            ["Submitted", `${day(ret.submitted_on)}${ret.late ? " (late)" : ""}`],
          ]),
          ret.history?.length ? disclosure("History", historyList(ret.history)) : null,
          disclosure(ret.status === "accepted" ? "Correct this accepted return" : "Amend this return", amendForm(id, ret, obligations, ret.status === "accepted" ? "correct" : "amend")),
        ),
      );
    }
  }
}

function disclosureOpen(title, body, open = true) {
  return h("details", { open: open || null }, h("summary", {}, title), h("div", { class: "details-body" }, body));
}

function lineFields(obligations, lines = []) {
  return obligations.map((ob, i) => {
    const line = lines.find((l) => l.obligation_id === ob.obligation_id) || {};
    return h(
      "fieldset",
      { class: "group" },
      h("legend", {}, `${ob.measure}: ${ob.description || ob.outcome || ""} (in ${ob.unit})`),
      h("input", { type: "hidden", name: `lines.${i}.obligation_id`, value: ob.obligation_id, "data-field": `lines.${i}.obligation_id` }),
      field({
        name: `lines.${i}.quantity`,
        label: `Delivered in the quarter, in ${ob.unit}`,
        hint: `Only what was delivered in the quarter chosen above (targets per quarter: ${Object.entries(ob.targets || {}).map(([p, t]) => `${periods.short(p)} ${qty(t, ob.unit)}`).join(", ") || "none"}); enter 0 if nothing was delivered`,
        type: "number",
        min: 0,
        step: "any",
        inputmode: "decimal",
        value: line.quantity ?? "",
        required: true,
      }),
      field({ name: `lines.${i}.narrative`, label: "What happened (optional)", type: "textarea", rows: 2, value: line.narrative || "" }),
      field({ name: `lines.${i}.case_study`, label: "Case study (optional)", type: "textarea", rows: 3, value: line.case_study || "", hint: "A person or place that benefited, in a few sentences; no names without consent" }),
      h(
        "div",
        { class: "inline-fields" },
        field({ name: `lines.${i}.beneficiaries`, label: "People who benefited (optional)", type: "number", min: 0, step: 1, value: line.beneficiaries ?? "" }),
        field({ name: `lines.${i}.places`, label: "Places (optional)", hint: "Separate with commas", value: (line.places || []).join(", ") }),
      ),
      field({ name: `lines.${i}.evidence`, label: "Evidence references (optional)", type: "textarea", rows: 2, hint: "One per line: an invoice number, a payroll extract reference, a file name", value: (line.evidence || []).join("\n") }),
    );
  });
}

function linesFrom(v, obligations) {
  return obligations.map((_, i) => {
    const line = {
      obligation_id: v[`lines.${i}.obligation_id`],
      quantity: v[`lines.${i}.quantity`],
      narrative: v[`lines.${i}.narrative`] || "",
      case_study: v[`lines.${i}.case_study`] || "",
      places: (v[`lines.${i}.places`] || "").split(",").map((x) => x.trim()).filter(Boolean),
      evidence: (v[`lines.${i}.evidence`] || "").split("\n").map((x) => x.trim()).filter(Boolean),
    };
    if (v[`lines.${i}.beneficiaries`] !== "") line.beneficiaries = v[`lines.${i}.beneficiaries`];
    if (line.quantity === "") line.quantity = null;
    return line;
  });
}

/** A form that submits to the API and shows either the receipt or the problem, in place. */
function apiForm({ label, fields, submitLabel, send, onDone }) {
  const el = h("form", { novalidate: true, "aria-label": label }, fields, h("div", { class: "button-row" }, h("button", { type: "submit", class: "button" }, submitLabel)));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    el.querySelector(".row-errors")?.remove();
    await busy(el, async () => {
      try {
        const result = await send(values(el), el);
        onDone(result, el);
      } catch (error) {
        if (!error.problem) throw error;
        showProblem(el, error);
        const rows = error.problem.invalid_rows;
        if (rows && rows.length) {
          el.querySelector(".error-summary").after(rowErrors(rows));
        }
      }
    });
  });
  return el;
}

function rowErrors(rows) {
  return h(
    "div",
    { class: "row-errors" },
    table({
      caption: `${new Set(rows.map((r) => r.row)).size} row${rows.length === 1 ? "" : "s"} of the file cannot be taken; nothing was stored`,
      columns: [
        { label: "Row", value: (r) => `Row ${r.row}`, numeric: true },
        { label: "Column", value: (r) => r.column || "–" },
        { label: "What is wrong", value: (r) => humanise(r.message) },
      ],
      rows,
    }),
  );
}

function receipt(result) {
  const alerts = result.alerts || [];
  return h(
    "div",
    { class: "notice notice--success", role: "status", tabindex: "-1" },
    h("h2", {}, `Return for ${periods.label(result.period)} received${result.late ? " (late)" : ""}`),
    h("p", {}, "It was assessed at once against your targets:"),
    table({
      caption: "Assessment of each obligation",
      captionHidden: true,
      columns: [
        { label: "Measure", value: (a) => a.measure },
        { label: "Delivered in the quarter", value: (a) => qty(a.delivered, a.unit), numeric: true },
        { label: "Target in the quarter", value: (a) => qty(a.target, a.unit), numeric: true },
        { label: "Delivered ÷ due to date", value: (a) => pct(a.ratio), numeric: true },
        { label: "Status", value: (a) => tag(a.status) },
        { label: "Alert", value: (a) => (a.alert_id ? link(`#/alerts/${a.alert_id}`, "Alert raised") : "None") },
      ],
      rows: result.assessments || [],
    }),
    alerts.length
      ? h("p", {}, `${alerts.length} alert${alerts.length === 1 ? " was" : "s were"} raised for the contract manager. Recovering in your next return, or agreeing a plan, resolves ${alerts.length === 1 ? "it" : "them"}.`)
      : h("p", {}, "No alert was raised."),
    (result.resolved_alerts || []).length ? h("p", {}, `${result.resolved_alerts.length} earlier alert(s) resolved by this return.`) : null,
    h("p", {}, button("Back to the contract's returns", () => reload(), { kind: "secondary" })),
  );
}

function showReceipt(form, result, obligations) {
  const box = receipt(result);
  form.replaceWith(box);
  box.focus();
}

function periodOptions(open) {
  return open.map((p) => [p.period, `${periods.label(p.period)}: due ${day(p.due_on)}`]);
}

function returnForm(id, open, obligations) {
  return apiForm({
    label: "Submit a return",
    fields: [
      field({ name: "period", label: "Quarter", type: "select", options: periodOptions(open) }),
      field({ name: "narrative", label: "Overall narrative (optional)", type: "textarea", hint: "What this quarter's figures mean for people and places" }),
      lineFields(obligations),
    ],
    submitLabel: "Submit the return",
    send: async (v) =>
      (await call("measurement", "POST", `/contracts/${id}/returns`, {
        body: { period: v.period, narrative: v.narrative, lines: linesFrom(v, obligations) },
        idempotent: true,
      })).data,
    onDone: (result, form) => showReceipt(form, result, obligations),
  });
}

function uploadForm(id, open, obligations) {
  return h(
    "div",
    {},
    h(
      "p",
      {},
      "One row per obligation, with a header row. Columns: measure (or obligation_id) and quantity; " +
        "optionally narrative, case_study, beneficiaries, places (separated by ;) and evidence (separated by ;). " +
        "If any row is wrong, nothing is stored and every wrong row is listed.",
    ),
    button("Download a template for this contract", () => template(obligations), { kind: "secondary" }),
    apiForm({
      label: "Upload a return",
      fields: [
        field({ name: "period", label: "Quarter", type: "select", options: periodOptions(open) }),
        field({ name: "narrative", label: "Overall narrative (optional)", type: "textarea", rows: 2 }),
        field({ name: "file", label: "CSV or XLSX file", type: "file", accept: ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", required: true }),
      ],
      submitLabel: "Upload the return",
      send: async (v) => {
        if (!v.file) {
          const { ApiError } = await import("../api.js");
          throw new ApiError({ status: 422, title: "Choose a file to upload", errors: [{ field: "file", message: "choose a CSV or XLSX file" }] });
        }
        const data = new FormData();
        data.append("period", v.period);
        data.append("narrative", v.narrative || "");
        data.append("file", v.file, v.file.name);
        return (await call("measurement", "POST", `/contracts/${id}/returns/upload`, { form: data, idempotent: true })).data;
      },
      onDone: (result, form) => showReceipt(form, result, obligations),
    }),
  );
}

function template(obligations) {
  const header = "measure,quantity,narrative,case_study,beneficiaries,places,evidence";
  const rows = obligations.map((ob) => `${ob.measure},,,,,,`);
  const blob = new Blob([[header, ...rows].join("\r\n") + "\r\n"], { type: "text/csv" });
  const href = URL.createObjectURL(blob);
  const a = h("a", { href, download: "return-template.csv" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

function amendForm(id, ret, obligations, mode) {
  const correcting = mode === "correct";
  const path = correcting ? `/contracts/${id}/returns/${ret.period}/corrections` : `/contracts/${id}/returns/${ret.period}`;
  const offered = correcting
    ? offers("measurement", "POST", "/contracts/{contract_id}/returns/{period}/corrections")
    : offers("measurement", "PUT", "/contracts/{contract_id}/returns/{period}");
  if (!offered) return unavailable(correcting ? "Correcting returns" : "Amending returns", routeName("measurement", correcting ? "POST" : "PUT", path));
  return apiForm({
    label: `${correcting ? "Correct" : "Amend"} the return for ${periods.short(ret.period)}`,
    fields: [
      field({
        name: "reason",
        label: correcting ? "Why it needs correcting" : ret.status === "queried" ? "Your answer to the query" : "What changed (optional)",
        type: "textarea",
        required: correcting || ret.status === "queried",
      }),
      field({ name: "narrative", label: "Overall narrative", type: "textarea", value: ret.narrative || "" }),
      lineFields(obligations, ret.lines),
    ],
    submitLabel: correcting ? "Send the correction" : "Send the amended return",
    send: async (v) =>
      (await call("measurement", correcting ? "POST" : "PUT", path, {
        body: { reason: v.reason, narrative: v.narrative, lines: linesFrom(v, obligations) },
        etag: ret.etag,
      })).data,
    onDone: () => {
      flash(`The return for ${periods.label(ret.period)} was ${correcting ? "corrected" : "amended"} and assessed again.`);
      reload();
    },
  });
}
