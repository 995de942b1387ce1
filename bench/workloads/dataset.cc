#include "dataset.h"

#include <array>
#include <optional>

#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::bench {
namespace {

constexpr std::array<std::string_view, 32> kFirstNames = {
    "Ada",    "Alan",  "Barbara",   "Charles", "Claude",    "Donald", "Edsger",   "Frances",
    "Grace",  "Hedy",  "Ivan",      "John",    "Katherine", "Leslie", "Margaret", "Niklaus",
    "Ole",    "Peter", "Radia",     "Richard", "Shafi",     "Silvio", "Tim",      "Tony",
    "Ursula", "Vint",  "Whitfield", "Xavier",  "Yukihiro",  "Zhores", "Anita",    "Butler"};
constexpr std::array<std::string_view, 32> kLastNames = {
    "Lovelace",  "Turing",      "Liskov", "Babbage",    "Shannon",  "Knuth",    "Dijkstra",
    "Allen",     "Hopper",      "Lamarr", "Sutherland", "McCarthy", "Johnson",  "Lamport",
    "Hamilton",  "Wirth",       "Dahl",   "Naur",       "Perlman",  "Stallman", "Goldwasser",
    "Micali",    "Berners-Lee", "Hoare",  "Martin",     "Cerf",     "Diffie",   "Leroy",
    "Matsumoto", "Alferov",     "Borg",   "Lampson"};
constexpr std::array<std::string_view, 8> kDomains = {
    "mail.example-company.com",  "inbox.example-startup.org", "users.example-network.net",
    "accounts.example-cloud.io", "post.example-verlag.de",    "mailbox.example-shop.co.uk",
    "corp.example-societe.fr",   "members.example-kaisha.jp"};
constexpr std::array<std::string_view, 16> kCountries = {
    "United States", "United Kingdom", "Germany",   "South Africa", "New Zealand", "Netherlands",
    "Switzerland",   "Argentina",      "Australia", "Indonesia",    "Philippines", "Portugal",
    "Vietnam",       "Sweden",         "Mexico",    "Japan"};
constexpr std::array<std::string_view, 16> kTags = {
    "vip",         "beta",   "newsletter",   "churn-risk", "promo",     "mobile",
    "web",         "trial",  "admin",        "staff",      "gold-tier", "silver-tier",
    "bronze-tier", "europe", "asia-pacific", "americas"};

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

template <size_t N>
std::string_view Pick(Rng& rng, const std::array<std::string_view, N>& from) {
  return from[rng.Uniform(N)];
}

// Cents, so the value is exact in decimal and identical after a round trip through any engine.
double Balance(Rng& rng) { return static_cast<double>(rng.Uniform(10'000'000)) / 100.0; }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(&seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Uniform(uint64_t n) {
  // Lemire's multiply-shift; the bias for n < 2^32 is far below anything a benchmark can see.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

std::string MakeDocument(Rng& rng, int* age) {
  const std::string_view first = Pick(rng, kFirstNames);
  const std::string_view last = Pick(rng, kLastNames);
  std::string name;
  name.append(first).append(" ").push_back(static_cast<char>('A' + rng.Uniform(26)));
  name.append(". ").append(last);
  std::string email;
  for (char c : first) email.push_back(static_cast<char>(c | 0x20));
  email.push_back('.');
  email.push_back(static_cast<char>(name[first.size() + 1] | 0x20));
  email.push_back('.');
  for (char c : last) email.push_back(static_cast<char>(c | 0x20));
  email.append(std::to_string(rng.Uniform(1'000'000))).append("@").append(Pick(rng, kDomains));

  std::string out;
  out.reserve(192);
  doc::Writer w(&out);
  w.MapHeader(7);
  w.String("name");
  w.String(name);
  w.String("email");
  w.String(email);
  w.String("age");
  *age = 18 + static_cast<int>(rng.Uniform(73));
  w.Int(*age);
  w.String("country");
  w.String(Pick(rng, kCountries));
  w.String("balance");
  w.Double(Balance(rng));
  w.String("tags");
  const uint32_t tags = 1 + static_cast<uint32_t>(rng.Uniform(3));
  w.ArrayHeader(tags);
  for (uint32_t t = 0; t < tags; ++t) w.String(Pick(rng, kTags));
  w.String("active");
  w.Bool(rng.Uniform(4) != 0);
  return out;
}

std::string MakePatch(int64_t age, double balance) {
  std::string out;
  doc::Writer w(&out);
  w.MapHeader(2);
  w.String("age");
  w.Int(age);
  w.String("balance");
  w.Double(balance);
  return out;
}

Dataset MakeDataset(size_t documents, size_t gets, size_t patches) {
  Dataset d;
  std::vector<int> ages(documents);
  d.documents.reserve(documents);
  d.views.reserve(documents);
  Rng doc_rng(kDocumentSeed);
  for (size_t i = 0; i < documents; ++i) {
    d.documents.push_back(MakeDocument(doc_rng, &ages[i]));
    d.document_bytes += d.documents.back().size();
    d.expected_age_sum += static_cast<uint64_t>(ages[i]);
  }
  for (const std::string& doc : d.documents) d.views.push_back(doc);

  Rng get_rng(kGetSeed);
  d.get_order.reserve(gets);
  for (size_t i = 0; i < gets && documents > 0; ++i) {
    const auto k = static_cast<uint32_t>(get_rng.Uniform(documents));
    d.get_order.push_back(k);
    d.expected_get_checksum += GetChecksum(d.documents[k]);
  }

  Rng patch_rng(kPatchSeed);
  d.patch_order.reserve(patches);
  d.patches.reserve(patches);
  for (size_t i = 0; i < patches && documents > 0; ++i) {
    const auto k = static_cast<uint32_t>(patch_rng.Uniform(documents));
    const int age = 18 + static_cast<int>(patch_rng.Uniform(73));
    d.patch_order.push_back(k);
    d.patches.push_back(MakePatch(age, Balance(patch_rng)));
    ages[k] = age;
  }
  for (int age : ages) d.expected_patched_age_sum += static_cast<uint64_t>(age);
  return d;
}

uint64_t ReadAge(std::string_view document) {
  const std::optional<doc::Value> v = doc::FindField(document, "age");
  if (!v || v->type != doc::Type::kInt) return 0;
  return static_cast<uint64_t>(v->int_value);
}

}  // namespace daas::bench
