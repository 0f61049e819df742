// Pledge and policy: an organisation makes or revises its Partner VCFSE pledge (a baseline per
// key measure for a base year, and targets for the years after) and sees it against what it
// delivered; it records its social value policy (the outcomes and measures it puts first).
// Auditors and administrators read every organisation's pledge.

import { call, get, getOrNull, offers, readOrNull, routeName } from "../api.js";
import { hasRole, session } from "../auth.js";
import {
  add, day, disclosure, field, flash, form, group, h, heading, link, notice, num, pct, problemNotice, reload, replace, splitList, summary, table, tag, unavailable, words,
} from "../ui.js";

// The Cheshire and Merseyside TOMs' Partner VCFSE key measures, used when the framework cannot
// be read; the framework's own list (partner_vcfse_key) is preferred.
const FALLBACK_KEY_MEASURES = [
  { code: "NT14", wording: "Spend with VCFSE organisations in the supply chain", unit: "GBP" },
  { code: "NT15", wording: "Expert advice given to VCFSE organisations", unit: "hours" },
  { code: "NT16", wording: "Equipment or resources given to VCFSE organisations", unit: "GBP" },
  { code: "NT17", wording: "Staff volunteering for VCFSE organisations", unit: "hours" },
];
const TARGET_YEARS = 3;
const PROGRESS_STATUS = { on_track: "green", at_risk: "amber", behind: "red", not_started: "upcoming" };

function organisation() {
  return session()?.organisation || "";
}

/** "2025-26" -> 2025; null when not a financial year label. */
function startYear(label) {
  const m = /^(\d{4})-(\d{2})$/.exec(label || "");
  return m ? Number(m[1]) : null;
}

function yearLabel(start) {
  return `${start}-${String((start + 1) % 100).padStart(2, "0")}`;
}

/** The financial year before the one running today: the usual base year. */
function lastYear(today = new Date()) {
  const month = today.getUTCMonth() + 1;
  const running = month >= 4 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
  return yearLabel(running - 1);
}

/** The framework's key measures and their units (the default framework version). */
async function keyMeasures() {
  if (!offers("commitments", "GET", "/frameworks") || !offers("commitments", "GET", "/frameworks/{version}/measures")) {
    return FALLBACK_KEY_MEASURES;
  }
  try {
    const versions = await get("commitments", "/frameworks");
    const chosen = versions.find((v) => v.is_default) || versions[0];
    if (!chosen) return FALLBACK_KEY_MEASURES;
    const measures = await get("commitments", `/frameworks/${encodeURIComponent(chosen.version)}/measures`);
    const key = measures.filter((m) => m.partner_vcfse_key);
    return key.length ? key : FALLBACK_KEY_MEASURES;
  } catch {
    return FALLBACK_KEY_MEASURES;
  }
}

async function frameworkOutcomes() {
  if (!offers("commitments", "GET", "/frameworks/{version}")) return [];
  try {
    const versions = await get("commitments", "/frameworks");
    const chosen = versions.find((v) => v.is_default) || versions[0];
    const framework = chosen ? await get("commitments", `/frameworks/${encodeURIComponent(chosen.version)}`) : null;
    return (framework?.themes || []).flatMap((t) => t.outcomes.map((o) => o.outcome));
  } catch {
    return [];
  }
}

// ---- your own pledge and policy ------------------------------------------------------------

