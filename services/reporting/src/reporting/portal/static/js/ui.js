// Building the page: elements from data (never HTML from the API), tables, forms whose errors sit
// beside the field they concern, notices and status tags.

let ids = 0;

/** A fresh id for label/field pairs. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** An element: h("p", {class: "lede"}, "text", child, [more]). Text is always text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** Append children (text, nodes, arrays of them; null and false are skipped). */
export function add(node, ...children) {
  append(node, children);
  return node;
}

/** Replace a node's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Say something to screen reader users without moving focus. */
export function announce(text) {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

// ---- formatting ------------------------------------------------------------------------------

const NUMBER = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });
const MONEY = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
const DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" });

/** A decimal string from the API as a readable number ("4" -> "4", "1234.5" -> "1,234.5"). */
export function num(value) {
  if (value === null || value === undefined || value === "") return "–";
  const n = Number(value);
  return Number.isFinite(n) ? NUMBER.format(n) : String(value);
}

/** A quantity with its unit; GBP as money. */
export function qty(value, unit) {
  if (value === null || value === undefined || value === "") return "–";
  if (unit === "GBP") return MONEY.format(Number(value));
  return unit ? `${num(value)} ${unit}` : num(value);
}

export function money(value) {
  if (value === null || value === undefined || value === "") return "–";
  return MONEY.format(Number(value));
}

/** A ratio ("0.5") as a percentage ("50%"). */
export function pct(ratio) {
  if (ratio === null || ratio === undefined || ratio === "") return "–";
  return `${Math.round(Number(ratio) * 100)}%`;
}

