/** The part of esbuild's plugin API the plugin uses (so this file needs no esbuild types). */
export interface TemplatePluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: 'ts' } | undefined>): void;
}
/** `first` / `last`: the chunk starts / ends the template (its outer whitespace goes). */
export function squeeze(text: string, tag: 'html' | 'css', first?: boolean, last?: boolean): string;
export function minifyTemplates(source: string): string;
export function minifyTemplatesPlugin(filter?: RegExp): { name: string; setup(build: TemplatePluginBuild): void };
