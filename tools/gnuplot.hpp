// Plots are drawn by gnuplot, run as an external program (Debian package gnuplot-nox).
// picospice works without it: callers check find_gnuplot() and tell the user plots were
// skipped.
#pragma once
#include <filesystem>
#include <string>

namespace picospice::tools {

// True when a `gnuplot` executable is on PATH.
bool find_gnuplot();

// Runs gnuplot on `script` (written to a temporary file). Throws std::runtime_error with
// gnuplot's own message when it fails.
void run_gnuplot(const std::string& script);

// A POSIX shell single-quoted string ('\'' escapes a quote).
std::string shell_quote(const std::string& text);

// A gnuplot single-quoted string literal ('' escapes a quote).
std::string gnuplot_quote(const std::string& text);

}  // namespace picospice::tools
