/** Registers `tag` unless something already did (a second copy of the package, or the app itself). */
export function defineElement(tag: string, element: CustomElementConstructor): void {
  if (!customElements.get(tag)) customElements.define(tag, element);
}
