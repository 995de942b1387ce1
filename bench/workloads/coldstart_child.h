// What the cold-start children (coldstart_daas, coldstart_sqlite, coldstart_lmdb, coldstart_none)
// share with their driver, daas_coldstart: the command line, the document check and the lines a
// child prints. C library only, so a child that links no C++ runtime of its own stays that way.
//
// A child is started as
//   <child> TARGET KEY SIZE HASH
// (TARGET: the database directory or file; KEY: the document's key as the engine names it; SIZE and
// HASH: the expected document's byte count and Fnv1a), opens TARGET read-write as an application
// would, looks up KEY once, and closes the engine the normal way. It reads MonotonicNs() first
// thing in main, when the engine's open returns, right after the lookup, and when its close
// returns. If the document is the expected one it prints, right after the lookup,
//   "<main> <open done> <lookup done> <size>\n"
// and after the close "<close done>\n", on stdout.
// Exit status: 0, 1 (the engine failed), 2 (usage), 3 (the lookup found another document or none).
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

namespace daas::bench {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a child's reading
// and its driver's can be subtracted.
inline uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// 64-bit FNV-1a of the bytes: the check that the child got the expected document.
inline uint64_t Fnv1a(const void* data, size_t size) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3u;
  return h;
}

struct ChildArgs {
  const char* target;  // directory or file
  const char* key;     // as the engine names documents
  uint64_t size;       // of the expected document
  uint64_t hash;       // Fnv1a of the expected document
};

// Exits with status 2 and a usage line when argv is not TARGET KEY SIZE HASH.
inline ChildArgs ParseChildArgs(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s TARGET KEY SIZE HASH\n", argv[0]);
    exit(2);
  }
  return {argv[1], argv[2], strtoull(argv[3], nullptr, 10), strtoull(argv[4], nullptr, 10)};
}

// MonotonicNs() at the steps of a child's life.
struct ChildTimes {
  uint64_t main = 0;    // first thing in main
  uint64_t open = 0;    // the engine's open returned
  uint64_t lookup = 0;  // the lookup returned
};

// Prints a line on stdout at once (unbuffered: it must not wait for the rest of the child's life).
inline void PrintLine(const char* line, int n) {
  fwrite(line, 1, static_cast<size_t>(n), stdout);
  fflush(stdout);
}

// Prints the child's first line.
inline void PrintLookup(const ChildTimes& t, size_t size) {
  char line[96];
  PrintLine(line, snprintf(line, sizeof(line), "%llu %llu %llu %zu\n",
                           static_cast<unsigned long long>(t.main),
                           static_cast<unsigned long long>(t.open),
                           static_cast<unsigned long long>(t.lookup), size));
}

// Checks the looked-up document (`found` false: the lookup found nothing) and prints the child's
// first line. Returns false, having said why on stderr (and prints nothing), when it is not the
// expected document.
inline bool ReportLookup(const ChildTimes& t, bool found, const void* data, size_t size,
                         const ChildArgs& args) {
  if (!found) {
    fprintf(stderr, "coldstart: %s: key %s not found\n", args.target, args.key);
    return false;
  }
  if (size != args.size || Fnv1a(data, size) != args.hash) {
    fprintf(stderr, "coldstart: %s: key %s holds %zu bytes of another document (expected %llu)\n",
            args.target, args.key, size, static_cast<unsigned long long>(args.size));
    return false;
  }
  PrintLookup(t, size);
  return true;
}

// Prints the child's second line, once the engine is closed.
inline void ReportClosed() {
  char line[32];
  PrintLine(line,
            snprintf(line, sizeof(line), "%llu\n", static_cast<unsigned long long>(MonotonicNs())));
}

}  // namespace daas::bench