export async function renderMine(view) {
  const mine = organisation();
  replace(view, heading("Pledge and policy", "Partner VCFSE"));
  add(
    view,
    h(
      "p",
      { class: "lede" },
      "The Partner VCFSE pledge sets how much your organisation gives voluntary, community, faith and social enterprise organisations: " +
        "a baseline for one year on the key measures, and rising targets for the years after. Your social value policy names the outcomes and measures you put first.",
    ),
  );
  if (hasRole("auditor", "admin") && offers("commitments", "GET", "/pledges")) {
    add(view, h("p", {}, link("#/pledges", "Every organisation's pledge")));
  }

  add(view, h("h2", { id: "pledge" }, "Your Partner VCFSE pledge"));
  if (!offers("commitments", "GET", "/pledges/{organisation}")) {
    add(view, unavailable("Your pledge", routeName("commitments", "GET", "/pledges/{organisation}")));
  } else {
    const [found, measures] = await Promise.all([readOrNull("commitments", `/pledges/${encodeURIComponent(mine)}`), keyMeasures()]);
    const pledge = found?.data || null;
    if (pledge) {
      add(view, pledgeSummary(pledge, measures));
      add(view, h("h3", {}, "Against what was delivered"), await progressSection());
      if (pledge.history?.length > 1) add(view, disclosure("Earlier versions of the pledge", revisions(pledge.history)));
    } else {
      add(view, h("p", {}, "Your organisation has not made a Partner VCFSE pledge yet."));
    }
    if (offers("commitments", "PUT", "/pledges/{organisation}")) {
      const editor = pledgeForm(mine, pledge, found?.etag, measures);
      add(view, pledge ? disclosure("Revise your pledge", editor) : [h("h3", {}, "Make your pledge"), editor]);
    } else {
      add(view, unavailable("Making a pledge", routeName("commitments", "PUT", "/pledges/{organisation}")));
    }
  }

  add(view, h("h2", { id: "policy" }, "Your social value policy"));
  if (!offers("commitments", "GET", "/policies/{organisation}")) {
    add(view, unavailable("Your policy", routeName("commitments", "GET", "/policies/{organisation}")));
    return;
  }
  const [policyFound, outcomes] = await Promise.all([readOrNull("commitments", `/policies/${encodeURIComponent(mine)}`), frameworkOutcomes()]);
  const policy = policyFound?.data || null;
  add(view, policy ? policySummary(policy) : h("p", {}, "Your organisation has not recorded a social value policy yet."));
  if (offers("commitments", "PUT", "/policies/{organisation}")) {
    const editor = policyForm(mine, policy, policyFound?.etag, outcomes);
    add(view, policy ? disclosure("Revise your policy", editor) : [h("h3", {}, "Record your policy"), editor]);
  }
}

function pledgeSummary(pledge, measures) {
  const years = Object.keys(pledge.targets || {});
  const codes = measures.map((m) => m.code).filter((c) => c in (pledge.baseline || {}));
  const extra = Object.keys(pledge.baseline || {}).filter((c) => !codes.includes(c));
  const unitOf = (code) => measures.find((m) => m.code === code)?.unit || "";
  return h(
    "div",
    {},
    summary([
      ["Base year", pledge.base_year],
      ["Recorded", day(pledge.recorded_on)],
      ["Revision", pledge.revision ? `${pledge.revision} (revised)` : "As first made"],
      pledge.reason ? ["Why it was last revised", pledge.reason] : null,
      ["Framework", pledge.framework_version],
    ]),
    pledge.warnings?.length
      ? notice("info", "Points to note", h("ul", {}, pledge.warnings.map((w) => h("li", {}, w.message))))
      : null,
    table({
      caption: `Baseline in ${pledge.base_year} and targets for the years after`,
      columns: [
        { label: "Measure", value: (code) => `${code} (${unitOf(code) || "as recorded"})` },
        { label: `Baseline ${pledge.base_year}`, value: (code) => num(pledge.baseline[code]), numeric: true },
        ...years.map((y) => ({ label: `Target ${y}`, value: (code) => num(pledge.targets[y]?.[code]), numeric: true })),
      ],
      rows: [...codes, ...extra],
    }),
  );
}

function revisions(history) {
  return h(
    "ol",
    { class: "history" },
    [...history].reverse().slice(1).map((r) =>
      h(
        "li",
        {},
        h("strong", {}, `Recorded ${day(r.recorded_on)}`),
        `: base year ${r.base_year}; baseline ${Object.entries(r.baseline).map(([c, v]) => `${c} ${num(v)}`).join(", ")}; `,
        `targets ${Object.entries(r.targets).map(([y, t]) => `${y}: ${Object.entries(t).map(([c, v]) => `${c} ${num(v)}`).join(", ")}`).join("; ") || "none"}`,
        r.reason ? h("p", { class: "quote" }, r.reason) : null,
      ),
    ),
  );
}

