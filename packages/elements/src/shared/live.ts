import { noChange, type PropertyPart } from 'lit';
import { Directive, directive } from 'lit/directive.js';
import { setCommittedValue } from 'lit/directive-helpers.js';

/**
 * Lit's `live`, for property bindings only (`.value`, `.checked`, all this package uses): sets the property
 * when it differs from the element's current one (which the user may have changed), not from the last render.
 */
class LiveProperty extends Directive {
  render(value: unknown): unknown {
    return value;
  }

  override update(part: PropertyPart, [value]: [unknown]): unknown {
    if (value === (part.element as unknown as Record<string, unknown>)[part.name]) return noChange;
    setCommittedValue(part);
    return value;
  }
}

export const live = directive(LiveProperty);
