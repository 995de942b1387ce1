// DaaS through its public C++ API (include/daas/daas.hpp), in-memory.
#include <algorithm>
#include <span>

#include "daas/daas.hpp"
#include "engine.h"
#include "machine_info.h"

namespace daas::bench {
namespace {

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string("daas: ") + what + ": " + s.ToString());
}

class DaasEngine final : public Engine {
 public:
  std::string name() const override { return "DaaS"; }
  std::string mode() const override {
    return "in-memory (Options{} with empty dir), worker pool of " +
           std::to_string(db_ ? db_->concurrency() : 0) + " threads";
  }

  void Open() {
    auto db = Database::Open(Options{});
    Check(db.status(), "open");
    db_ = std::move(*db);
    auto coll = db_->CreateCollection("bench");
    Check(coll.status(), "create collection");
    coll_ = *coll;
  }

  void Load(const Dataset& data, size_t batch) override {
    // Sized (and touched) before the baseline so the RSS growth is the engine's alone.
    ids_.assign(data.documents.size(), DocId());
    const uint64_t rss_before = ResidentBytes();
    const std::span<const std::string_view> all(data.views);
    for (size_t i = 0; i < all.size(); i += batch) {
      auto ids = coll_->InsertMany(all.subspan(i, std::min(batch, all.size() - i)));
      Check(ids.status(), "InsertMany");
      std::copy(ids->begin(), ids->end(), ids_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    memory_.rss_growth_bytes = ResidentBytes() - rss_before;
    auto stats = coll_->Stats();
    Check(stats.status(), "Stats");
    memory_.memory_bytes = stats->memory_bytes;
    memory_.document_bytes = stats->document_bytes;
  }

  void PrepareGets(const Dataset& data) override {
    // Read in order during the phase, so the timed loop pays for DaaS's memory accesses only, not
    // for a random read of ids_ that the peers (whose key is the index itself) do not make.
    get_ids_.clear();
    get_ids_.reserve(data.get_order.size());
    for (uint32_t k : data.get_order) get_ids_.push_back(ids_[k]);
  }

  uint64_t Get(const Dataset&, size_t) override {
    std::string buf;
    uint64_t sum = 0;
    for (const DocId& id : get_ids_) {
      Check(coll_->Get(id, &buf), "Get");
      sum += GetChecksum(buf);
    }
    return sum;
  }

  uint64_t ScanAgeSum() override {
    uint64_t sum = 0;
    Check(coll_->Scan([&](DocId, std::string_view bytes) {
      sum += ReadAge(bytes);
      return true;
    }),
          "Scan");
    return sum;
  }

  std::optional<std::pair<uint64_t, unsigned>> ParallelScanAgeSum() override {
    // One cache line per worker, so the workers' sums do not share lines.
    struct alignas(64) PerWorker {
      uint64_t sum = 0;
    };
    const unsigned workers = db_->concurrency();
    std::vector<PerWorker> sums(workers);
    Check(coll_->ParallelScan([&](unsigned worker, DocId, std::string_view bytes) {
      sums[worker].sum += ReadAge(bytes);
    }),
          "ParallelScan");
    uint64_t total = 0;
    for (const PerWorker& w : sums) total += w.sum;
    return std::make_pair(total, workers);
  }

  void Patch(const Dataset& data) override {
    for (size_t k = 0; k < data.patch_order.size(); ++k) {
      Check(coll_->Patch(ids_[data.patch_order[k]], data.patches[k]), "Patch");
    }
  }

  std::optional<MemoryReport> Memory() const override { return memory_; }

 private:
  std::unique_ptr<Database> db_;
  Collection* coll_ = nullptr;
  std::vector<DocId> ids_;      // ids_[i]: the ID of document i
  std::vector<DocId> get_ids_;  // ids_[data.get_order[k]]
  MemoryReport memory_;
};

}  // namespace

std::unique_ptr<Engine> MakeDaasEngine() {
  auto e = std::make_unique<DaasEngine>();
  e->Open();
  return e;
}

}  // namespace daas::bench
