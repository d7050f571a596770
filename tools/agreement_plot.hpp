// PNG plots of `picospice agree --plot DIR` (drawn by gnuplot through tools/gnuplot.hpp):
//   DIR/states.png   software and circuit states as rasters (units down, frames across), and a
//                    third raster of the unit-frames where they differ
//   DIR/logits.png   each logit over frames: software (lines) and circuit (points)
// The data files (states.dat, logits.dat) are left beside the PNGs.
#pragma once
#include <string>

#include "codesign/agreement.hpp"

namespace picospice::tools {

// Throws std::runtime_error when gnuplot fails; callers check find_gnuplot() first.
void write_agreement_plots(const network::AgreementReport& report, const std::string& directory);

}  // namespace picospice::tools
