// Registers <video-gallery>. Importing this module has that side effect (it is listed in `sideEffects`).
import { defineElement } from './shared/define.js';
import { VideoGalleryElement } from './video-gallery/video-gallery.component.js';

export { VideoGalleryElement, parseStatusFilter } from './video-gallery/video-gallery.component.js';

defineElement('video-gallery', VideoGalleryElement);

declare global {
  interface HTMLElementTagNameMap {
    'video-gallery': VideoGalleryElement;
  }
}
