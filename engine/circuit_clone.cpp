#include "engine/circuit_clone.hpp"

namespace picospice {

std::unique_ptr<Circuit> clone_circuit(const Circuit& circuit) {
  auto copy = std::make_unique<Circuit>();
  copy->title = circuit.title;
  copy->source_file = circuit.source_file;
  copy->unknowns = circuit.unknowns;
  copy->groups.reserve(circuit.groups.size());
  for (const auto& group : circuit.groups) copy->groups.push_back(group->clone());
  copy->instances_at = circuit.instances_at;
  copy->options = circuit.options;
  copy->analyses = circuit.analyses;
  copy->measures = circuit.measures;
  copy->initial_conditions = circuit.initial_conditions;
  copy->nodesets = circuit.nodesets;
  copy->saves = circuit.saves;
  copy->extra_options = circuit.extra_options;
  copy->reelaborate = circuit.reelaborate;
  return copy;
}

std::unique_ptr<Circuit> clone_circuit_for_worker(const Circuit& circuit) {
  auto copy = clone_circuit(circuit);
  copy->options.threads = 1;
  return copy;
}

}  // namespace picospice
