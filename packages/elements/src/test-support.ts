// Helpers for the browser tests of this package (not published).
import { createMemoryEntryStore, createMemoryStorage, VideoGallery } from '@video-gallery/core';
import { createFakeProvider, type FakeStep } from '@video-gallery/core/testing';
import { sampleVideoBytes } from '../../providers/src/testing/sample-video.js';
import type { GalleryItem } from './shared/client.js';

/** A real VideoGallery running in the page: memory storage and store, a fake provider that delivers a real MP4. */
export function browserGallery(options: { entries?: GalleryItem[]; script?: FakeStep[] } = {}) {
  const store = createMemoryEntryStore();
  const storage = createMemoryStorage();
  const provider = createFakeProvider({ video: sampleVideoBytes(), ...(options.script ? { script: options.script } : {}) });
  const gallery = new VideoGallery({
    providers: [provider], storage, store, poll: { initialDelayMs: 20, maxDelayMs: 20, jitter: 0 }, logger: { warn: () => undefined },
  });
  const ready = Promise.all((options.entries ?? []).map((entry) => store.insert({ ...entry, task: null, outputs: null })));
  return { gallery, store, storage, provider, ready };
}

/** The shadow root of an element (throws when there is none). */
export function shadow(element: Element): ShadowRoot {
  if (!element.shadowRoot) throw new Error(`${element.localName} has no shadow root`);
  return element.shadowRoot;
}

/** One element in a host's shadow root, or inside an element (throws when absent, naming the selector). */
export function $<T extends Element = HTMLElement>(root: Element | ShadowRoot, selector: string): T {
  const scope = root instanceof ShadowRoot ? root : root.shadowRoot ?? root;
  const found = scope.querySelector<T>(selector);
  if (!found) throw new Error(`nothing matches ${selector}`);
  return found;
}

/** All elements matching a selector in an element's shadow root. */
export function $$<T extends Element = HTMLElement>(root: Element, selector: string): T[] {
  return [...shadow(root).querySelectorAll<T>(selector)];
}

/** The focused element, looking into shadow roots. */
export function deepActiveElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Collects the next dispatched events of a type on a target. */
export function collect<K extends keyof GlobalEventHandlersEventMap>(target: EventTarget, type: K): GlobalEventHandlersEventMap[K][] {
  const seen: GlobalEventHandlersEventMap[K][] = [];
  target.addEventListener(type, (event) => seen.push(event as GlobalEventHandlersEventMap[K]));
  return seen;
}
