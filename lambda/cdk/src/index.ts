// tsproxy-cdk: tsproxy on AWS Lambda as a CDK construct, a drop-in for the Node.js TailscaleLambdaProxy.
// The caller client is a separate entry point, 'tsproxy-cdk/client', outside the jsii API.
export * from './tailscale-lambda-proxy';
export {
  TailscaleBinariesOptions,
  TailscaleFunctionOptions,
  TailscaleLambdaExtension,
  TailscaleLambdaExtensionProps,
  TailscaleRelease,
} from './tailscale-lambda-extension';