export function day(value) {
  if (!value) return "–";
  const d = new Date(value.length === 10 ? `${value}T12:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? String(value) : DATE.format(d);
}

/** snake_case words from the API as a sentence: "under_delivery" -> "Under delivery". */
export function words(value) {
  if (!value) return "–";
  const text = String(value).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- status tags -----------------------------------------------------------------------------

const TONES = {
  red: "red", amber: "amber", green: "green",
  high: "red", medium: "amber", low: "blue",
  open: "red", acknowledged: "amber", resolved: "green",
  overdue: "red", late: "amber", queried: "amber", due: "amber",
  accepted: "green", submitted: "blue", upcoming: "grey", cancelled: "grey",
  proposed: "blue", declined: "grey", confirmed: "green", disputed: "red", recorded: "blue",
  draft: "grey", published: "blue", closed: "amber", awarded: "green",
  partly_filled: "amber", filled: "green",
};

/** A status as words on a tinted tag; the words carry the meaning, never the colour alone. */
export function tag(status, label) {
  const tone = TONES[status] || "grey";
  return h("strong", { class: `tag tag--${tone}` }, label || ragLabel(status));
}

export function ragLabel(status) {
  if (status === null || status === undefined || status === "") return "Not yet assessed";
  return { red: "Red", amber: "Amber", green: "Green" }[status] || words(status);
}

// ---- layout pieces ---------------------------------------------------------------------------

/** The page heading, focused after navigation so screen readers announce the new page. */
export function heading(text, caption) {
  return [
    caption ? h("span", { class: "muted", text: caption }) : null,
    h("h1", { tabindex: "-1" }, text),
  ];
}

/** A notice: kind is info, success, error or unavailable. */
export function notice(kind, title, ...body) {
  const role = kind === "error" ? "alert" : kind === "success" ? "status" : null;
  return h(
    "div",
    { class: `notice notice--${kind}`, role },
    title ? h("h2", {}, title) : null,
    ...body.map((b) => (typeof b === "string" ? h("p", {}, b) : b)),
  );
}

/** The message shown where a screen needs an API route the services do not offer yet. */
export function unavailable(what, route) {
  return notice(
    "unavailable",
    `${what}: not available yet`,
    `This part of the portal needs ${route}, which the running services do not offer yet. ` +
      "It will appear here, without any change to the portal, once that API is deployed.",
  );
}

/** A definition list of label/value pairs. */
export function summary(pairs) {
  return h(
    "dl",
    { class: "summary" },
    pairs.filter(Boolean).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value ?? "–")]),
  );
}

/**
 * A table: columns are {label, value(row) -> node|text, numeric}. Headers are scoped; the caption
 * names the table for screen readers.
 */
export function table({ caption, columns, rows, empty = "Nothing to show.", captionHidden = false }) {
  if (!rows || rows.length === 0) return h("p", { class: "muted" }, empty);
  const captionId = caption ? uid("caption") : null;
  return scrollable(
    h(
      "table",
      {},
      caption ? h("caption", { id: captionId, class: captionHidden ? "visually-hidden" : null }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "numeric" : null }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            {},
            columns.map((c, i) =>
              i === 0 && c.rowHeader !== false
                ? h("th", { scope: "row", class: c.numeric ? "numeric" : null }, c.value(row))
                : h("td", { class: c.numeric ? "numeric" : null }, c.value(row)),
            ),
          ),
        ),
      ),
    ),
    captionId,
  );
}

/**
 * A wrapper that scrolls its content sideways when it is wider than the screen. While it does,
 * it is a named region in the tab order, so keyboard users can scroll it too (WCAG 2.1.1).
 */
export function scrollable(content, labelledBy = null) {
  const wrap = h("div", { class: "table-wrap" }, content);
  const mark = () => {
    const overflows = wrap.scrollWidth > wrap.clientWidth + 1;
    if (overflows && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      if (labelledBy) wrap.setAttribute("aria-labelledby", labelledBy);
      else wrap.setAttribute("aria-label", "Table, scrolls sideways");
    } else if (!overflows && wrap.hasAttribute("tabindex")) {
      for (const name of ["tabindex", "role", "aria-labelledby", "aria-label"]) wrap.removeAttribute(name);
    }
  };
  if (typeof ResizeObserver === "function") new ResizeObserver(mark).observe(wrap);
  return wrap;
}

export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}

export function button(text, onClick, { kind = "", type = "button", ...attrs } = {}) {
  return h("button", { type, class: `button ${kind ? `button--${kind}` : ""}`.trim(), onclick: onClick, ...attrs }, text);
}

// ---- forms -----------------------------------------------------------------------------------

/**
 * A labelled field. spec: {name, label, type, hint, value, required, options, rows, min, max, step,
 * accept, list}. `name` is the API's field name: errors naming it are shown beside it.
 */
export function field(spec) {
  const id = spec.id || uid(spec.name.replaceAll(".", "-"));
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  let control;
  const common = {
    id,
    name: spec.name,
    required: spec.required || null,
    "aria-describedby": hintId,
    dataset: { field: spec.name },
  };
  if (spec.type === "select") {
    control = h(
      "select",
      common,
      (spec.options || []).map((o) => {
        const [value, text] = Array.isArray(o) ? o : [o, o];
        return h("option", { value, selected: String(spec.value ?? "") === String(value) || null }, text);
      }),
    );
  } else if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: spec.rows || 4, maxlength: spec.maxlength });
    control.value = spec.value ?? "";
  } else if (spec.type === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: spec.value ? true : null });
    return h(
      "div",
      { class: "field", dataset: { for: spec.name } },
      h("span", { class: "error-message", id: errorId, hidden: true }),
      h("label", { for: id }, control, spec.label),
      spec.hint ? h("span", { class: "hint", id: hintId }, spec.hint) : null,
    );
  } else {
    control = h("input", {
      ...common,
      type: spec.type || "text",
      min: spec.min,
      max: spec.max,
      step: spec.step,
      accept: spec.accept,
      list: spec.list,
      inputmode: spec.inputmode,
      autocomplete: spec.autocomplete || "off",
    });
    if (spec.value !== undefined && spec.value !== null && spec.type !== "file") control.value = spec.value;
  }
  return h(
    "div",
    { class: "field", dataset: { for: spec.name } },
    h("label", { for: id }, spec.label),
    spec.hint ? h("span", { class: "hint", id: hintId }, spec.hint) : null,
    h("span", { class: "error-message", id: errorId, hidden: true }),
    control,
  );
}

/**
 * A group of fields under a legend that an API error may name as a whole ("needs.2",
 * "event_types"): the message is shown under the legend. spec: {name, legend, hint, class}.
 */
export function group(spec, ...children) {
  const id = spec.id || uid(`${spec.name.replaceAll(".", "-")}-group`);
  const hintId = spec.hint ? `${id}-hint` : null;
  return h(
    "fieldset",
    { id, class: `group field field--group ${spec.class || ""}`.trim(), "aria-describedby": hintId, dataset: { field: spec.name, for: spec.name } },
    h("legend", {}, spec.legend),
    spec.hint ? h("span", { class: "hint", id: hintId }, spec.hint) : null,
    h("span", { class: "error-message", id: `${id}-error`, hidden: true }),
    children,
  );
}

/** The values of a form's named controls, as strings (checkboxes as booleans). */
export function values(form) {
  const found = {};
  for (const el of form.querySelectorAll("[name]")) {
    if (el.type === "checkbox") found[el.name] = el.checked;
    else if (el.type === "file") found[el.name] = el.files && el.files[0];
    else found[el.name] = el.value.trim();
  }
  return found;
}

/** Remove the errors a previous submission left on a form. */
export function clearErrors(form) {
  form.querySelector(":scope > .error-summary")?.remove();
  for (const wrap of form.querySelectorAll(".field--error")) wrap.classList.remove("field--error");
  for (const msg of form.querySelectorAll(".error-message")) {
    msg.hidden = true;
    msg.textContent = "";
  }
  for (const el of form.querySelectorAll("[aria-invalid], [aria-describedby]")) {
    el.removeAttribute("aria-invalid");
    const described = (el.getAttribute("aria-describedby") || "").split(" ").filter((x) => !x.endsWith("-error"));
    if (described.length) el.setAttribute("aria-describedby", described.join(" "));
    else el.removeAttribute("aria-describedby");
  }
}

/** Find the control a problem's field names: exact, or the nearest enclosing name. */
function controlFor(form, name) {
  if (!name) return null;
  const all = [...form.querySelectorAll("[data-field]")];
  let candidate = name;
  while (candidate) {
    const found = all.find((el) => el.dataset.field === candidate);
    if (found) return found;
    const cut = candidate.lastIndexOf(".");
    if (cut < 0) break;
    candidate = candidate.slice(0, cut);
  }
  return null;
}

function labelFor(form, control) {
  if (control && control.tagName === "FIELDSET") return control.querySelector("legend")?.textContent.trim() || null;
  const label = control && form.querySelector(`label[for="${control.id}"]`);
  return label ? label.textContent.trim() : null;
}

/** Where focus goes for a problem: the control itself, or a group's first control. */
function focusTarget(control) {
  if (control.tagName !== "FIELDSET") return control;
  return control.querySelector("input:not([type=hidden]), select, textarea, button") || control;
}

/**
 * Show an API problem on a form: a summary at the top linking to each field, and each message
 * beside its field. `describe(field)` may turn an API field name into words.
 */
export function showProblem(form, error, { describe } = {}) {
  clearErrors(form);
  const problem = error.problem || { title: "Something went wrong", detail: String(error.message || error) };
  const items = [];
  for (const e of problem.errors || []) {
    const control = controlFor(form, e.field);
    const message = humanise(e.message);
    const name = (describe && describe(e.field)) || labelFor(form, control) || fieldWords(e.field);
    if (control) {
      const wrap = control.closest(".field");
      const slot = wrap && wrap.querySelector(".error-message");
      if (slot) {
        slot.hidden = false;
        slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
        wrap.classList.add("field--error");
        if (control.tagName !== "FIELDSET") control.setAttribute("aria-invalid", "true");
        const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (!described.includes(slot.id)) control.setAttribute("aria-describedby", [...described, slot.id].join(" "));
      }
    }
    items.push(
      h(
        "li",
        {},
        control
          ? h("a", { href: `#${focusTarget(control).id || control.id}`, onclick: (ev) => { ev.preventDefault(); focusTarget(control).focus(); } }, `${name}: ${message}`)
          : `${name}: ${message}`,
      ),
    );
  }
  const box = h(
    "div",
    { class: "notice notice--error error-summary", role: "alert", tabindex: "-1" },
    h("h2", {}, problemTitle(problem)),
    problem.detail && problem.detail !== problem.title ? h("p", {}, humanise(problem.detail)) : null,
    items.length ? h("ul", {}, items) : null,
  );
  form.prepend(box);
  box.focus();
  return box;
}

