// Every /api/gallery/* request goes to the gallery's Web-standard handler, which routes it itself.
import type { RequestHandler } from './$types';
import { gallery } from '$lib/server/gallery';

const handle: RequestHandler = async ({ request }) => (await gallery()).handler(request);

export const GET = handle;
export const HEAD = handle;
export const POST = handle;
export const PATCH = handle;
export const DELETE = handle;
export const OPTIONS = handle;
