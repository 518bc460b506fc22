/**
 * aesearch's wasm kernel improvements, registered with `tf.registerKernel`.
 * Returns the names of the kernels it registered or replaced; safe to call more than once.
 */
export function registerWasmKernels(): string[] {
  return [];
}
