import type { ModelCapabilities } from '@video-gallery/core';
import { GalleryError } from '@video-gallery/core/client';
import type { GalleryCapabilities, GalleryItem } from './client.js';
import type { ErrorStrings, GalleryStrings, TimeUnit } from './strings.js';

/** `m:ss` (or `h:mm:ss`) of a number of seconds. */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${h ? `${m}`.padStart(2, '0') : m}:${`${s % 60}`.padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

/** A short local date and time. */
export function formatDate(iso: string, locale: string | undefined): string {
  const key = `d${locale}`;
  let format = formats.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) formats.set(key, (format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })));
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : format.format(date);
}

const UNITS: [TimeUnit, number][] = [['year', 31_536_000], ['month', 2_592_000], ['day', 86_400], ['hour', 3600], ['minute', 60]];

/** How long ago `iso` was, in the largest whole unit (under a minute: 0 seconds, "just now"). No Intl, so it costs nothing to set up. */
export function timeAgo(iso: string, now: number, strings: Pick<GalleryStrings, 'ago'>): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '';
  for (const [unit, size] of UNITS) if (seconds >= size) return strings.ago(Math.floor(seconds / size), unit);
  return strings.ago(0, 'second');
}

/** An amount of money, e.g. `$0.40`. */
export function formatMoney(amount: number, currency: string, locale: string | undefined): string {
  const key = `m${locale}${currency}`;
  let format = formats.get(key) as Intl.NumberFormat | undefined;
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 2 });
    } catch {
      format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    }
    formats.set(key, format);
  }
  return format.format(amount);
}

/** A byte count for people, e.g. `10 MB`. */
export function formatBytes(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return mb >= 1 ? `${Math.round(mb * 10) / 10} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** The model an entry (or a choice) refers to, from the capabilities. */
export function findModel(capabilities: GalleryCapabilities | null, provider: string, model: string): ModelCapabilities | undefined {
  return capabilities?.providers.find((p) => p.id === provider)?.models.find((m) => m.id === model);
}

/** The price of `seconds` of video of a model, formatted, or `null` when the model declares no price. */
export function costText(model: ModelCapabilities | undefined, seconds: number, locale: string | undefined): string | null {
  if (!model?.cost || !Number.isFinite(seconds)) return null;
  return formatMoney(model.cost.perSecond * seconds, model.cost.currency, locale);
}

/** The cost of an entry: its model's price × the requested duration (what providers bill). */
export function entryCost(capabilities: GalleryCapabilities | null, entry: GalleryItem, locale: string | undefined): string | null {
  const model = findModel(capabilities, entry.request.provider, entry.request.model);
  return costText(model, entry.request.durationSeconds, locale);
}

/** An error in plain words: the sentence for its code, else its message. */
export function errorText(error: unknown, strings: ErrorStrings): string {
  if (GalleryError.isInstance(error) || (typeof error === 'object' && error !== null && 'code' in error)) {
    const code = (error as { code: keyof ErrorStrings }).code;
    if (strings[code]) return strings[code];
  }
  return error instanceof Error ? error.message : String(error);
}

/** `"16:9"` as a CSS number (16 / 9), 16 / 9 when it cannot be read. */
export function ratioOf(aspectRatio: string | undefined, width?: number | null, height?: number | null): number {
  if (width && height) return width / height;
  const [w, h] = (aspectRatio ?? '').split(':').map(Number);
  return w && h ? w / h : 16 / 9;
}
