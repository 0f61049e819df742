() => {
  // The project's own checks, run after axe-core (conftest.assert_accessible): what axe leaves to best
  // practice (one h1, headings in order) and basics it checks too. Returns a list of problems.
  const problems = [];
  const describe = (el) => {
    const text = (el.textContent || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ").slice(0, 60);
    return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}> "${text}"`;
  };
  const shown = (el) => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 1 && rect.height > 1 && !el.closest(".visually-hidden");
  };
  const nameOf = (el) => {
    const labelled = el.getAttribute("aria-labelledby");
    if (labelled) {
      return labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
    }
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label) return label.textContent.trim();
    }
    const wrapping = el.closest("label");
    if (wrapping) return wrapping.textContent.trim();
    if (["BUTTON", "A", "SUMMARY"].includes(el.tagName)) return el.textContent.trim();
    return el.getAttribute("title") || "";
  };

  // 3.1.1 the page's language
  if (!document.documentElement.lang) problems.push("the page has no lang attribute");

  // 1.3.1 one h1, and headings that do not skip levels
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(shown);
  const h1s = headings.filter((h) => h.tagName === "H1");
  if (h1s.length !== 1) problems.push(`expected one h1, found ${h1s.length}`);
  let previous = 0;
  for (const heading of headings) {
    const level = Number(heading.tagName[1]);
    if (previous && level > previous + 1) problems.push(`heading skips from h${previous} to h${level}: ${describe(heading)}`);
    previous = level;
  }

  // 1.3.1, 4.1.2 form controls, buttons and links have names
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href], summary")) {
    if (!shown(el) && el.tagName !== "INPUT") continue;
    if (el.tagName === "INPUT" && !shown(el) && el.type !== "checkbox") continue;
    if (!nameOf(el)) problems.push(`no accessible name: ${describe(el)}`);
  }

  // 1.1.1 images and drawings have a text alternative
  for (const el of document.querySelectorAll("img, [role=img]")) {
    if (el.tagName === "IMG" ? el.getAttribute("alt") === null : !nameOf(el)) problems.push(`no text alternative: ${describe(el)}`);
  }

  // 4.1.1 unique ids (labels and descriptions rely on them)
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  for (const [id, count] of seen) if (count > 1) problems.push(`id "${id}" is used ${count} times`);

  // 1.4.3 contrast of text against its background
  const parse = (value) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
  };
  const luminance = ([r, g, b]) => {
    const channel = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0.5) return colour;
    }
    return [255, 255, 255, 1];
  };
  const checked = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || checked.has(el) || !node.textContent.trim()) continue;
    checked.add(el);
    if (el.closest("svg, script, style, noscript, option") || el.matches(":disabled") || el.closest(":disabled") || !shown(el)) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const blended = fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
    const [l1, l2] = [luminance(blended), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}:1 is too low: ${describe(el)}`);
  }
  return problems;
}
