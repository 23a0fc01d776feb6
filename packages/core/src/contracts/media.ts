/** Probes a stored video and cuts its thumbnail (ffmpeg on Node, `<video>` + canvas in a browser). */
export interface MediaProcessor {
  probe(input: MediaSource): Promise<{ durationSeconds: number | null; width: number | null; height: number | null; bytes: number; videoCodec?: string | null; audioCodec?: string | null }>;
  /** A JPEG thumbnail `width` px wide, taken at `atSeconds`. */
  thumbnail(input: MediaSource, options: { atSeconds: number; width: number }): Promise<{ data: Uint8Array; contentType: string; width: number; height: number }>;
}

/** A video the processor reads: a local file path when the storage has one, or a way to stream it. */
export type MediaSource = { path: string } | { open: () => Promise<ReadableStream<Uint8Array>>; size: number };
