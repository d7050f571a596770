// How many points one analysis may take. Output streams to disk (engine/output/plot_sink.hpp), so
// memory does not grow with points, but a netlist asking for 10^15 steps would run for years and
// fill any disk: such a request is refused where it is read, with its file:line:column.
#pragma once

namespace picospice {

// One .dc sweep, and the points of a nested sweep together (ten million operating points are
// hours of work already).
constexpr double kMaxDcPoints = 1e7;
// A transient's fewest possible steps, its span over the largest step it may take.
constexpr double kMaxTranPoints = 1e8;

}  // namespace picospice