async function progressSection() {
  if (!offers("reporting", "GET", "/partner-vcfse")) {
    return unavailable("The pledge against actuals", routeName("reporting", "GET", "/partner-vcfse"));
  }
  let report;
  try {
    report = await getOrNull("reporting", "/partner-vcfse");
  } catch (error) {
    return problemNotice(error);
  }
  if (!report) {
    return notice("info", "Figures are on their way", "The reporting service has not recorded your pledge yet; it appears within moments. Reload to check.");
  }
  return h(
    "div",
    {},
    h("p", {}, "Actuals count your accepted returns on these measures and the deliveries your VCFSE partners confirmed; a confirmed delivery is not counted twice with the return line it corroborates."),
    table({
      caption: `Progress as of ${day(report.as_of)}`,
      columns: [
        { label: "Year and measure", value: (y) => `${y.year} ${y.measure}` },
        { label: "Target", value: (y) => (y.target === null ? (y.baseline === null ? "–" : `Baseline ${num(y.baseline)}`) : num(y.target)), numeric: true },
        { label: "Expected to date", value: (y) => num(y.expected_to_date), numeric: true },
        { label: "Actual", value: (y) => num(y.actual), numeric: true },
        { label: "From returns", value: (y) => num(y.from_returns), numeric: true },
        { label: "From confirmed deliveries", value: (y) => num(y.from_deliveries), numeric: true },
        { label: "Actual ÷ expected", value: (y) => pct(y.ratio), numeric: true },
        { label: "Status", value: (y) => (y.status ? tag(PROGRESS_STATUS[y.status] || y.status, words(y.status)) : "–") },
      ],
      rows: report.years,
      empty: "Nothing to report against yet.",
    }),
  );
}

function pledgeForm(mine, pledge, etag, measures) {
  const revising = Boolean(pledge);
  const baseYear = pledge?.base_year || lastYear();
  const given = Object.keys(pledge?.targets || {});
  const start = startYear(baseYear) ?? startYear(lastYear());
  const years = Array.from({ length: Math.max(TARGET_YEARS, given.length) }, (_, i) => given[i] || yearLabel(start + i + 1));
  const measureLabel = (m) => `${m.code}: ${m.wording || m.outcome || ""}${m.unit ? ` (${m.unit})` : ""}`;
  const targetRows = years.map((year, i) =>
    h(
      "fieldset",
      { class: "group target-year", dataset: { index: String(i) } },
      h("legend", {}, `Targets, year ${i + 1} after the base year`),
      field({ name: `target_year.${i}`, label: `Financial year ${i + 1}`, value: year, hint: "Like 2026-27; leave the figures empty to skip this year" }),
      h(
        "div",
        { class: "inline-fields" },
        measures.map((m) => field({ name: `target.${i}.${m.code}`, label: measureLabel(m), type: "number", min: 0, step: "any", inputmode: "decimal", value: pledge?.targets?.[year]?.[m.code] ?? "" })),
      ),
    ),
  );
  const el = form({
    label: revising ? "Revise your pledge" : "Make your pledge",
    fields: [
      field({ name: "base_year", label: "Base year", hint: "The financial year your baseline describes, like 2025-26", value: baseYear, required: true }),
      group(
        { name: "baseline", legend: "Baseline in the base year", hint: "What your organisation gave in the base year on each key measure; leave a measure empty to leave it out of the pledge" },
        h("div", { class: "inline-fields" }, measures.map((m) => field({ name: `baseline.${m.code}`, label: measureLabel(m), type: "number", min: 0, step: "any", inputmode: "decimal", value: pledge?.baseline?.[m.code] ?? "" }))),
      ),
      group({ name: "targets", legend: "Targets for the years after", hint: "Targets should rise year on year; one that falls is recorded with a warning" }, targetRows),
      revising ? field({ name: "reason", label: "Why you are revising the pledge", type: "textarea", required: true }) : null,
    ],
    submitLabel: revising ? "Save the revised pledge" : "Make the pledge",
    onSubmit: async (v, formEl) => {
      const baseline = {};
      for (const m of measures) if (v[`baseline.${m.code}`] !== "") baseline[m.code] = v[`baseline.${m.code}`];
      const targets = {};
      years.forEach((_, i) => {
        const year = v[`target_year.${i}`];
        const figures = {};
        for (const m of measures) if (v[`target.${i}.${m.code}`] !== "") figures[m.code] = v[`target.${i}.${m.code}`];
        // The API names a target by its year ("targets.2026-27.NT14"): point those names here.
        formEl.querySelector(`[name="target_year.${i}"]`).dataset.field = `targets.${year}`;
        for (const m of measures) formEl.querySelector(`[name="target.${i}.${m.code}"]`).dataset.field = `targets.${year}.${m.code}`;
        if (year && Object.keys(figures).length) targets[year] = figures;
      });
      const body = { base_year: v.base_year, baseline, targets };
      if (revising) body.reason = v.reason;
      await call("commitments", "PUT", `/pledges/${encodeURIComponent(mine)}`, { body, etag });
      flash(revising ? "Your pledge was revised: the earlier version is kept in its history." : "Your pledge was made.");
      reload();
    },
  });
  return el;
}

