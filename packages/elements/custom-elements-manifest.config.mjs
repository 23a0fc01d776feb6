// `custom-elements-manifest analyze` writes custom-elements.json (shipped in the package, read by Storybook and editors).
export default {
  globs: ['src/video-gallery/video-gallery.component.ts', 'src/generate-form/generate-form.component.ts', 'src/video-gallery.ts', 'src/generate-form.ts'],
  exclude: ['**/*.test.ts', '**/*.stories.ts'],
  outdir: '.',
  litelement: true,
};
