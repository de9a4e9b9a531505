/** Error codes shared by the native addon and the TypeScript layer. */
export type ErrorCode =
  | 'ERR_INVALID_ARG'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_IMAGE_DECODE'
  | 'ERR_IMAGE_TOO_LARGE'
  | 'ERR_MODEL_LOAD'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_MODEL_INPUT'
  | 'ERR_OUTPUT_LAYOUT'
  | 'ERR_NAN_OUTPUT'
  | 'ERR_INFERENCE'
  | 'ERR_SESSION_CLOSED'
  | 'ERR_ROI_NOT_FOUND'
  | 'ERR_ALIGN'
  | 'ERR_CONFIG'
  | 'ERR_ABORTED'
  | 'ERR_BUSY'
  | 'ERR_WRITE'
  | 'ERR_DB_CORRUPT'
  | 'ERR_DB_VERSION'
  | 'ERR_ADDON_LOAD'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_TOO_LARGE'
  | 'ERR_INTERNAL';

/** Every error die-inspect throws or reports per image. Branch on `code`. */
export class DieInspectError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DieInspectError';
    this.code = code;
  }
}

/** Converts whatever the addon threw (an Error with `code`) into a DieInspectError. */
export function toDieInspectError(err: unknown): DieInspectError {
  if (err instanceof DieInspectError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return new DieInspectError((typeof code === 'string' && code.startsWith('ERR_') ? code : 'ERR_INTERNAL') as ErrorCode,
      err.message, { cause: err });
  }
  return new DieInspectError('ERR_INTERNAL', String(err));
}

/** Awaits a native call, rethrowing its failure as a DieInspectError. */
export async function native<T>(call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toDieInspectError(err);
  }
}

/** A per-image failure as reported in batch results. */
export interface ItemError {
  code: ErrorCode;
  message: string;
}
