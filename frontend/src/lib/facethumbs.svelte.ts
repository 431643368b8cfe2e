// Face crops by track id, asked for in batches as they scroll into view.
import { api } from './api';

export const THUMB_BATCH = 16;

export class FaceThumbLoader {
  /** Track id → data URL; absent while loading or when it failed. */
  urls = $state<Record<number, string>>({});
  private queued = new Set<number>();
  private asked = new Set<number>();
  private failed = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly key: string,
    private readonly onerror: (err: unknown) => void = () => {},
  ) {}

  /** Asks for a track's crop; requests made in the same tick go out together. */
  request(id: number): void {
    if (this.closed || !Number.isInteger(id) || id <= 0 || this.asked.has(id)) return;
    this.asked.add(id);
    this.queued.add(id);
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Asks again for the crops whose last call failed (their cards are not asked twice by themselves). */
  retryFailed(): void {
    const ids = [...this.failed];
    this.failed.clear();
    for (const id of ids) {
      this.asked.delete(id);
      this.request(id);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    this.timer = null;
    const ids = [...this.queued];
    this.queued.clear();
    for (let i = 0; i < ids.length; i += THUMB_BATCH) void this.load(ids.slice(i, i + THUMB_BATCH));
  }

  private async load(ids: number[]): Promise<void> {
    try {
      const got = await api.faceThumbs(this.key, ids);
      if (this.closed) return;
      for (const [id, url] of Object.entries(got)) if (url) this.urls[Number(id)] = url;
    } catch (err) {
      if (this.closed) return;
      for (const id of ids) this.failed.add(id);
      this.onerror(err);
    }
  }
}

/** Attachment: runs cb once, when the element first comes into view (at once without IntersectionObserver). */
export function whenVisible(cb: () => void) {
  return (el: Element) => {
    if (typeof IntersectionObserver === 'undefined') {
      cb();
      return;
    }
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          io.disconnect();
          cb();
        }
      },
      { rootMargin: '200px' },
    );
    io.observe(el);
    return () => io.disconnect();
  };
}

/**
 * Attachment: asks loader for track id's crop once the element is in view.
 * Both are arguments, read where the attachment is made, so a card whose
 * track changes (a split took its best one) asks again.
 */
export function thumbWhenVisible(loader: FaceThumbLoader, id: number) {
  return whenVisible(() => loader.request(id));
}
