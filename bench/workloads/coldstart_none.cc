// coldstart_none TARGET KEY SIZE HASH: the floor of the cold-start benchmark, a process with no
// engine (coldstart_child.h): it reads the clock first thing in main, reports that time for every
// step (size 0; it checks nothing) and exits.
#include "coldstart_child.h"

int main(int argc, char** argv) {
  daas::bench::ChildTimes times;
  times.main = times.open = times.lookup = daas::bench::MonotonicNs();
  daas::bench::ParseChildArgs(argc, argv);
  daas::bench::PrintLookup(times, 0);
  daas::bench::ReportClosed();
  return 0;
}
