#include "index/unique_index.h"

#include "index/key.h"

namespace daas::index {

UniqueIndex::Stripe& UniqueIndex::StripeOf(const std::string& key) const {
  return stripes_[std::hash<std::string>{}(key) % kStripes];
}

std::optional<std::string> UniqueIndex::KeyOf(std::string_view document) const {
  return index::KeyOf(document, fields_);
}

std::optional<DocId> UniqueIndex::Claim(const std::string& key, DocId id) {
  Stripe& s = StripeOf(key);
  core::MutexLock l(&s.mu);
  auto [it, inserted] = s.map.emplace(key, id);
  if (inserted || it->second == id) return std::nullopt;
  return it->second;
}

void UniqueIndex::Release(const std::string& key, DocId id) {
  Stripe& s = StripeOf(key);
  core::MutexLock l(&s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end() && it->second == id) s.map.erase(it);
}

std::optional<DocId> UniqueIndex::Find(const std::string& key) const {
  Stripe& s = StripeOf(key);
  core::MutexLock l(&s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return std::nullopt;
  return it->second;
}

size_t UniqueIndex::size() const {
  size_t n = 0;
  for (Stripe& s : stripes_) {
    core::MutexLock l(&s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace daas::index
