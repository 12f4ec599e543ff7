import * as echarts from "echarts/core";
import { BarChart, CustomChart, HeatmapChart, LineChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

// Apache ECharts, only the parts the views use. Each chart also has a table or a text alternative for keyboard and
// screen-reader users (a canvas is neither).

echarts.use([BarChart, CustomChart, HeatmapChart, LineChart, DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent,
  TooltipComponent, VisualMapComponent, CanvasRenderer]);

export { echarts };

/** The chart in `container`, created once and updated in place on refresh (no flicker, no leak). */
export function chart(container: HTMLElement): echarts.ECharts {
  return echarts.getInstanceByDom(container) ?? echarts.init(container, undefined, { renderer: "canvas" });
}

export const palette = { used: "#1f5fa8", free: "#d9e2ec", warn: "#b45309", bad: "#b91c1c", ok: "#15803d", text: "#1f2933" };

/**
 * Draws `option` into the chart in `container`, without animation: the views redraw every few seconds, and a chart that
 * replays its entrance each time is noise (a screenshot or a timing would also catch it half-drawn).
 */
export function draw(container: HTMLElement, option: echarts.EChartsCoreOption, replace = false): echarts.ECharts {
  const c = chart(container);
  c.setOption({ animation: false, ...option }, replace);
  return c;
}
