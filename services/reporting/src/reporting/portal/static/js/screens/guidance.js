// Guidance: what counts under each measure of the framework, what is not additional, what good
// evidence looks like; and the 60:40 rule for evaluating bids.

import { get, offers } from "../api.js";
import { session } from "../auth.js";
import { ADDITIONALITY, evaluationGuidance, measureGuidance, returnGuidance } from "../guidance.js";
import {
  add, h, heading, replace,
} from "../ui.js";

export async function render(view) {
  replace(
    view,
    heading("Guidance", "Social value, in plain words"),
    h("p", { class: "lede" }, "What counts as social value under each measure, what does not because it is not additional, and what evidence to keep. Written from the Cheshire and Merseyside roadmap, “Towards a Social Value Economy”."),
    h("h2", {}, "The principle: additionality"),
    h("p", {}, ADDITIONALITY),
    h("p", {}, "Requirements should also be relevant (to the contract, the bidders' capabilities and local needs) and proportionate (to the contract's size). Measurement is both quantitative and qualitative: numbers, and the stories and case studies that show what changed."),
    h("div", { class: "grid" }, evaluationGuidance(), returnGuidance()),
    h("h2", { id: "measures" }, "Measures"),
  );
  const measures = session() ? await loadMeasures() : null;
  if (!measures) {
    add(view, h("p", {}, session() ? "The framework's measures could not be read from the commitments service right now." : "Sign in to see every measure of your framework with its guidance."));
    for (const code of ["NT1", "NT10", "NT14", "NT17"]) add(view, measureGuidance({ code, theme: { NT1: "Jobs", NT10: "Jobs" }[code] || "Growth" }));
    return;
  }
  const byTheme = new Map();
  for (const m of measures) byTheme.set(m.theme, [...(byTheme.get(m.theme) || []), m]);
  for (const [theme, list] of byTheme) {
    add(view, h("h3", {}, theme));
    for (const m of list) add(view, measureGuidance({ code: m.code, theme: m.theme, unit: m.unit, wording: m.wording }));
  }
}

async function loadMeasures() {
  if (!offers("commitments", "GET", "/frameworks") || !offers("commitments", "GET", "/frameworks/{version}/measures")) return null;
  try {
    const versions = await get("commitments", "/frameworks");
    const chosen = versions.find((v) => v.is_default) || versions[0];
    if (!chosen) return null;
    return await get("commitments", `/frameworks/${encodeURIComponent(chosen.version)}/measures`);
  } catch {
    return null;
  }
}
