/**
 * The {@code kobai} command line: {@link dev.kobai.cli.Kobai} parses the arguments with picocli and
 * hands each job to {@link dev.kobai.train.Training#run}, reporting progress and metrics on the way.
 */
package dev.kobai.cli;
