// chart.js with only what the Report view draws: horizontal and floating bars.
// Loaded on demand by ChartCanvas, so the code stays out of the start-up bundle.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export { Chart };
