/**
 * The work that Kobai's benchmarks time, set up once and shared by {@code kobai bench} and the JMH
 * module {@code kobai-bench}, so that both measure exactly the same thing: matrix products of the
 * training shapes, optimizer steps over ten tensors of a million float32 parameters with the memory
 * traffic that bounds them, a training step, and a Hessian-vector product beside a gradient.
 */
package dev.kobai.bench;
