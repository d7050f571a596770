// Flicker (1/f^alpha) noise as a sum of independent single-pole processes.
//
// A stationary Ornstein-Uhlenbeck process of variance s^2 and corner frequency fc has the one-sided
// density 4 s^2 tau / (1 + (2 pi f tau)^2), tau = 1/(2 pi fc) (a Lorentzian). Corners spread
// evenly in log frequency, D per decade, with variances s_j^2 = c * fc_j^(1 - alpha), add up to
//     S(f) = c * (D / ln 10) * f^-alpha / sin(pi alpha / 2)
// (the sum taken as an integral over ln fc; integral of u^(alpha-1)/(1+u^2) over (0, inf) is
// pi / (2 sin(pi alpha/2))). So c = K ln10 sin(pi alpha / 2) / D gives S(f) ~ K / f^alpha between
// the lowest and the highest corner (A. van der Ziel, "On the noise spectra of semi-conductor noise
// and of flicker effect", Physica 16, 1950, is the classic statement that a spread of relaxation
// times gives 1/f). Those variances start a refinement that makes the sum meet K/f^alpha at each
// corner (see the .cpp): within about 0.2 % from one decade above the lowest corner to one decade
// below the highest for alpha <= 1.5. Below the lowest corner the density flattens; above the
// highest it falls as 1/f^2.
//
// On the noise grid (step NT) each process is advanced exactly:
//     u(k+1) = rho u(k) + sqrt(1 - rho^2) s xi(k+1),   rho = exp(-NT / tau),   u(0) = s xi(0)
// so its samples have the continuous process's statistics at the grid times.
#pragma once
#include <vector>

namespace picospice::noise {

class FlickerPoles {
 public:
  static constexpr int kPolesPerDecade = 3;
  static constexpr double kDecades = 8.0;  // corners from the top down to top * 1e-8

  // Corners from `top_frequency` (Hz; the engine uses the grid's Nyquist frequency 1/(2 NT))
  // down kDecades decades, for S(f) = 1/f^exponent (density 1 A^2/Hz at 1 Hz) on grid step NT.
  FlickerPoles(double grid_step, double exponent, double top_frequency);

  int count() const { return static_cast<int>(rho_.size()); }
  double rho(int j) const { return rho_[j]; }          // one-step correlation
  double drive(int j) const { return drive_[j]; }      // s_j sqrt(1 - rho_j^2)
  double deviation(int j) const { return sigma_[j]; }  // s_j, stationary standard deviation
  double corner(int j) const { return corner_[j]; }    // Hz
  double exponent() const { return exponent_; }

 private:
  double exponent_;
  std::vector<double> corner_, rho_, drive_, sigma_;
};

}  // namespace picospice::noise
