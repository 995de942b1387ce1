#include "report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace daas::bench {
namespace {

std::string Mib(uint64_t bytes) {
  return Fixed(static_cast<double>(bytes) / (1 << 20), 1) + " MiB";
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

// Whole numbers (byte and operation counts) exactly, anything else to 6 significant digits.
std::string JsonNumber(double v) {
  char buf[64];
  const bool whole = v == std::floor(v) && std::fabs(v) < 1e15;  // exact in a double below 2^53
  std::snprintf(buf, sizeof(buf), whole ? "%.0f" : "%.6g", v);
  return buf;
}

// A sample figure for a table: whole numbers grouped from 100 up, else 1 or 2 decimals.
std::string SampleNumber(double v) { return v >= 100 ? Grouped(v) : Fixed(v, v >= 10 ? 1 : 2); }

// "a / b" as "1.23x", or "-" when b is 0.
std::string Ratio(double a, double b) { return b > 0 ? Fixed(a / b, 2) + "x" : "-"; }

}  // namespace

double Quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::vector<double>& sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const double at = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(at);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - static_cast<double>(lo));
}

std::string Grouped(double v) {
  std::string digits = std::to_string(static_cast<uint64_t>(v + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void PrintReport(const Report& r, std::FILE* out) {
  const MachineInfo& m = r.machine;
  std::fprintf(out, "# %s results%s%s\n\n", r.tool.c_str(), r.label.empty() ? "" : ": ",
               r.label.c_str());
  std::fprintf(out, "- Machine: %s, %u hardware threads, %.1f GiB RAM, %s\n", m.cpu_model.c_str(),
               m.cores, m.ram_gib, m.kernel.c_str());
  std::fprintf(out, "- Build: %s, %s\n", m.compiler.c_str(), m.build_type.c_str());
  std::fprintf(out,
               "- Random read latency (pointer chase over 256 MiB): %.0f ns; transparent huge "
               "pages: %s; GLIBC_TUNABLES: %s\n",
               r.memory_latency_ns, m.transparent_hugepages.c_str(), m.glibc_tunables.c_str());
  if (!r.workload.empty()) {
    std::fprintf(out, "- Workload: %s\n", r.workload.c_str());
  } else {
    std::fprintf(out,
                 "- Workload: %zu documents (%s of MessagePack, %.1f bytes avg), batches of %zu, "
                 "%zu gets, %zu scan passes, %zu patches\n",
                 r.documents, Mib(r.document_bytes).c_str(),
                 r.documents ? static_cast<double>(r.document_bytes) / r.documents : 0.0, r.batch,
                 r.gets, r.scan_passes, r.patches);
  }
  for (const auto& [engine, mode] : r.modes) {
    std::fprintf(out, "- %s: %s\n", engine.c_str(), mode.c_str());
  }
  for (const std::string& note : r.notes) std::fprintf(out, "- %s\n", note.c_str());

  for (const Phase& p : r.phases) {
    std::vector<const Measurement*> daas;
    for (const Measurement& row : p.rows) {
      if (row.engine == "DaaS") daas.push_back(&row);
    }
    std::fprintf(out, "\n## %s\n\n| engine | how | ops | seconds | %s |", p.title.c_str(),
                 p.unit.c_str());
    for (const Measurement* d : daas) {
      std::fprintf(out, " DaaS%s / engine |", daas.size() > 1 ? (" " + d->how).c_str() : "");
    }
    std::fprintf(out, " check |\n|---|---|---:|---:|---:|");
    for (size_t i = 0; i < daas.size(); ++i) std::fprintf(out, "---:|");
    std::fprintf(out, "---|\n");
    for (const Measurement& row : p.rows) {
      std::fprintf(out, "| %s | %s | %s | %.3f | %s |", row.engine.c_str(), row.how.c_str(),
                   Grouped(static_cast<double>(row.ops)).c_str(), row.seconds,
                   Grouped(row.ops_per_second()).c_str());
      for (const Measurement* d : daas) {
        if (row.engine == "DaaS") {
          std::fprintf(out, " |");
        } else {
          std::fprintf(out, " %sx |", Fixed(d->ops_per_second() / row.ops_per_second(), 2).c_str());
        }
      }
      std::fprintf(out, " %s |\n", row.checked ? "ok" : "MISMATCH");
    }
  }

  for (const SamplePhase& p : r.sample_phases) {
    std::vector<const SampleRow*> daas;
    for (const SampleRow& row : p.rows) {
      if (row.engine == "DaaS") daas.push_back(&row);
    }
    const char* unit = p.unit.c_str();
    std::fprintf(out, "\n## %s\n\n| engine | how | runs | median %s | p90 %s |", p.title.c_str(),
                 unit, unit);
    for (const SampleRow* d : daas) {
      std::fprintf(out, " DaaS%s / engine, median (p90) |",
                   daas.size() > 1 ? (" " + d->how).c_str() : "");
    }
    std::fprintf(out, " check |\n|---|---|---:|---:|---:|");
    for (size_t i = 0; i < daas.size(); ++i) std::fprintf(out, "---:|");
    std::fprintf(out, "---|\n");
    for (const SampleRow& row : p.rows) {
      const double median = row.Quantile(0.5), p90 = row.Quantile(0.9);
      std::fprintf(out, "| %s | %s | %zu | %s | %s |", row.engine.c_str(), row.how.c_str(),
                   row.samples.size(), SampleNumber(median).c_str(), SampleNumber(p90).c_str());
      for (const SampleRow* d : daas) {
        if (row.engine == "DaaS") {
          std::fprintf(out, " |");
        } else {
          std::fprintf(out, " %s (%s) |", Ratio(d->Quantile(0.5), median).c_str(),
                       Ratio(d->Quantile(0.9), p90).c_str());
        }
      }
      std::fprintf(out, " %s |\n", row.checked ? "ok" : "MISMATCH");
    }
  }

  for (const MedianTable& t : r.median_tables) {
    std::fprintf(out, "\n## %s\n\n| engine | how |", t.title.c_str());
    for (const MedianColumn& c : t.columns) {
      std::fprintf(out, " %s (%s) |", c.name.c_str(), c.unit.c_str());
    }
    std::fprintf(out, "\n|---|---|");
    for (size_t i = 0; i < t.columns.size(); ++i) std::fprintf(out, "---:|");
    std::fprintf(out, "\n");
    for (const MedianRow& row : t.rows) {
      std::fprintf(out, "| %s | %s |", row.engine.c_str(), row.how.c_str());
      for (const std::vector<double>& s : row.samples) {
        std::fprintf(out, " %s |", SampleNumber(Quantile(s, 0.5)).c_str());
      }
      std::fprintf(out, "\n");
    }
  }

  if (r.have_memory) {
    std::fprintf(out,
                 "\n## Phase 5: DaaS memory after loading\n\n"
                 "| figure | bytes | per document | vs raw MessagePack |\n|---|---:|---:|---:|\n");
    const double docs = r.documents ? static_cast<double>(r.documents) : 1.0;
    auto line = [&](const char* what, uint64_t bytes) {
      std::fprintf(out, "| %s | %s (%s) | %.1f | %.3fx |\n", what,
                   Grouped(static_cast<double>(bytes)).c_str(), Mib(bytes).c_str(),
                   static_cast<double>(bytes) / docs,
                   static_cast<double>(bytes) / static_cast<double>(r.document_bytes));
    };
    line("raw MessagePack (sum of document sizes)", r.document_bytes);
    line("CollectionStats.document_bytes", r.stats_document_bytes);
    line("CollectionStats.memory_bytes", r.memory_bytes);
    line("process RSS growth during the load", r.rss_growth_bytes);
  }

  if (!r.figures.empty()) {
    std::fprintf(out, "\n## Figures\n\n| figure | value |\n|---|---:|\n");
    for (const Figure& f : r.figures) {
      std::fprintf(out, "| %s | %s |\n", f.what.c_str(), f.value.c_str());
    }
  }

  if (!r.targets.empty()) {
    std::fprintf(out, "\n## Targets\n\n| target | actual | result |\n|---|---:|---|\n");
    for (const Target& t : r.targets) {
      const double margin =
          t.lower_is_better ? (t.goal - t.actual) / t.goal : (t.actual - t.goal) / t.goal;
      std::fprintf(out, "| %s | %s | %s by %s%% |\n", t.what.c_str(),
                   t.actual >= 100 ? Grouped(t.actual).c_str() : Fixed(t.actual, 2).c_str(),
                   t.met() ? "met" : "MISSED", Fixed(margin * 100 * (t.met() ? 1 : -1), 1).c_str());
    }
  }
  std::fprintf(out, "\n%s\n",
               r.failures.empty() ? "Checks: every engine's answers (checksums, sums, document "
                                    "counts) agree with the generated data."
                                  : "Checks FAILED:");
  for (const std::string& f : r.failures) std::fprintf(out, "- %s\n", f.c_str());
}

bool WriteJson(const Report& r, const std::string& path) {
  std::ostringstream j;
  const MachineInfo& m = r.machine;
  j << "{\n  \"tool\": " << JsonString(r.tool) << ",\n  \"label\": " << JsonString(r.label)
    << ",\n  \"machine\": {\"cpu\": " << JsonString(m.cpu_model) << ", \"cores\": " << m.cores
    << ", \"ram_gib\": " << JsonNumber(m.ram_gib) << ", \"kernel\": " << JsonString(m.kernel)
    << ", \"compiler\": " << JsonString(m.compiler)
    << ", \"build_type\": " << JsonString(m.build_type)
    << ", \"transparent_hugepages\": " << JsonString(m.transparent_hugepages)
    << ", \"glibc_tunables\": " << JsonString(m.glibc_tunables)
    << ", \"random_read_latency_ns\": " << JsonNumber(r.memory_latency_ns) << "},\n";
  j << "  \"workload\": {\"documents\": " << r.documents
    << ", \"document_bytes\": " << r.document_bytes << ", \"batch\": " << r.batch
    << ", \"gets\": " << r.gets << ", \"scan_passes\": " << r.scan_passes
    << ", \"patches\": " << r.patches << "},\n";
  j << "  \"modes\": {";
  for (size_t i = 0; i < r.modes.size(); ++i) {
    j << (i ? ", " : "") << JsonString(r.modes[i].first) << ": " << JsonString(r.modes[i].second);
  }
  j << "},\n  \"phases\": {";
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const Phase& p = r.phases[i];
    j << (i ? "," : "") << "\n    " << JsonString(p.key) << ": {\"title\": " << JsonString(p.title)
      << ", \"unit\": " << JsonString(p.unit) << ", \"results\": [";
    for (size_t k = 0; k < p.rows.size(); ++k) {
      const Measurement& row = p.rows[k];
      j << (k ? "," : "") << "\n      {\"engine\": " << JsonString(row.engine)
        << ", \"how\": " << JsonString(row.how) << ", \"ops\": " << row.ops
        << ", \"seconds\": " << JsonNumber(row.seconds)
        << ", \"ops_per_second\": " << JsonNumber(row.ops_per_second())
        << ", \"checked\": " << (row.checked ? "true" : "false") << "}";
    }
    j << "]}";
  }
  j << "\n  },\n  \"sample_phases\": {";
  for (size_t i = 0; i < r.sample_phases.size(); ++i) {
    const SamplePhase& p = r.sample_phases[i];
    j << (i ? "," : "") << "\n    " << JsonString(p.key) << ": {\"title\": " << JsonString(p.title)
      << ", \"unit\": " << JsonString(p.unit) << ", \"results\": [";
    for (size_t k = 0; k < p.rows.size(); ++k) {
      const SampleRow& row = p.rows[k];
      j << (k ? "," : "") << "\n      {\"engine\": " << JsonString(row.engine)
        << ", \"how\": " << JsonString(row.how) << ", \"runs\": " << row.samples.size()
        << ", \"median\": " << JsonNumber(row.Quantile(0.5))
        << ", \"p90\": " << JsonNumber(row.Quantile(0.9)) << ", \"samples\": [";
      for (size_t s = 0; s < row.samples.size(); ++s) {
        j << (s ? ", " : "") << JsonNumber(row.samples[s]);
      }
      j << "], \"checked\": " << (row.checked ? "true" : "false") << "}";
    }
    j << "]}";
  }
  j << "\n  },\n  \"median_tables\": {";
  for (size_t i = 0; i < r.median_tables.size(); ++i) {
    const MedianTable& t = r.median_tables[i];
    j << (i ? "," : "") << "\n    " << JsonString(t.key) << ": {\"title\": " << JsonString(t.title)
      << ", \"columns\": [";
    for (size_t c = 0; c < t.columns.size(); ++c) {
      j << (c ? ", " : "") << "{\"key\": " << JsonString(t.columns[c].key)
        << ", \"name\": " << JsonString(t.columns[c].name)
        << ", \"unit\": " << JsonString(t.columns[c].unit) << "}";
    }
    j << "], \"results\": [";
    for (size_t k = 0; k < t.rows.size(); ++k) {
      const MedianRow& row = t.rows[k];
      j << (k ? "," : "") << "\n      {\"engine\": " << JsonString(row.engine)
        << ", \"how\": " << JsonString(row.how) << ", \"medians\": {";
      for (size_t c = 0; c < row.samples.size() && c < t.columns.size(); ++c) {
        j << (c ? ", " : "") << JsonString(t.columns[c].key) << ": "
          << JsonNumber(Quantile(row.samples[c], 0.5));
      }
      j << "}, \"samples\": {";
      for (size_t c = 0; c < row.samples.size() && c < t.columns.size(); ++c) {
        j << (c ? ", " : "") << JsonString(t.columns[c].key) << ": [";
        for (size_t s = 0; s < row.samples[c].size(); ++s) {
          j << (s ? ", " : "") << JsonNumber(row.samples[c][s]);
        }
        j << "]";
      }
      j << "}}";
    }
    j << "]}";
  }
  j << "\n  },\n";
  if (r.have_memory) {
    j << "  \"memory\": {\"raw_document_bytes\": " << r.document_bytes
      << ", \"stats_document_bytes\": " << r.stats_document_bytes
      << ", \"memory_bytes\": " << r.memory_bytes
      << ", \"rss_growth_bytes\": " << r.rss_growth_bytes << "},\n";
  }
  j << "  \"notes\": [";
  for (size_t i = 0; i < r.notes.size(); ++i) j << (i ? ", " : "") << JsonString(r.notes[i]);
  j << "],\n  \"figures\": {";
  for (size_t i = 0; i < r.figures.size(); ++i) {
    j << (i ? ", " : "") << "\n    " << JsonString(r.figures[i].key) << ": "
      << JsonNumber(r.figures[i].number);
  }
  j << "},\n  \"targets\": [";
  for (size_t i = 0; i < r.targets.size(); ++i) {
    const Target& t = r.targets[i];
    j << (i ? "," : "") << "\n    {\"what\": " << JsonString(t.what)
      << ", \"goal\": " << JsonNumber(t.goal) << ", \"actual\": " << JsonNumber(t.actual)
      << ", \"met\": " << (t.met() ? "true" : "false") << "}";
  }
  j << "\n  ],\n  \"failures\": [";
  for (size_t i = 0; i < r.failures.size(); ++i) {
    j << (i ? ", " : "") << JsonString(r.failures[i]);
  }
  j << "]\n}\n";

  std::ofstream f(path);
  f << j.str();
  f.close();
  if (!f) {
    std::fprintf(stderr, "%s: cannot write %s: %s\n", r.tool.c_str(), path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

int FinishReport(const Report& report, const std::string& json_path) {
  PrintReport(report, stdout);
  if (!json_path.empty() && !WriteJson(report, json_path)) return 1;
  return report.failures.empty() ? 0 : 1;
}

}  // namespace daas::bench