/** A problem's title in plain words, with its status when that helps. */
export function problemTitle(problem) {
  if (problem.status === 0) return "The service could not be reached";
  if (problem.status === 401) return "Please sign in again";
  if (problem.status === 403) return "Your role cannot do this";
  if (problem.status === 404) return "Not found";
  if (problem.status === 409) return problem.title || "That clashes with what has happened since";
  if (problem.status === 412) return "Someone changed this since you opened it: reload the page and try again";
  if (problem.status === 429) return "Too many changes at once: wait a moment and try again";
  return problem.title || "Something went wrong";
}

/** A standalone block for an error outside a form. */
export function problemNotice(error) {
  const problem = error.problem || { detail: String(error.message || error) };
  return notice(
    "error",
    problemTitle(problem),
    humanise(problem.detail || ""),
    problem.errors && problem.errors.length
      ? h("ul", {}, problem.errors.map((e) => h("li", {}, `${fieldWords(e.field)}: ${humanise(e.message)}`)))
      : null,
  );
}

const PYDANTIC = [
  [/^Field required$/i, "This is required."],
  [/^Input should be greater than or equal to (.+)$/i, "Enter $1 or more."],
  [/^Input should be greater than (.+)$/i, "Enter more than $1."],
  [/^Input should be less than or equal to (.+)$/i, "Enter $1 or less."],
  [/^Input should be a valid decimal$/i, "Enter a number."],
  [/^Input should be a valid number.*$/i, "Enter a number."],
  [/^Input should be a valid integer.*$/i, "Enter a whole number."],
  [/^Input should be a valid date.*$/i, "Enter a date."],
  [/^Input should be a valid UUID.*$/i, "Choose one from the list."],
  [/^String should have at least 1 character$/i, "This is required."],
  [/^String should have at most (\d+) characters?$/i, "Use $1 characters or fewer."],
  [/^String should match pattern .*$/i, "This is not in the expected format."],
  [/^Input should be a valid URL.*$/i, "Enter a full web address, starting with https://"],
  [/^URL scheme should be .*$/i, "Enter a web address starting with https:// (or http://)."],
  [/^List should have at least 1 item.*$/i, "Give at least one."],
  [/^Value error, (.*)$/i, "$1"],
  [/^Input should be (.*)$/i, "Choose $1."],
];

