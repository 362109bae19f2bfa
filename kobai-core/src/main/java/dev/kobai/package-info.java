/**
 * Kobai: tensors with reverse-mode autograd ({@code dev.kobai.tensor}, {@code dev.kobai.autograd}),
 * layers and losses ({@code dev.kobai.nn}), datasets ({@code dev.kobai.data}), optimizers
 * ({@code dev.kobai.optim}) and the training loop ({@code dev.kobai.train}). Dependencies point down
 * that list, never up.
 */
package dev.kobai;
