// The `daas` executable: everything is in cli_app.cc; this only binds the process's streams and
// turns an escaped exception into an error, since nothing must end the process silently: running
// out of memory is resource_exhausted, anything else internal.
#include <unistd.h>

#include <exception>
#include <iostream>
#include <new>

#include "cli/cli_app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    const daas::cli::CliStreams streams{std::cin, std::cout, std::cerr,
                                        /*err_is_terminal=*/isatty(STDERR_FILENO) == 1};
    return daas::cli::RunCli(argc, argv, streams);
  } catch (const std::bad_alloc&) {
    daas::cli::PrintError(daas::Status::ResourceExhausted("out of memory"), std::cerr);
  } catch (const std::exception& e) {
    daas::cli::PrintError(daas::Status::Internal(e.what()), std::cerr);
  } catch (...) {
    daas::cli::PrintError(daas::Status::Internal("unknown exception"), std::cerr);
  }
  return daas::cli::kExitError;
}