/** An API message in plain words: FastAPI's validation phrases become instructions. */
export function humanise(message) {
  const text = String(message || "").trim();
  for (const [pattern, replacement] of PYDANTIC) {
    if (pattern.test(text)) return text.replace(pattern, replacement);
  }
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

/** "lines.0.quantity" -> "Line 1, quantity"; "rows.3.quantity" -> "Row 3, quantity". */
export function fieldWords(name) {
  if (!name) return "Request";
  const parts = String(name).split(".");
  const out = [];
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i];
    const next = parts[i + 1];
    if (part === "rows" && next !== undefined) {
      out.push(`Row ${next}`);
      i += 1;
    } else if (/^\d+$/.test(next ?? "") && part !== "rows") {
      out.push(`${words(part).replace(/s$/, "")} ${Number(next) + 1}`);
      i += 1;
    } else {
      out.push(i === 0 ? words(part) : part.replaceAll("_", " "));
    }
  }
  return out.join(", ");
}

/** Disable a form's buttons while a request runs. */
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
  }
}

/** A form that calls `submit(values, form)`; an API problem is shown on the form. */
export function form({ fields, submitLabel, onSubmit, kind = "", extra = null, describe, label }) {
  const el = h("form", { novalidate: true, "aria-label": label || null }, fields, extra, h("div", { class: "button-row" }, button(submitLabel, null, { type: "submit", kind })));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    await busy(el, async () => {
      try {
        await onSubmit(values(el), el);
      } catch (error) {
        if (error && error.problem) showProblem(el, error, { describe });
        else throw error;
      }
    });
  });
  return el;
}

/**
 * A button that calls the API, then draws the screen again with `message` at its top; a refusal
 * is shown beside the button, in words.
 */
export function actionButton(label, action, message, { kind = "", small = true, ...attrs } = {}) {
  const status = h("span", { class: "action-status" });
  const el = button(label, async () => {
    el.disabled = true;
    replace(status);
    try {
      await action();
      flash(message);
      reload();
    } catch (error) {
      el.disabled = false;
      if (!error.problem) throw error;
      replace(status, problemNotice(error));
    }
  }, { kind, class: `button${small ? " button--small" : ""}${kind ? ` button--${kind}` : ""}`, ...attrs });
  return h("span", {}, el, status);
}

/** Comma- or line-separated text as a list of trimmed, non-empty items. */
export function splitList(text, separator = /[,\n]/) {
  return String(text || "").split(separator).map((x) => x.trim()).filter(Boolean);
}

/** A disclosure: a summary line that opens to show more. */
export function disclosure(summaryText, ...body) {
  return h("details", {}, h("summary", {}, summaryText), h("div", { class: "details-body" }, body));
}

// ---- navigation ------------------------------------------------------------------------------

let pendingFlash = null;

/** Draw the current screen again (after an action changed what it shows). */
export function reload() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

/** Go to a screen; the same screen is drawn again. */
export function go(hash) {
  if (window.location.hash === hash) reload();
  else window.location.hash = hash;
}

/** A message for the top of the next screen drawn ("Alert acknowledged"). */
export function flash(text) {
  pendingFlash = text;
}

export function takeFlash() {
  const text = pendingFlash;
  pendingFlash = null;
  return text;
}
