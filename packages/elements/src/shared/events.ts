import type { GalleryErrorCode, GenerateRequest, JobStatus } from '@video-gallery/core';
import { GalleryError } from '@video-gallery/core/client';
import type { GalleryItem } from './client.js';

/** What went wrong, as `vg-error` reports it. */
export interface VgErrorDetail {
  /** The error: a `GalleryError` (check with `GalleryError.isInstance`) or anything thrown. */
  error: unknown;
  /** Its code when it is a `GalleryError`. */
  code?: GalleryErrorCode;
  /** What the element was doing: `load`, `load-more`, `update`, `delete`, `retry`, `cancel` (gallery); `capabilities`, `generate` (form). */
  action: string;
  /** The entry it concerns, if any. */
  entry?: GalleryItem;
}

/** The `detail` of every `vg-*` event, by event name. */
export interface VgEventDetails {
  /** Before a generation is sent. Cancelable; listeners may change `request` (it is sent as it is then). */
  'vg-generate-request': { request: GenerateRequest };
  /** A generation was accepted; `entry` is `queued`. */
  'vg-generate': { entry: GalleryItem; request: GenerateRequest; idempotencyKey: string };
  /** A card was activated. Cancelable: prevent it to show your own player instead of the built-in dialog. */
  'vg-entry-open': { entry: GalleryItem };
  /** The player dialog closed. */
  'vg-entry-close': { entry: GalleryItem };
  /** Favorite, caption or visibility changed (after the server accepted it). */
  'vg-entry-update': { entry: GalleryItem; patch: { favorite?: boolean; caption?: string | null; visibility?: 'draft' | 'published' } };
  /** An entry was deleted. */
  'vg-entry-delete': { entry: GalleryItem };
  /** A failed or cancelled job was queued again. */
  'vg-entry-retry': { entry: GalleryItem };
  /** A running job was cancelled. */
  'vg-entry-cancel': { entry: GalleryItem };
  /** Filters, sort or search changed (from the toolbar or the attributes). */
  'vg-filter-change': { status: JobStatus[] | null; favorites: boolean; sort: 'newest' | 'oldest'; q: string };
  /** A page of entries arrived. */
  'vg-load': { items: GalleryItem[]; total: number; nextCursor: string | null };
  /** Something failed; the element also shows it. */
  'vg-error': VgErrorDetail;
}

/** Names of the events the elements dispatch. */
export type VgEventName = keyof VgEventDetails;

/** A `vg-*` event. All bubble and cross shadow roots (`composed`). */
export type VgEvent<K extends VgEventName> = CustomEvent<VgEventDetails[K]>;

declare global {
  interface GlobalEventHandlersEventMap {
    'vg-generate-request': VgEvent<'vg-generate-request'>;
    'vg-generate': VgEvent<'vg-generate'>;
    'vg-entry-open': VgEvent<'vg-entry-open'>;
    'vg-entry-close': VgEvent<'vg-entry-close'>;
    'vg-entry-update': VgEvent<'vg-entry-update'>;
    'vg-entry-delete': VgEvent<'vg-entry-delete'>;
    'vg-entry-retry': VgEvent<'vg-entry-retry'>;
    'vg-entry-cancel': VgEvent<'vg-entry-cancel'>;
    'vg-filter-change': VgEvent<'vg-filter-change'>;
    'vg-load': VgEvent<'vg-load'>;
    'vg-error': VgEvent<'vg-error'>;
  }
}

/** Dispatches a bubbling, composed `vg-*` event; returns false when a listener cancelled it. */
export function emit<K extends VgEventName>(target: EventTarget, name: K, detail: VgEventDetails[K], cancelable = false): boolean {
  return target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
}

/** Dispatches `vg-error` for `error` (with its code when it is a `GalleryError`, and the entry it concerns, if any). */
export function emitError(target: EventTarget, error: unknown, action: string, entry?: GalleryItem): void {
  const detail: VgErrorDetail = { error, action };
  if (GalleryError.isInstance(error)) detail.code = error.code;
  if (entry) detail.entry = entry;
  emit(target, 'vg-error', detail);
}
