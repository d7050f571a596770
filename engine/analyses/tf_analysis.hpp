// `.tf v(out[,ref]) src`: the DC small-signal transfer function from an independent source to an
// output voltage, and the input and output resistances, on the circuit linearized at its DC
// operating point (ngspice manual, ".tf: Transfer Function Analysis"). One plot, "Transfer
// Function", of one point with three values, named as ngspice 39 writes them in its raw file
// (lower case here; ngspice's vector names are case-insensitive):
//   v(transfer_function)             (v(out) - v(ref)) per unit of the source: V/V, or V/A (ohm)
//                                    for an I source
//   v(src#input_impedance)           the resistance the source sees: 1 V across a V source over the
//                                    current it delivers; the voltage across an I source per ampere
//   v(output_impedance_at_v(out))    the resistance seen between out and ref, with every
//                                    independent source zeroed (V shorted, I open)
// A resistance that is infinite (the source drives nothing) is written as 1e20, as ngspice does.
// The linearization is the G matrix of the .ac analysis at 0 Hz (engine/small_signal.hpp).
#pragma once
#include "engine/analyses/ac_analysis.hpp"
#include "engine/circuit.hpp"
#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

void run_tf(System& system, const TfSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics = nullptr);
Plot run_tf(System& system, const TfSpec& spec, SmallSignalStatistics* statistics = nullptr);

}  // namespace picospice
