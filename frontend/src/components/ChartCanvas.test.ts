import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ChartCanvas from './ChartCanvas.svelte';
import type { BarConfig } from '../lib/charts';

const made = vi.hoisted(() => [] as { el: HTMLCanvasElement; cfg: unknown; destroyed: boolean }[]);

vi.mock('../lib/chartjs', () => ({
  Chart: class {
    el: HTMLCanvasElement;
    cfg: unknown;
    destroyed = false;
    constructor(el: HTMLCanvasElement, cfg: unknown) {
      this.el = el;
      this.cfg = cfg;
      made.push(this);
    }
    destroy() {
      this.destroyed = true;
    }
  },
}));

vi.mock('../lib/charts', async (original) => ({ ...(await original<typeof import('../lib/charts')>()), canDraw: () => true }));

async function settle() {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await tick();
  }
}

const config = (n: number): BarConfig => ({ type: 'bar', data: { labels: [`row ${n}`], datasets: [{ data: [n] }] } });

describe('ChartCanvas', () => {
  it('draws on its canvas, replaces the chart when the configuration changes and destroys it on unmount', async () => {
    const first = config(1);
    const view = render(ChartCanvas, { config: first, height: 80, label: 'Screen time', testid: 'chart-x' });
    await settle();
    expect(made).toHaveLength(1);
    expect(made[0].el).toBe(screen.getByTestId('chart-x'));
    expect(made[0].cfg).toBe(first);
    expect(screen.getByRole('img', { name: 'Screen time' }).style.height).toBe('80px');

    await view.rerender({ config: config(2), height: 80, label: 'Screen time', testid: 'chart-x' });
    await settle();
    expect(made).toHaveLength(2);
    expect(made[0].destroyed).toBe(true);
    expect(made[1].destroyed).toBe(false);

    view.unmount();
    expect(made[1].destroyed).toBe(true);
  });
});
