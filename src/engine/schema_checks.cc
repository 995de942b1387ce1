#include "engine/schema_checks.h"

#include "core/status_macros.h"
#include "expr/evaluator.h"

namespace daas::engine {
namespace {

// Validators kept between the commits of one thread: building one, with the Evaluators of its
// checks, costs more than checking a small document. A commit borrows the one of each schema it
// checks against (or builds it) and gives it back at its end, so no two commits share one.
class ValidatorPool {
 public:
  using SchemaPtr = std::shared_ptr<const schema::CollectionSchema>;

  static ValidatorPool& ThisThread() {
    thread_local ValidatorPool pool;
    return pool;
  }
  std::unique_ptr<schema::Validator> Borrow(const SchemaPtr& schema,
                                            const schema::ValidationContext& context) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->schema == schema) {
        std::unique_ptr<schema::Validator> v = std::move(it->validator);
        kept_.erase(it);
        v->SetContext(context);
        return v;
      }
    }
    return std::make_unique<schema::Validator>(*schema, context);
  }
  void GiveBack(SchemaPtr schema, std::unique_ptr<schema::Validator> validator) {
    if (kept_.size() == kMaxKept) kept_.erase(kept_.begin());  // the longest unused
    kept_.push_back(Kept{std::move(schema), std::move(validator)});
  }

 private:
  static constexpr size_t kMaxKept = 8;
  struct Kept {
    SchemaPtr schema;  // outlives `validator`, which refers to it (members die in reverse)
    std::unique_ptr<schema::Validator> validator;
  };
  std::vector<Kept> kept_;
};

}  // namespace

SchemaChecks::SchemaChecks(std::pmr::memory_resource* mr)
    : context{expr::SystemNowMicros()}, entries_(mr) {}

SchemaChecks::~SchemaChecks() {
  for (Entry& e : entries_) {
    if (e.validator) {
      ValidatorPool::ThisThread().GiveBack(e.snapshot.schema, std::move(e.validator));
    }
  }
}

Status SchemaChecks::Check(schema::Validator* v, CollectionImpl* coll, DocId id,
                           std::string_view document, std::string_view previous) {
  violations_.clear();
  const auto mode =
      previous.empty() ? schema::ValidationMode::kCreate : schema::ValidationMode::kUpdate;
  DAAS_ASSIGN_OR_RETURN(size_t found, v->Validate(document, mode, previous, &violations_));
  if (found == 0) return Status::OK();
  return schema::ViolationStatus(coll->name(), id.is_null() ? std::string() : id.ToString(),
                                 violations_);
}

void SchemaChecks::Paused(std::vector<CollectionImpl*>* out) const {
  for (const Entry& e : entries_) {
    if (e.snapshot.paused()) out->push_back(e.coll);
  }
}

Status SchemaChecks::StillCurrent(std::vector<CollectionImpl*>* changed) const {
  for (const Entry& e : entries_) {
    if (e.coll->schema().generation != e.snapshot.generation) changed->push_back(e.coll);
  }
  if (changed->empty()) return Status::OK();
  return Status::Conflict("the schema of " + changed->front()->Describe() +
                          " kept changing during the write; retry it");
}

SchemaChecks::Entry& SchemaChecks::EntryOf(CollectionImpl* coll) {
  for (Entry& e : entries_) {
    if (e.coll == coll) return e;
  }
  Entry e{coll, coll->schema(), nullptr};
  if (e.snapshot.schema != nullptr) {
    e.validator = ValidatorPool::ThisThread().Borrow(e.snapshot.schema, context);
  }
  entries_.push_back(std::move(e));
  return entries_.back();
}

}  // namespace daas::engine
