/**
 * Connaisseur's `application.features`: settings of the webhook rather than policy, reported with the
 * vouch webhook flags or webhook-configuration changes that give the same behaviour.
 */
import type { Scope } from '../report.js';
import type { Features } from './schema.js';

const NAMESPACE_LABEL = 'securesystemsengineering.connaisseur/webhook';

export function translateFeatures(features: Features, scope: Scope): void {
  if (features.detectionMode === true)
    scope.changed(
      'detectionMode',
      'true: vouch webhook --audit turns every policy failure into a warning; unlike detection mode, vouch still denies registry errors and timeouts',
    );
  else if (features.detectionMode === false)
    scope.translated('detectionMode', "false: failures deny (vouch's default)");
  const namespaced = features.namespacedValidation;
  if (namespaced !== undefined && namespaced.enabled !== false) {
    const validate = namespaced.mode === 'validate';
    scope.flag(
      'namespacedValidation',
      `${validate ? 'validate' : 'ignore'}: add namespaceSelector: {matchExpressions: [{key: ${NAMESPACE_LABEL}, operator: ${validate ? 'In' : 'NotIn'}, values: [${validate ? 'validate' : 'ignore'}]}]} to vouch's webhook configurations (deploy/base/webhooks.yaml), as Connaisseur's chart does; or name the namespaces with vouch webhook --exclude-namespaces`,
    );
  }
  if (features.resourceValidationMode === 'podsOnly')
    scope.changed(
      'resourceValidationMode',
      'podsOnly: vouch checks the images of Pods and every pod controller',
    );
  else if (features.resourceValidationMode === 'all')
    scope.translated('resourceValidationMode', 'all: vouch checks Pods and every pod controller');
  if (features.automaticChildApproval !== undefined)
    scope.translated(
      'automaticChildApproval',
      'vouch checks Pods created by controllers too, answering from its verdict cache by digest (no registry request for an image already verified)',
    );
  if (features.automaticUnchangedApproval === true)
    scope.translated(
      'automaticUnchangedApproval',
      'true: an UPDATE that keeps an image is answered from the verdict cache',
    );
  else if (features.automaticUnchangedApproval === false)
    scope.translated('automaticUnchangedApproval', 'false');
  if (features.cache !== undefined)
    scope.translated(
      'cache',
      "vouch's verdict cache (vouch webhook --cache memory|redis://…): a pass is kept 10 minutes, a failure 30 seconds, errors never",
    );
}
