//! Integration tests: the real `leakscan` binary on `fixtures/` and on trees
//! built at test time.

// Temp dirs, the command builder and report helpers.
mod util;
// Findings on the labelled fixtures, encodings, the walk's edge cases.
mod scan;
// Chunk boundaries: tiny chunks, over-long lines, a large generated file.
mod chunks;
// Report formats, masking, fingerprints, file permissions.
mod report;
// Exit codes and fatal errors.
mod exit_codes;
// Synthetic values and the labelled accuracy corpus (shared with examples/gen.rs).
mod synth;
// Precision and recall per detector on the accuracy corpus.
mod accuracy;
// Every format and encoding; hostile archives.
mod formats;
// Suppressions, baselines and diff, shards and merge.
mod audit;
// SARIF schema, HTML in headless Chromium, no leaks in any format.
mod outputs;
// Sockets, non-UTF-8 names, 100 MiB lines, vanishing files, deep trees.
mod hostile;
// Random bytes into every decoder and extractor.
mod fuzz;
