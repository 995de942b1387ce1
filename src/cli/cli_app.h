// The `daas` command line: parses the arguments with CLI11, opens the database named by --dir, runs
// one command (commands.h) and turns the outcome into messages and an exit code.
//
// Invariant: every failure prints exactly one "daas: error: <code name> (<code number>): <message>"
// line on `err`, and the exit code says who failed: kExitError (1) for anything reported as a
// Status (bad JSON, bad ID, missing document, I/O), kExitUsage (2) for a command line CLI11
// rejects.
#pragma once

#include <iosfwd>

namespace daas::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct CliStreams {
  std::istream& in;              // read by `import ... -` and by a JSON argument of "-"
  std::ostream& out;             // command results, help, version
  std::ostream& err;             // errors, notes, the import progress line
  bool err_is_terminal = false;  // draw the import progress line on `err`
};

// Runs `daas` with argv[0..argc) and returns the process exit code. Exceptions other than CLI11's
// parse errors propagate; main() turns them into an internal error.
// Thread-compatible: one call at a time per set of streams.
int RunCli(int argc, const char* const* argv, const CliStreams& streams);

}  // namespace daas::cli
