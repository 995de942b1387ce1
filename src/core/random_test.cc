#include "core/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace daas::core {
namespace {

// A forked child must not reuse the parent's buffered salts.
TEST(RandomSalt, ForkedChildDrawsDifferentValues) {
  (void)RandomSalt();  // fill this thread's buffer before forking
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint64_t v = RandomSalt();
    ssize_t n = write(fds[1], &v, sizeof v);
    _exit(n == sizeof v ? 0 : 1);
  }
  uint64_t parent = RandomSalt();
  uint64_t child = 0;
  ASSERT_EQ(read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_NE(parent, child);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace daas::core
