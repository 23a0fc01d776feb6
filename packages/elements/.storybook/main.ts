// Hand-written Storybook 10 config (tooling.md §5: `storybook init` does not work offline here).
import type { StorybookConfig } from '@storybook/web-components-vite';
import { defaultClientConditions } from 'vite';

const config: StorybookConfig = {
  stories: ['../src/**/*.stories.ts'],
  addons: ['@storybook/addon-vitest'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true, enableCrashReports: false },
  // Workspace packages resolve to their TypeScript sources (no build needed), as in the vitest projects.
  viteFinal: async (viteConfig) => ({
    ...viteConfig,
    resolve: { ...viteConfig.resolve, conditions: ['@video-gallery/source', ...defaultClientConditions] },
  }),
};

export default config;
