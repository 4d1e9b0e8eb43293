import { VouchError } from '../../errors.js';

export type AdmissionErrorCode =
  /** The AdmissionReview (or an object in it) does not have the shape Kubernetes sends. */
  | 'MALFORMED_REVIEW'
  /** The request body is larger than the configured limit. */
  | 'TOO_LARGE'
  /** Policies could not be loaded (first load, or a reload that keeps the last good set). */
  | 'POLICY_LOAD'
  /** A manifest given to `vouch audit` cannot be read or parsed. */
  | 'MANIFEST'
  /** Certificates or keys cannot be created, read or used. */
  | 'TLS'
  /** The server cannot listen on its address (port in use, not allowed). */
  | 'LISTEN';

/** A problem the admission gate detects itself (as opposed to a verdict, which is plain data). */
export class AdmissionError extends VouchError<AdmissionErrorCode> {
  readonly layer = 'gates/admission';
}
