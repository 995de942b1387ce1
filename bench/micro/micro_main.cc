// The main() of every micro benchmark binary: Google Benchmark, with the machine recorded in the
// report's context (cpu, kernel, compiler, DaaS build type), as every benchmark result must say.
#include <benchmark/benchmark.h>

#include "machine_info.h"

int main(int argc, char** argv) {
  const daas::bench::MachineInfo m = daas::bench::CollectMachineInfo();
  benchmark::AddCustomContext("cpu_model", m.cpu_model);
  benchmark::AddCustomContext("kernel", m.kernel);
  benchmark::AddCustomContext("compiler", m.compiler);
  benchmark::AddCustomContext("daas_build_type", m.build_type);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
