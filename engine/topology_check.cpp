#include "engine/topology_check.hpp"

#include <fmt/format.h>

#include <numeric>
#include <queue>

namespace picospice {
namespace {

class DisjointSets {
 public:
  explicit DisjointSets(int n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int find(int a) {
    while (parent_[a] != a) a = parent_[a] = parent_[parent_[a]];
    return a;
  }
  bool unite(int a, int b) {
    a = find(a); b = find(b);
    if (a == b) return false;
    parent_[a] = b;
    return true;
  }

 private:
  std::vector<int> parent_;
};

std::string describe_node(const Circuit& c, Index node) {
  std::string touching;
  if (node < static_cast<Index>(c.instances_at.size())) {
    for (const auto& inst : c.instances_at[node]) touching += (touching.empty() ? "" : ", ") + inst;
  }
  return fmt::format("'{}'{}", c.unknowns[node].name,
                     touching.empty() ? "" : " (connected to " + touching + ")");
}

// The instances on the tree path between a and b in the forest of voltage-defining edges.
std::string loop_members(const std::vector<DcConnection>& tree_edges, Index a, Index b, int nodes) {
  std::vector<std::vector<std::pair<Index, int>>> adj(nodes);
  for (int e = 0; e < static_cast<int>(tree_edges.size()); ++e) {
    adj[tree_edges[e].a].push_back({tree_edges[e].b, e});
    adj[tree_edges[e].b].push_back({tree_edges[e].a, e});
  }
  std::vector<int> via(nodes, -1);
  std::vector<bool> seen(nodes, false);
  std::queue<Index> frontier;
  frontier.push(a);
  seen[a] = true;
  while (!frontier.empty()) {
    Index n = frontier.front();
    frontier.pop();
    for (auto [m, e] : adj[n])
      if (!seen[m]) { seen[m] = true; via[m] = e; frontier.push(m); }
  }
  std::string names;
  for (Index n = b; n != a && via[n] >= 0;) {
    const auto& e = tree_edges[via[n]];
    names += ", " + e.instance;
    n = (e.a == n) ? e.b : e.a;
  }
  return names;
}

}  // namespace

void check_topology(const Circuit& circuit, PathNeeded need) {
  const int nodes = static_cast<int>(circuit.unknowns.size());
  std::vector<DcConnection> connections;
  for (const auto& group : circuit.groups) group->list_dc_connections(connections);

  // Loops of voltage-defining branches: the branch equations would be dependent.
  DisjointSets voltage_defined(nodes);
  std::vector<DcConnection> tree;
  for (const auto& c : connections) {
    if (c.kind != DcConnection::Kind::DefinesVoltage) continue;
    if (!voltage_defined.unite(c.a, c.b)) {
      throw SimulationError(fmt::format(
          "loop of voltage sources and/or inductors: {}{} (between nodes '{}' and '{}'); "
          "their branch currents are undetermined",
          c.instance, loop_members(tree, c.a, c.b, nodes), circuit.unknowns[c.a].name,
          circuit.unknowns[c.b].name));
    }
    tree.push_back(c);
  }

  // DC path to ground.
  DisjointSets dc(nodes);
  for (const auto& c : connections)
    if (c.kind != DcConnection::Kind::StoresCharge || need == PathNeeded::TransientOnly) dc.unite(c.a, c.b);
  const int ground = dc.find(0);
  for (Index n = 1; n < nodes; ++n) {
    if (circuit.unknowns[n].kind != UnknownKind::Voltage) continue;
    if (dc.find(n) != ground)
      throw SimulationError(
          need == PathNeeded::Dc
              ? fmt::format("node {} has no DC path to ground: it is reached only through capacitors, current "
                            "sources or MOSFET gates. Add a path (e.g. a large resistor to ground)",
                            describe_node(circuit, n))
              : fmt::format("node {} has no path to ground, not even through a capacitor: it is reached only "
                            "through current sources or MOSFET gates. Add a path (e.g. a large resistor to ground)",
                            describe_node(circuit, n)));
  }
}

}  // namespace picospice
