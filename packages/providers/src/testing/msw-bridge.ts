/**
 * The only module of `./testing` that imports msw. Mocks load it lazily from their `.msw()` method, so importing
 * `@video-gallery/providers/testing` works without msw installed.
 */
import { http, type HttpHandler } from 'msw';

/** msw handlers that send every request to `origin` (any method, any path) to `handle`. */
export function mswHandlersFor(origins: readonly string[], handle: (request: Request) => Promise<Response>): HttpHandler[] {
  return origins.map((origin) => http.all(`${origin.replace(/\/+$/, '')}/*`, ({ request }) => handle(request)));
}
