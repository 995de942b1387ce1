#include "expr/bindings.h"

#include <algorithm>
#include <iterator>

#include "core/coding.h"
#include "daas/options.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/ast.h"
#include "expr/datetime.h"

namespace daas::expr {
namespace {

bool KnownName(std::string_view name) {
  return std::find(std::begin(kParameterNames), std::end(kParameterNames), name) !=
         std::end(kParameterNames);
}

Status UnknownName(std::string_view name) {
  return Status::InvalidArgument("unknown parameter '@" + std::string(name.substr(0, 64)) +
                                 "': expected request, auth or param");
}

// The MessagePack timestamp 96 form: nanoseconds (uint32) then seconds (int64), big-endian.
std::string Timestamp(int64_t micros) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t rest = micros % kMicrosPerSecond;
  if (rest < 0) {
    rest += kMicrosPerSecond;
    seconds -= 1;
  }
  std::string payload(12, '\0');
  auto* p = reinterpret_cast<uint8_t*>(payload.data());
  core::PutBig32(p, static_cast<uint32_t>(rest * 1000));
  core::PutBig64(p + 4, static_cast<uint64_t>(seconds));
  return payload;
}

}  // namespace

Bindings::Entry* Bindings::Slot(std::string_view name) {
  for (Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  entries_.push_back(Entry{std::string(name), std::string(), {}});
  return &entries_.back();
}

Status Bindings::Set(std::string_view name, std::string_view msgpack) {
  if (!KnownName(name)) return UnknownName(name);
  const Status valid = doc::ValidateValue(msgpack, kCeilingDocumentLimits);
  if (!valid.ok()) return valid.WithContext("parameter @" + std::string(name));
  Entry* e = Slot(name);
  e->msgpack.assign(msgpack);
  e->fields.clear();
  return Status::OK();
}

Status Bindings::SetJson(std::string_view name, std::string_view json) {
  if (!KnownName(name)) return UnknownName(name);
  auto mp = doc::JsonValueToMsgpack(json, kCeilingDocumentLimits);
  if (!mp.ok()) return mp.status().WithContext("parameter @" + std::string(name));
  return Set(name, *mp);
}

Status Bindings::SetField(std::string_view name, std::string_view key, const Value& value) {
  if (!KnownName(name)) return UnknownName(name);
  std::string encoded;
  doc::Writer w(&encoded);
  w.String(key);  // validated with the value below: a key that is not UTF-8 is refused
  switch (value.type) {
    case ValueType::kNull:
      w.Nil();
      break;
    case ValueType::kBool:
      w.Bool(value.boolean);
      break;
    case ValueType::kInt:
      w.Int(value.int_value);
      break;
    case ValueType::kUint:
      w.Uint(value.uint_value);
      break;
    case ValueType::kDouble:
      w.Double(value.double_value);
      break;
    case ValueType::kString:
      w.String(value.bytes);
      break;
    case ValueType::kDatetime:
      w.Ext(-1, Timestamp(value.int_value));
      break;
    default:
      return Status::InvalidArgument(std::string("parameter @") + std::string(name) + "." +
                                     std::string(key.substr(0, 64)) + ": a " +
                                     TypeName(value.type) + " is bound with Set, not SetField");
  }
  // Key and value as a one-pair map: the check that they are UTF-8 where they must be.
  const Status valid = doc::ValidateDocument("\x81" + encoded, kCeilingDocumentLimits);
  if (!valid.ok()) return valid.WithContext("parameter @" + std::string(name));
  const size_t key_size = doc::ReadValue(encoded).raw.size();
  encoded.erase(0, key_size);
  Entry* e = Slot(name);
  bool replaced = false;
  for (auto& [k, v] : e->fields) {
    if (k == key) {
      v = encoded;
      replaced = true;
    }
  }
  if (!replaced) e->fields.emplace_back(std::string(key), std::move(encoded));
  e->msgpack.clear();
  doc::Writer m(&e->msgpack);
  m.MapHeader(static_cast<uint32_t>(e->fields.size()));
  for (const auto& [k, v] : e->fields) {
    m.String(k);
    m.Raw(v);
  }
  return Status::OK();
}

const std::string* Bindings::Find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e.msgpack;
  }
  return nullptr;
}

}  // namespace daas::expr