function policySummary(policy) {
  return h(
    "div",
    {},
    h("p", { class: "quote" }, policy.statement),
    summary([
      ["Priority outcomes", policy.priority_outcomes.length ? h("ul", {}, policy.priority_outcomes.map((o) => h("li", {}, o))) : "None named"],
      ["Priority measures", policy.priority_measures.join(", ") || "None named"],
      ["Recorded", day(policy.recorded_on)],
      ["Framework", policy.framework_version],
    ]),
    hasRole("buyer") ? h("p", { class: "muted" }, "A tender you draft without relevant measures starts from your priority measures.") : null,
  );
}

function policyForm(mine, policy, etag, outcomes) {
  return form({
    label: policy ? "Revise your social value policy" : "Record your social value policy",
    fields: [
      field({ name: "statement", label: "Why social value matters to your organisation", type: "textarea", rows: 5, required: true, value: policy?.statement || "" }),
      field({
        name: "priority_outcomes",
        label: "Priority outcomes (optional)",
        type: "textarea",
        rows: 4,
        hint: "One per line, worded as in the framework, for example More local people in employment",
        value: (policy?.priority_outcomes || []).join("\n"),
      }),
      outcomes.length ? disclosure("The framework's outcomes, to copy from", h("ul", { class: "compact" }, outcomes.map((o) => h("li", {}, o)))) : null,
      field({ name: "priority_measures", label: "Priority measures (optional)", hint: "TOMs codes separated by commas, for example NT1, NT14; name at least one outcome or measure", value: (policy?.priority_measures || []).join(", ") }),
    ],
    submitLabel: policy ? "Save the revised policy" : "Record the policy",
    onSubmit: async (v) => {
      await call("commitments", "PUT", `/policies/${encodeURIComponent(mine)}`, {
        body: {
          statement: v.statement,
          priority_outcomes: splitList(v.priority_outcomes, /\n/),
          priority_measures: splitList(v.priority_measures),
        },
        etag,
      });
      flash(policy ? "Your social value policy was revised." : "Your social value policy was recorded.");
      reload();
    },
  });
}

// ---- every organisation's pledge (auditors and administrators) -------------------------------

export async function renderAll(view) {
  replace(view, heading("Partner VCFSE pledges", "Partner VCFSE"));
  if (!offers("commitments", "GET", "/pledges")) {
    add(view, unavailable("Pledges", routeName("commitments", "GET", "/pledges")));
    return;
  }
  const pledges = await get("commitments", "/pledges", { limit: 500 });
  add(
    view,
    h("p", { class: "lede" }, hasRole("auditor", "admin") ? "Every organisation's pledge as it stands." : "Your organisation's pledge; auditors and administrators see every organisation's."),
    table({
      caption: "Pledges",
      captionHidden: true,
      empty: "No organisation has made a pledge yet.",
      columns: [
        { label: "Organisation", value: (p) => link(`#/pledges/${encodeURIComponent(p.organisation)}`, p.organisation) },
        { label: "Base year", value: (p) => p.base_year },
        { label: "Baseline", value: (p) => Object.entries(p.baseline).map(([c, v]) => `${c} ${num(v)}`).join(", ") || "–" },
        { label: "Target years", value: (p) => Object.keys(p.targets).join(", ") || "–" },
        { label: "Revision", value: (p) => String(p.revision), numeric: true },
        { label: "Recorded", value: (p) => day(p.recorded_on) },
      ],
      rows: pledges,
    }),
  );
}

export async function renderOne(view, { organisation: who }) {
  const [{ data: pledge }, measures] = await Promise.all([call("commitments", "GET", `/pledges/${encodeURIComponent(who)}`), keyMeasures()]);
  replace(
    view,
    h("p", { class: "breadcrumbs" }, link("#/pledges", "Partner VCFSE pledges")),
    heading(`Pledge of ${pledge.organisation}`, "Partner VCFSE"),
    pledgeSummary(pledge, measures),
    pledge.history?.length > 1 ? [h("h2", {}, "Earlier versions"), revisions(pledge.history)] : null,
  );
}
