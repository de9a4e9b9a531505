/**
 * The arithmetic of linear quantization, q = clamp(round(x / scale) + zeroPoint): activation
 * scales from measured ranges, symmetric INT8 weights per output channel, INT32 biases.
 */

export interface Range {
  min: number;
  max: number;
}

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
}

export type ActivationType = 'uint8' | 'int8';

/** How activations are stored, in words (the model's metadata and the CLI's report). */
export function activationForm(type: ActivationType): string {
  return type === 'uint8' ? 'uint8 asymmetric' : 'int8 symmetric';
}

/** How weights are stored, in words. */
export function weightForm(reduceRange: boolean, perChannel: boolean): string {
  return `${reduceRange ? 'int7' : 'int8'} symmetric per ${perChannel ? 'channel' : 'tensor'}`;
}

/**
 * Scale and zero point covering [min, max] (widened to hold 0, which must be exact: padding
 * and ReLU produce it). uint8 is asymmetric (0..255); int8 is symmetric (zero point 0,
 * -127..127), the form TensorRT's explicit quantization requires.
 */
export function activationParams(r: Range, type: ActivationType): ActivationParams {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0);
  if (type === 'int8') {
    const a = Math.max(-lo, hi);
    return { scale: a > 0 ? Math.fround(a / 127) : 1, zeroPoint: 0 };
  }
  if (hi - lo <= 0) return { scale: 1, zeroPoint: 0 };
  // Stored as float32 in the model: use that value from here on.
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

export interface QuantizedWeights {
  values: Int8Array;
  /** One per channel along the axis (or one). */
  scales: Float32Array;
}

/**
 * Symmetric INT8 weights (-qmax..qmax, zero point 0): one scale per slice along `axis`
 * (null: one for the whole tensor). qmax 127, or 63 ("reduced range": 7 bits, so that CPUs
 * without VNNI, which add u8 x s8 products in pairs into int16, cannot saturate).
 * `minScales` (per slice) raise a scale where the bias needs it.
 */
export function quantizeWeights(w: Float32Array, dims: number[], axis: number | null, minScales?: Float32Array,
  qmax = 127): QuantizedWeights {
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(w[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    // An all-zero channel still needs a positive scale; its values quantize to 0 whatever it is.
    scales[c] = Math.max(maxAbs[c] / qmax, minScales?.[c] ?? 0, 1e-12);
  }
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    values[i] = Math.max(-qmax, Math.min(qmax, Math.round(w[i] / scales[channelOf(i)])));
  }
  return { values, scales };
}

const INT32_MAX = 2147483647;

/**
 * The smallest weight scales for which a bias still fits INT32 at scale inputScale x
 * weightScale (a tiny weight channel with a large bias would overflow it).
 */
export function minWeightScalesForBias(bias: Float32Array, inputScale: number, channels: number): Float32Array {
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const b = Math.abs(bias[channels === bias.length ? c : 0]);
    out[c] = b / (inputScale * (INT32_MAX / 2));
  }
  return out;
}

/** INT32 bias at scale inputScale x weightScale[c] (zero point 0): what an INT8 conv adds to its accumulator. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array)
  : { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const values = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    scales[c] = inputScale * weightScales[weightScales.length === 1 ? 0 : c];
    values[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, Math.round(bias[c] / scales[c])));
  }
  return { values, scales };
}
