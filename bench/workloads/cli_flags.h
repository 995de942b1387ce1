// Command-line handling shared by the workload drivers (daas_workload, daas_durable): every option
// is "--flag value", and --json, --label and --tmp mean the same in each.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace daas::bench {

// The options every driver takes.
struct CommonFlags {
  std::string json;   // --json FILE: also write the report there as JSON
  std::string label;  // --label TEXT: free text for the report, e.g. the commit
  std::string tmp;    // --tmp DIR: where the run's temp directory goes (TempParent)
};

// A driver's name and options, for its usage line.
struct Cli {
  const char* tool;      // "daas_durable"
  const char* synopsis;  // "[--docs N] ... [--tmp DIR]"

  // Prints "<tool>: <error>" and the usage line to stderr and exits with status 2.
  [[noreturn]] void Usage(const std::string& error) const {
    std::fprintf(stderr, "%s: %s\nusage: %s %s\n", tool, error.c_str(), tool, synopsis);
    std::exit(2);
  }

  // `text` as a whole number, or Usage.
  uint64_t Count(const std::string& flag, const std::string& text) const {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') Usage(flag + " wants a number, got '" + text + "'");
    return v;
  }

  // `text` as a number above 0 (1e6 is accepted), or Usage.
  double Positive(const std::string& flag, const std::string& text) const {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(v > 0)) Usage(flag + " wants a positive number");
    return v;
  }

  // Walks argv as "--flag value" pairs: --json, --label and --tmp fill `common`, and every other
  // flag goes to `other(flag, value)`, which returns false for a flag it does not know. --help, a
  // flag without a value and an unknown flag end in Usage.
  void Parse(
      int argc, char** argv, CommonFlags* common,
      const std::function<bool(const std::string& flag, const std::string& value)>& other) const {
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") Usage("help");
      if (i + 1 >= argc) Usage(flag + " needs a value");
      const std::string value = argv[++i];
      if (flag == "--json") {
        common->json = value;
      } else if (flag == "--label") {
        common->label = value;
      } else if (flag == "--tmp") {
        common->tmp = value;
      } else if (!other(flag, value)) {
        Usage("unknown option " + flag);
      }
    }
  }
};

}  // namespace daas::bench
