import { createContext } from '@lit/context';
import type { GalleryClient } from './client.js';

/**
 * The gallery client a `<video-gallery>` provides to the elements inside it (a `<generate-form>` finds it
 * here). Provide it yourself with `ContextProvider` from `@lit/context` to share one client with custom elements.
 */
export const galleryClientContext = createContext<GalleryClient | null>(Symbol.for('video-gallery.client'));
