import { parseArgs } from 'node:util';
import { CliError, type CliIo } from './main.js';

const MOCKS = {
  dashscope: { env: ['DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL'], port: 8787 },
  veo: { env: ['GEMINI_API_KEY', 'VEO_BASE_URL'], port: 8788 },
  kie: { env: ['KIE_API_KEY', 'KIE_BASE_URL'], port: 8789 },
} as const;

/**
 * `video-gallery mock-provider <dashscope|veo|kie> [--port n] [--host h] [--latency-ms n] [--pending-polls n]`:
 * serves the provider's contract-faithful mock on loopback until Ctrl-C, and prints the variables that point the
 * CLI (or an app) at it.
 */
export async function mockProvider(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { port: { type: 'string' }, host: { type: 'string' }, 'latency-ms': { type: 'string' }, 'pending-polls': { type: 'string' } },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}. See: video-gallery mock-provider <dashscope|veo|kie> --port 8787`, 2);
  }
  const { values, positionals } = parsed;
  const id = positionals[0] as keyof typeof MOCKS | undefined;
  if (!id || !(id in MOCKS) || positionals.length !== 1) throw new CliError(`mock-provider takes one of ${Object.keys(MOCKS).join(', ')}.`, 2);
  const number = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) throw new CliError(`--${name} must be a whole number.`, 2);
    return Number(value);
  };
  const port = number('port', values.port, MOCKS[id].port);
  const host = values.host ?? '127.0.0.1';
  const latencyMs = number('latency-ms', values['latency-ms'], 0);
  const pendingPolls = number('pending-polls', values['pending-polls'], 2);
  const testing = await import('@video-gallery/providers/testing');
  const mock = id === 'dashscope'
    ? testing.createDashScopeMock({ latencyMs, pendingPolls })
    : id === 'veo'
      ? testing.createVeoMock({ latencyMs, pendingPolls })
      : testing.createKieMock({ latencyMs, pendingPolls });
  const server = await mock.listen({ port, host });
  const [keyVar, urlVar] = MOCKS[id].env;
  io.stdout.write(`${id} mock listening at ${server.baseURL}\n`);
  io.stdout.write(`point video-gallery at it:\n  export ${keyVar}=${mock.apiKey} ${urlVar}=${server.baseURL}${id === 'kie' ? ` KIE_UPLOAD_BASE_URL=${server.baseURL}` : ''}\n`);
  io.stdout.write('prompts may carry markers such as [mock:fail-moderation] to script failures (see docs/providers). Ctrl-C stops.\n');
  await new Promise<void>((resolve) => {
    const remove = io.onInterrupt(() => {
      remove();
      resolve();
    });
  });
  await server.close();
  return 0;
}
