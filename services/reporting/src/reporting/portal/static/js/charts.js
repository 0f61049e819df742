// Charts by plotly.js, served by the portal itself from the installed `plotly` package
// (vendor/plotly.min.js): no CDN, nothing fetched from elsewhere. Each chart has a text summary
// for screen readers and the same figures in a table beside it.

import { h, table, disclosure } from "./ui.js";

export const COLOURS = {
  committed: "#505a5f",
  delivered: "#1d70b8",
  red: "#b3261e",
  amber: "#e08a00",
  green: "#00703c",
  grey: "#929191",
  series: ["#1d70b8", "#00703c", "#b3261e", "#4c2c92", "#e08a00", "#28a197", "#6f777b", "#f499be"],
};

let loading = null;

/** Load plotly.js once, when the first chart is drawn. */
export function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "vendor/plotly.min.js";
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        reject(new Error("the charting library could not be loaded"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

const LAYOUT = {
  font: { family: "Helvetica Neue, Arial, Liberation Sans, sans-serif", size: 14, color: "#0b0c0c" },
  margin: { l: 64, r: 16, t: 16, b: 64 },
  paper_bgcolor: "#ffffff",
  plot_bgcolor: "#ffffff",
  legend: { orientation: "h", y: -0.2 },
  hoverlabel: { font: { size: 14 } },
};

const CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

/**
 * A chart block: heading, the drawing (role img, labelled by `summary`) and its figures as a table.
 * spec: {title, summary, traces, layout, tableColumns, tableRows, height}
 */
export function chart(spec) {
  const drawing = h("div", { class: "chart", role: "img", "aria-label": spec.summary, style: `min-height:${spec.height || 320}px` });
  const block = h(
    "figure",
    { class: "chart-block", style: "margin:0" },
    h("h3", {}, spec.title),
    drawing,
    h("figcaption", { class: "muted" }, spec.summary),
    spec.tableRows
      ? disclosure(`${spec.title}: the figures as a table`, table({ caption: spec.title, columns: spec.tableColumns, rows: spec.tableRows }))
      : null,
  );
  plotly()
    .then((Plotly) => {
      const layout = { ...LAYOUT, height: spec.height || 320, ...(spec.layout || {}) };
      return Plotly.newPlot(drawing, spec.traces, layout, CONFIG);
    })
    .then(() => {
      // plotly's own svg carries no name; the labelled wrapper speaks for it.
      for (const svg of drawing.querySelectorAll("svg")) svg.setAttribute("aria-hidden", "true");
      drawing.dataset.drawn = "true";
    })
    .catch((error) => {
      drawing.replaceChildren(h("p", { class: "muted" }, `The chart could not be drawn (${error.message}); the table below has the same figures.`));
    });
  return block;
}

/** Grouped bars: categories along x, one trace per series. */
export function bars({ categories, series, yTitle, percent = false, stacked = false }) {
  return {
    traces: series.map((s, i) => ({
      type: "bar",
      name: s.name,
      x: categories,
      y: s.values,
      marker: { color: s.colour || COLOURS.series[i % COLOURS.series.length] },
      hovertemplate: percent ? "%{x}: %{y:.0%}<extra>%{fullData.name}</extra>" : "%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
    })),
    layout: {
      barmode: stacked ? "stack" : "group",
      yaxis: { title: { text: yTitle }, tickformat: percent ? ".0%" : ",", rangemode: "tozero", gridcolor: "#dcdcdc", zerolinecolor: "#0b0c0c" },
      xaxis: { type: "category", automargin: true },
    },
  };
}

/** Lines over quarters, one per series. */
export function lines({ categories, series, yTitle, percent = false }) {
  return {
    traces: series.map((s, i) => ({
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: categories,
      y: s.values,
      connectgaps: false,
      line: { color: s.colour || COLOURS.series[i % COLOURS.series.length], width: 3, dash: s.dash || "solid" },
      marker: { size: 8, symbol: s.symbol || "circle" },
      hovertemplate: percent ? "%{x}: %{y:.0%}<extra>%{fullData.name}</extra>" : "%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
    })),
    layout: {
      yaxis: { title: { text: yTitle }, tickformat: percent ? ".0%" : ",", rangemode: "tozero", gridcolor: "#dcdcdc", zerolinecolor: "#0b0c0c" },
      xaxis: { type: "category", automargin: true },
    },
  };
}
