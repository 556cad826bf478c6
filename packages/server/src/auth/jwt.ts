/**
 * @module auth/jwt
 * Verifies client JWTs with `jose`. The algorithm allowlist is enforced before any key is
 * chosen, and keys are chosen by algorithm family: HS* tokens are checked only against the
 * shared secrets, asymmetric ones only against public keys or the JWKS, so a public key can
 * never be used as an HMAC secret (the HS/RS confusion attack) and `alg: none` never passes.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { ErrorCode } from '@herald/protocol';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { HeraldConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';

export type JwtOptions = HeraldConfig['auth']['jwt'];

export const TokenReason = {
  Invalid: 'invalid_token',
  Expired: 'token_expired',
  NotYetValid: 'token_not_yet_valid',
  /** Revoked through the control API, by its `jti` or by its user and `iat`. */
  Revoked: 'token_revoked',
  /** Its user is blocked through the control API. */
  Blocked: 'user_blocked',
} as const;

/**
 * A token that was presented and refused (bad, expired, for another channel or user): every one
 * counts toward its address's `auth.failure_limit_per_minute`, wherever it was presented.
 */
export class TokenRefused extends HeraldError {}

const invalid = (message: string, reason: string = TokenReason.Invalid) => new TokenRefused(ErrorCode.Unauthorized, message, reason);

/** Errors that mean "this key is not the one", so the next candidate key is tried. */
function wrongKey(err: unknown): boolean {
  return err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof TypeError || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_NOT_SUPPORTED');
}

export class JwtVerifier {
  readonly #secrets: KeyObject[];
  readonly #publicKeys: KeyObject[];
  readonly #jwks: JWTVerifyGetKey | undefined;

  private constructor(readonly options: JwtOptions) {
    this.#secrets = options.secrets.map((s) => createSecretKey(Buffer.from(s, 'utf8')));
    this.#publicKeys = options.public_keys.map((pem) => createPublicKey(pem));
    this.#jwks = options.jwks_url
      ? createRemoteJWKSet(new URL(options.jwks_url), { cooldownDuration: options.jwks_cooldown_seconds * 1000, timeoutDuration: 5000 })
      : undefined;
  }

  /** Undefined when no secret, key or JWKS is configured: client auth is off. */
  static create(options: JwtOptions): JwtVerifier | undefined {
    if (options.secrets.length === 0 && options.public_keys.length === 0 && !options.jwks_url) return undefined;
    return new JwtVerifier(options);
  }

  async verify(token: string, requiredClaims: string[] = []): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid('malformed token');
    }
    if (!alg || !(this.options.algorithms as string[]).includes(alg)) throw invalid(`token algorithm ${JSON.stringify(alg ?? null)} is not accepted`);
    const candidates: Array<KeyObject | JWTVerifyGetKey> = alg.startsWith('HS') ? this.#secrets : [...this.#publicKeys, ...(this.#jwks ? [this.#jwks] : [])];
    const claims = this.options.require_exp ? ['exp', ...requiredClaims] : requiredClaims;
    let last: unknown;
    for (const key of candidates) {
      try {
        const { payload } = await jwtVerify(token, key as KeyObject, {
          algorithms: [alg],
          clockTolerance: this.options.leeway_seconds,
          requiredClaims: claims,
          ...(this.options.audience ? { audience: this.options.audience } : {}),
          ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        });
        return payload;
      } catch (err) {
        if (!wrongKey(err)) throw toHeraldError(err);
        last = err;
      }
    }
    throw toHeraldError(last);
  }
}

function toHeraldError(err: unknown): TokenRefused {
  if (err instanceof errors.JWTExpired) return invalid('token expired', TokenReason.Expired);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return invalid('token not yet valid', TokenReason.NotYetValid);
    if (err.reason === 'missing') return invalid(`token has no "${err.claim}" claim`);
    return invalid(`token "${err.claim}" claim is not accepted`);
  }
  return invalid('invalid token');
}
