// Fuzzes the write-ahead log reader: an input is scanned as the last segment (where damage may be
// a torn tail) and as an earlier one, and every record's payload is decoded as a commit record; the
// payload decoder also gets the raw input. Never crashes; a scan that succeeds reports good bytes
// within the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/coding.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decode = [](uint64_t, std::string_view payload) {
    daas::storage::wal::DecodeCommitRecord(payload, [](const daas::storage::wal::LoggedOp&) {
      return daas::Status::OK();
    }).IgnoreError();  // malformed payloads are expected here; only crashes matter
    return daas::Status::OK();
  };
  const uint64_t first = size >= 24 ? daas::core::GetLittle<uint64_t>(data + 16) : 1;
  for (bool last : {true, false}) {
    uint64_t expected = 0;
    auto end =
        daas::storage::wal::ScanSegment(input, "wal-fuzz.log", first, last, &expected, decode);
    if (end.ok() && end->good_bytes > size) __builtin_trap();
  }
  decode(0, input).IgnoreError();  // the raw input as a payload; always OK
  return 0;
}
