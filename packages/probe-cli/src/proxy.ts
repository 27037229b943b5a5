import { type ProxyConfig, ProxyError, proxyFromEnv } from '@staple-probe/core';
import { UsageError } from './options.js';

/**
 * The proxy of a run: `--proxy URL` (an empty one: none), else HTTP_PROXY/HTTPS_PROXY with NO_PROXY from `env`
 * (docs/proxy.md). A proxy URL that cannot be used, from the flag or the environment, is a usage error.
 */
export function proxyOption(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): ProxyConfig | null {
  try {
    return proxyFromEnv(env, flag);
  } catch (error) {
    if (error instanceof ProxyError) throw new UsageError(error.message);
    throw error;
  }
}
