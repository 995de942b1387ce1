// The JSON helpers of daas.hpp, over the doc layer.
#include "daas/daas.hpp"
#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace daas {

Result<std::string> JsonToDocument(std::string_view json, const DocumentLimits& limits) {
  return doc::JsonToMsgpack(json, limits);
}

Result<std::string> DocumentToJson(std::string_view document) {
  // Any well-formed document converts, whatever limits it was stored under.
  if (Status s = doc::ValidateDocument(document, kCeilingDocumentLimits); !s.ok()) return s;
  std::string out;
  doc::MsgpackToJson(document, &out);
  return out;
}

}  // namespace daas
