#include "devices/device_registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace picospice {
namespace {

struct Registry {
  std::vector<DeviceKind> kinds;
  std::string conflict;  // the first clash found, reported when the registry is first read
};

// Constructed on first use, so registrations from any file's static initializers find it ready.
Registry& registry() {
  static Registry instance;
  return instance;
}

bool overlaps(const DeviceKind& a, const DeviceKind& b) {
  if (a.letter != b.letter) return false;
  if (!a.takes_model || !b.takes_model) return true;
  for (const auto& type : a.model_types)
    if (std::find(b.model_types.begin(), b.model_types.end(), type) != b.model_types.end()) return true;
  return false;
}

}  // namespace

DeviceRegistration::DeviceRegistration(DeviceKind kind) {
  Registry& r = registry();
  for (const auto& existing : r.kinds)
    if (overlaps(existing, kind) && r.conflict.empty())
      r.conflict = "device types '" + existing.group_name + "' and '" + kind.group_name +
                   "' both claim element letter '" + std::string(1, kind.letter) + "'";
  const auto at = std::upper_bound(r.kinds.begin(), r.kinds.end(), kind, [](const DeviceKind& a, const DeviceKind& b) {
    return a.letter != b.letter ? a.letter < b.letter : a.group_name < b.group_name;
  });
  r.kinds.insert(at, std::move(kind));
}

const std::vector<DeviceKind>& device_registry() {
  const Registry& r = registry();
  if (!r.conflict.empty()) throw std::logic_error("device registry: " + r.conflict);
  return r.kinds;
}

const DeviceKind* find_device_kind(char letter, const ModelCard* model) {
  for (const auto& kind : device_registry()) {
    if (kind.letter != letter) continue;
    if (!kind.takes_model) return &kind;
    if (model && std::find(kind.model_types.begin(), kind.model_types.end(), model->type) != kind.model_types.end())
      return &kind;
  }
  return nullptr;
}

}  // namespace picospice
