/**
 * What a session may be asked for: the public type, apart from session.ts because
 * native-options.ts maps it and session.ts calls that mapping.
 */
import type { ProviderName } from './binding';

export interface SessionOptions {
  /**
   * Execution providers in order of preference; unavailable ones are skipped with a reason
   * (`info.providerAttempts`). The CPU is used only when listed: a list without 'cpu' rejects
   * with ERR_PROVIDER_UNAVAILABLE when none of its providers can run the model. Default ['cpu'].
   */
  providers?: ProviderName[];
  /** Shorthand with CPU fallback: 'tensorrt' means ['tensorrt', 'cuda', 'cpu'], 'cuda' means ['cuda', 'cpu']. */
  provider?: ProviderName;
  deviceId?: number;
  /** TensorRT fp16 kernels. */
  fp16?: boolean;
  /** TensorRT INT8 kernels; the model carries its scales as QuantizeLinear/DequantizeLinear pairs (a QDQ model). */
  trtInt8?: boolean;
  /**
   * Capture each run as a CUDA graph and replay it (TensorRT and CUDA): less launch
   * overhead per call, for inputs whose shapes do not change between calls.
   */
  cudaGraph?: boolean;
  /** TensorRT builder optimization level, 0 (fastest build) to 5 (most tactics tried); default TensorRT's (3). */
  trtBuilderOptimizationLevel?: number;
  /**
   * TensorRT engine cache directory. Default (TensorRT in the chain): a folder for this
   * model's bytes under `~/.cache/die-inspect/tensorrt/` (`DIE_INSPECT_CACHE_DIR` or
   * `XDG_CACHE_HOME` move it), so engines are built once, not on every load; false: none.
   */
  trtEngineCacheDir?: string | false;
  /** TensorRT timing cache directory; default: the model's engine cache folder, false: none. */
  trtTimingCacheDir?: string | false;
  /** TensorRT dynamic-batch profile; defaults min 1, opt 16, max 32. */
  trtBatch?: { min: number; opt: number; max: number };
  /** Default: the process-wide pool shared by every session (one thread per usable CPU); a number: a pool of its own. */
  intraOpThreads?: number;
  /** A pool of its own (intraOpThreads, default one per CPU) whose idle threads spin-wait between calls. Default false. */
  intraOpSpinning?: boolean;
  interOpThreads?: number;
  /**
   * Run through an ONNX Runtime I/O binding, outputs bound to host memory. Default: on for
   * CUDA and TensorRT, off on the CPU (where it changes nothing but can be tested).
   */
  ioBinding?: boolean;
}
