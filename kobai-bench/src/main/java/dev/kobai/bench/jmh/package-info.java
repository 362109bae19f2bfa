/**
 * JMH benchmarks over {@link dev.kobai.bench.Workloads}, the fixtures {@code kobai bench} times too.
 * Every benchmark forks a JVM with the Vector API module and reports average time per operation.
 * Run all with {@code java --add-modules jdk.incubator.vector -jar kobai-bench/target/kobai-bench.jar},
 * or pick with a regular expression and JMH's options, e.g. {@code ... kobai-bench.jar Optimizer -p threads=1}.
 */
package dev.kobai.bench.jmh;
