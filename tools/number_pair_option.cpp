#include "tools/number_pair_option.hpp"

#include <cmath>
#include <vector>

namespace picospice::tools {

namespace {

CLI::Option* add_pair(CLI::App* app, const std::string& name, double& first, double& second, const std::string& help,
                      const std::string& type_name, bool ordered) {
  return app
      ->add_option(name, [&first, &second, ordered](const std::vector<std::string>& v) {
        double a = 0, b = 0;
        if (v.size() != 2 || !CLI::detail::lexical_cast(v[0], a) || !CLI::detail::lexical_cast(v[1], b) ||
            !std::isfinite(a) || !std::isfinite(b) || (ordered && a > b))
          return false;  // CLI11 reports "NAME: ... could not be converted"
        first = a;
        second = b;
        return true;
      }, help)
      ->expected(2)
      ->type_name(type_name);
}

}  // namespace

CLI::Option* add_number_pair_option(CLI::App* app, const std::string& name, double& first, double& second,
                                    const std::string& help, const std::string& type_name) {
  return add_pair(app, name, first, second, help, type_name, false);
}

CLI::Option* add_range_option(CLI::App* app, const std::string& name, double& low, double& high,
                              const std::string& help) {
  return add_pair(app, name, low, high, help, "MIN MAX", true);
}

}  // namespace picospice::tools
