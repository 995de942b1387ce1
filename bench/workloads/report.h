// Results of one workload run (daas_workload, daas_durable), printed as Markdown tables and
// optionally written as JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "machine_info.h"

namespace daas::bench {

struct Measurement {
  std::string engine;  // "DaaS", "SQLite", "LMDB"
  std::string how;     // e.g. "ParallelScan, 2 threads"
  uint64_t ops = 0;
  double seconds = 0;
  bool checked = false;  // the engine's answer matched the expected checksum
  double ops_per_second() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

struct Phase {
  std::string key;    // "insert", "get", ... (JSON)
  std::string title;  // "Phase 1: batched insert, 1,000 docs per batch"
  std::string unit;   // "docs/s"
  std::vector<Measurement> rows;
};

struct Target {
  std::string what;  // "DaaS point gets >= 5,000,000/s"
  double goal = 0;
  double actual = 0;
  bool lower_is_better = false;
  bool met() const { return lower_is_better ? actual <= goal : actual >= goal; }
};

// The q-quantile (0 <= q <= 1) of `samples`, interpolated between the two nearest; 0 if none.
double Quantile(std::vector<double> samples, double q);

// A figure measured once per run of a process (e.g. the milliseconds from its start to its first
// lookup), summarized by its median and 90th percentile.
struct SampleRow {
  std::string engine;           // "DaaS", "SQLite", ...
  std::string how;              // e.g. "journal_mode=WAL"
  std::vector<double> samples;  // one per run, in the phase's unit
  bool checked = false;         // every run gave the expected answer
  double Quantile(double q) const { return daas::bench::Quantile(samples, q); }
};

struct SamplePhase {
  std::string key;    // JSON key, e.g. "cold_lookup_ms"
  std::string title;  // "Cold: process start to first lookup done"
  std::string unit;   // "ms"
  std::vector<SampleRow> rows;
};

// Several figures measured once per run (e.g. the steps of a process's life), printed as one table
// of their medians, a column each.
struct MedianColumn {
  std::string key;   // JSON key, e.g. "open_ms"
  std::string name;  // "Open"
  std::string unit;  // "ms"
};

struct MedianRow {
  std::string engine, how;
  std::vector<std::vector<double>> samples;  // samples[column][run]
};

struct MedianTable {
  std::string key;    // JSON key
  std::string title;  // "Warm: where the time goes (medians)"
  std::vector<MedianColumn> columns;
  std::vector<MedianRow> rows;
};

// A named figure that is not a rate (recovery time, disk use), printed in its own table.
struct Figure {
  std::string key;    // JSON key, e.g. "recovery_open_seconds"
  std::string what;   // "Database::Open, WAL pages in the page cache"
  std::string value;  // formatted for the table
  double number = 0;  // the raw value, for JSON
};

struct Report {
  std::string tool = "daas_workload";  // the executable, for the title
  MachineInfo machine;
  double memory_latency_ns = 0;  // RandomReadLatencyNs(256 MiB)
  std::string label;             // free text from --label, e.g. the commit
  size_t documents = 0, gets = 0, patches = 0, batch = 0, scan_passes = 0;
  uint64_t document_bytes = 0;
  std::string workload;  // when set, replaces the generated "Workload:" line
  std::vector<std::pair<std::string, std::string>> modes;  // engine -> mode
  std::vector<std::string> notes;  // extra header lines (e.g. the disk's fdatasync rate)
  std::vector<Phase> phases;
  // Lower is better; printed with each DaaS row's median (and p90) over the engine's.
  std::vector<SamplePhase> sample_phases;
  std::vector<MedianTable> median_tables;  // printed after the sample phases
  // Phase 5 (DaaS only).
  bool have_memory = false;
  uint64_t memory_bytes = 0, stats_document_bytes = 0, rss_growth_bytes = 0;
  std::vector<Figure> figures;
  std::vector<Target> targets;
  std::vector<std::string> failures;  // checksum mismatches; empty when every answer agreed
};

// Prints the header (machine, modes, parameters), one table per phase and per sample phase with
// DaaS's ratio to each peer, the median tables, the memory figures and the targets.
void PrintReport(const Report& report, std::FILE* out);

// 12345678.9 -> "12,345,679".
std::string Grouped(double v);
// v with `decimals` digits after the point.
std::string Fixed(double v, int decimals);

// Writes the same content as JSON. Returns false (and prints why) if the file cannot be written.
bool WriteJson(const Report& report, const std::string& path);

// Prints the report, writes it as JSON when `json_path` is set, and returns the process exit code:
// 0, or 1 when the JSON could not be written or a check failed.
int FinishReport(const Report& report, const std::string& json_path);

}  // namespace daas::bench
