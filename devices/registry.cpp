// Every device type picospice knows, by element letter. Adding a device: write its file, then add
// one line here.
#include <algorithm>

#include "devices/capacitor.hpp"
#include "devices/controlled_sources.hpp"
#include "devices/current_source.hpp"
#include "devices/device.hpp"
#include "devices/diode.hpp"
#include "devices/ekv/ekv_mosfet.hpp"
#include "devices/inductor.hpp"
#include "devices/resistor.hpp"
#include "devices/voltage_source.hpp"

namespace picospice {

template <class Group>
static std::unique_ptr<DeviceGroup> make_group() { return std::make_unique<Group>(); }

const std::vector<DeviceKind>& device_registry() {
  static const std::vector<DeviceKind> kinds = {
      {'r', 2, false, {}, "resistor", make_group<ResistorGroup>},
      {'c', 2, false, {}, "capacitor", make_group<CapacitorGroup>},
      {'l', 2, false, {}, "inductor", make_group<InductorGroup>},
      {'v', 2, false, {}, "vsource", make_group<VoltageSourceGroup>},
      {'i', 2, false, {}, "isource", make_group<CurrentSourceGroup>},
      {'e', 4, false, {}, "vcvs", make_group<VcvsGroup>},
      {'g', 4, false, {}, "vccs", make_group<VccsGroup>},
      {'f', 2, false, {}, "cccs", make_group<CccsGroup>},
      {'h', 2, false, {}, "ccvs", make_group<CcvsGroup>},
      {'d', 2, true, {"d"}, "diode", make_group<DiodeGroup>},
      {'m', 4, true, {"nmos", "pmos"}, "ekv_mosfet", make_group<EkvMosfetGroup>},
  };
  return kinds;
}

const DeviceKind* find_device_kind(char letter, const ModelCard* model) {
  for (const auto& kind : device_registry()) {
    if (kind.letter != letter) continue;
    if (!kind.takes_model) return &kind;
    if (model && std::find(kind.model_types.begin(), kind.model_types.end(), model->type) !=
                     kind.model_types.end())
      return &kind;
  }
  return nullptr;
}

}  // namespace picospice
