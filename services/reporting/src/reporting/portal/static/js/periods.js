// UK public-sector financial years run April to March: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar.

const MONTHS = { 1: "Apr–Jun", 2: "Jul–Sep", 3: "Oct–Dec", 4: "Jan–Mar" };

/** "2026-27-Q1" -> {year: 2026, quarter: 1}. */
export function parse(period) {
  const m = /^(\d{4})-(\d{2})-Q([1-4])$/.exec(period || "");
  return m ? { year: Number(m[1]), quarter: Number(m[3]) } : null;
}

/** "2026-27-Q1" -> "Q1 2026-27 (Apr–Jun 2026)". */
export function label(period) {
  const p = parse(period);
  if (!p) return period || "–";
  const calendarYear = p.quarter === 4 ? p.year + 1 : p.year;
  return `Q${p.quarter} ${period.slice(0, 7)} (${MONTHS[p.quarter]} ${calendarYear})`;
}

/** "2026-27-Q1" -> "2026-27 Q1": short, for chart axes. */
export function short(period) {
  const p = parse(period);
  return p ? `${period.slice(0, 7)} Q${p.quarter}` : period;
}

export function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every period named in any of the given objects' keys, in order. */
export function union(...maps) {
  const found = new Set();
  for (const map of maps) for (const key of Object.keys(map || {})) found.add(key);
  return [...found].sort(compare);
}

/** The quarter running on `today`, as "2026-27-Q3". */
export function current(today = new Date()) {
  const month = today.getUTCMonth() + 1;
  const year = month >= 4 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
  const quarter = Math.floor(((month + 8) % 12) / 3) + 1;
  return `${year}-${String((year + 1) % 100).padStart(2, "0")}-Q${quarter}`;
}
