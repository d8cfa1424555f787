/** How metric keys read to people, shared by the CLI, the extension and the dashboard. */
const LABELS: Record<string, string> = {
  negElbo: '-ELBO',
  recon: 'reconstruction',
  kl: 'KL',
  testNegElbo: 'test -ELBO',
  testRecon: 'test reconstruction',
  testKl: 'test KL',
  nll: 'NLL',
  testNll: 'test NLL',
  gapToClosedForm: 'gap to closed form',
  ascentTestNll: 'gradient-ascent test NLL',
  reachedClosedForm: 'reached closed form',
  collapsedComponents: 'collapsed components',
  testBitsPerDim: 'test bits/dim',
  discriminator: 'discriminator loss',
  generator: 'generator loss',
  js: 'histogram JS',
  mse: 'noise MSE',
  testMse: 'test noise MSE',
  testNllIwae: 'test NLL bound (IWAE)',
  bitsPerDim: 'bits/dim',
};

export function metricLabel(key: string): string {
  return LABELS[key] ?? key;
}
