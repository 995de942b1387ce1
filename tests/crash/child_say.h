// How the crash test's children report to it: one line per statement, written unbuffered to
// stdout (a pipe), so a line the kill cuts is visibly incomplete.
#pragma once

#include <unistd.h>

#include <string>

#include "daas/status.h"

namespace daas::crash {

inline void Say(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, p, left);
    if (n <= 0) _exit(3);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] inline void Fail(const std::string& what, const Status& s) {
  Say("ERR " + what + ": " + s.ToString());
  _exit(2);
}

}  // namespace daas::crash
