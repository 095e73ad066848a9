// Where a client's credentials come from when none are passed: the AWS SDK v3 default provider chain
// when @aws-sdk/credential-providers is installed (an optional peer dependency, loaded only then), else
// the environment Lambda gives a function.
import { AwsCredentials } from './request-builder';

export type CredentialProvider = () => Promise<AwsCredentials>;

interface CredentialProvidersModule {
  fromNodeProviderChain(): () => Promise<AwsCredentials>;
}

function requireCredentialProviders(): CredentialProvidersModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/credential-providers') as CredentialProvidersModule;
}

export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/**
 * One provider for a client's life. The SDK's chain caches what it found and refreshes it before it
 * expires; `load` is the module loader (a test passes its own).
 */
export function defaultCredentialProvider(load: () => CredentialProvidersModule = requireCredentialProviders): CredentialProvider {
  let chain: (() => Promise<AwsCredentials>) | undefined;
  try {
    chain = load().fromNodeProviderChain();
  } catch (e) {
    // Only the package's own absence falls back; a broken installation is reported.
    const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'@aws-sdk\/credential-providers'/.test(String((e as Error).message));
    if (!missing) throw e;
  }
  if (chain === undefined) return async () => credentialsFromEnvironment();
  const found = chain;
  return async () => {
    const c = await found();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  };
}
