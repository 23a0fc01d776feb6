/** The part of esbuild's plugin API the plugin uses (so this file needs no esbuild types). */
export interface TemplatePluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: 'ts' } | undefined>): void;
}
export function squeeze(text: string, tag: 'html' | 'css'): string;
export function minifyTemplates(source: string): string;
export function minifyTemplatesPlugin(filter?: RegExp): { name: string; setup(build: TemplatePluginBuild): void };
