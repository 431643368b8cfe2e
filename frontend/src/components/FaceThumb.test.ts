import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/svelte';
import { tick } from 'svelte';
import FaceThumb from './FaceThumb.svelte';
import { FaceThumbLoader } from '../lib/facethumbs.svelte';

// Like a browser's: the element is reported in view later, outside the
// attachment's own run.
class LateObserver {
  constructor(private readonly cb: (entries: { isIntersecting: boolean }[]) => void) {}
  observe() {
    setTimeout(() => this.cb([{ isIntersecting: true }]), 0);
  }
  disconnect() {}
}

describe('FaceThumb', () => {
  beforeEach(() => vi.stubGlobal('IntersectionObserver', LateObserver));
  afterEach(() => vi.unstubAllGlobals());
  const later = () => new Promise((r) => setTimeout(r, 5));

  it('asks for the new track when a card changes its face (a split took its best track)', async () => {
    const asked: number[] = [];
    const loader = new FaceThumbLoader('ep1');
    loader.request = (id: number) => void asked.push(id);
    const { rerender } = render(FaceThumb, { loader, track: 11 });
    await later();
    expect(asked).toEqual([11]);
    await rerender({ loader, track: 12 });
    await tick();
    await later();
    expect(asked).toEqual([11, 12]);
  });
});
