import type { Command } from 'commander';
import { action, type CommandModule, optionsOf } from '../action.js';
import type { VerifyBundleOptions } from './verify-bundle.js';

export const verifyBundleCommand: CommandModule = {
  example:
    'vouch verify-bundle --bundle app.sigstore.json --certificate-identity me@example.com --certificate-oidc-issuer https://accounts.google.com app.tar.gz',
  register(program: Command) {
    program
      .command('verify-bundle')
      .summary('verify a Sigstore bundle for a file or a digest, offline')
      .description(
        'Verify a Sigstore bundle (v0.1–v0.3, message signature or DSSE) for FILE_OR_DIGEST, with a certificate identity or a public key, against the embedded public-good trusted root (or --staging, or --trusted-root). FILE_OR_DIGEST is a path, or sha256:<64 hex> when no such path exists; for a DSSE bundle it must be a subject of the signed in-toto statement. No network access. Follows the sigstore-conformance client protocol.',
      )
      .argument('<file-or-digest>', 'the artifact, or sha256:<hex> of it (a DSSE bundle: an in-toto subject)')
      .option('--staging', 'use the embedded Sigstore staging trusted root')
      .requiredOption('--bundle <file>', 'the Sigstore bundle to verify')
      .option(
        '--certificate-identity <identity>',
        "expected identity in the signing certificate's SAN (exact)",
      )
      .option('--certificate-oidc-issuer <url>', 'expected OIDC issuer of the signing certificate (exact)')
      .option(
        '--key <pem>',
        'PEM public key the bundle must be signed with (instead of a certificate identity)',
      )
      .option('--trusted-root <file>', 'trusted_root.json to use instead of the embedded one')
      .action(
        action(async (fileOrDigest: string, _options: unknown, command: Command) => {
          const { runVerifyBundle } = await import('./verify-bundle.js');
          return runVerifyBundle(fileOrDigest, optionsOf<VerifyBundleOptions>(command));
        }),
      );
  },
};
