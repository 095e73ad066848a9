// tsproxy's caller client for Node.js: `import { TailscaleProxyClient } from 'tsproxy-cdk/client'`.
export {
  AwsCredentials,
  ProxyMetric,
  ProxyRequest,
  ProxyTarget,
  QueryInput,
  SignedRequest,
  buildSignedRequest,
  encodePath,
  encodeQuery,
} from './request-builder';
export {
  DiagnoseRefusedError,
  ProxyError,
  ProxyResponse,
  ProxyResponseHead,
  ProxyStreamResponse,
  TailscaleProxyClient,
  TailscaleProxyClientOptions,
  proxyErrorOf,
  regionFromUrl,
} from './tailscale-proxy-client';
export { CredentialProvider, credentialsFromEnvironment, defaultCredentialProvider } from './default-credentials';
export { RetryOptions, RetryPolicy, isIdempotent, isRetryableAnswer, mayResend } from './retry-policy';
