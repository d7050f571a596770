#include "engine/circuit.hpp"

#include <algorithm>
#include <cctype>

namespace picospice {

static std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Index Circuit::find_node(const std::string& name) const {
  const std::string key = lower(name);
  if (key == "0" || key == "gnd") return 0;
  for (Index i = 1; i < static_cast<Index>(unknowns.size()); ++i)
    if (unknowns[i].kind == UnknownKind::Voltage && unknowns[i].name == key) return i;
  return -1;
}

Index Circuit::find_output(const std::string& name) const {
  const std::string key = lower(name);
  if (key.size() > 3 && key.back() == ')' && key[1] == '(') {
    const std::string inner = key.substr(2, key.size() - 3);
    if (key[0] == 'v') return find_node(inner);
    if (key[0] == 'i') {
      for (Index i = 1; i < static_cast<Index>(unknowns.size()); ++i)
        if (unknowns[i].kind == UnknownKind::Current && unknowns[i].name == inner) return i;
      return -1;
    }
  }
  return find_node(key);
}

DeviceGroup* Circuit::find_group(std::string_view type_name) const {
  for (auto& g : groups)
    if (g->type_name() == type_name) return g.get();
  return nullptr;
}

bool Circuit::set_instance_param(std::string_view instance, std::string_view param, double value) {
  for (auto& g : groups)
    if (g->set_instance_param(instance, param, value)) return true;
  return false;
}

void Circuit::set_temperature(double celsius) {
  options.temp = celsius;
  for (auto& g : groups) g->set_temperature(celsius + physics::zero_celsius);
}

}  // namespace picospice
