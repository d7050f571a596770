// The device types picospice knows, by element letter. Each device type registers itself from its
// own .cpp, so adding one is a new file and nothing else:
//
//   static const DeviceRegistration kRegistered{
//       {'r', 2, false, {}, "resistor", make_group<ResistorGroup>}};
//
// The elaborator asks find_device_kind for every element line. (The devices library is linked
// whole, see CMakeLists.txt, so a registration that nothing names is not dropped by the linker.)
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/device.hpp"

namespace picospice {

// Builds an empty group for an element letter (and, for elements with a model, its model card).
struct DeviceKind {
  char letter;                 // 'r', 'c', 'v', ...
  int pins;                    // number of nodes on the element line
  bool takes_model;            // the first argument after the nodes names a .model
  std::vector<std::string> model_types;  // accepted model types (for takes_model)
  std::string group_name;      // one group per name in a circuit
  std::unique_ptr<DeviceGroup> (*make)();
  // Keys whose values are expressions that may read the circuit's state (B: "i", "v"; E and G:
  // "value", "table"): a value runs to the next `name=` (or, for a key without `=`, to the next
  // lone `=`: `TABLE {expr} = pairs`) and arrives compiled (ElementArg::program). A pin position
  // holding one of these words ends the node list early (E/G VALUE= and TABLE have two nodes).
  // Any other argument that reads the circuit's state is an error before the device sees it.
  std::vector<std::string> expression_keys = {};
  // Model types the element may name among its first two arguments without needing a model (the
  // semiconductor R and C: `R1 a b 1k rmod`; W: `W1 a b vctl cswmod`). The card's `model` is set
  // and the model name is not among the arguments.
  std::vector<std::string> optional_model_types = {};
};

template <class Group>
std::unique_ptr<DeviceGroup> make_group() { return std::make_unique<Group>(); }

// Adds a kind to the registry when constructed (at static initialization of the device's file).
class DeviceRegistration {
 public:
  explicit DeviceRegistration(DeviceKind kind);
};

// Every registered kind, ordered by letter and then group name (independent of link order).
// Throws std::logic_error when two registrations claim the same letter and model type.
const std::vector<DeviceKind>& device_registry();
// The kind for an element letter and (if it takes one) model type; nullptr if none.
const DeviceKind* find_device_kind(char letter, const ModelCard* model);

}  // namespace picospice
