// Registers <generate-form>. Importing this module has that side effect (it is listed in `sideEffects`).
import { GenerateFormElement } from './generate-form/generate-form.component.js';
import { defineElement } from './shared/define.js';

export { GenerateFormElement } from './generate-form/generate-form.component.js';

defineElement('generate-form', GenerateFormElement);

declare global {
  interface HTMLElementTagNameMap {
    'generate-form': GenerateFormElement;
  }
}
