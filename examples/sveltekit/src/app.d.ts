// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Locals {
      /** The demo sign-in's user name (also the gallery owner id), or null when signed out. */
      user: string | null;
    }
  }
}

export {};
