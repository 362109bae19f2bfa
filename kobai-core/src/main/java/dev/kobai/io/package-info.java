/**
 * File formats Kobai writes and reads itself: a strict JSON reader and writer ({@link dev.kobai.io.Json}),
 * the safetensors format ({@link dev.kobai.io.SafeTensors}), atomic file replacement
 * ({@link dev.kobai.io.AtomicFile}) and the checks every output path passes before a job starts
 * ({@link dev.kobai.io.OutputPath}). Depends on {@code dev.kobai.tensor} only.
 */
package dev.kobai.io;
