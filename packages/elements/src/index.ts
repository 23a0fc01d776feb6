// @video-gallery/elements: registers <video-gallery> and <generate-form> and exports their classes and helpers.
// <video-gallery> is defined first, so a <generate-form> inside one finds its client when both upgrade.
export { VideoGalleryElement, parseStatusFilter } from './video-gallery.js';
export { GenerateFormElement } from './generate-form.js';
export { GalleryController } from './shared/gallery-controller.js';
export type { GalleryControllerOptions, GalleryLoadState, GalleryQuery } from './shared/gallery-controller.js';
export { galleryClientContext } from './shared/context.js';
export { MediaUrls } from './shared/client.js';
export type {
  GalleryCapabilities, GalleryClient, GalleryItem, GalleryItemChange, GalleryListQuery, GalleryPage, MediaKind, ResolveUrl,
} from './shared/client.js';
export type { VgErrorDetail, VgEvent, VgEventDetails, VgEventName } from './shared/events.js';
export { defaultErrorStrings, defaultFormStrings, defaultGalleryStrings } from './shared/strings.js';
export type { ErrorStrings, FormStrings, GalleryStrings, StringsOverride } from './shared/strings.js';
export { fitValues, imageProblem, toRequest, validateValues } from './generate-form/form-model.js';
export type { FieldErrors, FormField, FormValues } from './generate-form/form-model.js';
