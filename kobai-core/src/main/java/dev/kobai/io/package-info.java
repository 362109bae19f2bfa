/**
 * File formats Kobai writes and reads itself: a strict JSON reader and writer ({@link dev.kobai.io.Json}),
 * the safetensors format ({@link dev.kobai.io.SafeTensors}) and atomic file replacement
 * ({@link dev.kobai.io.AtomicFile}). Depends on {@code dev.kobai.tensor} only.
 */
package dev.kobai.io;
