// `.noise v(out[,ref]) src dec|oct|lin N f1 f2 [pts_per_summary]`: the small-signal noise of the
// circuit linearized at its DC operating point, as ngspice 39 reports it (ngspice manual, ".noise:
// Noise Analysis"; vector names and units checked against ngspice 39's raw files).
//
// Every device's noise generators are the ones the transient noise injects, with the same
// densities at the operating point (DeviceGroup::list_noise_sources / noise_density:
// resistors 4kT/R, diodes 2q|I|, 4kT/RS and KF|I|^AF/f, the EKV channel 4kT Gn and KF gm^2/(M W L
// COX f^AF)), so the two analyses agree by construction; flicker is always on here, as in ngspice.
// A generator is a current between two nodes; its contribution at the output is
//     S_out(f) = |Z(f)|^2 S(f),   Z = the transfer from that current to v(out) - v(ref).
// All the Z of one frequency come from one adjoint solve: (G + jwC)^T y = e_out - e_ref gives
// Z = y[to] - y[from] for a current leaving `from` and entering `to` (plain transpose, not the
// conjugate). The input-referred density is S_out / |A|^2, A the gain from the source (1 V across a
// V source, 1 A through an I source, whatever its own AC value: ngspice's inoise does not change
// with it) to the output, floored at |A|^2 >= 1e-20 as ngspice does (N_MINGAIN).
//
// Two plots, as ngspice writes them:
//  - "Noise Spectral Density Curves" (scale `frequency`): onoise_spectrum (V/sqrt(Hz)) and
//    inoise_spectrum (V/sqrt(Hz) for a V source, A/sqrt(Hz) for an I source); with
//    pts_per_summary N, also each generator onoise_<instance>_<generator> and each instance's
//    total onoise_<instance> (V/sqrt(Hz)), and then (ngspice's documented behaviour) only every
//    N-th frequency is written.
//  - "Integrated Noise" (one point): v(onoise_total) and v(inoise_total) (i(...) for an I source),
//    the rms noise over the sweep, sqrt of the integral of the density; with N, also each
//    generator's and each instance's. Each generator's density is integrated between adjacent
//    frequencies as a power law through the two points (exact for white and 1/f^a noise between
//    poles); the totals are the root sum of the generators' squares.
// Differences from ngspice: generators that cannot be non-zero are left out (a diode without RS
// has no `_rs`, a device without KF no `_1overf`, a resistor never has `_1overf`), and instances in
// subcircuits keep picospice's names (`onoise_x1.r1`, where ngspice writes r.x1.r1).
#pragma once
#include <vector>

#include "engine/analyses/ac_analysis.hpp"
#include "engine/circuit.hpp"
#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

// The integral over [f1, f2] of the power law through (f1, s1) and (f2, s2):
//     s(f) = s1 (f/f1)^a,   a = ln(s2/s1) / ln(f2/f1).
// Falls back to the trapezoid where a power law does not fit (a density or f1 of zero).
double integrate_power_law(double f1, double s1, double f2, double s2);

// Streams the two plots into `sink`.
void run_noise(System& system, const NoiseSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics = nullptr);
// The two plots: the density curves, then the integrated noise.
std::vector<Plot> run_noise(System& system, const NoiseSpec& spec, SmallSignalStatistics* statistics = nullptr);

}  // namespace picospice
